//! What the core makes of each kind of datagram and socket result.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

use smbaudit_wire::DecodeError;

use super::{Lab, Sent, fast, ip, ms, response, status_reply, wack};
use crate::nbns::NbnsReply;
use crate::observation::{Outcome, Unreachable};
use crate::sweep::{NBNS_PORT, Settings};

fn one(target: Ipv4Addr) -> Lab<std::array::IntoIter<Ipv4Addr, 1>> {
    Lab::new([target].into_iter(), fast())
}

#[test]
fn a_valid_reply_ends_the_host_with_its_round_trip() {
    let mut lab = one(ip(2));
    assert_eq!(lab.step(ms(0)), 1);
    let dst = SocketAddrV4::new(ip(2), NBNS_PORT);
    let first = Sent {
        at: ms(0),
        dst,
        trn_id: 0x1001,
    };
    assert_eq!(lab.sent, vec![first]);
    lab.datagram(ip(2), &status_reply(0x1001), ms(7));
    let [(at, host)] = lab.events.as_slice() else {
        panic!("one result: {:?}", lab.events);
    };
    assert_eq!(
        (*at, host.ip, host.attempts, host.rtt),
        (ms(7), ip(2), 1, Some(ms(7)))
    );
    let Outcome::Reply(NbnsReply::NodeStatus(ns)) = &host.outcome else {
        panic!("{:?}", host.outcome);
    };
    assert_eq!(ns.names[0].name.trimmed(), b"FAKE");
    assert_eq!(ns.statistics.unit_id(), Some([2, 0, 0, 0, 0, 1]));
    assert!(lab.sweep.is_finished());
    let stats = lab.sweep.stats(lab.at(ms(7)));
    assert_eq!((stats.targets, stats.sent, stats.replied), (1, 1, 1));
    assert_eq!((stats.stray, stats.retransmitted, stats.silent), (0, 0, 0));
    assert_eq!(stats.elapsed, ms(7));
}

#[test]
fn a_second_reply_to_one_query_is_stray_and_the_host_reported_once() {
    let mut lab = Lab::new([ip(2), ip(3)].into_iter(), fast());
    lab.step(ms(0));
    let id = lab.trn_id(ip(2));
    lab.datagram(ip(2), &status_reply(id), ms(3));
    lab.datagram(ip(2), &status_reply(id), ms(4));
    lab.datagram(ip(2), &response(id, 0x8403, 0, vec![]), ms(5));
    assert_eq!(lab.events.len(), 1, "{:?}", lab.events);
    assert_eq!(lab.sweep.stats(lab.at(ms(5))).stray, 2);
    lab.run_until(ms(2000));
    let silent = lab.result(ip(3)).expect("ip 3 ends");
    assert_eq!((&silent.outcome, silent.attempts), (&Outcome::NoReply, 2));
    assert_eq!(lab.events.iter().filter(|(_, h)| h.ip == ip(2)).count(), 1);
}

#[test]
fn a_reply_after_the_host_gave_up_is_stray() {
    let mut lab = one(ip(2));
    lab.run_until(ms(2000));
    assert_eq!(lab.events.len(), 1);
    let id = lab.trn_id(ip(2));
    lab.datagram(ip(2), &status_reply(id), ms(2001));
    assert_eq!(lab.events.len(), 1, "no second result: {:?}", lab.events);
    let stats = lab.sweep.stats(lab.at(ms(2001)));
    assert_eq!((stats.stray, stats.replied, stats.silent), (1, 0, 1));
}

/// Two responses back to back in one datagram: the packet decoder reads the sections the
/// first header counts and ignores what follows, so the first one is the answer.
#[test]
fn a_merged_datagram_answers_with_its_first_packet() {
    let mut lab = one(ip(2));
    lab.step(ms(0));
    let id = lab.trn_id(ip(2));
    let mut merged = status_reply(id);
    merged.extend_from_slice(&response(id, 0x8403, 0, vec![]));
    lab.datagram(ip(2), &merged, ms(2));
    let host = lab.result(ip(2)).expect("answered");
    assert!(matches!(
        &host.outcome,
        Outcome::Reply(NbnsReply::NodeStatus(_))
    ));
}

