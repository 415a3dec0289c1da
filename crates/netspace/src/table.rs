//! The table: IPv4 then IPv6, disjoint within a family, in address order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::Block;

/// Every special-purpose block smbaudit knows.
pub const BLOCKS: &[Block] = &[
    v4([0, 0, 0, 0], 8, "this network", SKIP, INSIDE),
    v4([10, 0, 0, 0], 8, "private", KEEP, INSIDE),
    v4([100, 64, 0, 0], 10, "CGNAT", KEEP, INSIDE),
    v4([127, 0, 0, 0], 8, "loopback", KEEP, INSIDE),
    // APIPA hosts answer SMB here: scanned.
    v4([169, 254, 0, 0], 16, "link-local", KEEP, INSIDE),
    v4([172, 16, 0, 0], 12, "private", KEEP, INSIDE),
    v4([192, 0, 0, 0], 24, "IETF protocol", KEEP, OUTSIDE),
    v4([192, 0, 2, 0], 24, "documentation", SKIP, OUTSIDE),
    v4([192, 168, 0, 0], 16, "private", KEEP, INSIDE),
    // Lab networks use it (RFC 2544): scanned.
    v4([198, 18, 0, 0], 15, "benchmarking", KEEP, OUTSIDE),
    v4([198, 51, 100, 0], 24, "documentation", SKIP, OUTSIDE),
    v4([203, 0, 113, 0], 24, "documentation", SKIP, OUTSIDE),
    v4([224, 0, 0, 0], 4, "multicast", SKIP, INSIDE),
    // 255.255.255.255 included.
    v4([240, 0, 0, 0], 4, "reserved or broadcast", SKIP, INSIDE),
    v6(0, 128, "unspecified", SKIP, INSIDE),
    v6(1, 128, "loopback", KEEP, INSIDE),
    // Would reach an IPv4 address past the IPv4 exclusions; judged by that address.
    v6(0xffff << 32, 96, "IPv4-mapped", SKIP, OUTSIDE),
    v6(0x0064_ff9b_0001 << 80, 48, "local-use NAT64", KEEP, OUTSIDE),
    v6(0x0100 << 112, 64, "discard-only", SKIP, OUTSIDE),
    v6(0x2001 << 112, 23, "IETF protocol", KEEP, OUTSIDE),
    v6(0x2001_0db8 << 96, 32, "documentation", SKIP, OUTSIDE),
    v6(0x3fff << 112, 20, "documentation", SKIP, OUTSIDE),
    v6(0xfc00 << 112, 7, "ULA", KEEP, INSIDE),
    // A target cannot carry the zone (interface) the kernel needs to pick the link.
    Block {
        note: "needs a zone",
        ..v6(0xfe80 << 112, 10, "link-local", SKIP, INSIDE)
    },
    v6(0xfec0 << 112, 10, "site-local", KEEP, INSIDE),
    v6(0xff00 << 112, 8, "multicast", SKIP, INSIDE),
];

const SKIP: bool = true;
const KEEP: bool = false;
const INSIDE: bool = true;
const OUTSIDE: bool = false;

const fn v4(octets: [u8; 4], len: u8, kind: &'static str, scan_skips: bool, inside: bool) -> Block {
    let first = IpAddr::V4(Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]));
    Block {
        first,
        len,
        kind,
        scan_skips,
        inside,
        note: "",
    }
}

const fn v6(bits: u128, len: u8, kind: &'static str, scan_skips: bool, inside: bool) -> Block {
    let first = IpAddr::V6(Ipv6Addr::from_bits(bits));
    Block {
        first,
        len,
        kind,
        scan_skips,
        inside,
        note: "",
    }
}
