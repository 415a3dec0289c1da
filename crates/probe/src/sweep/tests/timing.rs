//! When the core sends: retransmission timing, pacing, loss adaptation, the in-flight cap
//! and cancellation, read off the fake clock.

use std::net::Ipv4Addr;

use super::{Lab, fast, ip, ms, status_reply};
use crate::observation::Outcome;
use crate::sweep::{MAX_IN_FLIGHT, Settings};

/// `n` distinct loopback targets from 127.1.0.0 on, pulled lazily.
fn many(n: u32) -> impl Iterator<Item = Ipv4Addr> {
    (0..n).map(|i| Ipv4Addr::from(0x7F01_0000 + i))
}

#[test]
fn a_silent_peer_is_retransmitted_on_the_rto_then_given_up() {
    let settings = Settings {
        retries: 2,
        ..fast()
    };
    let mut lab = Lab::new([ip(2)].into_iter(), settings);
    lab.run_until(ms(5000));
    assert_eq!(
        lab.sends_to(ip(2)),
        vec![ms(0), ms(250), ms(500)],
        "initial RTO 250 ms"
    );
    assert!(
        lab.sent.iter().all(|s| s.trn_id == 0x1001),
        "one ID for every attempt"
    );
    let [(at, host)] = lab.events.as_slice() else {
        panic!("one result: {:?}", lab.events);
    };
    assert_eq!(*at, ms(900), "the whole timeout after the last attempt");
    assert_eq!(
        (&host.outcome, host.attempts, host.rtt),
        (&Outcome::NoReply, 3, None)
    );
    let stats = lab.sweep.stats(lab.at(*at));
    assert_eq!((stats.sent, stats.retransmitted, stats.silent), (3, 2, 1));
    assert!(lab.sweep.is_finished());
}

/// Eight replies in 2 ms: the RTO drops to its 100 ms floor and the wait after the last
/// attempt to its 250 ms floor (RFC 6298 estimate, clamped).
#[test]
fn measured_round_trips_shorten_the_waits() {
    // 800 pps: a first burst of 8, then one query per 1.25 ms.
    let settings = Settings {
        rate: 800,
        ..fast()
    };
    let mut lab = Lab::new((2..=10).map(ip), settings);
    assert_eq!(lab.step(ms(0)), 8);
    for target in (2..=9).map(ip) {
        lab.datagram(target, &status_reply(lab.trn_id(target)), ms(2));
    }
    assert_eq!(lab.step(ms(2)), 1);
    lab.run_until(ms(2000));
    assert_eq!(lab.sends_to(ip(10)), vec![ms(2), ms(102)]);
    let (at, host) = lab.events.last().expect("ip 10 ends");
    assert_eq!(
        (host.ip, &host.outcome, *at),
        (ip(10), &Outcome::NoReply, ms(352))
    );
}

#[test]
fn pacing_honours_the_rate() {
    let settings = Settings {
        rate: 1000,
        ..fast()
    };
    let mut lab = Lab::new(many(10_000), settings);
    lab.run_until(ms(100));
    let at_start = lab.sent.iter().filter(|s| s.at.is_zero()).count();
    assert_eq!(at_start, 10, "a first burst of rate / 100");
    let spacing = lab
        .sent
        .windows(2)
        .skip(at_start)
        .map(|w| w[1].at - w[0].at);
    assert!(
        spacing.clone().all(|gap| gap >= ms(1) - ms(1) / 1000),
        "1 ms apart"
    );
    assert!(
        spacing.clone().all(|gap| gap <= ms(1) + ms(1) / 1000),
        "and no slower"
    );
    assert!((109..=111).contains(&lab.sent.len()), "{}", lab.sent.len());
    let stats = lab.sweep.stats(lab.at(ms(100)));
    assert_eq!(stats.sent, lab.sent.len() as u64);
    assert_eq!(stats.final_rate, 1000.0);
}

/// Replies to first attempts never push the rate past the configured one; hosts that
/// answer only a retransmission halve it, once per RTO window (one loss burst).
#[test]
fn loss_halves_the_rate_once_per_window() {
    let settings = Settings {
        rate: 10_000,
        ..fast()
    };
    let mut lab = Lab::new((2..=5).map(ip), settings);
    lab.step(ms(0));
    lab.datagram(ip(5), &status_reply(lab.trn_id(ip(5))), ms(1));
    assert_eq!(
        lab.sweep.stats(lab.at(ms(1))).final_rate,
        10_000.0,
        "capped"
    );
    lab.run_until(ms(250));
    assert_eq!(lab.sent.len(), 4 + 3, "three retransmissions at 250 ms");
    for target in (2..=4).map(ip) {
        lab.datagram(target, &status_reply(lab.trn_id(target)), ms(251));
    }
    assert!(
        lab.events
            .iter()
            .all(|(_, h)| matches!(h.outcome, Outcome::Reply(_)))
    );
    assert_eq!(lab.sweep.stats(lab.at(ms(251))).final_rate, 5_000.0);
}

#[test]
fn memory_is_bounded_by_the_queries_in_flight() {
    let mut lab = Lab::new(many(MAX_IN_FLIGHT as u32 + 1000), fast());
    lab.run_until(ms(100));
    assert_eq!(lab.sent.len(), MAX_IN_FLIGHT);
    assert_eq!(
        lab.sweep.next_send(),
        None,
        "nothing to send until one ends"
    );
    assert_eq!(lab.sweep.poll_timeout(), Some(lab.at(ms(250))));
    let stats = lab.sweep.stats(lab.at(ms(100)));
    assert_eq!(stats.targets, MAX_IN_FLIGHT as u64);
}

/// Cancelled mid-sweep: the hosts already finished still come out, nothing more is sent or
/// pulled from the targets, and the queries in flight end without a result.
#[test]
fn cancellation_drains_finished_hosts_and_stops_sending() {
    let settings = Settings {
        rate: 1000,
        ..fast()
    };
    let mut lab = Lab::new(many(1 << 20), settings);
    assert_eq!(lab.step(ms(0)), 10);
    let first = *lab.sent[0].dst.ip();
    let reply = status_reply(lab.trn_id(first));
    let src = std::net::SocketAddr::V4(lab.sent[0].dst);
    lab.sweep.handle_datagram(src, &reply, lab.at(ms(1)));
    lab.sweep.cancel();
    assert!(lab.sweep.is_finished());
    assert_eq!(lab.sweep.poll_timeout(), None);
    assert!(lab.sweep.poll_transmit(lab.at(ms(500))).is_none());
    lab.sweep.handle_timeout(lab.at(ms(5000)));
    lab.collect(ms(5000));
    let [(_, host)] = lab.events.as_slice() else {
        panic!("only the finished host: {:?}", lab.events);
    };
    assert_eq!(host.ip, first);
    let stats = lab.sweep.stats(lab.at(ms(5000)));
    assert!(stats.cancelled);
    assert_eq!((stats.targets, stats.sent, stats.silent), (10, 10, 0));
}
