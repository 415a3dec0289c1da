//! The targets by number, and the walk of them in a keyed order.
//!
//! The included specs are numbered end to end: spec 0's addresses are `0..len₀`, spec 1's
//! follow, and so on, duplicates and excluded addresses included (the same addresses, in
//! the same multiset, as [`TargetList::iter`] visits). [`TargetIndex::address`] finds the
//! `i`-th by a binary search over the specs' running ends (O(log k) for k specs; memory
//! one `u64` per spec, never per address).
//!
//! A [`Walk`] permutes that included space ([`Permutation`]) and skips the excluded
//! addresses, counting them. Exclusions therefore cost what they cost in `iter`: each
//! included index is looked up once and tested against every exclusion, so a scan whose
//! exclusions take out most of its space still walks the whole included space. Numbering
//! only what is left (subtracting exclusions interval by interval) would avoid that walk,
//! at the price of sorting and merging every spec; not worth it while exclusions are few.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::permute::Permutation;
use super::shard::{Shard, ShardIndices};
use super::{Skip, TargetError, TargetIter, TargetList, TargetSpec};

/// The order a scan visits its targets in: the permutation of `seed`, and this machine's
/// shard of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Order {
    /// The permutation's key: the same seed gives the same order.
    pub seed: u64,
    /// The share of the permuted space visited.
    pub shard: Shard,
}

/// The included addresses by number (see the module doc).
#[derive(Debug, Clone)]
pub struct TargetIndex<'a> {
    include: &'a [TargetSpec],
    /// `ends[s]`: the number one past spec `s`'s last address.
    ends: Vec<u64>,
}

impl TargetList {
    /// The included addresses by number. Fails only if they number more than
    /// `u64::MAX` (which would take about 2^32 specs).
    pub fn index(&self) -> Result<TargetIndex<'_>, TargetError> {
        let mut ends = Vec::with_capacity(self.include.len());
        let mut end = 0u64;
        for spec in &self.include {
            end = u64::try_from(spec.len())
                .ok()
                .and_then(|len| end.checked_add(len))
                .ok_or_else(|| TargetError::new("(all targets)", "more than 2^64 - 1 addresses"))?;
            ends.push(end);
        }
        Ok(TargetIndex {
            include: &self.include,
            ends,
        })
    }

    /// Every target (excluded ones skipped) in the order of `order`, lazily, in constant
    /// memory beyond one `u64` per spec. See [`TargetList::index`] for the error.
    pub fn walk(&self, order: Order) -> Result<Walk<'_>, TargetError> {
        self.walk_from(order, 0)
    }

    /// The targets in the listed order (`None`, as [`Self::iter`]) or in `order`'s.
    pub fn visit(&self, order: Option<Order>) -> Result<Visit<'_>, TargetError> {
        Ok(match order {
            None => Visit::Listed(self.iter()),
            Some(order) => Visit::Permuted(self.walk(order)?),
        })
    }

    /// As [`Self::walk`], after the first `done` indices of the shard (as counted by
    /// [`Walk::position`]).
    pub fn walk_from(&self, order: Order, done: u64) -> Result<Walk<'_>, TargetError> {
        let index = self.index()?;
        let permutation = Permutation::new(index.len(), order.seed);
        Ok(Walk {
            indices: order.shard.indices_from(permutation, done),
            index,
            skip: self.skip(),
            skipped: 0,
        })
    }
}

impl TargetIndex<'_> {
    /// How many included addresses there are (duplicates and excluded ones counted).
    pub fn len(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Whether nothing is included.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th included address, before exclusions; `None` past the end or for a name
    /// not yet resolved.
    pub fn address(&self, i: u64) -> Option<IpAddr> {
        // The first spec whose end is past i.
        let s = self.ends.partition_point(|&end| end <= i);
        let start = match s.checked_sub(1) {
            Some(prev) => *self.ends.get(prev)?,
            None => 0,
        };
        spec_address(self.include.get(s)?, i - start)
    }

    /// The inverse of [`Self::address`]: the number of `ip` in the first spec that holds
    /// it, or `None` if no spec does. O(k) for k specs: it is for the few packets that
    /// answer (a reply's sender), not for every send.
    pub fn position_of(&self, ip: IpAddr) -> Option<u64> {
        let mut start = 0u64;
        for (spec, &end) in self.include.iter().zip(&self.ends) {
            if let Some(offset) = spec_offset(spec, ip) {
                return start.checked_add(offset);
            }
            start = end;
        }
        None
    }
}

