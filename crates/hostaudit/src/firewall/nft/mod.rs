//! Reads `nft -j list ruleset` (libnftables-json(5)) into chains of [`Rule`]s.
//!
//! Unknown objects and expressions never fail the parse: an expression the evaluator
//! cannot judge becomes [`Cond::Unknown`] (or an unknown statement), so only rules
//! that contain it, and only when they could match the query, make a verdict unknown.

use serde_json::Value;
use std::collections::HashMap;

mod matches;

use matches::match_body;

use super::render::render_rule;
use super::rules::{Action, Base, Chain, Cond, Hook, Policy, Rule, TableFamily};
use crate::model::Unreadable;

const WHAT: &str = "nftables ruleset";

/// A set's key: (table family, table name, set name).
type SetKey = (String, String, String);

/// The chains of a `nft -j list ruleset` document.
pub(crate) fn parse(json: &str) -> Result<Vec<Chain>, Unreadable> {
    let doc: Value = serde_json::from_str(json)
        .map_err(|e| Unreadable::new(WHAT, format!("nft -j output is not valid JSON: {e}")))?;
    let Some(items) = doc.get("nftables").and_then(Value::as_array) else {
        return Err(Unreadable::new(
            WHAT,
            "nft -j output has no \"nftables\" array (not a libnftables-json document)",
        ));
    };
    let mut sets: HashMap<SetKey, Vec<Value>> = HashMap::new();
    let mut chains = Vec::new();
    let mut index: HashMap<SetKey, usize> = HashMap::new();
    for item in items {
        if let Some(set) = item.get("set").or_else(|| item.get("map")) {
            let key = object_key(set, "name");
            let elems = set
                .get("elem")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            sets.insert(key, elems);
        } else if let Some(chain) = item.get("chain") {
            let key = object_key(chain, "name");
            index.insert(key.clone(), chains.len());
            chains.push(new_chain(chain, &key));
        }
    }
    let cx = Context {
        sets: &sets,
        index: &index,
    };
    for item in items {
        let Some(rule) = item.get("rule") else {
            continue;
        };
        let key = object_key(rule, "chain");
        let Some(&ci) = index.get(&key) else {
            continue;
        };
        let parsed = cx.rule(rule, &key);
        if let Some(chain) = chains.get_mut(ci) {
            chain.rules.push(parsed);
        }
    }
    Ok(chains)
}

/// (family, table, `field`) of a set, chain or rule object.
fn object_key(obj: &Value, field: &str) -> SetKey {
    let s = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (s("family"), s("table"), s(field))
}

fn new_chain(obj: &Value, key: &SetKey) -> Chain {
    let family = match key.0.as_str() {
        "ip" => TableFamily::Ip,
        "ip6" => TableFamily::Ip6,
        "inet" => TableFamily::Inet,
        "netdev" => TableFamily::Netdev,
        _ => TableFamily::Other,
    };
    let hook = match obj.get("hook").and_then(Value::as_str) {
        Some("input") if family != TableFamily::Netdev => Some(Hook::Input),
        Some("prerouting") if family != TableFamily::Netdev => Some(Hook::Prerouting),
        Some("ingress") => Some(Hook::Ingress),
        _ => None,
    };
    let base = hook.map(|hook| Base {
        hook,
        prio: obj.get("prio").map_or(0, priority),
        policy: match obj.get("policy").and_then(Value::as_str) {
            Some("drop") => Policy::Drop,
            _ => Policy::Accept,
        },
        devices: match obj.get("dev") {
            Some(Value::String(d)) => Some(vec![d.clone()]),
            Some(Value::Array(list)) => Some(
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            ),
            _ => None,
        },
    });
    Chain {
        table: format!("{} {}", key.0, key.1),
        family,
        name: key.2.clone(),
        base,
        rules: Vec::new(),
    }
}

/// A chain priority: a number, or a standard name.
fn priority(v: &Value) -> i64 {
    if let Some(n) = v.as_i64() {
        return n;
    }
    match v.as_str() {
        Some("raw") => -300,
        Some("mangle") => -150,
        Some("dstnat") => -100,
        Some("security") => 50,
        Some("srcnat") => 100,
        _ => 0,
    }
}

struct Context<'a> {
    sets: &'a HashMap<SetKey, Vec<Value>>,
    index: &'a HashMap<SetKey, usize>,
}

