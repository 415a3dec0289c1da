//! Where the scan ran from, and what an address's range says about reaching it.
//!
//! Address ranges are the shared special-purpose table (`smbaudit-netspace`). The
//! classification is conservative: an address counts as global only when it is in no special
//! range (and, for IPv6, inside 2000::/3, the only range IANA allocates for global unicast).

use std::fmt;
use std::net::IpAddr;
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

/// Whether `ip` is a globally routable unicast address ([`smbaudit_netspace::is_global`]).
pub fn is_global(ip: IpAddr) -> bool {
    smbaudit_netspace::is_global(ip)
}

/// The kind of address, for people: "global", "private", "loopback", "link-local", ...
pub fn address_kind(ip: IpAddr) -> &'static str {
    smbaudit_netspace::reach_kind(ip).unwrap_or("global")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn kinds_come_from_the_shared_table() {
        let cases = [
            ("8.8.8.8", "global"),
            ("100.64.0.1", "CGNAT"),
            ("192.0.2.7", "documentation"),
            ("fd12:3456::1", "ULA"),
            ("4000::1", "reserved"),
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
