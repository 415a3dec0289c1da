//! `classify` on frames built here: what is decided, what is a duplicate, what is
//! rejected and what is ignored.

use std::net::Ipv4Addr;

use smbaudit_wire::tcpip::{IpPair, MacPair, Syn};

use super::*;
use crate::discovery::raw::plan::Slots;
use crate::targets::TargetList;

const KEY: [u8; 16] = *b"synraw test key!";
const US: Ipv4Addr = Ipv4Addr::new(10, 215, 0, 1);
const TARGET: Ipv4Addr = Ipv4Addr::new(10, 215, 0, 10);
/// TCP starts after 14 bytes of Ethernet and 20 of IPv4.
const TCP: usize = 34;
const MACS: MacPair = MacPair {
    dst: [2, 0, 0, 0, 0, 1],
    src: [2, 0, 0, 0, 0, 2],
};

fn targets() -> TargetList {
    let mut t = TargetList::new();
    t.include("10.215.0.8/29").unwrap();
    t
}

/// The frame of a TCP segment from `from:sport` to `US:dport` with `flags` and `ack`.
fn segment(from: Ipv4Addr, sport: u16, dport: u16, flags: u8, ack: u32) -> Vec<u8> {
    let ips = IpPair::V4 { src: from, dst: US };
    let syn = Syn::new(ips, sport, dport, 999);
    let mut frame = vec![0u8; syn.frame_len()];
    syn.encode_frame(MACS, &mut frame).unwrap();
    frame[TCP + 8..TCP + 12].copy_from_slice(&ack.to_be_bytes());
    frame[TCP + 13] = flags;
    frame
}

/// The frame of the answer `flags` to our `attempt`-th SYN to `to:port`.
fn answer(cookie: &SynCookie, to: Ipv4Addr, port: u16, attempt: u32, flags: u8) -> Vec<u8> {
    let ours = cookie.syn(IpPair::V4 { src: US, dst: to }, port, attempt);
    segment(to, port, ours.sport, flags, ours.seq.wrapping_add(1))
}

const SYN_ACK: u8 = 0x12;
const RST_ACK: u8 = 0x14;

#[test]
fn decides_a_pair_once_and_names_the_attempt() {
    let cookie = SynCookie::new(KEY);
    let t = targets();
    let ports = [139, 445];
    let pairs = Pairs::new(&t, &ports, Slots::TcpOnly).unwrap();
    let decided = Decided::new(pairs.len()).unwrap();
    let at = Duration::from_millis(5);
    let second = answer(&cookie, TARGET, 445, 1, SYN_ACK);
    let Verdict::Decided(found) = classify(&second, &cookie, &pairs, &decided, at) else {
        panic!("a good SYN-ACK")
    };
    assert_eq!((found.ip, found.port), (IpAddr::V4(TARGET), 445));
    assert_eq!(
        (found.state, found.attempt, found.at),
        (PortState::Open, 2, at)
    );
    // A late answer to the first SYN, and a RST after the SYN-ACK: already decided.
    let first = answer(&cookie, TARGET, 445, 0, SYN_ACK);
    assert_eq!(
        classify(&first, &cookie, &pairs, &decided, at),
        Verdict::Again
    );
    let rst = answer(&cookie, TARGET, 445, 0, RST_ACK);
    assert_eq!(
        classify(&rst, &cookie, &pairs, &decided, at),
        Verdict::Again
    );
    let closed = answer(&cookie, TARGET, 139, 0, RST_ACK);
    let Verdict::Decided(found) = classify(&closed, &cookie, &pairs, &decided, at) else {
        panic!("a good RST")
    };
    assert_eq!((found.state, found.attempt), (PortState::Closed, 1));
}

#[test]
fn rejects_good_cookies_from_pairs_that_are_not_targets() {
    // A reply whose cookie is right but whose sender we never probed: a probe of an
    // earlier scan with the same key, or a bug. Never reported.
    let cookie = SynCookie::new(KEY);
    let t = targets();
    let ports = [445];
    let pairs = Pairs::new(&t, &ports, Slots::TcpOnly).unwrap();
    let decided = Decided::new(pairs.len()).unwrap();
    let at = Duration::ZERO;
    let outside = Ipv4Addr::new(10, 215, 0, 200);
    for frame in [
        answer(&cookie, outside, 445, 0, SYN_ACK),
        answer(&cookie, TARGET, 8080, 0, SYN_ACK),
        answer(
            &SynCookie::new(*b"another scan key"),
            TARGET,
            445,
            0,
            SYN_ACK,
        ),
        segment(TARGET, 445, 61000, SYN_ACK, 12345),
        segment(TARGET, 445, 61000, 0x10, 12345), // a plain ACK
        answer(&cookie, TARGET, 445, 0, SYN_ACK)[..40].to_vec(), // cut short
    ] {
        assert_eq!(
            classify(&frame, &cookie, &pairs, &decided, at),
            Verdict::Rejected
        );
    }
    assert!(!decided.is_decided(pairs.number(TARGET.into(), Probe::Tcp(445)).unwrap()));
    // An ARP frame reaches nothing.
    let mut arp = answer(&cookie, TARGET, 445, 0, SYN_ACK);
    arp[12..14].copy_from_slice(&0x0806u16.to_be_bytes());
    assert_eq!(
        classify(&arp, &cookie, &pairs, &decided, at),
        Verdict::Ignored
    );
}

#[test]
fn the_attempt_wraps_with_the_source_port_range() {
    let cookie = SynCookie::new(KEY);
    let ip = IpAddr::V4(TARGET);
    for attempt in [0u32, 1, 7, 4535] {
        let port = cookie.source_port(ip, 445, attempt);
        let expected = u8::try_from(attempt + 1).unwrap_or(u8::MAX);
        assert_eq!(attempt_of(&cookie, ip, 445, port), expected);
    }
}

proptest::proptest! {
    /// Whatever arrives, `classify` answers without panicking, and only a frame that
    /// carries our cookie can decide anything (none of these can: a random key).
    #[test]
    fn classifies_any_bytes_without_panicking(
        frame in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..60),
    ) {
        let cookie = SynCookie::new(KEY);
        let t = targets();
        let ports = [445];
        let pairs = Pairs::new(&t, &ports, Slots::TcpOnly).unwrap();
        let decided = Decided::new(pairs.len()).unwrap();
        let verdict = classify(&frame, &cookie, &pairs, &decided, Duration::ZERO);
        proptest::prop_assert!(!matches!(verdict, Verdict::Decided(_)));
        // A real frame's head with random bytes after it.
        let mut framed = answer(&cookie, TARGET, 445, 0, SYN_ACK);
        framed.truncate(TCP + 4);
        framed.extend(tail);
        let _ = classify(&framed, &cookie, &pairs, &decided, Duration::ZERO);
    }
}
