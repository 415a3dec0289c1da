//! Lazy expansion of target specs into addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::{OctetRange, Skip, TargetSpec};

/// Yields the addresses of a list of specs in order, skipping those its [`Skip`] leaves
/// out. Holds only a cursor into the current spec, never a list of addresses.
#[derive(Debug)]
pub struct TargetIter<'a> {
    specs: std::slice::Iter<'a, TargetSpec>,
    skip: Skip<'a>,
    current: Option<Cursor<'a>>,
}

#[derive(Debug)]
enum Cursor<'a> {
    One(Option<IpAddr>),
    V4 {
        next: u64,
        end: u64,
    },
    V6 {
        next: u128,
        end: u128,
    },
    Octets {
        sets: &'a OctetRange,
        idx: [usize; 4],
        done: bool,
    },
}

impl<'a> TargetIter<'a> {
    pub(super) fn new(include: &'a [TargetSpec], skip: Skip<'a>) -> Self {
        Self {
            specs: include.iter(),
            skip,
            current: None,
        }
    }
}

impl Cursor<'_> {
    fn of(spec: &TargetSpec) -> Cursor<'_> {
        match spec {
            TargetSpec::Addr(a) => Cursor::One(Some(*a)),
            TargetSpec::Name(_) => Cursor::One(None),
            TargetSpec::Net(IpNet::V4(n)) => Cursor::V4 {
                next: u32::from(n.network()).into(),
                end: u64::from(u32::from(n.broadcast())) + 1,
            },
            TargetSpec::Net(IpNet::V6(n)) => Cursor::V6 {
                next: u128::from(n.network()),
                end: u128::from(n.broadcast()).saturating_add(1),
            },
            TargetSpec::Span(a, b) => Cursor::V4 {
                next: u32::from(*a).into(),
                end: u64::from(u32::from(*b)) + 1,
            },
            TargetSpec::Octets(sets) => Cursor::Octets {
                sets,
                idx: [0; 4],
                done: sets.is_empty(),
            },
        }
    }

    fn next(&mut self) -> Option<IpAddr> {
        match self {
            Cursor::One(a) => a.take(),
            Cursor::V4 { next, end } => {
                if *next >= *end {
                    return None;
                }
                let ip = Ipv4Addr::from(u32::try_from(*next).ok()?);
                *next += 1;
                Some(ip.into())
            }
            Cursor::V6 { next, end } => {
                if *next >= *end {
                    return None;
                }
                let ip = Ipv6Addr::from(*next);
                *next += 1;
                Some(ip.into())
            }
            Cursor::Octets { sets, idx, done } => {
                if *done {
                    return None;
                }
                let mut octets = [0u8; 4];
                for ((o, set), i) in octets.iter_mut().zip(&sets.0).zip(idx.iter()) {
                    *o = *set.get(*i)?;
                }
                // Advance the mixed-radix counter, last octet fastest.
                *done = true;
                for (i, set) in idx.iter_mut().zip(&sets.0).rev() {
                    *i += 1;
                    if *i < set.len() {
                        *done = false;
                        break;
                    }
                    *i = 0;
                }
                Some(Ipv4Addr::from(octets).into())
            }
        }
    }
}

impl Iterator for TargetIter<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        loop {
            if let Some(cursor) = &mut self.current {
                if let Some(ip) = cursor.next() {
                    if self.skip.skips(ip) {
                        continue;
                    }
                    return Some(ip);
                }
            }
            self.current = Some(Cursor::of(self.specs.next()?));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::TargetList;
    use std::net::IpAddr;

    fn expand(include: &[&str], exclude: &[&str]) -> Vec<String> {
        let mut t = TargetList::new();
        include.iter().for_each(|s| t.include(s).unwrap());
        exclude.iter().for_each(|s| t.exclude(s).unwrap());
        t.iter().map(|ip: IpAddr| ip.to_string()).collect()
    }

    #[test]
    fn expands_in_order_with_exclusions() {
        assert_eq!(
            expand(&["10.0.0.0/30", "10.0.1-2.7,9"], &["10.0.0.1", "10.0.2.7"]),
            [
                "10.0.0.0", "10.0.0.2", "10.0.0.3", "10.0.1.7", "10.0.1.9", "10.0.2.9"
            ]
        );
        assert_eq!(
            expand(&["10.0.0.254-10.0.1.1"], &[]),
            ["10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"]
        );
        assert_eq!(
            expand(&["223.255.255.254/31", "224.0.0.0/31"], &[]),
            ["223.255.255.254", "223.255.255.255"],
            "multicast is out of the default scope"
        );
        assert_eq!(expand(&["::1"], &[]), ["::1"]);
        assert_eq!(expand(&["10.0.0.0/24"], &["10.0.0.0/24"]).len(), 0);
    }

    #[test]
    fn a_slash_eight_is_streamed_not_materialised() {
        let mut t = TargetList::new();
        t.include("10.0.0.0/8").unwrap();
        let mut it = t.iter();
        assert_eq!(it.next().unwrap().to_string(), "10.0.0.0");
        assert!(std::mem::size_of_val(&it) < 128);
        assert_eq!(
            t.iter().nth((1 << 24) - 1).unwrap().to_string(),
            "10.255.255.255"
        );
    }
}
