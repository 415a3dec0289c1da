//! `decide`: walks every base chain that sees the query's traffic, in priority order,
//! splitting the traffic by source address where rules test it.
//!
//! The walk is a small symbolic execution. The packet's interface, family, transport,
//! port and conntrack state (`new`) are known; its source address is followed as a
//! [`Region`]; anything else a rule tests (a rate limit, the destination address, a
//! socket or fib lookup) forks the walk into "holds" and "does not hold", both marked
//! with why. At the end every source address must meet one kind of fate (accepted, or
//! dropped/rejected) on every fork; if it meets both, the verdict is `Unknown` with
//! the reason of the fork — never `Dropped`. So an unjudgeable rule makes the verdict
//! unknown exactly when it could change it.

use super::outcome::{Evidence, Leaf, Outcome};
use super::rules::{Action, Chain, Cond, Hook, Policy, proto_number};
use super::{Decision, Query, Verdict};
use crate::firewall::region::Region;

/// Deepest chain nesting followed; deeper (or a jump loop) is Unknown.
pub(crate) const MAX_JUMP_DEPTH: usize = 16;
/// Most rule evaluations per query: a bound on work for hostile rulesets.
pub(crate) const MAX_STEPS: usize = 200_000;
/// Most forks per query (each unjudgeable rule or source split may double the walk).
pub(crate) const MAX_FORKS: usize = 10_000;

/// Traffic on one branch of the walk.
#[derive(Clone, Debug)]
struct Path {
    /// The source addresses still on this branch.
    region: Region,
    /// The first unjudgeable condition this branch assumed an answer for.
    taint: Option<(String, Evidence)>,
    /// The first rule that accepted it in an earlier base chain.
    accepted_by: Option<Evidence>,
    /// The first policy that accepted it.
    accepted_by_policy: Option<Evidence>,
}

/// How a chain run ended for a branch.
enum End {
    /// Off the end of the chain or `return`.
    Fallthrough,
    /// A verdict.
    Verdict(Outcome, Evidence),
}

/// A condition's value for the query on one branch.
enum Eval {
    True,
    False,
    /// Holds for the sources in (or, negated, outside) these prefixes.
    Sources(Vec<ipnet::IpNet>, bool),
    Unknown(String),
}

/// The walk over one query.
pub(super) struct Walker<'a> {
    /// Every chain of the ruleset.
    pub(super) chains: &'a [Chain],
    /// The traffic judged.
    pub(super) q: &'a Query<'a>,
    steps: usize,
    forks: usize,
}

/// The decision for `q` over `chains`.
pub(crate) fn decide(chains: &[Chain], q: &Query) -> Decision {
    let mut bases: Vec<usize> = chains
        .iter()
        .enumerate()
        .filter(|(_, c)| c.family.covers(q.family) && c.base.is_some())
        .map(|(i, _)| i)
        .collect();
    if bases.is_empty() {
        return Decision {
            verdict: Verdict::Accepted,
            rule: None,
        };
    }
    // Ingress, then prerouting, then input, whatever the priorities; within a hook,
    // by priority.
    bases.sort_by_key(|&i| {
        let base = chains[i].base.as_ref();
        (base.map(|b| b.hook), base.map_or(0, |b| b.prio))
    });
    let mut walker = Walker {
        chains,
        q,
        steps: 0,
        forks: 0,
    };
    match walker.walk(&bases) {
        Ok(leaves) => walker.conclude(leaves),
        Err(why) => Decision {
            verdict: Verdict::Unknown(why),
            rule: None,
        },
    }
}

