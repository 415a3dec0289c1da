//! Sets of source addresses as disjoint prefixes: the one packet field the evaluator
//! follows symbolically, so that `ip saddr 10.0.0.0/8 accept` splits the traffic into
//! the part it accepts and the part that goes on.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::model::Family;

/// The most prefixes a region may hold; beyond it the evaluator gives up with Unknown
/// (subtracting many scattered host addresses could otherwise grow it without bound).
pub(crate) const MAX_REGION_PREFIXES: usize = 4096;

/// A set of source addresses of one family, as disjoint, aggregated prefixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Region {
    nets: Vec<IpNet>,
}

impl Region {
    /// Every address of `family`.
    pub(crate) fn full(family: Family) -> Self {
        let net = match family {
            Family::Ipv4 => IpNet::V4(Ipv4Net::default()),
            Family::Ipv6 => IpNet::V6(Ipv6Net::default()),
        };
        Self { nets: vec![net] }
    }

    /// No address.
    pub(crate) fn empty() -> Self {
        Self { nets: Vec::new() }
    }

    /// Whether it holds no address.
    pub(crate) fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Its prefixes, aggregated.
    pub(crate) fn nets(&self) -> &[IpNet] {
        &self.nets
    }

    /// Whether it is too fragmented to follow further.
    pub(crate) fn too_large(&self) -> bool {
        self.nets.len() > MAX_REGION_PREFIXES
    }

    /// The addresses in both `self` and any of `set`.
    pub(crate) fn intersect(&self, set: &[IpNet]) -> Self {
        let mut out = Vec::new();
        for r in &self.nets {
            for s in set {
                if s.contains(r) {
                    out.push(*r);
                } else if r.contains(s) {
                    out.push(*s);
                }
            }
        }
        Self::from_nets(out)
    }

    /// The addresses in `self` and in none of `set`.
    pub(crate) fn subtract(&self, set: &[IpNet]) -> Self {
        let mut cur = self.nets.clone();
        for s in set {
            let mut next = Vec::with_capacity(cur.len());
            for r in cur {
                minus(r, *s, &mut next);
            }
            cur = next;
            if cur.len() > MAX_REGION_PREFIXES {
                break;
            }
        }
        Self::from_nets(cur)
    }

    /// The addresses in either.
    pub(crate) fn union(&self, other: &Self) -> Self {
        let mut nets = self.nets.clone();
        nets.extend_from_slice(&other.nets);
        Self::from_nets(nets)
    }

    /// Whether the two share an address.
    pub(crate) fn overlaps(&self, other: &Self) -> bool {
        !self.intersect(&other.nets).is_empty()
    }

    /// Whether it holds more than half the addresses of its family: then "accepted
    /// from these sources" would mislead, it is "accepted from anywhere but a few".
    pub(crate) fn is_most_of(&self, family: Family) -> bool {
        let bits = match family {
            Family::Ipv4 => 32u32,
            Family::Ipv6 => 128,
        };
        let half = 1u128 << (bits - 1);
        let mut total: u128 = 0;
        for net in &self.nets {
            let host_bits = bits.saturating_sub(u32::from(net.prefix_len()));
            if host_bits >= bits {
                return true;
            }
            total = total.saturating_add(1u128 << host_bits);
        }
        total > half
    }

    fn from_nets(nets: Vec<IpNet>) -> Self {
        Self {
            nets: IpNet::aggregate(&nets),
        }
    }
}

/// Pushes `r` minus `s` onto `out`: `r` itself when they are apart, nothing when `s`
/// covers it, else the halves of `r` that miss `s`, down to `s`.
fn minus(r: IpNet, s: IpNet, out: &mut Vec<IpNet>) {
    if s.contains(&r) {
        return;
    }
    if !r.contains(&s) {
        out.push(r);
        return;
    }
    let mut cur = r;
    while cur.prefix_len() < s.prefix_len() {
        let Some((low, high)) = halves(cur) else {
            return;
        };
        if low.contains(&s) {
            out.push(high);
            cur = low;
        } else {
            out.push(low);
            cur = high;
        }
    }
}

/// The two prefixes one bit longer that make up `net`.
fn halves(net: IpNet) -> Option<(IpNet, IpNet)> {
    let len = net.prefix_len().checked_add(1)?;
    match net {
        IpNet::V4(n) => {
            let low = Ipv4Net::new(n.network(), len).ok()?;
            let high_addr = u32::from(n.network()) | (1u32 << (32 - u32::from(len)));
            let high = Ipv4Net::new(Ipv4Addr::from(high_addr), len).ok()?;
            Some((IpNet::V4(low), IpNet::V4(high)))
        }
        IpNet::V6(n) => {
            let low = Ipv6Net::new(n.network(), len).ok()?;
            let high_addr = u128::from(n.network()) | (1u128 << (128 - u32::from(len)));
            let high = Ipv6Net::new(Ipv6Addr::from(high_addr), len).ok()?;
            Some((IpNet::V6(low), IpNet::V6(high)))
        }
    }
}

/// The prefixes covering the inclusive address range `lo..=hi` (an nft set element
/// such as `192.168.1.1-192.168.1.9`); `None` when the ends differ in family or are
/// reversed.
pub(crate) fn range_to_nets(lo: IpAddr, hi: IpAddr) -> Option<Vec<IpNet>> {
    match (lo, hi) {
        (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => {
            Some(ipnet::Ipv4Subnets::new(a, b, 0).map(IpNet::V4).collect())
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => {
            Some(ipnet::Ipv6Subnets::new(a, b, 0).map(IpNet::V6).collect())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|s| s.parse().expect("test prefix"))
            .collect()
    }

    #[test]
    fn subtracting_a_host_from_everything_leaves_32_prefixes() {
        let r = Region::full(Family::Ipv4).subtract(&nets(&["10.1.2.3/32"]));
        assert_eq!(r.nets().len(), 32);
        assert!(r.intersect(&nets(&["10.1.2.3/32"])).is_empty());
        assert!(r.is_most_of(Family::Ipv4));
        let back = r.union(&Region::full(Family::Ipv4).intersect(&nets(&["10.1.2.3/32"])));
        assert_eq!(back, Region::full(Family::Ipv4));
    }

    #[test]
    fn intersection_keeps_the_narrower_prefix() {
        let r = Region::full(Family::Ipv4).intersect(&nets(&["10.0.0.0/8"]));
        let r = r.intersect(&nets(&["10.1.0.0/16", "192.168.0.0/16"]));
        assert_eq!(r.nets(), nets(&["10.1.0.0/16"]).as_slice());
        assert!(!r.is_most_of(Family::Ipv4));
        assert!(r.intersect(&nets(&["172.16.0.0/12"])).is_empty());
    }

    #[test]
    fn ipv6_full_region_is_most_of_the_space() {
        assert!(Region::full(Family::Ipv6).is_most_of(Family::Ipv6));
        let half = Region::full(Family::Ipv6).intersect(&nets(&["::/1"]));
        assert!(!half.is_most_of(Family::Ipv6));
    }

    #[test]
    fn ranges_become_prefixes() {
        let got = range_to_nets(
            "192.168.1.1".parse().expect("addr"),
            "192.168.1.9".parse().expect("addr"),
        )
        .expect("same family");
        assert_eq!(
            got,
            nets(&[
                "192.168.1.1/32",
                "192.168.1.2/31",
                "192.168.1.4/30",
                "192.168.1.8/31"
            ])
        );
        assert!(
            range_to_nets(
                "10.0.0.2".parse().expect("a"),
                "10.0.0.1".parse().expect("a")
            )
            .is_none()
        );
    }
}
