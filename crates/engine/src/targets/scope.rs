//! The address space a scan never sends to unless told to ([`Scope::Everything`]): blocks
//! that hold no unicast host to probe, or that a packet must not be sent to.
//!
//! Like ZMap's default blocklist and masscan's `--exclude` defaults, but for a tool that
//! scans its owner's own networks: private (RFC 1918), CGNAT, loopback and IPv4 link-local
//! (169.254.0.0/16, where APIPA hosts answer SMB) stay in scope. IPv6 link-local
//! (fe80::/10) is out: without a zone (interface) index, which a target cannot carry, the
//! kernel cannot choose the link and the connect fails. IPv4-mapped IPv6 (::ffff:0:0/96) is
//! out too: it would reach an IPv4 address past the IPv4 exclusions.

use std::net::IpAddr;

use ipnet::IpNet;

use super::TargetSpec;

/// Which addresses a [`super::TargetList`] may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// Unicast addresses only: the [`RESERVED`] blocks are skipped in ranges and refused as
    /// single addresses.
    #[default]
    Unicast,
    /// Every address listed, reserved ones included (`--allow-reserved`).
    Everything,
}

/// The blocks out of [`Scope::Unicast`]: (first address, prefix length, kind), IPv4 then
/// IPv6, disjoint within a family.
pub const RESERVED: &[(IpAddr, u8, &str)] = &[
    (v4(0, 0, 0, 0), 8, "\"this network\" (0.0.0.0/8)"),
    (v4(192, 0, 2, 0), 24, "documentation (192.0.2.0/24)"),
    (v4(198, 51, 100, 0), 24, "documentation (198.51.100.0/24)"),
    (v4(203, 0, 113, 0), 24, "documentation (203.0.113.0/24)"),
    (v4(224, 0, 0, 0), 4, "multicast (224.0.0.0/4)"),
    (
        v4(240, 0, 0, 0),
        4,
        "reserved or broadcast (240.0.0.0/4, 255.255.255.255)",
    ),
    (v6(0, 0), 128, "unspecified (::)"),
    (v6(0, 0xffff_0000_0000), 96, "IPv4-mapped (::ffff:0:0/96)"),
    (v6(0x0100_0000_0000_0000, 0), 64, "discard-only (100::/64)"),
    (
        v6(0x2001_0db8 << 32, 0),
        32,
        "documentation (2001:db8::/32)",
    ),
    (v6(0x3fff << 48, 0), 20, "documentation (3fff::/20)"),
    (
        v6(0xfe80 << 48, 0),
        10,
        "IPv6 link-local (fe80::/10, needs a zone)",
    ),
    (v6(0xff00 << 48, 0), 8, "IPv6 multicast (ff00::/8)"),
];

const fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
}

const fn v6(high: u64, low: u64) -> IpAddr {
    IpAddr::V6(std::net::Ipv6Addr::from_bits(
        ((high as u128) << 64) | low as u128,
    ))
}

impl Scope {
    /// The kind of reserved block `ip` is in, when this scope leaves it out.
    pub fn excludes(self, ip: IpAddr) -> Option<&'static str> {
        match self {
            Self::Everything => None,
            Self::Unicast => reserved_kind(ip),
        }
    }

    /// How many of `spec`'s addresses this scope leaves out (duplicates within the spec
    /// cannot occur; a name counts as none). Arithmetic over the blocks, not a walk.
    pub fn excluded_in(self, spec: &TargetSpec) -> u128 {
        match self {
            Self::Everything => 0,
            Self::Unicast => RESERVED.iter().map(|b| overlap(spec, block(b))).sum(),
        }
    }
}

/// The kind of the [`RESERVED`] block holding `ip`, if one does. Integer compares only:
/// it runs for every address a walk visits.
pub fn reserved_kind(ip: IpAddr) -> Option<&'static str> {
    if !may_be_reserved(ip) {
        return None;
    }
    let (v4, x) = (ip.is_ipv4(), bits(ip));
    RESERVED
        .iter()
        .find(|(net, len, _)| net.is_ipv4() == v4 && x & mask(v4, *len) == bits(*net))
        .map(|(_, _, kind)| *kind)
}

/// A first look at the leading octet (v4) or group (v6): false for every address outside
/// the [`RESERVED`] blocks' leading values, which is nearly every address of a scan.
fn may_be_reserved(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => matches!(a.octets()[0], 0 | 192 | 198 | 203 | 224..),
        IpAddr::V6(a) => matches!(a.segments()[0], 0 | 0x0100 | 0x2001 | 0x3fff | 0xfe80..),
    }
}

