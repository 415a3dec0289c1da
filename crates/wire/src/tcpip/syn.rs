//! The TCP SYN probe, written into a caller's buffer without allocating.

use super::checksum::{PROTO_TCP, Sum};
use super::{ETHERNET_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IpPair, TcpFlags};
use crate::Encode;

/// Bytes of the IPv4 header we write (no options).
const IPV4_HEADER_LEN: usize = 20;
/// Bytes of the fixed IPv6 header (RFC 8200 §3).
const IPV6_HEADER_LEN: usize = 40;
/// Bytes of our TCP header: 20 fixed and the 4-byte MSS option (RFC 9293 §3.1, §3.7.1).
const TCP_HEADER_LEN: usize = 24;

/// A buffer too short for the packet; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("buffer of {available} bytes, the packet needs {needed}")]
pub struct BufferTooSmall {
    /// Bytes the packet needs.
    pub needed: usize,
    /// Bytes the buffer has.
    pub available: usize,
}

/// Destination and source MAC address of an Ethernet II header (the next hop's and our
/// interface's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacPair {
    /// Destination MAC address.
    pub dst: [u8; 6],
    /// Source MAC address.
    pub src: [u8; 6],
}

/// A TCP SYN in IPv4 or IPv6, with one option, MSS, as ZMap and masscan send by default:
/// a 44-byte IPv4 or a 64-byte IPv6 packet. The other fields are fixed: ACK number 0, no
/// urgent pointer, IPv4 TOS / IPv6 traffic class and flow label 0, IPv4 DF set as Linux
/// sets it on its own SYNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Syn {
    /// Our address and the target's.
    pub ips: IpPair,
    /// Our source port.
    pub sport: u16,
    /// The target's port.
    pub dport: u16,
    /// The initial sequence number: the cookie.
    pub seq: u32,
    /// The advertised receive window.
    pub window: u16,
    /// The MSS option's value.
    pub mss: u16,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification (unused in IPv6, which has no such field outside fragments).
    pub ip_id: u16,
}

impl Syn {
    /// ZMap's and masscan's MSS, Ethernet's 1500-byte MTU less 40 bytes of headers.
    pub const DEFAULT_MSS: u16 = 1460;
    /// The window ZMap advertises.
    pub const DEFAULT_WINDOW: u16 = 65535;
    /// The TTL ZMap and masscan send with.
    pub const DEFAULT_TTL: u8 = 255;

    /// A SYN with the default window, MSS and TTL, and an IPv4 identification taken from
    /// the low bits of `seq`, so that it varies from probe to probe without a counter.
    pub fn new(ips: IpPair, sport: u16, dport: u16, seq: u32) -> Self {
        Self {
            ips,
            sport,
            dport,
            seq,
            window: Self::DEFAULT_WINDOW,
            mss: Self::DEFAULT_MSS,
            ttl: Self::DEFAULT_TTL,
            ip_id: (seq & 0xFFFF) as u16,
        }
    }

    /// Bytes of the IP packet: 44 for IPv4, 64 for IPv6.
    pub fn ip_len(&self) -> usize {
        self.ip_header_len() + TCP_HEADER_LEN
    }

    /// Bytes of the Ethernet frame: the IP packet and 14. (An IPv4 one is below Ethernet's
    /// 60-byte minimum; the NIC or the kernel pads it, as for ZMap's.)
    pub fn frame_len(&self) -> usize {
        ETHERNET_HEADER_LEN + self.ip_len()
    }

    fn ip_header_len(&self) -> usize {
        match self.ips {
            IpPair::V4 { .. } => IPV4_HEADER_LEN,
            IpPair::V6 { .. } => IPV6_HEADER_LEN,
        }
    }

    /// Writes the IP packet (for a raw IP socket with IP_HDRINCL, or IPPROTO_RAW on IPv6)
    /// at the start of `out` and returns its length, [`Syn::ip_len`].
    pub fn encode_ip(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let len = self.ip_len();
        let too_small = BufferTooSmall {
            needed: len,
            available: out.len(),
        };
        let mut w = SliceWriter(out.get_mut(..len).ok_or(too_small)?);
        self.write_ip(&mut w).ok_or(too_small)?;
        Ok(len)
    }

