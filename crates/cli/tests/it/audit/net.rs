//! The audit lab's addresses: two sides (outside, inside), two families.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The audited machine's namespace.
pub(crate) const HOST_NS: &str = "sat-aud-host";
/// The peer on the outside link.
pub(crate) const OUT_NS: &str = "sat-aud-out";
/// The peer on the inside link.
pub(crate) const IN_NS: &str = "sat-aud-in";

/// An IP family, spelled as the audit's JSON spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Fam {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Fam {
    /// `"ipv4"` / `"ipv6"`.
    pub(crate) fn json(self) -> &'static str {
        match self {
            Self::V4 => "ipv4",
            Self::V6 => "ipv6",
        }
    }

    /// Prefix length of the link prefixes.
    pub(crate) fn link_len(self) -> u8 {
        match self {
            Self::V4 => 24,
            Self::V6 => 64,
        }
    }
}

/// Which of the host's links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Side {
    /// eth-out: the default routes, 10.214.200.0/24 and fd00:5a7:200::/64.
    Out,
    /// eth-in: 10.214.201.0/24 and fd00:5a7:200:1::/64.
    In,
}

impl Side {
    /// The host's interface on this side.
    pub(crate) fn iface(self) -> &'static str {
        match self {
            Self::Out => "eth-out",
            Self::In => "eth-in",
        }
    }

    /// The peer's namespace.
    pub(crate) fn peer_ns(self) -> &'static str {
        match self {
            Self::Out => OUT_NS,
            Self::In => IN_NS,
        }
    }

    /// What the audit must call the host's interface: `"outside"` / `"inside"`.
    pub(crate) fn facing(self) -> &'static str {
        match self {
            Self::Out => "outside",
            Self::In => "inside",
        }
    }

    /// `(third IPv4 octet, fourth IPv6 group)`: 10.214.200/24 and
    /// fd00:5a7:200::/64 outside, 10.214.201/24 and fd00:5a7:200:1::/64 inside.
    /// (The brief's fd00:5a7:201::/64 lies outside the lab's fd00:5a7:200::/48.)
    fn subnet(self) -> (u8, u16) {
        match self {
            Self::Out => (200, 0),
            Self::In => (201, 1),
        }
    }

    fn addr(self, fam: Fam, host: u8) -> IpAddr {
        let (octet, group) = self.subnet();
        match fam {
            Fam::V4 => Ipv4Addr::new(10, 214, octet, host).into(),
            Fam::V6 => Ipv6Addr::new(0xfd00, 0x5a7, 0x200, group, 0, 0, 0, u16::from(host)).into(),
        }
    }

    /// The host's address on this side.
    pub(crate) fn host_addr(self, fam: Fam) -> IpAddr {
        self.addr(fam, 1)
    }

    /// The peer's address.
    pub(crate) fn peer_addr(self, fam: Fam) -> IpAddr {
        self.addr(fam, 2)
    }

    /// The link prefix as `ip route` prints it (`10.214.200.0/24`).
    pub(crate) fn link_prefix(self, fam: Fam) -> String {
        let net = match self.addr(fam, 0) {
            IpAddr::V4(a) => a.to_string(),
            IpAddr::V6(a) => a.to_string(),
        };
        format!("{net}/{}", fam.link_len())
    }
}

/// Whether `addr` lies in `prefix` (`"10.214.201.0/24"`, `"fd00:5a7:200:1::/64"`,
/// or a bare address = a host prefix). `None` when `prefix` does not parse.
pub(crate) fn prefix_contains(prefix: &str, addr: IpAddr) -> Option<bool> {
    let (net, len) = match prefix.split_once('/') {
        Some((n, l)) => (n.parse::<IpAddr>().ok()?, Some(l.parse::<u32>().ok()?)),
        None => (prefix.parse::<IpAddr>().ok()?, None),
    };
    let bits = |a: IpAddr| match a {
        IpAddr::V4(a) => (u128::from(u32::from(a)) << 96, 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    };
    let ((n, width), (a, awidth)) = (bits(net), bits(addr));
    if width != awidth {
        return Some(false);
    }
    let len = len.unwrap_or(width);
    if len > width {
        return None;
    }
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    Some(n & mask == a & mask)
}

#[test]
fn prefix_contains_checks_both_families() {
    let a4: IpAddr = "10.214.201.2".parse().expect("addr");
    let a6: IpAddr = "fd00:5a7:200:1::2".parse().expect("addr");
    assert_eq!(prefix_contains("10.214.201.0/24", a4), Some(true));
    assert_eq!(prefix_contains("10.214.200.0/24", a4), Some(false));
    assert_eq!(prefix_contains("10.214.201.0/24", a6), Some(false));
    assert_eq!(prefix_contains("fd00:5a7:200:1::/64", a6), Some(true));
    assert_eq!(prefix_contains("fd00:5a7:200::/64", a6), Some(false));
    assert_eq!(prefix_contains("fd00:5a7:200::/48", a6), Some(true));
    assert_eq!(prefix_contains("0.0.0.0/0", a4), Some(true));
    assert_eq!(prefix_contains("10.214.201.2", a4), Some(true));
    assert_eq!(prefix_contains("10.214.201.0/33", a4), None);
    assert_eq!(prefix_contains("garbage", a4), None);
}

#[test]
fn lab_addresses_stay_in_the_allowed_ranges() {
    for side in [Side::Out, Side::In] {
        for fam in [Fam::V4, Fam::V6] {
            for addr in [side.host_addr(fam), side.peer_addr(fam)] {
                let allowed = ["10.214.200.0/22", "fd00:5a7:200::/48"];
                assert!(
                    allowed
                        .iter()
                        .any(|p| prefix_contains(p, addr) == Some(true)),
                    "{addr} is outside {allowed:?}"
                );
            }
        }
    }
    assert_eq!(Side::Out.host_addr(Fam::V6).to_string(), "fd00:5a7:200::1");
    assert_eq!(Side::In.peer_addr(Fam::V6).to_string(), "fd00:5a7:200:1::2");
    assert_eq!(Side::In.link_prefix(Fam::V4), "10.214.201.0/24");
}
