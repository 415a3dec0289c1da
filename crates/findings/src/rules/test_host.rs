//! Test support: host records from short JSON literals, and a table runner for rules.
//!
//! `host(json!({...}))` fills everything the literal leaves out with an empty scan: `netbios`,
//! `nbss` and `smb` stay null unless the literal mentions them, and an object given for one of
//! them is merged into that section's empty value, so a case states only what it is about.

use serde_json::{Value, json};
use smbaudit_probe::nbss::NbssFacts;
use smbaudit_probe::nbstat::NbstatReport;
use smbaudit_probe::smb::SmbFacts;

use super::{Check, Context};
use crate::finding::Severity;
use crate::record::{HostRecord, NbstatHost, NbstatStatus, SCHEMA};
use crate::vantage::Vantage;

/// A record built from `patch` over an empty scan of 198.51.100.1 (override `ip`).
pub(crate) fn host(patch: Value) -> HostRecord {
    let netbios = NbstatHost {
        ip: "0.0.0.0".parse().unwrap(),
        status: NbstatStatus::Ok,
        error: None,
        rtt_ms: None,
        attempts: 1,
        report: NbstatReport::default(),
    };
    let mut base = json!({
        "schema": SCHEMA,
        "ip": "198.51.100.1",
        "ports": {},
        "port_evidence": {},
        "netbios": netbios,
        "nbss": NbssFacts::default(),
        "smb": SmbFacts::default(),
        "errors": [],
        "connections": 0,
        "elapsed_ms": 0,
    });
    for section in ["netbios", "nbss", "smb"] {
        if !patch.get(section).is_some_and(Value::is_object) {
            base[section] = Value::Null;
        }
    }
    merge(&mut base, patch);
    serde_json::from_value(base).expect("test host must match the record")
}

fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}

/// A rule's outcome, without the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Hit(Severity),
    Clear,
    NotChecked,
}

pub(crate) fn outcome(check: &Check) -> Outcome {
    match check {
        Check::Hit { severity, .. } => Outcome::Hit(*severity),
        Check::Clear => Outcome::Clear,
        Check::NotChecked(_) => Outcome::NotChecked,
    }
}

/// The LAN context.
pub(crate) const LAN: Context = Context {
    vantage: Vantage::Lan,
};
/// The internet context.
pub(crate) const INTERNET: Context = Context {
    vantage: Vantage::Internet,
};

/// Runs `check` on every (name, context, host, expected outcome) case.
pub(crate) fn assert_cases(
    check: fn(&HostRecord, &Context) -> Check,
    cases: &[(&str, Context, Value, Outcome)],
) {
    for (name, ctx, patch, want) in cases {
        let got = check(&host(patch.clone()), ctx);
        assert_eq!(outcome(&got), *want, "case {name:?}: {got:?}");
        if let Check::NotChecked(why) = &got {
            assert!(!why.is_empty(), "case {name:?}: NotChecked needs a reason");
        }
    }
}

/// The evidence of a hit as (field, value) pairs; panics on anything else.
pub(crate) fn evidence(check: &Check) -> Vec<(String, String)> {
    match check {
        Check::Hit { evidence, .. } => evidence
            .iter()
            .map(|e| (e.field.clone(), e.value.clone()))
            .collect(),
        other => panic!("expected a hit, got {other:?}"),
    }
}

/// The context string of a hit; panics on anything else.
pub(crate) fn context(check: &Check) -> Option<String> {
    match check {
        Check::Hit { context, .. } => context.clone(),
        other => panic!("expected a hit, got {other:?}"),
    }
}
