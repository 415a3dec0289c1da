//! Sets of source addresses as disjoint prefixes: the one packet field the evaluator
//! follows symbolically, so that `ip saddr 10.0.0.0/8 accept` splits the traffic into
//! the part it accepts and the part that goes on.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::model::Family;

/// The most prefixes an included region may hold; beyond it the evaluator gives up
/// with Unknown (carving scattered holes out of a prefix multiplies prefixes, up to
/// 128 per hole). A million prefixes is about 20 MB.
pub(crate) const MAX_REGION_PREFIXES: usize = 1 << 20;
/// The most prefixes listed in a verdict (`AcceptedFrom`); more is not a useful answer.
pub(crate) const MAX_LISTED_PREFIXES: usize = 4096;

/// A set of source addresses of one family: either the listed prefixes, or every
/// address but the listed prefixes. The second form keeps "everything but a blocklist
/// of 50,000 addresses" (`ip saddr @crowdsec drop`) as small as the blocklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Region {
    family: Family,
    /// Disjoint, aggregated prefixes of `family`.
    nets: Vec<IpNet>,
    /// `true`: the region is every address except `nets`.
    complement: bool,
}

impl Region {
    /// Every address of `family`.
    pub(crate) fn full(family: Family) -> Self {
        Self {
            family,
            nets: Vec::new(),
            complement: true,
        }
    }

    /// No address.
    pub(crate) fn empty(family: Family) -> Self {
        Self {
            family,
            nets: Vec::new(),
            complement: false,
        }
    }

    fn included(family: Family, nets: Vec<IpNet>) -> Self {
        Self {
            family,
            nets: IpNet::aggregate(&nets),
            complement: false,
        }
    }

    fn excluded(family: Family, nets: Vec<IpNet>) -> Self {
        Self {
            family,
            nets: IpNet::aggregate(&nets),
            complement: true,
        }
    }

    /// Whether it holds no address.
    pub(crate) fn is_empty(&self) -> bool {
        if self.complement {
            self.nets.iter().any(|n| n.prefix_len() == 0)
        } else {
            self.nets.is_empty()
        }
    }

    /// Its addresses as prefixes; `None` when that list would exceed
    /// [`MAX_LISTED_PREFIXES`].
    pub(crate) fn prefixes(&self) -> Option<Vec<IpNet>> {
        if self.complement && self.nets.len() > MAX_LISTED_PREFIXES {
            return None;
        }
        let all = if self.complement {
            subtract_nets(&[universe(self.family)], &self.nets)
        } else {
            self.nets.clone()
        };
        (all.len() <= MAX_LISTED_PREFIXES).then_some(all)
    }

    /// Whether it is too fragmented to follow further.
    pub(crate) fn too_large(&self) -> bool {
        !self.complement && self.nets.len() > MAX_REGION_PREFIXES
    }

    /// The addresses in both `self` and any of `set`.
    pub(crate) fn intersect(&self, set: &[IpNet]) -> Self {
        let set = IpNet::aggregate(&set.to_vec());
        if self.complement {
            Self::included(self.family, subtract_nets(&set, &self.nets))
        } else {
            Self::included(self.family, intersect_nets(&self.nets, &set))
        }
    }

    /// The addresses in `self` and in none of `set`.
    pub(crate) fn subtract(&self, set: &[IpNet]) -> Self {
        if self.complement {
            let mut nets = self.nets.clone();
            nets.extend_from_slice(set);
            Self::excluded(self.family, nets)
        } else {
            Self::included(self.family, subtract_nets(&self.nets, set))
        }
    }

    /// The addresses in `self` and not in `other`.
    pub(crate) fn minus(&self, other: &Self) -> Self {
        if other.complement {
            self.intersect(&other.nets)
        } else {
            self.subtract(&other.nets)
        }
    }

    /// The addresses in either.
    pub(crate) fn union(&self, other: &Self) -> Self {
        match (self.complement, other.complement) {
            (false, false) => {
                let mut nets = self.nets.clone();
                nets.extend_from_slice(&other.nets);
                Self::included(self.family, nets)
            }
            (true, false) => Self::excluded(self.family, subtract_nets(&self.nets, &other.nets)),
            (false, true) => Self::excluded(self.family, subtract_nets(&other.nets, &self.nets)),
            (true, true) => Self::excluded(self.family, intersect_nets(&self.nets, &other.nets)),
        }
    }

    /// Whether the two share an address.
    pub(crate) fn overlaps(&self, other: &Self) -> bool {
        !self.minus(&other.complemented()).is_empty()
    }

    fn complemented(&self) -> Self {
        Self {
            family: self.family,
            nets: self.nets.clone(),
            complement: !self.complement,
        }
    }

