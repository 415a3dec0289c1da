//! The conditions of nft `match` expressions: which packet field, which values.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Map, Value};

use super::{Context, SetKey};
use crate::firewall::region::range_to_nets;
use crate::firewall::rules::{Cond, IfName};
use crate::model::Family;

impl Context<'_> {
    /// The conditions of one `match` object.
    pub(super) fn match_conds(&self, body: &Value, key: &SetKey) -> Vec<Cond> {
        let op = body.get("op").and_then(Value::as_str).unwrap_or("==");
        let left = body.get("left").unwrap_or(&Value::Null);
        let right = body.get("right").unwrap_or(&Value::Null);
        let negate = match op {
            "==" | "in" => false,
            "!=" => true,
            "<" | ">" | "<=" | ">=" => {
                return self.compare(op, left, right);
            }
            other => return vec![Cond::Unknown(format!("a match with operator {other}"))],
        };
        let Some((kind, inner)) = left.as_object().and_then(|m| m.iter().next()) else {
            return vec![Cond::Unknown("a match on a constant".to_string())];
        };
        let values = self.values(right, key);
        match kind.as_str() {
            "meta" => self.meta(inner, &values, negate),
            "payload" => self.payload(inner, &values, negate),
            "ct" => ct(inner, &values, negate),
            "&" => tcp_flags(inner, right, op),
            "fib" => fib(inner, &values, negate),
            other => vec![Cond::Unknown(format!(
                "a {other} match the audit cannot judge"
            ))],
        }
    }

    /// `tcp dport < 1024` and friends.
    fn compare(&self, op: &str, left: &Value, right: &Value) -> Vec<Cond> {
        let port_field = left
            .get("payload")
            .filter(|p| p.get("field").and_then(Value::as_str) == Some("dport"));
        let (Some(payload), Some(n)) = (
            port_field,
            right.as_u64().and_then(|n| u16::try_from(n).ok()),
        ) else {
            return vec![Cond::Unknown(format!(
                "a comparison {op} the audit cannot judge"
            ))];
        };
        let range = match op {
            "<" if n > 0 => (0, n - 1),
            "<" => return vec![Cond::Never],
            "<=" => (0, n),
            ">" if n < u16::MAX => (n + 1, u16::MAX),
            ">" => return vec![Cond::Never],
            _ => (n, u16::MAX),
        };
        let mut conds = implied_by_protocol(payload);
        conds.push(Cond::Dport {
            ranges: vec![range],
            negate: false,
        });
        conds
    }

    /// The right-hand side as a flat list of elements, named sets resolved.
    fn values(&self, right: &Value, key: &SetKey) -> Vec<Value> {
        match right {
            Value::String(s) if s.starts_with('@') => {
                let skey = (
                    key.0.clone(),
                    key.1.clone(),
                    s.trim_start_matches('@').to_string(),
                );
                match self.sets.get(&skey) {
                    Some(elems) => elems.iter().map(unwrap_elem).collect(),
                    None => vec![Value::Null],
                }
            }
            Value::Object(m) if m.contains_key("set") => m
                .get("set")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(unwrap_elem).collect())
                .unwrap_or_default(),
            Value::Array(a) => a.iter().map(unwrap_elem).collect(),
            other => vec![other.clone()],
        }
    }

    fn meta(&self, inner: &Value, values: &[Value], negate: bool) -> Vec<Cond> {
        let key = inner.get("key").and_then(Value::as_str).unwrap_or_default();
        match key {
            "iifname" | "iif" => {
                let mut names = Vec::new();
                for v in values {
                    let Some(s) = v.as_str() else {
                        return vec![Cond::Unknown(format!("meta {key} by interface index"))];
                    };
                    names.push(ifname(s));
                }
                vec![Cond::Iface { names, negate }]
            }
            "l4proto" => l4(values, negate),
            "nfproto" | "protocol" => families(values, negate),
            // The audited traffic is unicast to this machine (see the firewall module docs).
            "pkttype" => match names(values) {
                Some(n) if n.iter().any(|v| v == "host") != negate => Vec::new(),
                Some(_) => vec![Cond::Never],
                None => vec![Cond::Unknown(
                    "meta pkttype with values the audit cannot read".to_string(),
                )],
            },
            other => vec![Cond::Unknown(format!("meta {other}"))],
        }
    }

    fn payload(&self, inner: &Value, values: &[Value], negate: bool) -> Vec<Cond> {
        let protocol = inner
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let field = inner
            .get("field")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut conds = implied_by_protocol(inner);
        if conds.contains(&Cond::Never) {
            return vec![Cond::Never];
        }
        match (protocol, field) {
            ("ip" | "ip6", "saddr") => match addresses(values) {
                Some(nets) => conds.push(Cond::Saddr { nets, negate }),
                None => conds.push(Cond::Unknown(format!(
                    "{protocol} saddr with values the audit cannot read"
                ))),
            },
            ("ip", "protocol") | ("ip6", "nexthdr") => conds.extend(l4(values, negate)),
            ("tcp" | "udp" | "th", "dport") => match ports(values) {
                Some(ranges) => conds.push(Cond::Dport { ranges, negate }),
                None => conds.push(Cond::Unknown(format!(
                    "{protocol} dport with values the audit cannot read"
                ))),
            },
            ("tcp" | "udp" | "th", "sport") => {
                conds.push(Cond::Unknown(format!(
                    "{protocol} sport: the sender chooses its source port"
                )));
            }
            ("ip" | "ip6", "daddr") => conds.push(Cond::Unknown(format!(
                "{protocol} daddr: the audit judges a port, not each local address"
            ))),
            _ => conds.push(Cond::Unknown(format!("{protocol} {field}"))),
        }
        conds
    }
}

