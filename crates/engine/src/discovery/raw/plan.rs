//! The (address, port) pairs of a sweep by number, and the one bit per pair that says it
//! is decided.
//!
//! Pair `j` is address `j / ports` of the target index ([`TargetIndex::address`]) and
//! port `j % ports` of the configured list, so the keyed permutation runs over addresses
//! and ports together: two ports of one host are as far apart as any two pairs, and no
//! host or subnet sees a burst. Memory is one bit per pair of the included space
//! (4 MiB for a /8 on two ports), whatever answers: a reply storm or duplicate SYN-ACKs
//! only find their bit already set.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::targets::{TargetIndex, TargetList, TargetLookup};

/// What pair `j` probes on its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Probe {
    /// A SYN to this TCP port.
    Tcp(u16),
    /// A UDP 137 NBSTAT query (when the sweep carries them, the last slot of each address).
    Nbstat,
}

/// Whether each address has an NBSTAT slot after its ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slots {
    /// One slot per TCP port.
    TcpOnly,
    /// The TCP ports, then UDP 137 NBSTAT.
    WithNbstat,
}

impl Slots {
    /// The layout of `shared`'s sweep.
    pub(super) fn of(nbstat: bool) -> Self {
        if nbstat {
            Self::WithNbstat
        } else {
            Self::TcpOnly
        }
    }
}

/// Why pair `j` is not sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Skip {
    /// An IPv6 target: the pipeline connects to those directly.
    Ipv6,
    /// Excluded, or an unresolved name.
    NotTarget,
}

/// The numbering of pairs over one target index and port list.
#[derive(Debug)]
pub(super) struct Pairs<'a> {
    index: TargetIndex<'a>,
    lookup: TargetLookup<'a>,
    ports: &'a [u16],
    /// Probes per address: the ports, and one more for NBSTAT when it is on.
    slots: u64,
}

impl<'a> Pairs<'a> {
    /// The pairs of `targets` × `ports` (`ports` not empty, no port twice), and an
    /// NBSTAT slot per address with [`Slots::WithNbstat`]; `None` if the targets number
    /// more than `u64::MAX`.
    pub(super) fn new(targets: &'a TargetList, ports: &'a [u16], slots: Slots) -> Option<Self> {
        Some(Self {
            index: targets.index().ok()?,
            lookup: targets.lookup()?,
            ports,
            slots: ports.len() as u64 + u64::from(slots == Slots::WithNbstat),
        })
    }

    /// The membership test of the targets, O(log specs).
    pub(super) fn lookup(&self) -> &TargetLookup<'a> {
        &self.lookup
    }

    /// Probes per address: pair `j` belongs to address `j / slots`.
    pub(super) fn slots(&self) -> u64 {
        self.slots
    }

    /// How many pairs there are: included addresses (excluded ones too) times slots.
    pub(super) fn len(&self) -> u64 {
        self.index.len().saturating_mul(self.slots)
    }

    /// The IPv4 target and probe of pair `j`, or why it is skipped. An address listed
    /// twice is sent to twice, as [`TargetList::walk`] visits it; its reply is counted
    /// under the first spec's number ([`Self::number`]), so it is reported once.
    pub(super) fn pair(&self, j: u64) -> Result<(Ipv4Addr, Probe), Skip> {
        let slot = usize::try_from(j % self.slots).map_err(|_| Skip::NotTarget)?;
        let probe = match self.ports.get(slot) {
            Some(&port) => Probe::Tcp(port),
            None if slot == self.ports.len() => Probe::Nbstat,
            None => return Err(Skip::NotTarget),
        };
        let address = j / self.slots;
        let ip = self.index.address(address).ok_or(Skip::NotTarget)?;
        let IpAddr::V4(v4) = ip else {
            return Err(Skip::Ipv6);
        };
        // `address` only gives included addresses: what is left to check is exclusion.
        if self.lookup.is_excluded(ip) {
            return Err(Skip::NotTarget);
        }
        Ok((v4, probe))
    }

    /// The numbers of every pair of `ip` (its ports, and NBSTAT when on) that is a
    /// target pair.
    pub(super) fn numbers_of(&self, ip: IpAddr) -> impl Iterator<Item = u64> + '_ {
        let nbstat = (self.slots > self.ports.len() as u64).then_some(Probe::Nbstat);
        let probes = self.ports.iter().map(|&p| Probe::Tcp(p)).chain(nbstat);
        probes.filter_map(move |probe| self.number(ip, probe))
    }

    /// The number of the pair (`ip`, `probe`), if it is a target pair.
    pub(super) fn number(&self, ip: IpAddr, probe: Probe) -> Option<u64> {
        let slot = match probe {
            Probe::Tcp(port) => self.ports.iter().position(|&q| q == port)? as u64,
            Probe::Nbstat if self.slots > self.ports.len() as u64 => self.ports.len() as u64,
            Probe::Nbstat => return None,
        };
        if self.lookup.is_excluded(ip) {
            return None;
        }
        let address = self.lookup.position_of(ip)?;
        address
            .checked_mul(self.slots)
            .and_then(|a| a.checked_add(slot))
    }
}

/// One bit per pair, set once the pair is decided; shared by the sender (which skips
/// decided pairs on a retransmission pass) and the receiver (which decides).
#[derive(Debug)]
pub(super) struct Decided {
    words: Vec<AtomicU64>,
}