impl Walker<'_> {
    fn walk(&mut self, bases: &[usize]) -> Result<Vec<Leaf>, String> {
        let mut live = vec![Path {
            region: Region::full(self.q.family),
            taint: None,
            accepted_by: None,
            accepted_by_policy: None,
        }];
        let mut leaves = Vec::new();
        for &ci in bases {
            let chain = &self.chains[ci];
            let Some(base) = chain.base.as_ref() else {
                continue;
            };
            let mut next = Vec::new();
            for path in live {
                let mut entering = Vec::new();
                match &base.devices {
                    Some(devs) if devs.iter().any(|d| d == self.q.iface) => entering.push(path),
                    Some(_) => next.push(path),
                    None if base.hook == Hook::Ingress => {
                        // nft -j (1.0.6) does not say which device an ingress chain is
                        // on. It matters only if the chain would stop some traffic.
                        let trial = self.run(ci, path.clone(), 0, base.before_conntrack())?;
                        let harmless = trial.iter().all(|(_, end)| match end {
                            End::Fallthrough => base.policy == Policy::Accept,
                            End::Verdict(o, _) => *o == Outcome::Accept,
                        });
                        if harmless {
                            next.push(path);
                            continue;
                        }
                        let why = format!(
                            "ingress chain {} {} may or may not be on {} (nft does not say which device)",
                            chain.table, chain.name, self.q.iface
                        );
                        let ev = Evidence {
                            chain: ci,
                            rule: None,
                        };
                        let mut tainted = path;
                        tainted.taint.get_or_insert((why, ev));
                        self.fork()?;
                        next.push(tainted.clone());
                        entering.push(tainted);
                    }
                    None => entering.push(path),
                }
                for path in entering {
                    for (mut p, end) in self.run(ci, path, 0, base.before_conntrack())? {
                        match end {
                            End::Fallthrough => {
                                let ev = Evidence {
                                    chain: ci,
                                    rule: None,
                                };
                                match base.policy {
                                    Policy::Accept => {
                                        p.accepted_by_policy.get_or_insert(ev);
                                        push_unique_path(&mut next, p);
                                    }
                                    Policy::Drop => leaves.push(leaf(p, Outcome::Drop, Some(ev))),
                                }
                            }
                            End::Verdict(Outcome::Accept, ev) => {
                                p.accepted_by.get_or_insert(ev);
                                push_unique_path(&mut next, p);
                            }
                            End::Verdict(outcome, ev) => leaves.push(leaf(p, outcome, Some(ev))),
                        }
                    }
                }
            }
            live = next;
        }
        for p in live {
            let ev = p.accepted_by.or(p.accepted_by_policy);
            leaves.push(leaf(p, Outcome::Accept, ev));
        }
        Ok(leaves)
    }

    fn fork(&mut self) -> Result<(), String> {
        self.forks += 1;
        if self.forks > MAX_FORKS {
            return Err(format!(
                "more than {MAX_FORKS} branches (rules the audit cannot judge, or source-address splits): too complex to judge"
            ));
        }
        Ok(())
    }

    /// Runs chain `ci` for `path`: every branch with how it left the chain.
    /// `before_ct`: the base chain runs before conntrack, so `ct state` is unknown.
    fn run(
        &mut self,
        ci: usize,
        path: Path,
        depth: usize,
        before_ct: bool,
    ) -> Result<Vec<(Path, End)>, String> {
        let Some(chain) = self.chains.get(ci) else {
            return Err("jump to a chain that does not exist".to_string());
        };
        let mut out = Vec::new();
        let mut work = vec![(0usize, path)];
        while let Some((start, first)) = work.pop() {
            let mut cur = Some(first);
            let mut i = start;
            while let Some(p) = cur.take() {
                let Some(rule) = chain.rules.get(i) else {
                    out.push((p, End::Fallthrough));
                    break;
                };
                self.steps += 1;
                if self.steps > MAX_STEPS {
                    return Err(format!(
                        "more than {MAX_STEPS} rule evaluations for one port: too large to judge"
                    ));
                }
                let ev = Evidence {
                    chain: ci,
                    rule: Some(i),
                };
                let (matched, mut unmatched) = self.split(&rule.conds, p, before_ct, ev)?;
                for m in matched {
                    if let Some(why) = &rule.unknown_stmt {
                        out.push((m, End::Verdict(Outcome::Unknown(why.clone()), ev)));
                    } else {
                        self.act(&rule.action, m, ev, depth, before_ct, &mut work, &mut out)?;
                    }
                }
                cur = unmatched.pop();
                for u in unmatched {
                    push_unique(&mut work, i + 1, u);
                }
                // Two branches at the same rule with the same traffic go the same way
                // (a non-terminal rule that forks): follow one.
                if cur
                    .as_ref()
                    .is_some_and(|c| work.iter().any(|(j, w)| *j == i + 1 && w.same_traffic(c)))
                {
                    cur = None;
                }
                i += 1;
            }
        }
        Ok(out)
    }

    /// Applies a matching rule's action to `m`; `ev` is that rule.
    #[allow(clippy::too_many_arguments)]
    fn act(
        &mut self,
        action: &Action,
        m: Path,
        ev: Evidence,
        depth: usize,
        before_ct: bool,
        work: &mut Vec<(usize, Path)>,
        out: &mut Vec<(Path, End)>,
    ) -> Result<(), String> {
        let next_rule = ev.rule.map_or(0, |r| r + 1);
        match action {
            Action::Accept => out.push((m, End::Verdict(Outcome::Accept, ev))),
            Action::Drop => out.push((m, End::Verdict(Outcome::Drop, ev))),
            Action::Reject => out.push((m, End::Verdict(Outcome::Reject, ev))),
            Action::Unknown(why) => out.push((m, End::Verdict(Outcome::Unknown(why.clone()), ev))),
            Action::Continue => push_unique(work, next_rule, m),
            Action::Return => out.push((m, End::Fallthrough)),
            Action::Jump(target) | Action::Goto(target) => {
                if depth >= MAX_JUMP_DEPTH {
                    let why =
                        format!("jump loop, or chains nested more than {MAX_JUMP_DEPTH} deep");
                    out.push((m, End::Verdict(Outcome::Unknown(why), ev)));
                    return Ok(());
                }
                let comes_back = matches!(action, Action::Jump(_));
                for (p, end) in self.run(*target, m, depth + 1, before_ct)? {
                    match end {
                        End::Fallthrough if comes_back => push_unique(work, next_rule, p),
                        end => out.push((p, end)),
                    }
                }
            }
            Action::Vmap(entries) => {
                let mut rest = vec![m];
                for (conds, entry_action) in entries {
                    let mut still = Vec::new();
                    for p in rest {
                        let (hit, miss) = self.split(conds, p, before_ct, ev)?;
                        for h in hit {
                            self.act(entry_action, h, ev, depth, before_ct, work, out)?;
                        }
                        still.extend(miss);
                    }
                    rest = still;
                }
                for p in rest {
                    push_unique(work, next_rule, p);
                }
            }
        }
        Ok(())
    }

    /// The branches of `path` on which all `conds` hold, and those on which not.
    fn split(
        &mut self,
        conds: &[Cond],
        path: Path,
        before_ct: bool,
        ev: Evidence,
    ) -> Result<(Vec<Path>, Vec<Path>), String> {
        let mut region = path.region.clone();
        let mut unknown = None;
        for cond in conds {
            match self.eval(cond, before_ct) {
                Eval::True => {}
                Eval::False => return Ok((Vec::new(), vec![path])),
                Eval::Sources(nets, negate) => {
                    region = if negate {
                        region.subtract(&nets)
                    } else {
                        region.intersect(&nets)
                    };
                }
                Eval::Unknown(why) => {
                    unknown.get_or_insert(why);
                }
            }
        }
        if region.is_empty() {
            return Ok((Vec::new(), vec![path]));
        }
        if region.too_large() {
            return Err("source-address rules too fragmented to follow".to_string());
        }
        if let Some(why) = unknown {
            self.fork()?;
            let mut miss = path;
            miss.taint.get_or_insert((why, ev));
            let mut hit = miss.clone();
            hit.region = region;
            return Ok((vec![hit], vec![miss]));
        }
        let rest = path.region.minus(&region);
        if rest.is_empty() {
            return Ok((vec![path], Vec::new()));
        }
        self.fork()?;
        let mut hit = path.clone();
        hit.region = region;
        let mut miss = path;
        miss.region = rest;
        Ok((vec![hit], vec![miss]))
    }

    fn eval(&self, cond: &Cond, before_ct: bool) -> Eval {
        let q = self.q;
        let truth = |b: bool| if b { Eval::True } else { Eval::False };
        match cond {
            Cond::Iface { names, negate } => {
                truth(names.iter().any(|n| n.matches(q.iface)) != *negate)
            }
            Cond::Family(f) => truth(*f == q.family),
            Cond::L4 { protos, negate } => {
                truth(protos.contains(&proto_number(q.service.proto)) != *negate)
            }
            Cond::Dport { ranges, negate } => {
                let port = q.service.port;
                truth(ranges.iter().any(|&(lo, hi)| lo <= port && port <= hi) != *negate)
            }
            Cond::Saddr { nets, negate } => {
                let mine: Vec<_> = nets
                    .iter()
                    .copied()
                    .filter(|n| crate::model::Family::of(n.addr()) == q.family)
                    .collect();
                if mine.is_empty() {
                    truth(*negate)
                } else {
                    Eval::Sources(mine, *negate)
                }
            }
            Cond::CtState { states, negate } => {
                if before_ct {
                    Eval::Unknown("conntrack state tested before conntrack runs".to_string())
                } else {
                    truth(states.iter().any(|s| s == "new") != *negate)
                }
            }
            Cond::Never => Eval::False,
            Cond::Unknown(why) => Eval::Unknown(why.clone()),
        }
    }
}

