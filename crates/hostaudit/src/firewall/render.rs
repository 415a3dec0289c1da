//! Renders an nft JSON rule back into the text `nft list ruleset` prints, as closely
//! as the evidence line needs (`iifname "eth0" tcp dport { 139, 445 } drop`).

use serde_json::Value;

/// The rule's expressions in nft syntax, with its comment.
pub(crate) fn render_rule(rule: &Value) -> String {
    let exprs = rule
        .get("expr")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut parts: Vec<String> = exprs.iter().map(statement).collect();
    if let Some(c) = rule.get("comment").and_then(Value::as_str) {
        parts.push(format!("comment {}", quoted(c)));
    }
    parts.join(" ")
}

fn statement(expr: &Value) -> String {
    let Some((name, body)) = expr.as_object().and_then(|m| m.iter().next()) else {
        return "?".to_string();
    };
    match name.as_str() {
        "match" => {
            let left = body.get("left").unwrap_or(&Value::Null);
            let right = body.get("right").unwrap_or(&Value::Null);
            let op = match body.get("op").and_then(Value::as_str) {
                Some("==" | "in") | None => String::new(),
                Some(op) => format!("{op} "),
            };
            let quote = is_ifname(left);
            format!("{} {op}{}", expression(left), value(right, quote))
        }
        "jump" | "goto" => {
            let target = body.get("target").and_then(Value::as_str).unwrap_or("?");
            format!("{name} {target}")
        }
        "reject" => match (
            body.get("type").and_then(Value::as_str),
            body.get("expr").and_then(Value::as_str),
        ) {
            (Some("icmpx"), Some("port-unreachable")) => "reject".to_string(),
            (Some(kind), Some(code)) => format!("reject with {kind} {code}"),
            (Some(kind), None) => format!("reject with {kind}"),
            _ => "reject".to_string(),
        },
        "counter" => match (body.get("packets"), body.get("bytes")) {
            (Some(p), Some(b)) => format!("counter packets {p} bytes {b}"),
            _ => "counter".to_string(),
        },
        "log" => match body.get("prefix").and_then(Value::as_str) {
            Some(prefix) => format!("log prefix {}", quoted(prefix)),
            None => "log".to_string(),
        },
        "limit" => {
            let rate = body
                .get("rate")
                .map_or_else(|| "?".to_string(), Value::to_string);
            let per = body.get("per").and_then(Value::as_str).unwrap_or("second");
            format!("limit rate {rate}/{per}")
        }
        "vmap" => {
            let key = body.get("key").map_or_else(|| "?".to_string(), expression);
            let quote = body.get("key").is_some_and(is_ifname);
            let entries = body
                .get("data")
                .and_then(|d| d.get("set"))
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|e| match e.as_array().map(Vec::as_slice) {
                            Some([k, v]) => format!("{} : {}", value(k, quote), statement(v)),
                            _ => "?".to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                });
            match entries {
                Some(e) => format!("{key} vmap {{ {e} }}"),
                None => format!(
                    "{key} vmap {}",
                    body.get("data")
                        .map_or_else(String::new, |d| value(d, false))
                ),
            }
        }
        "meter" => {
            let name = body.get("name").and_then(Value::as_str).unwrap_or("?");
            let key = body.get("key").map_or_else(|| "?".to_string(), expression);
            let stmt = body.get("stmt").map_or_else(|| "?".to_string(), statement);
            format!("meter {name} {{ {key} {stmt} }}")
        }
        "xt" => {
            let kind = body.get("type").and_then(Value::as_str).unwrap_or("match");
            let name = body.get("name").and_then(Value::as_str).unwrap_or("?");
            format!("xt {kind} {}", quoted(name))
        }
        other if body.is_null() => other.to_string(),
        other => format!("{other} {}", compact(body)),
    }
}

/// A left-hand expression.
fn expression(v: &Value) -> String {
    let Some((name, body)) = v.as_object().and_then(|m| m.iter().next()) else {
        return value(v, false);
    };
    let key = body.get("key").and_then(Value::as_str).unwrap_or("?");
    match name.as_str() {
        "meta" => match key {
            "iifname" | "oifname" | "iif" | "oif" => key.to_string(),
            _ => format!("meta {key}"),
        },
        "payload" => {
            let protocol = body.get("protocol").and_then(Value::as_str).unwrap_or("?");
            let field = body.get("field").and_then(Value::as_str).unwrap_or("?");
            format!("{protocol} {field}")
        }
        "ct" => format!("ct {key}"),
        "&" => match body.as_array().map(Vec::as_slice) {
            Some([a, b]) => format!("{} & {}", expression(a), value(b, false)),
            _ => "?".to_string(),
        },
        "concat" => body
            .as_array()
            .map(|a| a.iter().map(expression).collect::<Vec<_>>().join(" . "))
            .unwrap_or_default(),
        "fib" => {
            let flags = body
                .get("flags")
                .and_then(Value::as_array)
                .map(|f| {
                    f.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" . ")
                })
                .unwrap_or_default();
            let result = body.get("result").and_then(Value::as_str).unwrap_or("?");
            format!("fib {flags} {result}")
        }
        other => format!("{other} {key}"),
    }
}

/// A right-hand value.
fn value(v: &Value, quote: bool) -> String {
    match v {
        Value::String(s) if quote && !s.starts_with('@') => quoted(s),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(list) => list
            .iter()
            .map(|x| value(x, quote))
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(m) => {
            if let Some(set) = m.get("set").and_then(Value::as_array) {
                let items: Vec<String> = set.iter().map(|x| value(x, quote)).collect();
                format!("{{ {} }}", items.join(", "))
            } else if let Some([lo, hi]) =
                m.get("range").and_then(Value::as_array).map(Vec::as_slice)
            {
                format!("{}-{}", value(lo, quote), value(hi, quote))
            } else if let Some(p) = m.get("prefix") {
                let addr = p
                    .get("addr")
                    .map_or_else(|| "?".to_string(), |a| value(a, false));
                let len = p
                    .get("len")
                    .map_or_else(|| "?".to_string(), Value::to_string);
                format!("{addr}/{len}")
            } else if let Some(c) = m.get("concat").and_then(Value::as_array) {
                c.iter()
                    .map(|x| value(x, quote))
                    .collect::<Vec<_>>()
                    .join(" . ")
            } else if let Some(e) = m.get("elem").and_then(|e| e.get("val")) {
                value(e, quote)
            } else if let Some(parts) = m.get("|").and_then(Value::as_array) {
                parts
                    .iter()
                    .map(|x| value(x, quote))
                    .collect::<Vec<_>>()
                    .join(" | ")
            } else {
                compact(v)
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
    }
}

fn is_ifname(left: &Value) -> bool {
    left.get("meta")
        .and_then(|m| m.get("key"))
        .and_then(Value::as_str)
        .is_some_and(|k| matches!(k, "iifname" | "oifname" | "iif" | "oif"))
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