/// The mask of a prefix of `len` bits in a 32-bit (v4) or 128-bit address, as a u128.
fn mask(v4: bool, len: u8) -> u128 {
    let width = if v4 { 32 } else { 128 };
    let ones = u128::MAX >> (128 - width);
    ones & !(ones.checked_shr(u32::from(len)).unwrap_or(0))
}

fn block(&(addr, len, _): &(IpAddr, u8, &str)) -> IpNet {
    // Every entry's length fits its family (checked by a test), so this never falls back.
    IpNet::new(addr, len).unwrap_or_else(|_| IpNet::from(addr))
}

/// How many addresses of `spec` lie in `net`.
fn overlap(spec: &TargetSpec, net: IpNet) -> u128 {
    let (lo, hi) = (bits(net.network()), bits(net.broadcast()));
    let span = |a: u128, b: u128| {
        let (a, b) = (a.max(lo), b.min(hi));
        if a <= b { b - a + 1 } else { 0 }
    };
    let same_family = |ip: IpAddr| ip.is_ipv4() == net.addr().is_ipv4();
    match spec {
        TargetSpec::Addr(a) => u128::from(net.contains(a)),
        TargetSpec::Name(_) => 0,
        TargetSpec::Net(n) if same_family(n.addr()) => span(bits(n.network()), bits(n.broadcast())),
        TargetSpec::Span(a, b) if same_family(IpAddr::V4(*a)) => {
            span(u32::from(*a).into(), u32::from(*b).into())
        }
        TargetSpec::Octets(sets) if same_family(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)) => {
            // Each octet of the block is a range; the count is the product of the overlaps.
            let (lo, hi) = (lo.to_be_bytes(), hi.to_be_bytes());
            sets.0
                .iter()
                .zip(lo.iter().skip(12).zip(hi.iter().skip(12)))
                .map(|(set, (l, h))| set.iter().filter(|o| (*l..=*h).contains(*o)).count() as u128)
                .product()
        }
        _ => 0,
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4).into(),
        IpAddr::V6(v6) => v6.to_bits(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_are_valid_and_disjoint() {
        for (i, a) in RESERVED.iter().enumerate() {
            let net = IpNet::new(a.0, a.1).expect("prefix fits");
            assert_eq!(net.network(), a.0, "{} starts its block", a.0);
            // Each block lies within one leading value or the top range: its ends suffice.
            assert!(may_be_reserved(net.network()) && may_be_reserved(net.broadcast()));
            for b in &RESERVED[i + 1..] {
                let other = block(b);
                assert!(
                    !net.contains(&other.addr()) && !other.contains(&a.0),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn unicast_scope_leaves_out_non_unicast_space_only() {
        let out = [
            "0.0.0.0",
            "0.1.2.3",
            "192.0.2.9",
            "198.51.100.1",
            "203.0.113.200",
            "224.0.0.251",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::ffff:10.0.0.1",
            "100::1",
            "2001:db8::1",
            "3fff::1",
            "fe80::1",
            "ff02::1",
        ];
        let kept = [
            "10.0.0.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "198.18.0.1",
            "8.8.8.8",
            "223.255.255.255",
            "::1",
            "fd00:5a7:1::10",
            "2a00:1450:4001::1",
        ];
        for a in out {
            assert!(Scope::Unicast.excludes(ip(a)).is_some(), "{a} out");
            assert_eq!(Scope::Everything.excludes(ip(a)), None, "{a} allowed");
        }
        for a in kept {
            assert_eq!(Scope::Unicast.excludes(ip(a)), None, "{a} kept");
        }
        assert!(reserved_kind(ip("ff02::1")).unwrap().contains("multicast"));
    }

    #[test]
    fn counts_the_reserved_part_of_every_spec_form() {
        let count = |s: &str| Scope::Unicast.excluded_in(&s.parse().unwrap());
        assert_eq!(count("0.0.0.0/0"), (1 << 24) + 3 * 256 + 2 * (1 << 28));
        assert_eq!(count("192.0.2.0/23"), 256);
        assert_eq!(count("192.0.2.128/25"), 128);
        assert_eq!(count("223.255.255.0-224.0.0.9"), 10);
        assert_eq!(count("223-225.0.0.1"), 2);
        assert_eq!(count("10.0.0.0/8"), 0);
        assert_eq!(count("224.0.0.1"), 1);
        assert_eq!(count("ff02::/120"), 256);
        assert_eq!(count("fd00::/104"), 0);
        assert_eq!(count("a.lab"), 0);
        assert_eq!(
            Scope::Everything.excluded_in(&"224.0.0.0/4".parse().unwrap()),
            0
        );
    }
}