impl Decided {
    /// `pairs` bits, all clear. `None` if they do not fit this machine's address space.
    pub(super) fn new(pairs: u64) -> Option<Self> {
        let words = usize::try_from(pairs.div_ceil(64)).ok()?;
        Some(Self {
            words: (0..words).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    /// Sets bit `j`; true if this call set it (the first decision), false if it was set
    /// already or is out of range.
    pub(super) fn decide(&self, j: u64) -> bool {
        let Some((word, bit)) = self.locate(j) else {
            return false;
        };
        word.fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    /// Whether pair `j` is decided (out of range counts as decided: never send to it).
    pub(super) fn is_decided(&self, j: u64) -> bool {
        self.locate(j)
            .is_none_or(|(word, bit)| word.load(Ordering::Relaxed) & bit != 0)
    }

    /// Whether another pair of pair `j`'s address (pairs `j / slots * slots ..` onwards,
    /// `slots` of them) is decided: the address is alive, so its silence on `j` is more
    /// likely a lost packet than a filter.
    pub(super) fn sibling_decided(&self, j: u64, slots: u64) -> bool {
        let first = j - j % slots.max(1);
        (first..first.saturating_add(slots))
            .filter(|&k| k != j)
            .any(|k| {
                self.locate(k)
                    .is_some_and(|(w, bit)| w.load(Ordering::Relaxed) & bit != 0)
            })
    }

    fn locate(&self, j: u64) -> Option<(&AtomicU64, u64)> {
        let word = self.words.get(usize::try_from(j / 64).ok()?)?;
        Some((word, 1 << (j % 64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(include: &[&str], exclude: &[&str]) -> TargetList {
        let mut t = TargetList::new();
        include.iter().for_each(|s| t.include(s).unwrap());
        exclude.iter().for_each(|s| t.exclude(s).unwrap());
        t
    }

    #[test]
    fn numbers_pairs_both_ways_and_skips_what_is_not_sent() {
        let t = list(&["10.0.0.0/30", "10.0.0.1", "fd00::1"], &["10.0.0.2"]);
        let ports = [445, 139];
        let pairs = Pairs::new(&t, &ports, Slots::TcpOnly).unwrap();
        assert_eq!(pairs.len(), 12);
        let got: Vec<_> = (0..pairs.len()).map(|j| pairs.pair(j)).collect();
        let v4 = |d| Ok((Ipv4Addr::new(10, 0, 0, d), Probe::Tcp(445)));
        assert_eq!(got[0], v4(0));
        assert_eq!(got[1], Ok((Ipv4Addr::new(10, 0, 0, 0), Probe::Tcp(139))));
        assert_eq!(got[2], v4(1));
        assert_eq!(got[4], Err(Skip::NotTarget), "excluded");
        assert_eq!(got[8], v4(1), "10.0.0.1 again");
        assert_eq!(got[10], Err(Skip::Ipv6));
        for (j, pair) in got.iter().enumerate().take(8) {
            if let Ok((ip, port)) = pair {
                assert_eq!(pairs.number((*ip).into(), *port), Some(j as u64));
            }
        }
        assert_eq!(
            pairs.number("10.0.0.1".parse().unwrap(), Probe::Tcp(445)),
            Some(2)
        );
        assert_eq!(
            pairs.number("10.0.0.2".parse().unwrap(), Probe::Tcp(445)),
            None
        );
        assert_eq!(
            pairs.number("10.0.0.1".parse().unwrap(), Probe::Tcp(80)),
            None
        );
        assert_eq!(
            pairs.number("10.0.0.9".parse().unwrap(), Probe::Tcp(445)),
            None
        );
    }

    #[test]
    fn gives_each_address_an_nbstat_slot_after_its_ports() {
        let t = list(&["10.0.0.0/31"], &[]);
        let ports = [445];
        let pairs = Pairs::new(&t, &ports, Slots::WithNbstat).unwrap();
        assert_eq!(pairs.len(), 4);
        let a1 = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(pairs.pair(3), Ok((a1, Probe::Nbstat)));
        assert_eq!(pairs.pair(2), Ok((a1, Probe::Tcp(445))));
        assert_eq!(pairs.number(a1.into(), Probe::Nbstat), Some(3));
        let without = Pairs::new(&t, &ports, Slots::TcpOnly).unwrap();
        assert_eq!(without.number(a1.into(), Probe::Nbstat), None);
    }

    #[test]
    fn decides_each_pair_once() {
        let d = Decided::new(130).unwrap();
        assert!(!d.is_decided(129));
        assert!(d.decide(129));
        assert!(!d.decide(129), "a duplicate");
        assert!(d.is_decided(129) && !d.is_decided(128));
        assert!(!d.decide(192) && d.is_decided(192), "out of range");
        assert_eq!(d.words.len(), 3);
    }

    #[test]
    fn a_pair_is_live_when_another_pair_of_its_address_is_decided() {
        let d = Decided::new(12).unwrap();
        assert!(d.decide(4));
        // three slots per address: pairs 3, 4, 5 are the second address
        assert!(d.sibling_decided(3, 3) && d.sibling_decided(5, 3));
        assert!(!d.sibling_decided(4, 3), "its own decision does not count");
        assert!(!d.sibling_decided(2, 3) && !d.sibling_decided(6, 3));
        assert!(!d.sibling_decided(4, 1), "one slot: no siblings");
    }
}
