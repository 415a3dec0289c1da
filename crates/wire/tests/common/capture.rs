//! Reading the test captures: frames of pcap/pcapng files reduced to IPv4 UDP/TCP payloads,
//! and TCP byte streams reassembled from them.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4 {
    Udp,
    Tcp,
}

/// One IPv4 UDP or TCP frame of a capture, reduced to what the tests look at.
#[derive(Debug, Clone)]
pub struct Segment {
    pub l4: L4,
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub sport: u16,
    pub dport: u16,
    pub payload: Vec<u8>,
    /// TCP sequence number (0 for UDP).
    pub seq: u32,
}

/// Every frame of a pcap or pcapng file, numbered from 1 like tshark; frames that are not
/// IPv4 UDP/TCP are absent from the map.
pub fn read_capture(bytes: &[u8]) -> BTreeMap<usize, Segment> {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    if bytes.starts_with(&[0x0A, 0x0D, 0x0D, 0x0A]) {
        let mut reader = PcapNgReader::new(bytes).expect("pcapng section header");
        while let Some(block) = reader.next_block() {
            match block.expect("pcapng block") {
                Block::InterfaceDescription(idb) => assert_eq!(idb.linktype, DataLink::ETHERNET),
                Block::EnhancedPacket(p) => frames.push(p.data.into_owned()),
                Block::SimplePacket(p) => frames.push(p.data.into_owned()),
                Block::Packet(p) => frames.push(p.data.into_owned()),
                _ => {}
            }
        }
    } else {
        let mut reader = PcapReader::new(bytes).expect("pcap header");
        assert_eq!(reader.header().datalink, DataLink::ETHERNET);
        while let Some(packet) = reader.next_packet() {
            frames.push(packet.expect("pcap record").data.into_owned());
        }
    }
    let mut out = BTreeMap::new();
    for (i, data) in frames.iter().enumerate() {
        let Ok(sliced) = SlicedPacket::from_ethernet(data) else {
            continue;
        };
        let Some(NetSlice::Ipv4(ip)) = &sliced.net else {
            continue;
        };
        let (src, dst) = (ip.header().source(), ip.header().destination());
        let seg = match &sliced.transport {
            Some(TransportSlice::Udp(u)) => Segment {
                l4: L4::Udp,
                src,
                dst,
                sport: u.source_port(),
                dport: u.destination_port(),
                payload: u.payload().to_vec(),
                seq: 0,
            },
            Some(TransportSlice::Tcp(t)) => Segment {
                l4: L4::Tcp,
                src,
                dst,
                sport: t.source_port(),
                dport: t.destination_port(),
                payload: t.payload().to_vec(),
                seq: t.sequence_number(),
            },
            _ => continue,
        };
        out.insert(i + 1, seg);
    }
    out
}

/// The payload of frame `number`, after checking its addresses and ports against the
/// expectation (so a wrong frame number can't pass by accident).
pub fn payload(
    cap: &BTreeMap<usize, Segment>,
    number: usize,
    l4: L4,
    (src, sport): ([u8; 4], u16),
    (dst, dport): ([u8; 4], u16),
) -> &[u8] {
    let seg = cap
        .get(&number)
        .unwrap_or_else(|| panic!("frame {number} is not IPv4 UDP/TCP"));
    assert_eq!(
        (seg.l4, seg.src, seg.sport, seg.dst, seg.dport),
        (l4, src, sport, dst, dport),
        "frame {number} endpoints"
    );
    &seg.payload
}

pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0);
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The bytes `from` sent to `to` over TCP, in capture order, each sequence number taken once
/// (retransmissions dropped). Enough for the short, loss-free captures used here.
pub fn tcp_stream(
    cap: &BTreeMap<usize, Segment>,
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
) -> Vec<u8> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for seg in cap.values() {
        if seg.l4 == L4::Tcp
            && (seg.src, seg.sport) == from
            && (seg.dst, seg.dport) == to
            && !seg.payload.is_empty()
            && seen.insert(seg.seq)
        {
            out.extend_from_slice(&seg.payload);
        }
    }
    out
}
