//! The host firewall's verdict for traffic to the audited ports, per interface.

use ipnet::IpNet;
use serde::Serialize;

use crate::model::{Family, Service};

/// Which firewall the ruleset was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// `nft -j list ruleset`.
    Nftables,
    /// `iptables-save` / `ip6tables-save` (legacy or iptables-nft).
    Iptables,
}

/// New traffic to one service arriving on one interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query<'a> {
    /// The input interface name.
    pub iface: &'a str,
    /// The IP family.
    pub family: Family,
    /// The destination port and transport.
    pub service: Service,
}

/// What the firewall does with a [`Query`], and the rule that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// The rule (or chain policy) that decided it; `None` when nothing filters.
    pub rule: Option<RuleRef>,
}

/// A firewall verdict for new traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict", content = "detail")]
pub enum Verdict {
    /// Silently dropped.
    Dropped,
    /// Refused with an ICMP error or TCP reset.
    Rejected,
    /// Accepted only from these source prefixes, dropped from anywhere else.
    AcceptedFrom(Vec<IpNet>),
    /// Accepted from anywhere.
    Accepted,
    /// A rule the evaluator cannot judge decides it: never read as blocked.
    Unknown(String),
}

/// A rule or chain policy, as evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// Its table ("inet filter", "filter").
    pub table: String,
    /// Its chain.
    pub chain: String,
    /// The nft rule handle (`None` for iptables rules and chain policies).
    pub handle: Option<u64>,
    /// The rule as the firewall's own tool prints it, or "policy drop".
    pub text: String,
}