impl Context<'_> {
    fn rule(&self, obj: &Value, key: &SetKey) -> Rule {
        let exprs = obj
            .get("expr")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut conds = Vec::new();
        let mut unknown_stmt = None;
        let mut action = Action::Continue;
        for expr in exprs {
            let Some((name, body)) = expr.as_object().and_then(|m| m.iter().next()) else {
                conds.push(Cond::Unknown(
                    "an expression that is not an object".to_string(),
                ));
                continue;
            };
            match name.as_str() {
                "match" => conds.extend(self.match_conds(body, key)),
                // Bookkeeping that does not change this packet's fate (firewalld's samba
                // service sets the netbios-ns conntrack helper on 137/udp).
                "counter" | "log" | "mangle" | "set" | "map" | "comment" | "ct helper"
                | "ct timeout" | "ct expectation" => {}
                // iptables-nft writes `-m comment` as an xt match.
                "xt" if body.get("name").and_then(Value::as_str) == Some("comment") => {}
                "xt" if body.get("type").and_then(Value::as_str) == Some("target") => {
                    let kind = body.get("name").and_then(Value::as_str).unwrap_or("?");
                    unknown_stmt.get_or_insert_with(|| format!("iptables-nft target {kind}"));
                }
                "xt" => {
                    let kind = body.get("name").and_then(Value::as_str).unwrap_or("?");
                    conds.push(Cond::Unknown(format!(
                        "iptables-nft extension {kind} (its details are only in iptables-save)"
                    )));
                }
                "limit" | "quota" | "meter" | "connlimit" | "last" | "numgen" => {
                    conds.push(Cond::Unknown(format!(
                        "a {name} statement the audit cannot judge"
                    )));
                }
                "vmap" => action = self.vmap(body, key),
                verdict => match self.verdict(verdict, body, key) {
                    Some(a) => action = a,
                    None => {
                        unknown_stmt.get_or_insert_with(|| {
                            format!("a {verdict} statement the audit does not follow")
                        });
                    }
                },
            }
        }
        Rule {
            handle: obj.get("handle").and_then(Value::as_u64),
            text: render_rule(obj),
            conds,
            unknown_stmt,
            action,
        }
    }

    /// A verdict statement, or `None` when `name` is no verdict.
    fn verdict(&self, name: &str, body: &Value, key: &SetKey) -> Option<Action> {
        Some(match name {
            "accept" => Action::Accept,
            "drop" => Action::Drop,
            "reject" => Action::Reject,
            "return" => Action::Return,
            "continue" => Action::Continue,
            "jump" | "goto" => {
                let target = body
                    .get("target")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let tkey = (key.0.clone(), key.1.clone(), target.to_string());
                match self.index.get(&tkey) {
                    Some(&i) if name == "jump" => Action::Jump(i),
                    Some(&i) => Action::Goto(i),
                    None => Action::Unknown(format!(
                        "{name} to chain {target}, which is not in the ruleset"
                    )),
                }
            }
            "queue" => Action::Unknown("queued to a userspace program".to_string()),
            "dnat" | "redirect" | "tproxy" => Action::Unknown(format!(
                "{name}: port-forwarded elsewhere; judge the forward path and its target"
            )),
            _ => return None,
        })
    }

    fn vmap(&self, body: &Value, key: &SetKey) -> Action {
        let Some(left) = body.get("key") else {
            return Action::Unknown("a verdict map without a key".to_string());
        };
        let data = body.get("data").unwrap_or(&Value::Null);
        let entries: Vec<Value> = match data {
            Value::Object(m) if m.contains_key("set") => m
                .get("set")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            Value::String(s) if s.starts_with('@') => {
                let skey = (
                    key.0.clone(),
                    key.1.clone(),
                    s.trim_start_matches('@').to_string(),
                );
                self.sets.get(&skey).cloned().unwrap_or_default()
            }
            _ => return Action::Unknown("a verdict map the audit cannot read".to_string()),
        };
        let mut out = Vec::new();
        for entry in entries {
            let Some(pair) = entry.as_array().filter(|p| p.len() == 2) else {
                return Action::Unknown("a verdict map entry the audit cannot read".to_string());
            };
            let (k, v) = (&pair[0], &pair[1]);
            let Some((vname, vbody)) = v.as_object().and_then(|m| m.iter().next()) else {
                return Action::Unknown("a verdict map entry the audit cannot read".to_string());
            };
            let Some(action) = self.verdict(vname, vbody, key) else {
                return Action::Unknown(format!("a verdict map entry {vname}"));
            };
            let conds = self.match_conds(&match_body("==", left, k), key);
            out.push((conds, action));
        }
        Action::Vmap(out)
    }
}
