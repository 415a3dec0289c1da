//! The host firewall's verdict for traffic to the audited ports, per interface.
//!
//! [`read`] takes the live ruleset (`nft -j list ruleset`, else `iptables-save` and
//! `ip6tables-save`); [`parse_nft_json`] and [`parse_iptables_save`] take captures.
//! [`Ruleset::decide`] answers one [`Query`]: new traffic of one family to one port,
//! arriving on one interface.
//!
//! # What `decide` judges
//!
//! Every base chain on the ingress, prerouting and input hooks whose table sees the
//! family (`inet`; `ip` for IPv4, `ip6` for IPv6; `netdev` ingress), in packet order
//! (ingress, prerouting, input) and within a hook by priority. The traffic must be
//! accepted by every one: `accept` ends only its chain, `drop`/`reject` end all, and the
//! policy applies at the end of a base chain. `jump` comes back, `goto` does not,
//! `return` goes back (to the policy in a base chain); nesting deeper than
//! 16 chains, or a loop, is Unknown. Verdict maps are followed like rules.
//!
//! The traffic is taken as a real client's first packet: conntrack state `new`, a TCP
//! SYN, unicast to one of this machine's addresses (`fib daddr type local`, `meta
//! pkttype host`, `-m addrtype --dst-type LOCAL` hold), from a source address that routes
//! back through the interface (the `fib saddr . iif oif missing` reverse-path filter does
//! not fire). `ct state` in a chain that runs before conntrack (ingress, prerouting at
//! priority -200 or lower) is not known.
//!
//! # Source addresses
//!
//! The source address is followed as a set of prefixes, so `ip saddr`/`-s` rules split
//! the traffic. At the end:
//! - accepted from more than half of the family's addresses: [`Verdict::Accepted`].
//!   A drop for some sources before a general accept (`ip saddr @blocklist drop`,
//!   then `tcp dport 445 accept`) is "accepted from anywhere else": Accepted.
//! - accepted from fewer: [`Verdict::AcceptedFrom`] with exactly those prefixes, and
//!   the first rule that accepted. `ip saddr != 10.0.0.0/8 drop` then an accept is
//!   AcceptedFrom(10.0.0.0/8), the same as `ip saddr 10.0.0.0/8 accept` then a drop.
//! - accepted from none: Dropped or Rejected, whichever holds for most sources, with
//!   the rule (or "policy drop") that decided for them.
//!
//! # Rules the evaluator cannot judge
//!
//! A condition it does not model (a rate limit, `ip daddr`, the source port, `osf`,
//! `socket`, an iptables module it does not read, an xt match) forks the walk into
//! "holds" and "does not hold". If some source would be accepted on one fork and blocked
//! on another, the verdict is [`Verdict::Unknown`] with the reason and that rule; if
//! every fork agrees (a limit choosing between two drops, an unknown rule on another
//! port), the verdict stands. A statement it cannot follow (`queue`, `dnat`, an unknown
//! target) on traffic that reaches it is Unknown. So Unknown is never reported as
//! Dropped. Work is bounded: at most 200,000 rule evaluations and 10,000 forks per query.

use ipnet::IpNet;
use serde::Serialize;

use crate::model::{Family, Service, Unreadable};

mod eval;
mod fix;
mod iptables;
mod nft;
mod outcome;
mod region;
mod render;
mod rules;
mod summary;
mod tools;

pub use fix::default_block_commands;

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
    /// Accepted only from these source prefixes; dropped or rejected from anywhere else.
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

/// A firewall ruleset read from this machine (or a capture), ready to judge queries.
#[derive(Clone, Debug)]
pub struct Ruleset {
    backend: Backend,
    chains: Vec<rules::Chain>,
    /// Families whose rules could not be read, and why (e.g. `ip6tables-save` failed).
    unreadable: Vec<(Family, String)>,
}

impl Ruleset {
    /// Which firewall the ruleset came from.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What the firewall does with new traffic of `q` (see the [module docs](self) for
    /// the traffic assumed, source prefixes, and rules it cannot judge: never dropped).
    pub fn decide(&self, q: &Query) -> Decision {
        if let Some((_, why)) = self.unreadable.iter().find(|(f, _)| *f == q.family) {
            return Decision {
                verdict: Verdict::Unknown(why.clone()),
                rule: None,
            };
        }
        eval::decide(&self.chains, q)
    }

    /// What of the ruleset could not be read (e.g. `ip6tables-save` failed while
    /// `iptables-save` worked): one line each; those families' verdicts are Unknown.
    pub fn unreadable(&self) -> Vec<Unreadable> {
        self.unreadable
            .iter()
            .map(|(family, why)| Unreadable::new(format!("{family} firewall rules"), why.clone()))
            .collect()
    }

    /// Commands (one per line, ready to paste into a root shell) that drop `services`
    /// arriving on `iface`: inserted at the top of the existing input chain where one
    /// exists, else in a new table `inet smbaudit` (nft) or the INPUT chains (iptables).
    pub fn block_commands(&self, iface: &str, services: &[Service]) -> Vec<String> {
        fix::block_commands(self, iface, services)
    }
}

/// Reads the live ruleset: `nft -j list ruleset` when nft runs; else `iptables-save`
/// and `ip6tables-save`. Missing tools, permission denied and garbage become
/// [`Unreadable`].
pub fn read() -> Result<Ruleset, Unreadable> {
    tools::read()
}

/// Parses `nft -j list ruleset` output (libnftables-json(5)).
pub fn parse_nft_json(json: &str) -> Result<Ruleset, Unreadable> {
    Ok(Ruleset {
        backend: Backend::Nftables,
        chains: nft::parse(json)?,
        unreadable: Vec::new(),
    })
}

/// Parses `iptables-save` (IPv4) and `ip6tables-save` (IPv6) output; legacy and
/// iptables-nft print the same format. An empty text means no rules for that family.
pub fn parse_iptables_save(v4: &str, v6: &str) -> Result<Ruleset, Unreadable> {
    let mut chains = iptables::parse(v4, Family::Ipv4)?;
    rules::append(&mut chains, iptables::parse(v6, Family::Ipv6)?);
    Ok(Ruleset {
        backend: Backend::Iptables,
        chains,
        unreadable: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_family_is_unknown_and_listed() {
        let mut rs = parse_iptables_save("", "").expect("empty");
        rs.unreadable
            .push((Family::Ipv6, "ip6tables-save is not installed".to_string()));
        let q = |family| Query {
            iface: "eth0",
            family,
            service: Service::SMB,
        };
        assert_eq!(rs.decide(&q(Family::Ipv4)).verdict, Verdict::Accepted);
        assert_eq!(
            rs.decide(&q(Family::Ipv6)).verdict,
            Verdict::Unknown("ip6tables-save is not installed".to_string())
        );
        assert_eq!(
            rs.unreadable(),
            [Unreadable::new(
                "IPv6 firewall rules",
                "ip6tables-save is not installed"
            )]
        );
    }
}
