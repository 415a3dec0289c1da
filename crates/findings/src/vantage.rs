//! Where the scan ran from, and what an address's range says about reaching it.
//!
//! Address ranges follow the IANA special-purpose registries (RFC 6890 and updates). The
//! classification is conservative: an address counts as global only when it is in no special
//! range (and, for IPv6, inside 2000::/3, the only range IANA allocates for global unicast).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where the scan ran from; rules rate private addresses by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vantage {
    /// Outside the network: a private address that answers leaks through a VPN, routing or NAT.
    Internet,
    /// Inside the network: private addresses are expected to answer.
    Lan,
}

impl Vantage {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internet => "internet",
            Self::Lan => "lan",
        }
    }
}

impl fmt::Display for Vantage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Vantage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Internet, Self::Lan]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("{s:?} is not a vantage (internet, lan)"))
    }
}

/// The vantage to assume when none is given: `Internet` if any target is global, else `Lan`.
pub fn default_vantage(targets: impl IntoIterator<Item = IpAddr>) -> Vantage {
    if targets.into_iter().any(is_global) {
        Vantage::Internet
    } else {
        Vantage::Lan
    }
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_global(ip: IpAddr) -> bool {
    special_range(ip).is_none()
}

/// The kind of address, for people: "global", "private", "loopback", "link-local", ...
pub fn address_kind(ip: IpAddr) -> &'static str {
    special_range(ip).unwrap_or("global")
}

/// IPv4 special-purpose ranges that are not globally routable: (network, prefix length, kind).
const V4_SPECIAL: &[(u32, u32, &str)] = &[
    (0x0000_0000, 8, "this-network"),    // 0.0.0.0/8
    (0x0A00_0000, 8, "private"),         // 10.0.0.0/8
    (0x6440_0000, 10, "shared (CGNAT)"), // 100.64.0.0/10
    (0x7F00_0000, 8, "loopback"),        // 127.0.0.0/8
    (0xA9FE_0000, 16, "link-local"),     // 169.254.0.0/16
    (0xAC10_0000, 12, "private"),        // 172.16.0.0/12
    (0xC000_0000, 24, "IETF protocol"),  // 192.0.0.0/24
    (0xC000_0200, 24, "documentation"),  // 192.0.2.0/24
    (0xC0A8_0000, 16, "private"),        // 192.168.0.0/16
    (0xC612_0000, 15, "benchmarking"),   // 198.18.0.0/15
    (0xC633_6400, 24, "documentation"),  // 198.51.100.0/24
    (0xCB00_7100, 24, "documentation"),  // 203.0.113.0/24
    (0xE000_0000, 4, "multicast"),       // 224.0.0.0/4
    (0xF000_0000, 4, "reserved"),        // 240.0.0.0/4, broadcast included
];

/// IPv6 special-purpose ranges inside 2000::/3 and the well-known ones outside it.
const V6_SPECIAL: &[(u128, u32, &str)] = &[
    (0, 128, "unspecified"),                              // ::/128
    (1, 128, "loopback"),                                 // ::1/128
    (0x0064_ff9b_0001_u128 << 80, 48, "local-use NAT64"), // 64:ff9b:1::/48
    (0x0100_u128 << 112, 64, "discard"),                  // 100::/64
    (0x2001_u128 << 112, 23, "IETF protocol"),            // 2001::/23 (Teredo included)
    (0x2001_0db8_u128 << 96, 32, "documentation"),        // 2001:db8::/32
    (0x3fff_u128 << 112, 20, "documentation"),            // 3fff::/20 (RFC 9637)
    (0xfc00_u128 << 112, 7, "private"),                   // fc00::/7 unique local
    (0xfe80_u128 << 112, 10, "link-local"),               // fe80::/10
    (0xfec0_u128 << 112, 10, "site-local"),               // fec0::/10, deprecated
    (0xff00_u128 << 112, 8, "multicast"),                 // ff00::/8
];

