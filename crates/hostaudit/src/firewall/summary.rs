//! What a report says of a ruleset as a whole: the base chains on the paths the audit follows.

use super::Ruleset;
use super::rules::{Hook, Policy};

impl Ruleset {
    /// Its base chains on the way in, in the order packets meet them (ingress, then
    /// prerouting, then input; by priority within a hook), as
    /// "inet filter input (input, priority 0, policy drop, 12 rules)".
    pub fn input_chains(&self) -> Vec<String> {
        let mut bases: Vec<_> = self
            .chains
            .iter()
            .filter_map(|c| c.base.as_ref().map(|b| (b.prio, c, b)))
            .collect();
        bases.sort_by_key(|(prio, _, base)| (base.hook, *prio));
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

#[cfg(test)]
mod tests {
    use crate::firewall::parse_nft_json;

    #[test]
    fn chains_are_listed_in_packet_order() {
        let json = r#"{"nftables": [
            {"chain": {"family": "inet", "table": "f", "name": "in", "hook": "input", "prio": -400, "policy": "drop"}},
            {"chain": {"family": "ip", "table": "raw", "name": "pre", "hook": "prerouting", "prio": -300}},
            {"rule": {"family": "ip", "table": "raw", "chain": "pre", "expr": [{"drop": null}]}}]}"#;
        let rs = parse_nft_json(json).expect("parses");
        assert_eq!(
            rs.input_chains(),
            [
                "ip raw pre (prerouting, priority -300, policy accept, 1 rules)",
                "inet f in (input, priority -400, policy drop, 0 rules)",
            ]
        );
    }
}
