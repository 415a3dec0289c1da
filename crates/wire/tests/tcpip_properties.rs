//! Property tests of `wire::tcpip`, with `etherparse` as the independent reader:
//!
//! - every SYN we encode (any addresses, ports, sequence number, window, MSS, TTL, IP ID;
//!   IPv4 and IPv6) decodes back to its fields, and etherparse reads the same fields, finds
//!   the MSS option, and computes the same IPv4 header and TCP checksums;
//! - the frame is the packet behind a 14-byte Ethernet header; a short buffer is refused
//!   and left untouched;
//! - answers built by etherparse to a cookie's SYN (SYN-ACK, RST, ICMP and ICMPv6
//!   unreachable quoting it) validate, and the same with any other ack or sequence number
//!   does not;
//! - arbitrary bytes, and valid answers with a byte changed or cut off, never make the
//!   decoder panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{NetSlice, PacketBuilder, SlicedPacket, TcpOptionElement, TransportSlice};
use proptest::prelude::*;
use smbaudit_wire::Encode;
use smbaudit_wire::tcpip::cookie::{SOURCE_PORTS, SynCookie};
use smbaudit_wire::tcpip::{
    BufferTooSmall, ETHERNET_HEADER_LEN, Incoming, IpPair, MacPair, ReplyFlags, Syn, TcpFlags,
};

fn ip_pair() -> impl Strategy<Value = IpPair> {
    prop_oneof![
        (any::<u32>(), any::<u32>()).prop_map(|(s, d)| IpPair::V4 {
            src: Ipv4Addr::from(s),
            dst: Ipv4Addr::from(d),
        }),
        (any::<u128>(), any::<u128>()).prop_map(|(s, d)| IpPair::V6 {
            src: Ipv6Addr::from(s),
            dst: Ipv6Addr::from(d),
        }),
    ]
}

fn syn() -> impl Strategy<Value = Syn> {
    (
        ip_pair(),
        any::<(u16, u16, u32)>(),
        any::<(u16, u16, u8, u16)>(),
    )
        .prop_map(
            |(ips, (sport, dport, seq), (window, mss, ttl, ip_id))| Syn {
                ips,
                sport,
                dport,
                seq,
                window,
                mss,
                ttl,
                ip_id,
            },
        )
}

fn encode_ip(syn: &Syn) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let len = syn.encode_ip(&mut buf).unwrap();
    assert_eq!(len, syn.ip_len());
    buf[..len].to_vec()
}

/// A SYN-ACK or RST from the target of `syn`, written by etherparse.
fn answer(syn: &Syn, rst: bool, their_seq: u32, ack: u32) -> Vec<u8> {
    let builder = match syn.ips {
        IpPair::V4 { src, dst } => PacketBuilder::ipv4(dst.octets(), src.octets(), 64),
        IpPair::V6 { src, dst } => PacketBuilder::ipv6(dst.octets(), src.octets(), 64),
    };
    let tcp = builder.tcp(syn.dport, syn.sport, their_seq, 64240);
    let tcp = if rst {
        tcp.rst().ack(ack)
    } else {
        tcp.syn().ack(ack)
    };
    let mut out = Vec::new();
    tcp.write(&mut out, &[]).unwrap();
    out
}

