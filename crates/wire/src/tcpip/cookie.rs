//! The SYN cookie: the sequence number of each SYN is a keyed hash of its addresses and
//! ports, so that a reply proves it answers a SYN we sent, with no state kept per probe.
//!
//! As in ZMap's validation: SipHash-2-4 (a PRF fit for short inputs and a secret key) over
//! (source address, destination address, source port, destination port), keyed per scan.
//! The sequence number is the low 32 bits. A SYN-ACK or RST answering it acknowledges
//! `seq + 1` (RFC 9293 §3.10.7.2 and §3.10.7.1), so a reply is accepted only if its ack is
//! the cookie of its own 4-tuple reversed, plus one. Someone who cannot see our SYNs
//! guesses that with probability 2^-32 per forged packet.
//!
//! Source ports come from [`SOURCE_PORTS`], 61000-65535: above Linux's default
//! `ip_local_port_range` (32768-60999), so no connection of the scanning host's own shares
//! them, and wide enough (4,536 ports) that the target's SYN queue sees a retransmission
//! on a new port as a new connection. Which port a probe uses is hashed too
//! ([`SynCookie::source_port`]), so it needs no state either.

use std::net::IpAddr;
use std::ops::RangeInclusive;

use siphasher::sip::SipHasher24;
use std::hash::Hasher;

use super::{Incoming, IpPair, Reply, ReplyFlags, Syn, Unreachable};

/// The source ports SYNs are sent from: above Linux's default ephemeral range
/// (`net.ipv4.ip_local_port_range` = 32768 60999).
pub const SOURCE_PORTS: RangeInclusive<u16> = 61000..=65535;

/// Number of ports in [`SOURCE_PORTS`].
const SOURCE_PORT_COUNT: u64 = (*SOURCE_PORTS.end() as u64) - (*SOURCE_PORTS.start() as u64) + 1;

/// Domain separation: the hash of a sequence number and the hash of a source port never
/// share an input.
const DOMAIN_SEQ: u8 = b'S';
const DOMAIN_PORT: u8 = b'P';

/// The per-scan key and what is computed from it. `Debug` does not print the key.
#[derive(Clone)]
pub struct SynCookie {
    key: [u8; 16],
}

impl std::fmt::Debug for SynCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SynCookie { key: <secret> }")
    }
}

impl SynCookie {
    /// A cookie with this 128-bit SipHash key; the engine draws it at random per scan.
    pub fn new(key: [u8; 16]) -> Self {
        Self { key }
    }

    /// The sequence number of the SYN sent between `ips` from `sport` to `dport`.
    pub fn seq(&self, ips: IpPair, sport: u16, dport: u16) -> u32 {
        let mut h = self.hasher(DOMAIN_SEQ);
        write_ips(&mut h, ips);
        h.write(&sport.to_be_bytes());
        h.write(&dport.to_be_bytes());
        (h.finish() & 0xFFFF_FFFF) as u32
    }

    /// The source port, within [`SOURCE_PORTS`], of the `attempt`-th SYN (0 for the first)
    /// to `dport` on `dst`: a keyed hash of the target, plus the attempt, so that each
    /// retransmission comes from the next port.
    pub fn source_port(&self, dst: IpAddr, dport: u16, attempt: u32) -> u16 {
        let mut h = self.hasher(DOMAIN_PORT);
        match dst {
            IpAddr::V4(a) => h.write(&a.octets()),
            IpAddr::V6(a) => h.write(&a.octets()),
        }
        h.write(&dport.to_be_bytes());
        let offset = (h.finish().wrapping_add(u64::from(attempt))) % SOURCE_PORT_COUNT;
        // offset < 4,536, so the sum stays within SOURCE_PORTS.
        SOURCE_PORTS.start() + u16::try_from(offset).unwrap_or(0)
    }

    /// The `attempt`-th SYN to `dport` between `ips`: port from [`SynCookie::source_port`],
    /// sequence number from [`SynCookie::seq`], the other fields [`Syn::new`]'s.
    pub fn syn(&self, ips: IpPair, dport: u16, attempt: u32) -> Syn {
        let sport = self.source_port(ips.dst(), dport, attempt);
        Syn::new(ips, sport, dport, self.seq(ips, sport, dport))
    }

    /// Whether `reply` answers one of our SYNs: a SYN-ACK or RST to a port of
    /// [`SOURCE_PORTS`] whose ack is the cookie of the SYN its 4-tuple reverses, plus one.
    /// Whether the sender is a target at all is the caller's check; a reply from any other
    /// (address, port) fails here unless its ack was guessed.
    pub fn validate(&self, reply: &Reply) -> bool {
        if !matches!(reply.flags, ReplyFlags::SynAck | ReplyFlags::Rst)
            || !SOURCE_PORTS.contains(&reply.dport)
        {
            return false;
        }
        let Some(ours) = IpPair::new(reply.dst, reply.src) else {
            return false;
        };
        reply.ack == self.seq(ours, reply.dport, reply.sport).wrapping_add(1)
    }