/// The conditions a payload expression implies: `ip saddr` only matches IPv4,
/// `tcp dport` only TCP; protocols other than TCP and UDP never match the audit.
fn implied_by_protocol(payload: &Value) -> Vec<Cond> {
    match payload
        .get("protocol")
        .and_then(Value::as_str)
        .unwrap_or_default()
    {
        "ip" => vec![Cond::Family(Family::Ipv4)],
        "ip6" => vec![Cond::Family(Family::Ipv6)],
        "tcp" => vec![Cond::L4 {
            protos: vec![6],
            negate: false,
        }],
        "udp" => vec![Cond::L4 {
            protos: vec![17],
            negate: false,
        }],
        "th" => Vec::new(),
        "icmp" | "icmpv6" | "sctp" | "dccp" | "udplite" | "esp" | "ah" | "comp" | "igmp"
        | "gre" | "arp" => {
            vec![Cond::Never]
        }
        other => vec![Cond::Unknown(format!("a {other} header field"))],
    }
}

/// A `match` object built from its parts (for verdict map entries).
pub(super) fn match_body(op: &str, left: &Value, right: &Value) -> Value {
    let mut m = Map::new();
    m.insert("op".to_string(), Value::String(op.to_string()));
    m.insert("left".to_string(), left.clone());
    m.insert("right".to_string(), right.clone());
    Value::Object(m)
}

/// A set element without its `{"elem": {"val": ...}}` wrapper.
fn unwrap_elem(v: &Value) -> Value {
    v.get("elem")
        .and_then(|e| e.get("val"))
        .cloned()
        .unwrap_or_else(|| v.clone())
}

/// An nft interface name: `eth*` is a wildcard, `eth\*` a literal star.
fn ifname(s: &str) -> IfName {
    match s.strip_suffix('*') {
        Some(prefix) if !prefix.ends_with('\\') => IfName::Prefix(prefix.to_string()),
        Some(prefix) => IfName::Exact(format!("{}*", prefix.trim_end_matches('\\'))),
        None => IfName::Exact(s.to_string()),
    }
}

/// `meta l4proto` / `ip protocol` values as protocol numbers (names other than TCP
/// and UDP map to 255, which the audit's traffic never has).
fn l4(values: &[Value], negate: bool) -> Vec<Cond> {
    let mut protos = Vec::new();
    for v in values {
        let n = match v {
            Value::Number(n) => n.as_u64().and_then(|n| u8::try_from(n).ok()).unwrap_or(255),
            Value::String(s) => match s.as_str() {
                "tcp" => 6,
                "udp" => 17,
                _ => 255,
            },
            _ => {
                return vec![Cond::Unknown(
                    "a protocol match the audit cannot read".to_string(),
                )];
            }
        };
        protos.push(n);
    }
    vec![Cond::L4 { protos, negate }]
}

/// `meta nfproto` / `meta protocol` values.
fn families(values: &[Value], negate: bool) -> Vec<Cond> {
    let has = |f: Family| {
        values.iter().any(|v| {
            matches!(
                (v.as_str(), f),
                (Some("ipv4" | "ip"), Family::Ipv4) | (Some("ipv6" | "ip6"), Family::Ipv6)
            )
        }) != negate
    };
    match (has(Family::Ipv4), has(Family::Ipv6)) {
        (true, true) => Vec::new(),
        (true, false) => vec![Cond::Family(Family::Ipv4)],
        (false, true) => vec![Cond::Family(Family::Ipv6)],
        (false, false) => vec![Cond::Never],
    }
}

fn ct(inner: &Value, values: &[Value], negate: bool) -> Vec<Cond> {
    let key = inner.get("key").and_then(Value::as_str).unwrap_or_default();
    let names: Option<Vec<String>> = values
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect();
    let Some(names) = names else {
        return vec![Cond::Unknown(format!(
            "ct {key} with values the audit cannot read"
        ))];
    };
    match key {
        "state" => vec![Cond::CtState {
            states: names,
            negate,
        }],
        // New traffic straight to this machine has no NAT status bits.
        "status" if names.iter().all(|n| n == "dnat" || n == "snat") => {
            if negate {
                Vec::new()
            } else {
                vec![Cond::Never]
            }
        }
        other => vec![Cond::Unknown(format!("ct {other}"))],
    }
}