/// An ICMP / ICMPv6 destination unreachable from `reporter` quoting the start of `syn`.
fn unreachable(syn: &Syn, reporter: IpAddr, code: u8, quoted: usize) -> Vec<u8> {
    let packet = encode_ip(syn);
    let mut out = Vec::new();
    match (syn.ips, reporter) {
        (IpPair::V4 { src, .. }, IpAddr::V4(r)) => {
            PacketBuilder::ipv4(r.octets(), src.octets(), 64)
                .icmpv4_raw(3, code, [0; 4])
                .write(&mut out, &packet[..quoted.min(packet.len())])
                .unwrap()
        }
        (IpPair::V6 { src, .. }, IpAddr::V6(r)) => {
            PacketBuilder::ipv6(r.octets(), src.octets(), 64)
                .icmpv6_raw(1, code, [0; 4])
                .write(&mut out, &packet[..quoted.min(packet.len())])
                .unwrap()
        }
        _ => unreachable!(),
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn syn_decodes_to_its_fields(syn in syn()) {
        let packet = encode_ip(&syn);
        let Ok(Some(Incoming::Tcp(reply))) = Incoming::decode_ip(&packet) else {
            panic!("{syn:?} did not decode");
        };
        prop_assert_eq!(reply.src, syn.ips.src());
        prop_assert_eq!(reply.dst, syn.ips.dst());
        prop_assert_eq!((reply.sport, reply.dport, reply.seq, reply.ack), (syn.sport, syn.dport, syn.seq, 0));
        prop_assert_eq!(reply.flags, ReplyFlags::Other(TcpFlags::SYN));
        prop_assert_eq!(reply.ttl, syn.ttl);
        prop_assert_eq!(Encode::to_vec(&syn), packet);
    }

    #[test]
    fn etherparse_reads_our_syn_and_agrees_on_checksums(syn in syn()) {
        let packet = encode_ip(&syn);
        let sliced = SlicedPacket::from_ip(&packet).unwrap();
        let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else { panic!("not TCP") };
        let expected_checksum = match &sliced.net {
            Some(NetSlice::Ipv4(ip)) => {
                let header = ip.header();
                prop_assert_eq!(header.to_header().calc_header_checksum(), header.header_checksum());
                prop_assert_eq!(header.ttl(), syn.ttl);
                prop_assert_eq!(header.identification(), syn.ip_id);
                prop_assert!(header.dont_fragment());
                prop_assert_eq!(header.total_len(), 44);
                tcp.calc_checksum_ipv4(header.source(), header.destination()).unwrap()
            }
            Some(NetSlice::Ipv6(ip)) => {
                let header = ip.header();
                prop_assert_eq!(header.hop_limit(), syn.ttl);
                prop_assert_eq!(header.payload_length(), 24);
                tcp.calc_checksum_ipv6(header.source(), header.destination()).unwrap()
            }
            None => panic!("no IP header"),
        };
        prop_assert_eq!(tcp.checksum(), expected_checksum);
        prop_assert!(tcp.syn() && !tcp.ack() && !tcp.rst() && !tcp.fin());
        prop_assert_eq!((tcp.source_port(), tcp.destination_port()), (syn.sport, syn.dport));
        prop_assert_eq!((tcp.sequence_number(), tcp.window_size()), (syn.seq, syn.window));
        let options: Vec<_> = tcp.options_iterator().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(options, vec![TcpOptionElement::MaximumSegmentSize(syn.mss)]);
        prop_assert!(tcp.payload().is_empty());
    }

    #[test]
    fn frame_is_the_packet_behind_an_ethernet_header(syn in syn(), dst in any::<[u8; 6]>(), src in any::<[u8; 6]>()) {
        let mut buf = [0u8; 96];
        let len = syn.encode_frame(MacPair { dst, src }, &mut buf).unwrap();
        prop_assert_eq!(len, syn.frame_len());
        prop_assert_eq!(&buf[ETHERNET_HEADER_LEN..len], &encode_ip(&syn)[..]);
        let sliced = SlicedPacket::from_ethernet(&buf[..len]).unwrap();
        let Some(etherparse::LinkSlice::Ethernet2(eth)) = sliced.link else { panic!("no Ethernet") };
        prop_assert_eq!((eth.destination(), eth.source()), (dst, src));
        let expected = if syn.ips.src().is_ipv4() { 0x0800 } else { 0x86DD };
        prop_assert_eq!(eth.ether_type().0, expected);
        prop_assert_eq!(Incoming::decode_frame(&buf[..len]), Incoming::decode_ip(&encode_ip(&syn)));
    }

    #[test]
    fn short_buffers_are_refused_untouched(syn in syn(), cut in 1usize..=78) {
        let macs = MacPair { dst: [1; 6], src: [2; 6] };
        let ip_short = syn.ip_len().saturating_sub(cut);
        let mut buf = vec![0xAA; ip_short];
        prop_assert_eq!(syn.encode_ip(&mut buf), Err(BufferTooSmall { needed: syn.ip_len(), available: ip_short }));
        prop_assert!(buf.iter().all(|b| *b == 0xAA));
        let frame_short = syn.frame_len().saturating_sub(cut);
        let mut buf = vec![0xAA; frame_short];
        prop_assert_eq!(syn.encode_frame(macs, &mut buf), Err(BufferTooSmall { needed: syn.frame_len(), available: frame_short }));
        prop_assert!(buf.iter().all(|b| *b == 0xAA));
    }

    #[test]
    fn cookie_accepts_answers_to_its_syn_and_nothing_else(
        key in any::<[u8; 16]>(),
        ips in ip_pair(),
        dport in any::<u16>(),
        attempt in 0u32..8,
        their_seq in any::<u32>(),
        wrong_ack in any::<u32>(),
        rst in any::<bool>(),
    ) {
        let cookie = SynCookie::new(key);
        let syn = cookie.syn(ips, dport, attempt);
        prop_assert!(SOURCE_PORTS.contains(&syn.sport));
        let good = Incoming::decode_ip(&answer(&syn, rst, their_seq, syn.seq.wrapping_add(1))).unwrap().unwrap();
        prop_assert!(cookie.validate_incoming(&good), "{:?}", good);
        let Incoming::Tcp(reply) = good else { panic!("not TCP") };
        prop_assert_eq!(reply.flags, if rst { ReplyFlags::Rst } else { ReplyFlags::SynAck });
        prop_assume!(wrong_ack != syn.seq.wrapping_add(1));
        let bad = Incoming::decode_ip(&answer(&syn, rst, their_seq, wrong_ack)).unwrap().unwrap();
        prop_assert!(!cookie.validate_incoming(&bad));
    }

    #[test]
    fn cookie_accepts_icmp_errors_quoting_its_syn(
        key in any::<[u8; 16]>(),
        ips in ip_pair(),
        dport in any::<u16>(),
        code in any::<u8>(),
        router in any::<u128>(),
        extra in 0usize..40,
    ) {
        let cookie = SynCookie::new(key);
        let syn = cookie.syn(ips, dport, 0);
        let reporter = match ips {
            IpPair::V4 { .. } => IpAddr::V4(Ipv4Addr::from(router as u32)),
            IpPair::V6 { .. } => IpAddr::V6(Ipv6Addr::from(router)),
        };
        // RFC 792 quotes the header and 8 bytes; RFC 1812 and RFC 4443 allow more.
        let header = if ips.src().is_ipv4() { 20 } else { 40 };
        let error = unreachable(&syn, reporter, code, header + 8 + extra);
        let Ok(Some(Incoming::Unreachable(decoded))) = Incoming::decode_ip(&error) else {
            panic!("{:?}", Incoming::decode_ip(&error));
        };
        prop_assert_eq!((decoded.reporter, decoded.code), (reporter, code));
        prop_assert_eq!((decoded.probe.src, decoded.probe.dst), (ips.src(), ips.dst()));
        prop_assert!(cookie.validate_unreachable(&decoded));
        let mut forged = decoded;
        forged.probe.seq = forged.probe.seq.wrapping_add(1);
        prop_assert!(!cookie.validate_unreachable(&forged));
        // Fewer than 8 bytes of TCP: not enough to check, an error.
        let short = unreachable(&syn, reporter, code, header + 7);
        prop_assert!(Incoming::decode_ip(&short).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Incoming::decode_ip(&bytes);
        let _ = Incoming::decode_frame(&bytes);
    }

    #[test]
    fn damaged_answers_never_panic(
        ips in ip_pair(),
        dport in any::<u16>(),
        at in any::<prop::sample::Index>(),
        value in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let cookie = SynCookie::new([7; 16]);
        let syn = cookie.syn(ips, dport, 0);
        for mut packet in [answer(&syn, false, 1, syn.seq.wrapping_add(1)), unreachable(&syn, ips.dst(), 3, 100)] {
            // Cut short of its length, a packet is an error.
            let len = cut.index(packet.len());
            prop_assert!(Incoming::decode_ip(&packet[..len]).is_err());
            let i = at.index(packet.len());
            packet[i] = value;
            if let Ok(Some(incoming)) = Incoming::decode_ip(&packet) {
                let _ = cookie.validate_incoming(&incoming);
            }
            let _ = Incoming::decode_ip(&packet[..len]);
        }
    }
}
