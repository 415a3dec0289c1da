//! The ruleset as the evaluator sees it: chains of rules made of conditions on the
//! packet and one action. Both the nft JSON and the iptables-save readers produce it.

use ipnet::IpNet;

use crate::model::{Family, Proto};

/// A chain of one table.
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    /// The table as the firewall names it ("inet filter", "filter").
    pub(crate) table: String,
    /// Which packets the table sees.
    pub(crate) family: TableFamily,
    /// The chain's name.
    pub(crate) name: String,
    /// Set for a base chain (one attached to a hook).
    pub(crate) base: Option<Base>,
    /// Its rules in order.
    pub(crate) rules: Vec<Rule>,
}

/// The hook, priority and policy of a base chain.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    /// Where the chain is attached.
    pub(crate) hook: Hook,
    /// Its priority: lower runs first.
    pub(crate) prio: i64,
    /// What happens at its end.
    pub(crate) policy: Policy,
    /// For an ingress chain, the devices it is attached to; `None` when unknown.
    pub(crate) devices: Option<Vec<String>>,
}

/// A hook the audit follows, in the order packets meet them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Hook {
    /// Device ingress (netdev, or inet since Linux 5.10): before conntrack.
    Ingress,
    /// Every arriving IP packet, before routing (raw, mangle, dstnat priorities).
    Prerouting,
    /// Local delivery: every packet to this machine.
    Input,
}

/// The conntrack hook's priority: base chains before it cannot know `ct state`.
pub(crate) const CONNTRACK_PRIORITY: i64 = -200;

impl Base {
    /// Whether the chain runs before conntrack has looked at the packet.
    pub(crate) fn before_conntrack(&self) -> bool {
        match self.hook {
            Hook::Ingress => true,
            Hook::Prerouting => self.prio <= CONNTRACK_PRIORITY,
            Hook::Input => false,
        }
    }
}

/// A base chain's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// `policy accept`.
    Accept,
    /// `policy drop`.
    Drop,
}

/// The packets a table sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TableFamily {
    /// `ip`, iptables.
    Ip,
    /// `ip6`, ip6tables.
    Ip6,
    /// `inet`: both.
    Inet,
    /// `netdev`: everything arriving on its devices.
    Netdev,
    /// `arp`, `bridge`: no IP traffic to this machine.
    Other,
}

impl TableFamily {
    /// Whether the table's chains see packets of `family`.
    pub(crate) fn covers(self, family: Family) -> bool {
        match self {
            Self::Ip => family == Family::Ipv4,
            Self::Ip6 => family == Family::Ipv6,
            Self::Inet | Self::Netdev => true,
            Self::Other => false,
        }
    }
}

/// One rule: all its conditions must hold for its action to run.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    /// The nft handle.
    pub(crate) handle: Option<u64>,
    /// The rule as its tool prints it.
    pub(crate) text: String,
    /// The conditions, all of which must hold.
    pub(crate) conds: Vec<Cond>,
    /// A statement the evaluator cannot follow (queue, nat, ...): traffic reaching
    /// it has an unknown fate.
    pub(crate) unknown_stmt: Option<String>,
    /// What a matching packet meets.
    pub(crate) action: Action,
}

/// A condition on the packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    /// The input interface is (or, negated, is not) one of these.
    Iface {
        /// Names; a trailing `*` (nft) or `+` (iptables) is a wildcard.
        names: Vec<IfName>,
        /// `!=`.
        negate: bool,
    },
    /// The packet is of this family (`meta nfproto`, or implied by `ip saddr`).
    Family(Family),
    /// The transport protocol is (or is not) one of these (IANA numbers).
    L4 {
        /// Protocol numbers.
        protos: Vec<u8>,
        /// `!=`.
        negate: bool,
    },
    /// The destination port is (or is not) in these inclusive ranges.
    Dport {
        /// Inclusive ranges.
        ranges: Vec<(u16, u16)>,
        /// `!=`.
        negate: bool,
    },
    /// The source address is (or is not) in these prefixes.
    Saddr {
        /// Prefixes, of either family (only the query's family counts).
        nets: Vec<IpNet>,
        /// `!=`.
        negate: bool,
    },
    /// The conntrack state is (or is not) one of these (`new`, `established`, ...).
    CtState {
        /// Lower-case state names.
        states: Vec<String>,
        /// `!=`.
        negate: bool,
    },
    /// Never holds for the audited traffic (e.g. `icmp type`, `ct status dnat`).
    Never,
    /// A condition the evaluator cannot judge, and why.
    Unknown(String),
}