/// The special range `ip` is in, or `None` for a global address.
fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let bits = u32::from(ip);
    V4_SPECIAL
        .iter()
        .find(|(net, len, _)| bits & mask_u32(*len) == *net)
        .map(|(_, _, kind)| *kind)
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // IPv4-mapped (::ffff:0:0/96) and NAT64 well-known (64:ff9b::/96) carry an IPv4 address:
    // judge that one.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    let bits = u128::from(ip);
    if bits >> 32 == 0x0064_ff9b_u128 << 64 {
        return special_v4(Ipv4Addr::from(bits as u32));
    }
    if let Some((_, _, kind)) = V6_SPECIAL
        .iter()
        .find(|(net, len, _)| bits & mask_u128(*len) == *net)
    {
        return Some(kind);
    }
    // Only 2000::/3 is allocated for global unicast; anything else is reserved.
    (bits >> 125 != 0b001).then_some("reserved")
}

fn mask_u32(len: u32) -> u32 {
    u32::MAX.checked_shl(32 - len).unwrap_or(0)
}

fn mask_u128(len: u32) -> u128 {
    u128::MAX.checked_shl(128 - len).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classifies_addresses() {
        let cases = [
            ("8.8.8.8", "global"),
            ("93.184.216.34", "global"),
            ("100.63.255.255", "global"),
            ("100.128.0.0", "global"),
            ("172.32.0.1", "global"),
            ("192.0.1.1", "global"),
            ("0.0.0.0", "this-network"),
            ("10.1.2.3", "private"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.255", "shared (CGNAT)"),
            ("127.0.0.1", "loopback"),
            ("169.254.10.1", "link-local"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.0.0.9", "IETF protocol"),
            ("192.0.2.7", "documentation"),
            ("192.168.1.10", "private"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("198.51.100.1", "documentation"),
            ("203.0.113.5", "documentation"),
            ("224.0.0.251", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "reserved"),
            ("2606:4700::1111", "global"),
            ("2a00:1450:4001::1", "global"),
            ("2002:c000:0204::1", "global"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::ffff:192.168.1.1", "private"),
            ("::ffff:8.8.8.8", "global"),
            ("64:ff9b::808:808", "global"),
            ("64:ff9b::a00:1", "private"),
            ("64:ff9b:1::1", "local-use NAT64"),
            ("100::1", "discard"),
            ("2001::1", "IETF protocol"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("fc00::1", "private"),
            ("fd12:3456::1", "private"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("4000::1", "reserved"),
            ("::2", "reserved"),
        ];
        for (addr, kind) in cases {
            assert_eq!(address_kind(ip(addr)), kind, "{addr}");
            assert_eq!(is_global(ip(addr)), kind == "global", "{addr}");
        }
    }

    #[test]
    fn default_vantage_is_internet_when_any_target_is_global() {
        assert_eq!(default_vantage([]), Vantage::Lan);
        assert_eq!(
            default_vantage([ip("192.168.1.1"), ip("fd00::1"), ip("100.64.1.1")]),
            Vantage::Lan
        );
        assert_eq!(
            default_vantage([ip("192.168.1.1"), ip("8.8.4.4")]),
            Vantage::Internet
        );
        assert_eq!(default_vantage([ip("203.0.113.9")]), Vantage::Lan);
    }

    #[test]
    fn vantage_parses_prints_and_serializes_lowercase() {
        assert_eq!("internet".parse::<Vantage>(), Ok(Vantage::Internet));
        assert_eq!("LAN".parse::<Vantage>(), Ok(Vantage::Lan));
        assert!("wan".parse::<Vantage>().is_err());
        assert_eq!(Vantage::Internet.to_string(), "internet");
        assert_eq!(serde_json::to_string(&Vantage::Lan).unwrap(), "\"lan\"");
        assert_eq!(
            serde_json::from_str::<Vantage>("\"internet\"").unwrap(),
            Vantage::Internet
        );
        assert!(serde_json::from_str::<Vantage>("\"Internet\"").is_err());
    }
}
