//! How the walk's finished branches become one [`Decision`].

use super::eval::Walker;
use super::region::Region;
use super::rules::Policy;
use super::{Decision, RuleRef, Verdict};

/// Where a verdict came from: a rule, or a chain's policy when `rule` is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Evidence {
    /// Index of the chain.
    pub(super) chain: usize,
    /// Index of the rule in it; `None` for the chain's policy.
    pub(super) rule: Option<usize>,
}

/// What a walk ended in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Accept,
    Drop,
    Reject,
    Unknown(String),
}

/// A finished branch.
pub(super) struct Leaf {
    pub(super) region: Region,
    pub(super) outcome: Outcome,
    pub(super) evidence: Option<Evidence>,
    pub(super) taint: Option<(String, Evidence)>,
}

impl Walker<'_> {
    pub(super) fn conclude(&self, leaves: Vec<Leaf>) -> Decision {
        let unknown = leaves.iter().find_map(|l| match &l.outcome {
            Outcome::Unknown(why) => Some((why, l)),
            _ => None,
        });
        if let Some((why, l)) = unknown {
            return Decision {
                verdict: Verdict::Unknown(why.clone()),
                rule: l.evidence.map(|e| self.rule_ref(e)),
            };
        }
        let accepted: Vec<&Leaf> = leaves
            .iter()
            .filter(|l| l.outcome == Outcome::Accept)
            .collect();
        let blocked: Vec<&Leaf> = leaves
            .iter()
            .filter(|l| l.outcome != Outcome::Accept)
            .collect();
        for a in &accepted {
            for b in &blocked {
                if a.region.overlaps(&b.region) {
                    // Branches only overlap after a fork, and a fork taints both.
                    let (why, ev) = match a.taint.clone().or_else(|| b.taint.clone()) {
                        Some((why, ev)) => (why, Some(ev)),
                        None => ("conflicting branches".to_string(), None),
                    };
                    return Decision {
                        verdict: Verdict::Unknown(why),
                        rule: ev.map(|e| self.rule_ref(e)),
                    };
                }
            }
        }
        let mut accept_region = Region::empty(self.q.family);
        for a in &accepted {
            accept_region = accept_region.union(&a.region);
        }
        // The earliest explicit accept (by chain, then rule), else a policy.
        let first_accept = accepted
            .iter()
            .filter_map(|a| a.evidence)
            .min_by_key(|e| (e.rule.is_none(), e.chain, e.rule))
            .map(|e| self.rule_ref(e));
        if accept_region.is_most_of() {
            return Decision {
                verdict: Verdict::Accepted,
                rule: first_accept,
            };
        }
        if !accept_region.is_empty() {
            let verdict = match accept_region.prefixes() {
                Some(nets) => Verdict::AcceptedFrom(nets),
                None => Verdict::Unknown(
                    "accepted from too scattered a set of sources to list".to_string(),
                ),
            };
            return Decision {
                verdict,
                rule: first_accept,
            };
        }
        // Blocked everywhere: the fate of the largest share of sources decides between
        // dropped and rejected (they differ only when sources are treated apart).
        let heaviest = blocked.iter().max_by_key(|l| l.region.weight()).copied();
        match heaviest {
            Some(l) => Decision {
                verdict: if l.outcome == Outcome::Reject {
                    Verdict::Rejected
                } else {
                    Verdict::Dropped
                },
                rule: l.evidence.map(|e| self.rule_ref(e)),
            },
            None => Decision {
                verdict: Verdict::Accepted,
                rule: None,
            },
        }
    }

    fn rule_ref(&self, ev: Evidence) -> RuleRef {
        let Some(chain) = self.chains.get(ev.chain) else {
            return RuleRef {
                table: String::new(),
                chain: String::new(),
                handle: None,
                text: String::new(),
            };
        };
        let rule = ev.rule.and_then(|r| chain.rules.get(r));
        let policy = match chain.base.as_ref().map(|b| b.policy) {
            Some(Policy::Drop) => "policy drop",
            _ => "policy accept",
        };
        RuleRef {
            table: chain.table.clone(),
            chain: chain.name.clone(),
            handle: rule.and_then(|r| r.handle),
            text: rule.map_or_else(|| policy.to_string(), |r| r.text.clone()),
        }
    }
}