/// An interface name pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum IfName {
    /// Exactly this name.
    Exact(String),
    /// Any name starting with this.
    Prefix(String),
}

impl IfName {
    /// Whether `iface` matches.
    pub(crate) fn matches(&self, iface: &str) -> bool {
        match self {
            Self::Exact(name) => name == iface,
            Self::Prefix(prefix) => iface.starts_with(prefix.as_str()),
        }
    }
}

/// What a matching rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Ends this base chain; the next base chain sees the packet.
    Accept,
    /// Ends everything: dropped.
    Drop,
    /// Ends everything: refused.
    Reject,
    /// Runs the chain (index into the ruleset's chains), then comes back.
    Jump(usize),
    /// Runs the chain and does not come back.
    Goto(usize),
    /// Back to the caller (or the policy, in a base chain).
    Return,
    /// On to the next rule (no verdict, or `continue`).
    Continue,
    /// A verdict map: the first entry whose conditions all hold decides; none goes on.
    Vmap(Vec<(Vec<Cond>, Self)>),
    /// A verdict the evaluator cannot follow (`queue`, a jump to a missing chain).
    Unknown(String),
}

/// IANA protocol number of a transport.
pub(crate) fn proto_number(proto: Proto) -> u8 {
    match proto {
        Proto::Tcp => 6,
        Proto::Udp => 17,
    }
}

/// Appends `more` to `chains`, shifting the jump targets of `more` to their new places.
pub(crate) fn append(chains: &mut Vec<Chain>, more: Vec<Chain>) {
    let by = chains.len();
    for mut chain in more {
        for rule in &mut chain.rules {
            rule.action.shift(by);
        }
        chains.push(chain);
    }
}

impl Action {
    fn shift(&mut self, by: usize) {
        match self {
            Self::Jump(i) | Self::Goto(i) => *i += by,
            Self::Vmap(entries) => entries.iter_mut().for_each(|(_, a)| a.shift(by)),
            _ => {}
        }
    }
}

/// The chains `keep` accepts, with jump targets renumbered; a jump into a dropped
/// chain becomes [`Action::Unknown`].
pub(crate) fn retain(chains: Vec<Chain>, keep: impl Fn(&Chain) -> bool) -> Vec<Chain> {
    let mut new_index = Vec::with_capacity(chains.len());
    let mut next = 0usize;
    for c in &chains {
        if keep(c) {
            new_index.push(Some(next));
            next += 1;
        } else {
            new_index.push(None);
        }
    }
    chains
        .into_iter()
        .zip(new_index.clone())
        .filter(|(_, i)| i.is_some())
        .map(|(mut c, _)| {
            for rule in &mut c.rules {
                rule.action.renumber(&new_index);
            }
            c
        })
        .collect()
}

impl Action {
    fn renumber(&mut self, new_index: &[Option<usize>]) {
        match self {
            Self::Jump(i) | Self::Goto(i) => match new_index.get(*i).copied().flatten() {
                Some(n) => *i = n,
                None => {
                    *self = Self::Unknown("jump into a table read from iptables-save".to_string())
                }
            },
            Self::Vmap(entries) => entries.iter_mut().for_each(|(_, a)| a.renumber(new_index)),
            _ => {}
        }
    }
}