/// String values, or `None` if any is not a string.
fn names(values: &[Value]) -> Option<Vec<String>> {
    values
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// `fib daddr type local` holds for the audited traffic (unicast to a local address);
/// the reverse-path filter `fib saddr . iif oif missing drop` does not fire for it (a
/// real peer's source address routes back through the interface it came in on).
fn fib(inner: &Value, values: &[Value], negate: bool) -> Vec<Cond> {
    let result = inner
        .get("result")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let flags: Vec<&str> = inner
        .get("flags")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let holds = match result {
        "type" if flags.contains(&"daddr") => names(values).map(|n| n.iter().any(|v| v == "local")),
        "oif" | "oifname" if flags.contains(&"saddr") && flags.contains(&"iif") => {
            let missing = values
                .iter()
                .all(|v| matches!(v, Value::Bool(false)) || v == "0" || v == 0);
            // `oif missing`/`oif 0` never holds; any other comparison is not judged.
            missing.then_some(false)
        }
        _ => None,
    };
    match holds {
        Some(h) if h != negate => Vec::new(),
        Some(_) => vec![Cond::Never],
        None => vec![Cond::Unknown(format!("fib {} {result}", flags.join(" . ")))],
    }
}

/// `tcp flags & (fin|syn|rst|ack) == syn`: the audit's TCP traffic is a SYN.
fn tcp_flags(inner: &Value, right: &Value, op: &str) -> Vec<Cond> {
    let parts = inner.as_array().map(Vec::as_slice).unwrap_or_default();
    let [field, mask] = parts else {
        return vec![Cond::Unknown(
            "a bitwise match the audit cannot judge".to_string(),
        )];
    };
    let is_flags = field.get("payload").is_some_and(|p| {
        p.get("protocol").and_then(Value::as_str) == Some("tcp")
            && p.get("field").and_then(Value::as_str) == Some("flags")
    });
    let (Some(mask), Some(want)) = (flag_bits(mask), flag_bits(right)) else {
        return vec![Cond::Unknown(
            "a bitwise match the audit cannot judge".to_string(),
        )];
    };
    if !is_flags {
        return vec![Cond::Unknown(
            "a bitwise match the audit cannot judge".to_string(),
        )];
    }
    const SYN: u8 = 0x02;
    let value = SYN & mask;
    let holds = match op {
        "==" => value == want,
        "!=" => value != want,
        _ => value & want != 0,
    };
    let mut conds = vec![Cond::L4 {
        protos: vec![6],
        negate: false,
    }];
    if !holds {
        conds.push(Cond::Never);
    }
    conds
}

/// TCP flag names or a number as bits.
fn flag_bits(v: &Value) -> Option<u8> {
    let one = |s: &str| -> Option<u8> {
        Some(match s {
            "fin" => 0x01,
            "syn" => 0x02,
            "rst" => 0x04,
            "psh" => 0x08,
            "ack" => 0x10,
            "urg" => 0x20,
            "ecn" => 0x40,
            "cwr" => 0x80,
            _ => return None,
        })
    };
    match v {
        Value::String(s) => one(s),
        Value::Number(n) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        Value::Array(a) => a.iter().try_fold(0u8, |acc, x| Some(acc | flag_bits(x)?)),
        Value::Object(m) if m.contains_key("|") => m.get("|").and_then(flag_bits),
        _ => None,
    }
}

/// Port values as inclusive ranges.
fn ports(values: &[Value]) -> Option<Vec<(u16, u16)>> {
    let port = |v: &Value| v.as_u64().and_then(|n| u16::try_from(n).ok());
    values
        .iter()
        .map(
            |v| match v.get("range").and_then(Value::as_array).map(Vec::as_slice) {
                Some([lo, hi]) => Some((port(lo)?, port(hi)?)),
                Some(_) => None,
                None => port(v).map(|p| (p, p)),
            },
        )
        .collect()
}

/// Address values (addresses, prefixes, ranges) as prefixes.
fn addresses(values: &[Value]) -> Option<Vec<IpNet>> {
    let mut out = Vec::new();
    for v in values {
        if let Some(s) = v.as_str() {
            out.push(IpNet::from(s.parse::<IpAddr>().ok()?));
        } else if let Some(p) = v.get("prefix") {
            let addr: IpAddr = p.get("addr")?.as_str()?.parse().ok()?;
            let len = u8::try_from(p.get("len")?.as_u64()?).ok()?;
            out.push(IpNet::new(addr, len).ok()?.trunc());
        } else if let Some([lo, hi]) = v.get("range").and_then(Value::as_array).map(Vec::as_slice) {
            let lo: IpAddr = lo.as_str()?.parse().ok()?;
            let hi: IpAddr = hi.as_str()?.parse().ok()?;
            out.extend(range_to_nets(lo, hi)?);
        } else {
            return None;
        }
    }
    Some(out)
}
