//! What comes back from a SYN: a TCP segment, or an ICMP / ICMPv6 destination unreachable
//! that quotes the SYN.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::checksum::PROTO_TCP;
use super::{ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, TcpFlags};
use crate::{DecodeError, Reader};

/// IP protocol number of ICMP.
const PROTO_ICMP: u8 = 1;
/// IPv6 next-header number of ICMPv6.
const PROTO_ICMPV6: u8 = 58;
/// ICMP type 3, Destination Unreachable (RFC 792).
const ICMP_DEST_UNREACHABLE: u8 = 3;
/// ICMPv6 type 1, Destination Unreachable (RFC 4443 §3.1).
const ICMPV6_DEST_UNREACHABLE: u8 = 1;
/// IPv6 extension headers we step over (RFC 8200 §4): hop-by-hop options, routing,
/// destination options. Anything else that is not TCP or ICMPv6 is not a reply to us.
const IPV6_HOP_BY_HOP: u8 = 0;
const IPV6_ROUTING: u8 = 43;
const IPV6_FRAGMENT: u8 = 44;
const IPV6_DEST_OPTS: u8 = 60;
/// Extension headers read before giving up: a real reply has none, and the cap bounds the
/// work a hostile chain of tiny headers can cause.
const MAX_IPV6_EXTENSION_HEADERS: usize = 8;

/// One received packet that can answer a SYN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    /// A TCP segment.
    Tcp(Reply),
    /// An ICMP or ICMPv6 destination unreachable quoting a TCP segment.
    Unreachable(Unreachable),
}

/// A TCP segment, reduced to what a SYN stage checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The sender's address (the target, for a real reply).
    pub src: IpAddr,
    /// The receiver's address (ours).
    pub dst: IpAddr,
    /// The sender's port.
    pub sport: u16,
    /// The receiver's port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when ACK is set).
    pub ack: u32,
    /// What the control bits say.
    pub flags: ReplyFlags,
    /// IPv4 TTL or IPv6 hop limit as received.
    pub ttl: u8,
}

/// The answer a segment's control bits give to a SYN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyFlags {
    /// SYN and ACK set, RST not: the port is open.
    SynAck,
    /// RST set (with ACK, as RFC 9293 §3.10.7.1 answers a SYN to a closed port): closed.
    Rst,
    /// Any other combination, kept verbatim.
    Other(TcpFlags),
}

impl ReplyFlags {
    /// The answer `flags` give.
    pub fn of(flags: TcpFlags) -> Self {
        if flags.contains(TcpFlags::RST) {
            Self::Rst
        } else if flags.contains(TcpFlags(TcpFlags::SYN.0 | TcpFlags::ACK.0)) {
            Self::SynAck
        } else {
            Self::Other(flags)
        }
    }
}

/// An ICMP (type 3) or ICMPv6 (type 1) destination unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreachable {
    /// Who sent the error: the target or a router on the way.
    pub reporter: IpAddr,
    /// The ICMP or ICMPv6 code (e.g. 3 port / 10 host prohibited / 13 administratively
    /// prohibited for ICMP; 1 administratively prohibited / 4 port unreachable for ICMPv6).
    pub code: u8,
    /// The start of the segment the error quotes.
    pub probe: QuotedSyn,
}

/// The first 8 bytes of a TCP segment quoted in an ICMP error, and its addresses: all that
/// RFC 792 promises ("the internet header plus the first 64 bits of the original
/// datagram's data"), and all the cookie needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedSyn {
    /// The quoted packet's source address (ours, for a real error).
    pub src: IpAddr,
    /// The quoted packet's destination (the target).
    pub dst: IpAddr,
    /// The quoted source port.
    pub sport: u16,
    /// The quoted destination port.
    pub dport: u16,
    /// The quoted sequence number.
    pub seq: u32,
}

impl Incoming {
    /// Reads an Ethernet II frame (an AF_PACKET SOCK_RAW read), with at most one 802.1Q
    /// tag. `Ok(None)` for a well-formed frame that cannot answer a SYN: not IP, not TCP
    /// or ICMP/ICMPv6, an ICMP message other than destination unreachable, or an error
    /// quoting something other than TCP. The EtherType says which IP header to read (an
    /// IPv4 EtherType on an IPv6 packet is an error). Bytes after the IP packet's length
    /// (Ethernet padding) are ignored.
    pub fn decode_frame(frame: &[u8]) -> Result<Option<Self>, DecodeError> {
        let mut r = Reader::new(frame);
        r.take("Ethernet addresses", 12)?;
        let mut ethertype = r.u16_be("EtherType")?;
        if ethertype == ETHERTYPE_VLAN {
            r.u16_be("802.1Q tag control")?;
            ethertype = r.u16_be("EtherType")?;
        }
        match ethertype {
            ETHERTYPE_IPV4 => Self::decode_ipv4(r.peek_rest()),
            ETHERTYPE_IPV6 => Self::decode_ipv6(r.peek_rest()),
            _ => Ok(None),
        }
    }