#[test]
fn a_reply_from_an_address_not_queried_is_stray_and_never_reported() {
    let mut lab = one(ip(2));
    lab.step(ms(0));
    let id = lab.trn_id(ip(2));
    lab.datagram(ip(99), &status_reply(id), ms(2));
    assert!(lab.events.is_empty());
    lab.run_until(ms(2000));
    let host = lab.result(ip(2)).expect("ends");
    assert_eq!((&host.outcome, host.attempts), (&Outcome::NoReply, 2));
    assert!(lab.events.iter().all(|(_, h)| h.ip != ip(99)));
    assert_eq!(lab.sweep.stats(lab.at(ms(2000))).stray, 1);
}

#[test]
fn a_wrong_transaction_id_is_stray_and_the_retransmission_keeps_the_id() {
    let mut lab = one(ip(2));
    lab.step(ms(0));
    let id = lab.trn_id(ip(2));
    lab.datagram(ip(2), &status_reply(id.wrapping_add(1)), ms(2));
    assert!(lab.events.is_empty());
    lab.run_until(ms(250));
    assert_eq!(lab.sends_to(ip(2)), vec![ms(0), ms(250)]);
    assert!(lab.sent.iter().all(|s| s.trn_id == id), "{:?}", lab.sent);
    lab.datagram(ip(2), &status_reply(id), ms(260));
    let host = lab.result(ip(2)).expect("answered");
    assert_eq!(
        (host.attempts, host.rtt),
        (2, Some(ms(10))),
        "rtt from the last send"
    );
    let stats = lab.sweep.stats(lab.at(ms(260)));
    assert_eq!((stats.stray, stats.retransmitted, stats.replied), (1, 1, 1));
}

/// Our own request echoed back (response bit clear) is not an answer.
#[test]
fn a_request_is_not_a_reply() {
    let mut lab = one(ip(2));
    lab.step(ms(0));
    let mut echo = crate::sweep::Query::node_status();
    let id = lab.trn_id(ip(2));
    lab.datagram(ip(2), echo.bytes(id), ms(1));
    assert!(lab.events.is_empty());
    assert_eq!(lab.sweep.stats(lab.at(ms(1))).stray, 1);
}

/// Every prefix of a valid reply: too short for a header it matches nothing (stray); with
/// a header that matches, the rest is judged and reported as malformed, never a panic.
#[test]
fn every_truncation_of_a_reply_is_stray_or_malformed() {
    let full = status_reply(0x1001);
    let last = u8::try_from(full.len()).expect("a short reply");
    let targets = (0..last).map(|n| Ipv4Addr::new(127, 0, 1, n));
    let mut lab = Lab::new(targets, fast());
    lab.step(ms(0));
    assert_eq!(lab.sent.len(), full.len());
    for n in 0..last {
        let target = Ipv4Addr::new(127, 0, 1, n);
        let mut cut = status_reply(lab.trn_id(target));
        cut.truncate(n.into());
        lab.datagram(target, &cut, ms(1));
        match (n, lab.result(target).map(|h| &h.outcome)) {
            (0..12, None) => {}
            (12.., Some(Outcome::Reply(NbnsReply::Malformed(DecodeError::Truncated { .. })))) => {}
            (_, other) => panic!("{n} bytes: {other:?}"),
        }
    }
    assert_eq!(lab.sweep.stats(lab.at(ms(1))).stray, 12);
}