    /// How many addresses it holds, saturating at `u128::MAX`.
    pub(crate) fn weight(&self) -> u128 {
        let listed = self
            .nets
            .iter()
            .fold(0u128, |acc, n| acc.saturating_add(size(n)));
        if self.complement {
            size(&universe(self.family)).saturating_sub(listed)
        } else {
            listed
        }
    }

    /// Whether it holds more than half the addresses of its family: then "accepted
    /// from these sources" would mislead, it is "accepted from anywhere but a few".
    pub(crate) fn is_most_of(&self) -> bool {
        let half = match self.family {
            Family::Ipv4 => 1u128 << 31,
            Family::Ipv6 => 1u128 << 127,
        };
        self.weight() > half
    }
}

/// The whole address space of `family`.
fn universe(family: Family) -> IpNet {
    match family {
        Family::Ipv4 => IpNet::V4(Ipv4Net::default()),
        Family::Ipv6 => IpNet::V6(Ipv6Net::default()),
    }
}

/// The number of addresses in `net`, saturating (::/0 holds 2^128).
fn size(net: &IpNet) -> u128 {
    let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
    1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
}

/// Addresses in both lists.
fn intersect_nets(a: &[IpNet], b: &[IpNet]) -> Vec<IpNet> {
    let b = IpNet::aggregate(&b.to_vec());
    let mut out = Vec::new();
    for x in a {
        for y in overlapping(&b, x) {
            out.push(if y.contains(x) { *x } else { *y });
        }
    }
    out
}

/// Addresses in `from` and not in `holes`; only holes that touch a prefix cost work.
fn subtract_nets(from: &[IpNet], holes: &[IpNet]) -> Vec<IpNet> {
    let holes = IpNet::aggregate(&holes.to_vec());
    let mut out = Vec::new();
    for f in from {
        let mut cur = vec![*f];
        for h in overlapping(&holes, f) {
            let mut next = Vec::with_capacity(cur.len() + 32);
            for r in cur {
                minus(r, *h, &mut next);
            }
            cur = next;
            if cur.is_empty() {
                break;
            }
        }
        out.extend(cur);
    }
    out
}

/// The prefixes of `sorted` (aggregated: sorted and disjoint) that share an address
/// with `x`, found by binary search: one that contains `x`, or those inside it.
fn overlapping<'a>(sorted: &'a [IpNet], x: &IpNet) -> impl Iterator<Item = &'a IpNet> {
    let start = sorted.partition_point(|n| n.network() < x.network());
    let end = sorted.partition_point(|n| n.network() <= x.broadcast());
    let before = start
        .checked_sub(1)
        .and_then(|i| sorted.get(i))
        .filter(|n| n.contains(x));
    before
        .into_iter()
        .chain(sorted.get(start..end).unwrap_or_default())
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
        assert_eq!(r.prefixes().expect("small").len(), 32);
        assert!(r.intersect(&nets(&["10.1.2.3/32"])).is_empty());
        assert!(r.is_most_of());
        assert_eq!(r.weight(), (1u128 << 32) - 1);
        let back = r.union(&Region::full(Family::Ipv4).intersect(&nets(&["10.1.2.3/32"])));
        assert_eq!(back, Region::full(Family::Ipv4));
    }

    #[test]
    fn intersection_keeps_the_narrower_prefix() {
        let r = Region::full(Family::Ipv4).intersect(&nets(&["10.0.0.0/8"]));
        let r = r.intersect(&nets(&["10.1.0.0/16", "192.168.0.0/16"]));
        assert_eq!(r.prefixes().expect("small"), nets(&["10.1.0.0/16"]));
        assert!(!r.is_most_of());
        assert!(r.intersect(&nets(&["172.16.0.0/12"])).is_empty());
    }

    #[test]
    fn ipv6_full_region_is_most_of_the_space() {
        assert!(Region::full(Family::Ipv6).is_most_of());
        let half = Region::full(Family::Ipv6).intersect(&nets(&["::/1"]));
        assert!(!half.is_most_of());
        assert!(
            Region::full(Family::Ipv6)
                .subtract(&nets(&["::/1", "8000::/1"]))
                .is_empty()
        );
    }

    #[test]
    fn a_large_blocklist_stays_small() {
        let blocklist: Vec<IpNet> = (0..50_000u32)
            .map(|i| {
                IpNet::V4(Ipv4Net::new(Ipv4Addr::from(0x0b00_0000 + i * 7), 32).expect("host"))
            })
            .collect();
        let rest = Region::full(Family::Ipv4).subtract(&blocklist);
        assert!(rest.is_most_of());
        assert!(!rest.is_empty());
        let blocked = Region::full(Family::Ipv4).intersect(&blocklist);
        assert!(!rest.overlaps(&blocked));
        assert_eq!(rest.union(&blocked), Region::full(Family::Ipv4));
        let inside = rest.intersect(&nets(&["192.168.0.0/16"]));
        assert_eq!(inside.prefixes().expect("small"), nets(&["192.168.0.0/16"]));
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
