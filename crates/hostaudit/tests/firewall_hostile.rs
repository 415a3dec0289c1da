//! Hostile and damaged rulesets never panic: every captured fixture, cut short at many
//! points or with its JSON values swapped for values of other types, either parses
//! (and then every query gets a decision) or is Unreadable.

use serde_json::Value;
use smbaudit_hostaudit::firewall::{Query, Ruleset, parse_iptables_save, parse_nft_json};
use smbaudit_hostaudit::{Family, Service};

const NFT: &[&str] = &[
    "empty",
    "outside-drop-set",
    "inside-prefix",
    "jumps",
    "two-bases",
    "unknown-exprs",
    "netdev-ingress",
    "deep-jumps",
    "mixed",
    "prerouting",
];
const IPTABLES: &[&str] = &[
    "outside-drop.v4",
    "inside-prefix.v4",
    "inside-prefix.v6",
    "jumps.v4",
    "unknown.v4",
    "prerouting.v4",
];

fn read(rel: &str) -> String {
    let path = format!("{}/tests/data/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every query the audit asks, on an interface the fixtures name and one they do not.
fn decide_all(rs: &Ruleset) {
    for iface in ["eth0", "wg3", "lo"] {
        for family in [Family::Ipv4, Family::Ipv6] {
            for service in Service::AUDITED {
                let _ = rs.decide(&Query {
                    iface,
                    family,
                    service,
                });
            }
        }
    }
    let _ = rs.block_commands("eth0", &Service::AUDITED);
}

/// A small deterministic generator (no dependency, same cases every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Replaces roughly one value in `every` with a value of another type.
fn mutate(v: &mut Value, rng: &mut Lcg, every: u64) {
    if rng.next() % every == 0 {
        *v = match rng.next() % 6 {
            0 => Value::Null,
            1 => Value::from(-1),
            2 => Value::from("@nope"),
            3 => Value::Array(vec![Value::from(u64::MAX), Value::from("*")]),
            4 => serde_json::json!({"range": ["10.0.0.9", 3]}),
            _ => serde_json::json!({"prefix": {"addr": "::", "len": 200}}),
        };
        return;
    }
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| mutate(i, rng, every)),
        Value::Object(map) => map.values_mut().for_each(|i| mutate(i, rng, every)),
        _ => {}
    }
}

#[test]
fn cut_nft_json_never_panics() {
    for name in NFT {
        let text = read(&format!("nft/{name}.json"));
        let step = (text.len() / 40).max(1);
        for cut in (0..text.len()).step_by(step) {
            if let Some(prefix) = text.get(..cut)
                && let Ok(rs) = parse_nft_json(prefix)
            {
                decide_all(&rs);
            }
        }
    }
}

#[test]
fn nft_json_with_values_of_other_types_never_panics() {
    let mut rng = Lcg(0x5eed);
    let mut judged = 0;
    for name in NFT {
        let doc: Value = serde_json::from_str(&read(&format!("nft/{name}.json"))).expect("fixture");
        for round in 0..30 {
            let mut damaged = doc.clone();
            mutate(&mut damaged, &mut rng, 3 + round % 20);
            if let Ok(rs) = parse_nft_json(&damaged.to_string()) {
                decide_all(&rs);
                judged += 1;
            }
        }
    }
    // Most damaged documents still parse: the damage reaches the evaluator.
    assert!(judged > 150, "{judged}");
}

#[test]
fn damaged_iptables_save_never_panics() {
    let mut rng = Lcg(0xfeed);
    let mut judged = 0;
    for name in IPTABLES {
        let text = read(&format!("iptables/{name}.save"));
        for _ in 0..60 {
            // Drop or duplicate random words, or cut the text.
            let damaged: String = text
                .lines()
                .map(|line| {
                    let words: Vec<&str> = line
                        .split(' ')
                        .flat_map(|w| match rng.next() % 12 {
                            0 => vec![],
                            1 => vec![w, w],
                            2 => vec!["!"],
                            _ => vec![w],
                        })
                        .collect();
                    words.join(" ") + "\n"
                })
                .collect();
            let cut = (rng.next() as usize) % (damaged.len() + 1);
            for candidate in [damaged.as_str(), damaged.get(..cut).unwrap_or_default()] {
                if let Ok(rs) = parse_iptables_save(candidate, candidate) {
                    decide_all(&rs);
                    judged += 1;
                }
            }
        }
    }
    assert!(judged > 20, "{judged}");
}