#[test]
fn garbage_and_oversize_datagrams_are_malformed_or_stray() {
    let targets = [ip(2), ip(3), ip(4), ip(5), ip(6)];
    let mut lab = Lab::new(targets.into_iter(), fast());
    lab.step(ms(0));
    let header = |target| {
        let id: u16 = lab.trn_id(target);
        let mut h = id.to_be_bytes().to_vec();
        h.extend_from_slice(&[0x84, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        h
    };
    let mut garbage = header(ip(2));
    garbage.extend_from_slice(&[1, 2, 3]);
    let mut oversize = header(ip(3));
    oversize.resize(65_535, 0xFF);
    let lying = response(lab.trn_id(ip(4)), 0x8400, 0, vec![255, b'A', b'B']);
    let mut padded = status_reply(lab.trn_id(ip(5)));
    padded.resize(65_535, 0);
    lab.datagram(ip(2), &garbage, ms(1));
    lab.datagram(ip(3), &oversize, ms(1));
    lab.datagram(ip(4), &lying, ms(1));
    lab.datagram(ip(5), &padded, ms(1));
    lab.datagram(ip(6), &[], ms(1));
    lab.datagram(ip(6), &[0xFF; 11], ms(1));
    let outcome = |target| lab.result(target).map(|h| h.outcome.clone());
    for target in [ip(2), ip(3), ip(4)] {
        let malformed = matches!(
            outcome(target),
            Some(Outcome::Reply(NbnsReply::Malformed(_)))
        );
        assert!(malformed, "{target}: {:?}", outcome(target));
    }
    // Bytes after the sections the header counts are not read (as for a merged datagram).
    let padded_ok = matches!(
        outcome(ip(5)),
        Some(Outcome::Reply(NbnsReply::NodeStatus(_)))
    );
    assert!(padded_ok, "{:?}", outcome(ip(5)));
    assert_eq!(outcome(ip(6)), None, "too short to match: still waiting");
    let stats = lab.sweep.stats(lab.at(ms(1)));
    assert_eq!((stats.replied, stats.stray), (4, 2));
}

#[test]
fn icmp_unreachable_ends_the_host_at_once() {
    let mut lab = Lab::new([ip(2), ip(3)].into_iter(), fast());
    lab.step(ms(0));
    let closed = Unreachable {
        code: 3,
        from: Some(ip(2)),
    };
    lab.sweep.handle_unreachable(ip(2), closed, lab.at(ms(1)));
    lab.sweep.handle_unreachable(ip(50), closed, lab.at(ms(1)));
    lab.collect(ms(1));
    let [(at, host)] = lab.events.as_slice() else {
        panic!("one result: {:?}", lab.events);
    };
    assert_eq!(
        (*at, host.ip, host.attempts, host.rtt),
        (ms(1), ip(2), 1, Some(ms(1)))
    );
    assert_eq!(host.outcome, Outcome::Unreachable(closed));
    lab.run_until(ms(2000));
    assert_eq!(
        lab.sends_to(ip(2)),
        vec![ms(0)],
        "no retransmission after the ICMP"
    );
    assert_eq!(lab.sends_to(ip(3)), vec![ms(0), ms(250)]);
    let stats = lab.sweep.stats(lab.at(ms(2000)));
    assert_eq!((stats.unreachable, stats.silent, stats.sent), (1, 1, 3));
}

#[test]
fn host_unreachable_is_ignored_so_the_order_of_targets_cannot_change_the_verdict() {
    let mut lab = Lab::new([ip(2)].into_iter(), fast());
    lab.step(ms(0));
    let arp_failed = Unreachable {
        code: 1,
        from: Some(ip(1)),
    };
    lab.sweep
        .handle_unreachable(ip(2), arp_failed, lab.at(ms(1)));
    lab.run_until(ms(2000));
    let [(_, host)] = lab.events.as_slice() else {
        panic!("one result: {:?}", lab.events);
    };
    assert_eq!(
        host.outcome,
        Outcome::NoReply,
        "silent, as without the ICMP"
    );
    assert_eq!(lab.sends_to(ip(2)), vec![ms(0), ms(250)], "retransmitted");
    let stats = lab.sweep.stats(lab.at(ms(2000)));
    assert_eq!((stats.unreachable, stats.silent), (0, 1));
}

/// A WACK holds the query open (no retransmission) until the time it asks for, capped at
/// 10 s; an answer inside that time is a first-attempt reply.
#[test]
fn a_wack_delays_the_retransmission_and_the_give_up() {
    let targets = [ip(2), ip(3), ip(4)];
    let mut lab = Lab::new(targets.into_iter(), fast());
    lab.step(ms(0));
    for (target, secs) in [(ip(2), 1), (ip(3), 1), (ip(4), 3600)] {
        let id = lab.trn_id(target);
        lab.datagram(target, &wack(id, secs), ms(10));
    }
    lab.run_until(ms(600));
    lab.datagram(ip(2), &status_reply(lab.trn_id(ip(2))), ms(600));
    lab.run_until(ms(20_000));
    let answered = lab.result(ip(2)).expect("answered");
    assert!(matches!(
        answered.outcome,
        Outcome::Reply(NbnsReply::NodeStatus(_))
    ));
    assert_eq!((answered.attempts, answered.rtt), (1, Some(ms(600))));
    assert_eq!(lab.sends_to(ip(2)), vec![ms(0)]);
    assert_eq!(lab.sends_to(ip(3)), vec![ms(0), ms(1010)]);
    assert_eq!(
        lab.sends_to(ip(4)),
        vec![ms(0), ms(10_010)],
        "capped at 10 s"
    );
    let gave_up = |target| lab.events.iter().find(|(_, h)| h.ip == target).map(|e| e.0);
    assert_eq!(gave_up(ip(3)), Some(ms(1410)));
    assert_eq!(gave_up(ip(4)), Some(ms(10_410)));
}

#[test]
fn would_block_keeps_the_datagram_next_and_a_send_error_ends_only_its_target() {
    let settings = Settings {
        retries: 0,
        ..fast()
    };
    let mut lab = Lab::new([ip(2), ip(3), ip(4)].into_iter(), settings);
    let now = lab.at(ms(0));
    let first = lab
        .sweep
        .poll_transmit(now)
        .map(|t| (t.dst, t.bytes.to_vec()));
    lab.sweep.handle_send_error(io::ErrorKind::WouldBlock);
    assert!(lab.sweep.is_send_blocked());
    assert_eq!(
        lab.sweep.next_send(),
        None,
        "no pacing wake-up while blocked"
    );
    assert_eq!(lab.sweep.poll_timeout(), None);
    let again = lab
        .sweep
        .poll_transmit(now)
        .map(|t| (t.dst, t.bytes.to_vec()));
    assert_eq!(again, first, "the same datagram, same ID");
    lab.sweep.handle_sent(now);
    lab.sweep.handle_writable();
    assert!(!lab.sweep.is_send_blocked());
    let second = lab.sweep.poll_transmit(now).map(|t| t.dst);
    assert_eq!(second, Some(SocketAddrV4::new(ip(3), NBNS_PORT)));
    lab.sweep.handle_send_error(io::ErrorKind::HostUnreachable);
    lab.sweep.handle_sent(now); // nothing offered: ignored
    assert_eq!(lab.step(ms(0)), 1, "the third target still goes out");
    let failed = lab.result(ip(3)).expect("ip 3 failed");
    assert_eq!(
        failed.outcome,
        Outcome::SendFailed(io::ErrorKind::HostUnreachable)
    );
    assert_eq!((failed.attempts, failed.rtt), (0, None));
    let stats = lab.sweep.stats(now);
    assert_eq!((stats.targets, stats.sent, stats.send_failed), (3, 2, 1));
}

#[test]
fn a_target_listed_twice_while_in_flight_is_queried_once() {
    let mut lab = Lab::new([ip(2), ip(2), ip(3)].into_iter(), fast());
    assert_eq!(lab.step(ms(0)), 2);
    let stats = lab.sweep.stats(lab.at(ms(0)));
    assert_eq!((stats.targets, stats.duplicates), (2, 1));
}
