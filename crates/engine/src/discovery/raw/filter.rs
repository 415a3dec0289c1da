//! The classic BPF program of the receiving packet socket: only what can answer a SYN of
//! ours reaches user space.
//!
//! It passes an IPv4 frame that arrived on our interface and is either an unfragmented
//! TCP segment to a port of [`SOURCE_PORTS`] or an ICMP destination unreachable (type 3);
//! everything else is dropped in the kernel. The program reads a frame with its Ethernet
//! header (an AF_PACKET `SOCK_RAW` socket), without a VLAN tag. It is what
//! `tcpdump -dd 'ifindex N and ip and ((tcp and dst portrange 61000-65535 and not ip[6:2]
//! & 0x1fff != 0) or icmp[0] = 3)'` would print, written out so it can name its parts.
//! The filter is a first cut, not the check: every frame it passes is decoded and its
//! cookie validated.

use smbaudit_wire::tcpip::cookie::SOURCE_PORTS;
use socket2::SockFilter;

// Classic BPF opcodes (linux/bpf_common.h).
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const W: u16 = 0x00;
const H: u16 = 0x08;
const B: u16 = 0x10;
const ABS: u16 = 0x20;
const IND: u16 = 0x40;
const MSH: u16 = 0xa0;
const JEQ: u16 = 0x10;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;
const K: u16 = 0x00;

/// `SKF_AD_OFF + SKF_AD_IFINDEX` (linux/filter.h): the ancillary load of the interface
/// index a packet arrived on.
const ANCILLARY_IFINDEX: u32 = 0xFFFF_F000 + 8;
/// Bytes of a frame passed up: enough for any reply and the packet an ICMP error quotes.
const SNAP_LEN: u32 = 0xFFFF;

// The range ends at 65535, so "at least the first port" is the whole port test.
const _: () = assert!(*SOURCE_PORTS.end() == u16::MAX);

/// The program for the interface with index `ifindex`.
pub(super) fn reply_filter(ifindex: u32) -> [SockFilter; 17] {
    let op = SockFilter::new;
    let first_port = u32::from(*SOURCE_PORTS.start());
    [
        /* 0 */ op(LD | W | ABS, 0, 0, ANCILLARY_IFINDEX),
        /* 1 */ op(JMP | JEQ | K, 0, 14, ifindex), // other interface: 16
        /* 2 */ op(LD | H | ABS, 0, 0, 12), // EtherType
        /* 3 */ op(JMP | JEQ | K, 0, 12, 0x0800), // not IPv4: 16
        /* 4 */ op(LD | B | ABS, 0, 0, 23), // IPv4 protocol
        /* 5 */ op(JMP | JEQ | K, 0, 5, 6), // not TCP: 11
        /* 6 */ op(LD | H | ABS, 0, 0, 20), // flags and fragment offset
        /* 7 */ op(JMP | JSET | K, 8, 0, 0x1FFF), // a fragment: 16
        /* 8 */ op(LDX | B | MSH, 0, 0, 14), // X = IPv4 header length
        /* 9 */ op(LD | H | IND, 0, 0, 14 + 2), // TCP destination port
        /* 10 */ op(JMP | JGE | K, 4, 5, first_port), // ours: 15, else 16
        /* 11 */ op(JMP | JEQ | K, 0, 4, 1), // not ICMP: 16
        /* 12 */ op(LDX | B | MSH, 0, 0, 14),
        /* 13 */ op(LD | B | IND, 0, 0, 14), // ICMP type
        /* 14 */ op(JMP | JEQ | K, 0, 1, 3), // destination unreachable: 15, else 16
        /* 15 */ op(RET | K, 0, 0, SNAP_LEN),
        /* 16 */ op(RET | K, 0, 0, 0),
    ]
}