    /// Writes the Ethernet II frame (for an AF_PACKET SOCK_RAW socket) at the start of
    /// `out` and returns its length, [`Syn::frame_len`].
    pub fn encode_frame(&self, macs: MacPair, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let len = self.frame_len();
        let too_small = BufferTooSmall {
            needed: len,
            available: out.len(),
        };
        let mut w = SliceWriter(out.get_mut(..len).ok_or(too_small)?);
        let ethertype = match self.ips {
            IpPair::V4 { .. } => ETHERTYPE_IPV4,
            IpPair::V6 { .. } => ETHERTYPE_IPV6,
        };
        w.put(&macs.dst)
            .and_then(|()| w.put(&macs.src))
            .and_then(|()| w.put(&ethertype.to_be_bytes()))
            .and_then(|()| self.write_ip(&mut w))
            .ok_or(too_small)?;
        Ok(len)
    }

    fn write_ip(&self, w: &mut SliceWriter<'_>) -> Option<()> {
        let tcp = self.tcp_header();
        match self.ips {
            IpPair::V4 { src, dst } => {
                let header = ipv4_header(self.ip_len(), self.ip_id, self.ttl, src, dst);
                w.put(&header)?;
            }
            IpPair::V6 { src, dst } => {
                w.put(&[0x60, 0, 0, 0])?; // version 6, traffic class 0, flow label 0
                w.put(&(TCP_HEADER_LEN as u16).to_be_bytes())?; // payload length
                w.put(&[PROTO_TCP, self.ttl])?;
                w.put(&src.octets())?;
                w.put(&dst.octets())?;
            }
        }
        w.put(&tcp)
    }

    /// The TCP header with its checksum.
    fn tcp_header(&self) -> [u8; TCP_HEADER_LEN] {
        let unsummed = self.tcp_header_with_checksum(0);
        let checksum = Sum::default()
            .pseudo_header(self.ips, TCP_HEADER_LEN as u16)
            .bytes(&unsummed)
            .finish();
        self.tcp_header_with_checksum(checksum)
    }

    fn tcp_header_with_checksum(&self, checksum: u16) -> [u8; TCP_HEADER_LEN] {
        let [s0, s1] = self.sport.to_be_bytes();
        let [d0, d1] = self.dport.to_be_bytes();
        let [q0, q1, q2, q3] = self.seq.to_be_bytes();
        let [w0, w1] = self.window.to_be_bytes();
        let [c0, c1] = checksum.to_be_bytes();
        let [m0, m1] = self.mss.to_be_bytes();
        let data_offset = ((TCP_HEADER_LEN / 4) as u8) << 4;
        #[rustfmt::skip]
        let header = [
            s0, s1, d0, d1,          // source port, destination port
            q0, q1, q2, q3,          // sequence number
            0, 0, 0, 0,              // acknowledgment number
            data_offset, TcpFlags::SYN.0, w0, w1,
            c0, c1, 0, 0,            // checksum, urgent pointer
            2, 4, m0, m1,            // option kind 2 (MSS), length 4, value
        ];
        header
    }
}

/// The IP packet, appended: [`Syn::encode_ip`] for callers that hold a `Vec`.
impl Encode for Syn {
    fn encoded_len(&self) -> usize {
        self.ip_len()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut packet = [0u8; IPV6_HEADER_LEN + TCP_HEADER_LEN];
        if let Ok(len) = self.encode_ip(&mut packet) {
            out.extend(packet.iter().take(len));
        }
    }
}

/// RFC 791 §3.1 header without options, with its checksum.
fn ipv4_header(
    total_len: usize,
    id: u16,
    ttl: u8,
    src: std::net::Ipv4Addr,
    dst: std::net::Ipv4Addr,
) -> [u8; IPV4_HEADER_LEN] {
    let header = |checksum: u16| {
        let [l0, l1] = u16::try_from(total_len).unwrap_or(u16::MAX).to_be_bytes();
        let [i0, i1] = id.to_be_bytes();
        let [c0, c1] = checksum.to_be_bytes();
        let [a0, a1, a2, a3] = src.octets();
        let [b0, b1, b2, b3] = dst.octets();
        #[rustfmt::skip]
        let bytes = [
            0x45, 0, l0, l1,         // version 4, IHL 5; TOS 0; total length
            i0, i1, 0x40, 0,         // identification; flags DF, fragment offset 0
            ttl, PROTO_TCP, c0, c1,  // TTL, protocol, header checksum
            a0, a1, a2, a3,
            b0, b1, b2, b3,
        ];
        bytes
    };
    header(Sum::default().bytes(&header(0)).finish())
}

/// Writes consecutive byte runs into a slice; `None` if one does not fit.
struct SliceWriter<'a>(&'a mut [u8]);

impl SliceWriter<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let rest = std::mem::take(&mut self.0);
        let (head, tail) = rest.split_at_mut_checked(bytes.len())?;
        head.copy_from_slice(bytes);
        self.0 = tail;
        Some(())
    }
}