impl Path {
    /// Whether both carry the same traffic with the same history that matters.
    fn same_traffic(&self, other: &Self) -> bool {
        self.region == other.region
            && self.accepted_by == other.accepted_by
            && self.accepted_by_policy == other.accepted_by_policy
    }
}

/// Adds `p` to the traffic entering the next base chain, unless already there.
fn push_unique_path(next: &mut Vec<Path>, p: Path) {
    if !next.iter().any(|w| w.same_traffic(&p)) {
        next.push(p);
    }
}

/// Queues `p` at rule `at`, unless the same traffic already waits there.
fn push_unique(work: &mut Vec<(usize, Path)>, at: usize, p: Path) {
    if !work.iter().any(|(j, w)| *j == at && w.same_traffic(&p)) {
        work.push((at, p));
    }
}

fn leaf(p: Path, outcome: Outcome, evidence: Option<Evidence>) -> Leaf {
    Leaf {
        region: p.region,
        outcome,
        evidence,
        taint: p.taint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::rules::{Base, Rule, TableFamily};
    use crate::model::{Family, Service};

    fn chain(rules: Vec<Rule>) -> Chain {
        Chain {
            table: "inet t".to_string(),
            family: TableFamily::Inet,
            name: "input".to_string(),
            base: Some(Base {
                hook: Hook::Input,
                prio: 0,
                policy: Policy::Drop,
                devices: None,
            }),
            rules,
        }
    }

    fn rule(conds: Vec<Cond>, action: Action) -> Rule {
        Rule {
            handle: None,
            text: String::new(),
            conds,
            unknown_stmt: None,
            action,
        }
    }

    #[test]
    fn too_many_rule_evaluations_is_unknown_not_a_hang() {
        let port = Cond::Dport {
            ranges: vec![(445, 445)],
            negate: false,
        };
        let rules = (0..=MAX_STEPS)
            .map(|_| rule(vec![port.clone()], Action::Continue))
            .collect();
        let chains = [chain(rules)];
        let q = Query {
            iface: "eth0",
            family: Family::Ipv4,
            service: Service::SMB,
        };
        let d = decide(&chains, &q);
        assert_eq!(
            d.verdict,
            Verdict::Unknown(format!(
                "more than {MAX_STEPS} rule evaluations for one port: too large to judge"
            ))
        );
        // Exactly the limit is judged: the policy drops it.
        let rules = (0..MAX_STEPS)
            .map(|_| rule(vec![port.clone()], Action::Continue))
            .collect();
        assert_eq!(decide(&[chain(rules)], &q).verdict, Verdict::Dropped);
    }
}
