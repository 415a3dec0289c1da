//! IPv4/IPv6 + TCP for the stateless SYN discovery stage: the SYN we send, the replies and
//! ICMP errors we read back, and the keyed cookie that ties one to the other.
//!
//! - [`Syn`] writes a SYN into a caller's buffer, as an IP packet (for a raw IP socket) or
//!   as an Ethernet frame (for AF_PACKET), with the IPv4 header checksum (RFC 791 §3.1)
//!   and the TCP checksum over the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1). It never
//!   allocates, so a sender can fill a batch of buffers for one `sendmmsg`. This is why
//!   its main verbs write into `&mut [u8]` rather than append to a `Vec` as the crate's
//!   [`crate::Encode`] does; `Encode` is implemented too (the IP packet), for callers that
//!   send one.
//! - [`Incoming::decode_frame`] / [`Incoming::decode_ip`] read what comes back: a TCP
//!   [`Reply`] (SYN-ACK, RST or other), or an ICMP / ICMPv6 destination unreachable that
//!   quotes our SYN ([`Unreachable`]).
//! - [`cookie::SynCookie`] makes the sequence number of each SYN and checks replies
//!   against it, so the receiver keeps no per-probe state.
//!
//! The decoder is written here on [`crate::Reader`] rather than with `etherparse` (already a
//! dev-dependency): it reads the few fields a reply needs, keeps the crate's one
//! [`DecodeError`](crate::DecodeError) and its no-indexing rule, accepts the quoted, cut-off packet inside an
//! ICMP error without special cases, and adds no build time to the crate. `etherparse`
//! stays the independent oracle of the tests: it must read what [`Syn`] writes, checksums
//! included (`tests/tcpip_properties.rs`).
//!
//! What this does not do: checksums of received packets are not verified by the decoder.
//! A packet socket on a veth or loopback sees locally sent segments before the checksum is
//! filled in (checksum offload leaves only the pseudo-header sum), and a forged or damaged
//! reply is rejected by the cookie anyway; [`tcp_checksum`] and [`internet_checksum`] are
//! there for a caller that wants to check.

mod checksum;
pub mod cookie;
mod reply;
mod syn;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use checksum::{internet_checksum, tcp_checksum};
pub use reply::{Incoming, QuotedSyn, Reply, ReplyFlags, Unreachable};
pub use syn::{BufferTooSmall, MacPair, Syn};

/// Source and destination address of one packet, of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpPair {
    /// IPv4.
    V4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination address.
        dst: Ipv4Addr,
    },
    /// IPv6.
    V6 {
        /// Source address.
        src: Ipv6Addr,
        /// Destination address.
        dst: Ipv6Addr,
    },
}

impl IpPair {
    /// The pair, or `None` when the two addresses are of different families.
    pub fn new(src: IpAddr, dst: IpAddr) -> Option<Self> {
        match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => Some(Self::V4 { src, dst }),
            (IpAddr::V6(src), IpAddr::V6(dst)) => Some(Self::V6 { src, dst }),
            _ => None,
        }
    }

    /// The source address.
    pub fn src(&self) -> IpAddr {
        match *self {
            Self::V4 { src, .. } => src.into(),
            Self::V6 { src, .. } => src.into(),
        }
    }

    /// The destination address.
    pub fn dst(&self) -> IpAddr {
        match *self {
            Self::V4 { dst, .. } => dst.into(),
            Self::V6 { dst, .. } => dst.into(),
        }
    }

    /// The same two addresses the other way round, as a reply carries them.
    pub fn reversed(&self) -> Self {
        match *self {
            Self::V4 { src, dst } => Self::V4 { src: dst, dst: src },
            Self::V6 { src, dst } => Self::V6 { src: dst, dst: src },
        }
    }
}

/// RFC 9293 §3.1 TCP control bits (the low byte of the flags field; the reserved bits and
/// the historic NS bit are not kept). A newtype, not an enum: any combination can arrive.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: Self = Self(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: Self = Self(0x02);
    /// Reset the connection.
    pub const RST: Self = Self(0x04);
    /// Push function.
    pub const PSH: Self = Self(0x08);
    /// Acknowledgment field is significant.
    pub const ACK: Self = Self(0x10);
    /// Urgent pointer field is significant.
    pub const URG: Self = Self(0x20);
    /// ECN-Echo (RFC 3168).
    pub const ECE: Self = Self(0x40);
    /// Congestion Window Reduced (RFC 3168).
    pub const CWR: Self = Self(0x80);

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const NAMES: [(TcpFlags, &str); 8] = [
            (TcpFlags::FIN, "FIN"),
            (TcpFlags::SYN, "SYN"),
            (TcpFlags::RST, "RST"),
            (TcpFlags::PSH, "PSH"),
            (TcpFlags::ACK, "ACK"),
            (TcpFlags::URG, "URG"),
            (TcpFlags::ECE, "ECE"),
            (TcpFlags::CWR, "CWR"),
        ];
        let mut first = true;
        for (flag, name) in NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("TcpFlags(0)")?;
        }
        Ok(())
    }
}

/// EtherType of IPv4 (IEEE 802.3 / RFC 894).
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6 (RFC 2464).
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
/// EtherType of an IEEE 802.1Q VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// Bytes of an Ethernet II header without VLAN tag.
pub const ETHERNET_HEADER_LEN: usize = 14;