    /// Whether `error` quotes one of our SYNs: from a port of [`SOURCE_PORTS`], with the
    /// cookie of its 4-tuple as sequence number.
    pub fn validate_unreachable(&self, error: &Unreachable) -> bool {
        let probe = &error.probe;
        if !SOURCE_PORTS.contains(&probe.sport) {
            return false;
        }
        let Some(ips) = IpPair::new(probe.src, probe.dst) else {
            return false;
        };
        probe.seq == self.seq(ips, probe.sport, probe.dport)
    }

    /// [`SynCookie::validate`] or [`SynCookie::validate_unreachable`], by kind.
    pub fn validate_incoming(&self, incoming: &Incoming) -> bool {
        match incoming {
            Incoming::Tcp(reply) => self.validate(reply),
            Incoming::Unreachable(error) => self.validate_unreachable(error),
        }
    }

    fn hasher(&self, domain: u8) -> SipHasher24 {
        let mut h = SipHasher24::new_with_key(&self.key);
        h.write_u8(domain);
        h
    }
}

/// Both addresses; the family needs no tag, as SipHash hashes the input length too.
fn write_ips(h: &mut SipHasher24, ips: IpPair) {
    match ips {
        IpPair::V4 { src, dst } => {
            h.write(&src.octets());
            h.write(&dst.octets());
        }
        IpPair::V6 { src, dst } => {
            h.write(&src.octets());
            h.write(&dst.octets());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcpip::TcpFlags;
    use std::net::Ipv4Addr;

    const KEY: [u8; 16] = *b"0123456789abcdef";

    fn ips() -> IpPair {
        IpPair::V4 {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
        }
    }

    fn answer(syn: &Syn, flags: ReplyFlags) -> Reply {
        Reply {
            src: syn.ips.dst(),
            dst: syn.ips.src(),
            sport: syn.dport,
            dport: syn.sport,
            seq: 12345,
            ack: syn.seq.wrapping_add(1),
            flags,
            ttl: 64,
        }
    }

    #[test]
    fn seq_is_siphash24_of_the_tuple() {
        // Independent of the code above: the bytes hashed spelled out by hand.
        let mut h = SipHasher24::new_with_key(&KEY);
        h.write(&[b'S', 10, 0, 0, 1, 10, 0, 0, 2, 0xEE, 0x48, 0x01, 0xBD]);
        let expected = (h.finish() & 0xFFFF_FFFF) as u32;
        assert_eq!(SynCookie::new(KEY).seq(ips(), 61000, 445), expected);
    }

    #[test]
    fn source_ports_stay_in_range_and_move_per_attempt() {
        let cookie = SynCookie::new(KEY);
        let dst = ips().dst();
        let first = cookie.source_port(dst, 445, 0);
        for attempt in 0..10_000 {
            let port = cookie.source_port(dst, 445, attempt);
            assert!(SOURCE_PORTS.contains(&port), "{port}");
        }
        assert_ne!(cookie.source_port(dst, 445, 1), first);
        assert_eq!(
            cookie.source_port(dst, 445, SOURCE_PORT_COUNT as u32),
            first
        );
    }

    #[test]
    fn accepts_synack_and_rst_answering_our_syn() {
        let cookie = SynCookie::new(KEY);
        let syn = cookie.syn(ips(), 445, 0);
        assert!(cookie.validate(&answer(&syn, ReplyFlags::SynAck)));
        assert!(cookie.validate(&answer(&syn, ReplyFlags::Rst)));
    }

    #[test]
    fn rejects_wrong_ack_port_address_key_and_flags() {
        let cookie = SynCookie::new(KEY);
        let syn = cookie.syn(ips(), 445, 0);
        let good = answer(&syn, ReplyFlags::SynAck);
        let mut bad = good;
        bad.ack = syn.seq;
        assert!(!cookie.validate(&bad), "ack == cookie");
        let mut bad = good;
        bad.sport = 139;
        assert!(!cookie.validate(&bad), "other target port");
        let mut bad = good;
        bad.dport = good.dport.wrapping_add(1).max(61000);
        assert!(!cookie.validate(&bad), "other of our ports");
        let mut bad = good;
        bad.dport = 60999;
        assert!(!cookie.validate(&bad), "below our range");
        let mut bad = good;
        bad.src = Ipv4Addr::new(10, 0, 0, 3).into();
        assert!(!cookie.validate(&bad), "other target address");
        let mut bad = good;
        bad.src = "::2".parse().unwrap();
        assert!(!cookie.validate(&bad), "mixed families");
        let mut bad = good;
        bad.flags = ReplyFlags::Other(TcpFlags::ACK);
        assert!(!cookie.validate(&bad), "plain ACK");
        assert!(
            !SynCookie::new(*b"another key 16b!").validate(&good),
            "other scan's key"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        assert!(!format!("{:?}", SynCookie::new(KEY)).contains("0123"));
    }
}
