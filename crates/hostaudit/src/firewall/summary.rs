//! What a report says of a ruleset as a whole: the base chains on the paths the audit follows.

use super::Ruleset;
use super::rules::{Hook, Policy};

impl Ruleset {
    /// Its base chains on the way in (ingress, prerouting, input), in priority order, as
    /// "inet filter input (input, priority 0, policy drop, 12 rules)".
    pub fn input_chains(&self) -> Vec<String> {
        let mut bases: Vec<_> = self
            .chains
            .iter()
            .filter_map(|c| c.base.as_ref().map(|b| (b.prio, c, b)))
            .collect();
        bases.sort_by_key(|(prio, ..)| *prio);
        bases
            .into_iter()
            .map(|(prio, chain, base)| {
                let hook = match base.hook {
                    Hook::Input => "input",
                    Hook::Ingress => "ingress",
                    Hook::Prerouting => "prerouting",
                };
                let policy = match base.policy {
                    Policy::Accept => "accept",
                    Policy::Drop => "drop",
                };
                format!(
                    "{} {} ({hook}, priority {prio}, policy {policy}, {} rules)",
                    chain.table,
                    chain.name,
                    chain.rules.len()
                )
            })
            .collect()
    }
}
