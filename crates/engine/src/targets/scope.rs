//! The address space a scan never sends to unless told to ([`Scope::Everything`]): the
//! blocks of the shared special-purpose table that hold no unicast host to probe, or that
//! a packet must not be sent to ([`smbaudit_netspace::Block::scan_skips`]).
//!
//! Like ZMap's default blocklist and masscan's `--exclude` defaults, but for a tool that
//! scans its owner's own networks: private (RFC 1918), CGNAT, loopback and IPv4 link-local
//! (169.254.0.0/16, where APIPA hosts answer SMB) stay in scope. IPv6 link-local
//! (fe80::/10) is out: without a zone (interface) index, which a target cannot carry, the
//! kernel cannot choose the link and the connect fails. IPv4-mapped IPv6 (::ffff:0:0/96) is
//! out too: it would reach an IPv4 address past the IPv4 exclusions.

use std::net::IpAddr;

use ipnet::IpNet;
use smbaudit_netspace::{BLOCKS, Block, bits, scan_skip_block};

use super::TargetSpec;

/// Which addresses a [`super::TargetList`] may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// Unicast addresses only: the blocks a scan skips are skipped in ranges and refused
    /// as single addresses.
    #[default]
    Unicast,
    /// Every address listed, reserved ones included (`--allow-reserved`).
    Everything,
}

impl Scope {
    /// The block `ip` is in, when this scope leaves it out; it prints as
    /// "documentation (192.0.2.0/24)".
    pub fn excludes(self, ip: IpAddr) -> Option<&'static Block> {
        match self {
            Self::Everything => None,
            Self::Unicast => scan_skip_block(ip),
        }
    }

    /// How many of `spec`'s addresses this scope leaves out (duplicates within the spec
    /// cannot occur; a name counts as none). Arithmetic over the blocks, not a walk.
    pub fn excluded_in(self, spec: &TargetSpec) -> u128 {
        match self {
            Self::Everything => 0,
            Self::Unicast => skipped_blocks().map(|b| overlap(spec, net(b))).sum(),
        }
    }
}

/// The blocks [`Scope::Unicast`] leaves out, disjoint within a family.
fn skipped_blocks() -> impl Iterator<Item = &'static Block> {
    BLOCKS.iter().filter(|b| b.scan_skips)
}

fn net(block: &Block) -> IpNet {
    // Every block's length fits its family (checked by the table's tests).
    IpNet::new(block.first, block.len).unwrap_or_else(|_| IpNet::from(block.first))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn unicast_scope_leaves_out_the_blocks_scans_skip() {
        // The table itself is tested in smbaudit-netspace; here, the two scopes over it.
        for a in [
            "0.1.2.3",
            "192.0.2.9",
            "255.255.255.255",
            "::ffff:10.0.0.1",
            "fe80::1",
        ] {
            assert!(Scope::Unicast.excludes(ip(a)).is_some(), "{a} out");
            assert_eq!(Scope::Everything.excludes(ip(a)), None, "{a} allowed");
        }
        for a in ["10.0.0.1", "169.254.1.1", "198.18.0.1", "8.8.8.8", "::1"] {
            assert_eq!(Scope::Unicast.excludes(ip(a)), None, "{a} kept");
        }
        let multicast = Scope::Unicast.excludes(ip("ff02::1")).unwrap();
        assert_eq!(multicast.to_string(), "multicast (ff00::/8)");
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