/// Where `ip` is among `spec`'s addresses, in the order of [`spec_address`].
pub(super) fn spec_offset(spec: &TargetSpec, ip: IpAddr) -> Option<u64> {
    if !spec.contains(ip) {
        return None;
    }
    let from = |base: Ipv4Addr, ip: Ipv4Addr| u64::from(u32::from(ip) - u32::from(base));
    match (spec, ip) {
        (TargetSpec::Addr(_), _) => Some(0),
        (TargetSpec::Net(IpNet::V4(n)), IpAddr::V4(v4)) => Some(from(n.network(), v4)),
        (TargetSpec::Net(IpNet::V6(n)), IpAddr::V6(v6)) => {
            u64::try_from(u128::from(v6) - u128::from(n.network())).ok()
        }
        (TargetSpec::Span(a, _), IpAddr::V4(v4)) => Some(from(*a, v4)),
        (TargetSpec::Octets(sets), IpAddr::V4(v4)) => {
            // Mixed radix, the last octet fastest, as spec_address counts.
            let mut offset = 0u64;
            for (set, o) in sets.0.iter().zip(v4.octets()) {
                let digit = set.binary_search(&o).ok()?;
                offset = offset * (set.len() as u64) + (digit as u64);
            }
            Some(offset)
        }
        _ => None,
    }
}

/// The `offset`-th address of `spec`, in the order [`TargetList::iter`] yields them.
fn spec_address(spec: &TargetSpec, offset: u64) -> Option<IpAddr> {
    let v4 = |base: Ipv4Addr| {
        let off = u32::try_from(offset).ok()?;
        u32::from(base)
            .checked_add(off)
            .map(|v| Ipv4Addr::from(v).into())
    };
    match spec {
        TargetSpec::Addr(a) => (offset == 0).then_some(*a),
        TargetSpec::Name(_) => None,
        TargetSpec::Net(IpNet::V4(n)) => v4(n.network()),
        TargetSpec::Net(IpNet::V6(n)) => u128::from(n.network())
            .checked_add(offset.into())
            .map(|v| Ipv6Addr::from(v).into()),
        TargetSpec::Span(a, _) => v4(*a),
        TargetSpec::Octets(sets) => {
            // Mixed radix, the last octet fastest.
            let mut rest = offset;
            let mut octets = [0u8; 4];
            for (o, set) in octets.iter_mut().zip(&sets.0).rev() {
                let radix = u64::try_from(set.len()).ok().filter(|&r| r > 0)?;
                *o = *set.get(usize::try_from(rest % radix).ok()?)?;
                rest /= radix;
            }
            (rest == 0).then(|| Ipv4Addr::from(octets).into())
        }
    }
    .filter(|ip| spec.contains(*ip))
}

/// The targets of one shard in permuted order, excluded and out-of-scope ones skipped.
#[derive(Debug, Clone)]
pub struct Walk<'a> {
    index: TargetIndex<'a>,
    skip: Skip<'a>,
    indices: ShardIndices,
    skipped: u64,
}

impl Walk<'_> {
    /// Indices of this shard taken so far, targets and skipped ones alike: with
    /// [`TargetList::walk_from`], where to continue.
    pub fn position(&self) -> u64 {
        self.indices.position()
    }

    /// Indices skipped so far: excluded and out-of-scope addresses, unresolved names.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Indices of this shard not yet taken (an upper bound on the targets left).
    pub fn remaining(&self) -> u64 {
        self.indices.remaining()
    }
}

impl Iterator for Walk<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        loop {
            let i = self.indices.next()?;
            match self.index.address(i) {
                Some(ip) if !self.skip.skips(ip) => return Some(ip),
                _ => self.skipped += 1,
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.indices.size_hint().1)
    }
}

/// The targets in listed or permuted order ([`TargetList::visit`]).
#[derive(Debug)]
pub enum Visit<'a> {
    /// In the order listed.
    Listed(TargetIter<'a>),
    /// In a keyed order, one shard.
    Permuted(Walk<'a>),
}

impl Iterator for Visit<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        match self {
            Self::Listed(it) => it.next(),
            Self::Permuted(walk) => walk.next(),
        }
    }
}