    /// Reads an IPv4 or IPv6 packet (a raw IP or AF_PACKET SOCK_DGRAM read), by its
    /// version nibble. `Ok(None)` as for [`Incoming::decode_frame`]. IPv4 fragments and
    /// IPv6 fragment headers are errors: a reply to a SYN is never fragmented, and a
    /// fragment's TCP header cannot be trusted.
    pub fn decode_ip(packet: &[u8]) -> Result<Option<Self>, DecodeError> {
        match packet.first().map(|b| b >> 4) {
            Some(6) => Self::decode_ipv6(packet),
            // Any other version fails in the IPv4 header's check, with its value.
            _ => Self::decode_ipv4(packet),
        }
    }

    /// An IPv4 packet: TCP, ICMP, or nothing to us.
    fn decode_ipv4(packet: &[u8]) -> Result<Option<Self>, DecodeError> {
        let ip = Ipv4::decode(packet)?;
        match ip.protocol {
            PROTO_TCP => Reply::decode_tcp(ip.src.into(), ip.dst.into(), ip.ttl, ip.payload)
                .map(|r| Some(Self::Tcp(r))),
            PROTO_ICMP => decode_icmpv4(ip.src.into(), ip.payload),
            _ => Ok(None),
        }
    }

    /// An IPv6 packet: TCP, ICMPv6, or nothing to us.
    fn decode_ipv6(packet: &[u8]) -> Result<Option<Self>, DecodeError> {
        let ip = Ipv6::decode(packet)?;
        match ip.next_header {
            PROTO_TCP => Reply::decode_tcp(ip.src.into(), ip.dst.into(), ip.hop_limit, ip.payload)
                .map(|r| Some(Self::Tcp(r))),
            PROTO_ICMPV6 => decode_icmpv6(ip.src.into(), ip.payload),
            _ => Ok(None),
        }
    }
}

impl Reply {
    /// RFC 9293 §3.1: the fixed header, with a data offset that must cover it and fit the
    /// segment.
    fn decode_tcp(src: IpAddr, dst: IpAddr, ttl: u8, segment: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(segment);
        let sport = r.u16_be("TCP source port")?;
        let dport = r.u16_be("TCP destination port")?;
        let seq = r.u32_be("TCP sequence number")?;
        let ack = r.u32_be("TCP acknowledgment number")?;
        let [offset, flags] = r.array::<2>("TCP data offset and flags")?;
        let header_len = usize::from(offset >> 4) * 4;
        if header_len < 20 {
            return Err(DecodeError::Unexpected {
                what: "TCP data offset",
                value: u32::from(offset >> 4),
            });
        }
        r.take("TCP window, checksum, urgent pointer", 6)?;
        r.take("TCP options", header_len - 20)?;
        Ok(Self {
            src,
            dst,
            sport,
            dport,
            seq,
            ack,
            flags: ReplyFlags::of(TcpFlags(flags)),
            ttl,
        })
    }
}

/// How an IP header's length field is read.
#[derive(Clone, Copy)]
enum Length {
    /// A packet as received: the length must fit the bytes, and bytes beyond it (Ethernet
    /// padding) are dropped.
    Checked,
    /// A packet quoted in an ICMP error, cut after the first bytes of its payload: the
    /// length says what the original was, not what is here, and is not checked.
    Quoted,
}

/// The fields of an IPv4 header a reply needs, and its payload cut to the total length.
struct Ipv4<'a> {
    ttl: u8,
    protocol: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    payload: &'a [u8],
}

impl<'a> Ipv4<'a> {
    /// RFC 791 §3.1, strictly: IHL ≥ 5, options within the header, total length within
    /// the packet and covering the header, not a fragment.
    fn decode(packet: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_header(packet, Length::Checked)
    }

    fn decode_header(packet: &'a [u8], length: Length) -> Result<Self, DecodeError> {
        let mut r = Reader::new(packet);
        let version_ihl = r.u8("IPv4 version and IHL")?;
        let header_len = usize::from(version_ihl & 0x0F) * 4;
        if version_ihl >> 4 != 4 || header_len < 20 {
            return Err(DecodeError::Unexpected {
                what: "IPv4 version and IHL",
                value: u32::from(version_ihl),
            });
        }
        r.u8("IPv4 TOS")?;
        let total_len = usize::from(r.u16_be("IPv4 total length")?);
        r.u16_be("IPv4 identification")?;
        let flags_fragment = r.u16_be("IPv4 flags and fragment offset")?;
        // More Fragments set, or a non-zero fragment offset.
        if flags_fragment & 0x3FFF != 0 {
            return Err(DecodeError::Unexpected {
                what: "IPv4 fragment",
                value: u32::from(flags_fragment),
            });
        }
        let ttl = r.u8("IPv4 TTL")?;
        let protocol = r.u8("IPv4 protocol")?;
        r.u16_be("IPv4 header checksum")?;
        let src = Ipv4Addr::from(r.array::<4>("IPv4 source address")?);
        let dst = Ipv4Addr::from(r.array::<4>("IPv4 destination address")?);
        r.take("IPv4 options", header_len - 20)?;
        let payload = match length {
            Length::Quoted => r.peek_rest(),
            Length::Checked => {
                let Some(payload_len) = total_len.checked_sub(header_len) else {
                    return Err(DecodeError::Unexpected {
                        what: "IPv4 total length",
                        value: u32::try_from(total_len).unwrap_or(u32::MAX),
                    });
                };
                r.take("IPv4 payload", payload_len)?
            }
        };
        Ok(Self {
            ttl,
            protocol,
            src,
            dst,
            payload,
        })
    }
}

