//! Shared by the firewall capture tests (nft and iptables): one query, prefixes, the
//! reason of an unknown verdict.
#![allow(dead_code, unreachable_pub)]

use ipnet::IpNet;
use smbaudit_hostaudit::firewall::{Decision, Query, Ruleset, Verdict};
use smbaudit_hostaudit::{Family, Service};

/// `rs`'s decision for new traffic of `service` arriving on `iface`.
pub fn decide(rs: &Ruleset, iface: &str, family: Family, service: Service) -> Decision {
    rs.decide(&Query {
        iface,
        family,
        service,
    })
}

/// Test prefixes.
pub fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter()
        .map(|s| s.parse().expect("test prefix"))
        .collect()
}

/// The reason of an unknown verdict; panics on any other verdict.
pub fn unknown_why(d: &Decision) -> &str {
    match &d.verdict {
        Verdict::Unknown(why) => why,
        other => panic!("expected Unknown, got {other:?}"),
    }
}