/// The fields of an IPv6 header a reply needs, the upper-layer protocol after any
/// extension headers, and its payload cut to the payload length.
struct Ipv6<'a> {
    hop_limit: u8,
    next_header: u8,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    payload: &'a [u8],
}

impl<'a> Ipv6<'a> {
    /// RFC 8200 §3 with the payload length checked against the packet.
    fn decode(packet: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_header(packet, Length::Checked)
    }

    fn decode_header(packet: &'a [u8], length: Length) -> Result<Self, DecodeError> {
        let mut r = Reader::new(packet);
        let first = r.u32_be("IPv6 version, traffic class, flow label")?;
        if first >> 28 != 6 {
            return Err(DecodeError::Unexpected {
                what: "IPv6 version",
                value: first >> 28,
            });
        }
        let payload_len = usize::from(r.u16_be("IPv6 payload length")?);
        let mut next_header = r.u8("IPv6 next header")?;
        let hop_limit = r.u8("IPv6 hop limit")?;
        let src = Ipv6Addr::from(r.array::<16>("IPv6 source address")?);
        let dst = Ipv6Addr::from(r.array::<16>("IPv6 destination address")?);
        let mut payload = match length {
            // A jumbogram (payload length 0, RFC 2675) is not a reply to a SYN: its empty
            // payload fails later as a truncated header.
            Length::Checked => r.sub("IPv6 payload", payload_len)?,
            Length::Quoted => r,
        };
        for _ in 0..MAX_IPV6_EXTENSION_HEADERS {
            match next_header {
                IPV6_HOP_BY_HOP | IPV6_ROUTING | IPV6_DEST_OPTS => {
                    next_header = payload.u8("IPv6 extension next header")?;
                    let len = usize::from(payload.u8("IPv6 extension length")?);
                    payload.take("IPv6 extension header", 6 + 8 * len)?;
                }
                IPV6_FRAGMENT => {
                    return Err(DecodeError::Unexpected {
                        what: "IPv6 fragment header",
                        value: u32::from(next_header),
                    });
                }
                _ => break,
            }
        }
        Ok(Self {
            hop_limit,
            next_header,
            src,
            dst,
            payload: payload.peek_rest(),
        })
    }
}

/// RFC 792: type, code, checksum, 4 unused bytes, then the quoted IP header and at least
/// 8 bytes of its data.
fn decode_icmpv4(reporter: IpAddr, message: &[u8]) -> Result<Option<Incoming>, DecodeError> {
    let mut r = Reader::new(message);
    let [kind, code] = r.array::<2>("ICMP type and code")?;
    r.u16_be("ICMP checksum")?;
    r.u32_be("ICMP unused")?;
    if kind != ICMP_DEST_UNREACHABLE {
        return Ok(None);
    }
    let quoted = Ipv4::decode_header(r.peek_rest(), Length::Quoted)?;
    if quoted.protocol != PROTO_TCP {
        return Ok(None);
    }
    let probe = QuotedSyn::decode(quoted.src.into(), quoted.dst.into(), quoted.payload)?;
    Ok(Some(Incoming::Unreachable(Unreachable {
        reporter,
        code,
        probe,
    })))
}

/// RFC 4443 §3.1: type, code, checksum, 4 unused bytes, then as much of the packet as fits.
fn decode_icmpv6(reporter: IpAddr, message: &[u8]) -> Result<Option<Incoming>, DecodeError> {
    let mut r = Reader::new(message);
    let [kind, code] = r.array::<2>("ICMPv6 type and code")?;
    r.u16_be("ICMPv6 checksum")?;
    r.u32_be("ICMPv6 unused")?;
    if kind != ICMPV6_DEST_UNREACHABLE {
        return Ok(None);
    }
    let quoted = Ipv6::decode_header(r.peek_rest(), Length::Quoted)?;
    if quoted.next_header != PROTO_TCP {
        return Ok(None);
    }
    let probe = QuotedSyn::decode(quoted.src.into(), quoted.dst.into(), quoted.payload)?;
    Ok(Some(Incoming::Unreachable(Unreachable {
        reporter,
        code,
        probe,
    })))
}

impl QuotedSyn {
    fn decode(src: IpAddr, dst: IpAddr, segment: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(segment);
        Ok(Self {
            src,
            dst,
            sport: r.u16_be("quoted TCP source port")?,
            dport: r.u16_be("quoted TCP destination port")?,
            seq: r.u32_be("quoted TCP sequence number")?,
        })
    }
}
