//! Stored audits of a machine (`smbaudit audit --db`): the report's JSON verbatim with a
//! summary to list them by, and what changed between two of them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smbaudit_findings::Severity;

/// An audit's id in the store, shown to users as a plain number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AuditId(pub i64);

impl fmt::Display for AuditId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What an audit list shows of one audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    /// Its id.
    pub id: AuditId,
    /// When it ran, RFC 3339 UTC.
    pub started: String,
    /// The machine's host name.
    pub hostname: String,
    /// Cells judged exposed or exposed to a prefix.
    pub reachable: u64,
    /// Findings per severity (severities with no finding are absent).
    pub findings_by_severity: BTreeMap<Severity, u64>,
}

/// A verdict that changed between two audits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellChange {
    /// "eth0 ipv4 445/tcp".
    pub cell: String,
    /// The earlier verdict (`None`: the cell was not there, e.g. a new interface).
    pub before: Option<String>,
    /// The later verdict (`None`: gone).
    pub after: Option<String>,
}

/// What changed from one audit to another: verdicts, and findings that appeared or went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditDiff {
    /// Cells whose verdict changed.
    pub cells: Vec<CellChange>,
    /// Findings in the later audit only, as "rule_id on interface-address".
    pub new_findings: Vec<String>,
    /// Findings in the earlier audit only.
    pub gone_findings: Vec<String>,
}

impl AuditDiff {
    /// Compares two audit reports (their JSON, as stored).
    pub fn between(before: &Value, after: &Value) -> Self {
        let (a, b) = (cells(before), cells(after));
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        let cells = keys
            .into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .map(|k| CellChange {
                cell: k.clone(),
                before: a.get(k).cloned(),
                after: b.get(k).cloned(),
            })
            .collect();
        let (fa, fb) = (findings(before), findings(after));
        Self {
            cells,
            new_findings: fb.difference(&fa).cloned().collect(),
            gone_findings: fa.difference(&fb).cloned().collect(),
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.new_findings.is_empty() && self.gone_findings.is_empty()
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("?").to_owned()
}

fn cells(report: &Value) -> BTreeMap<String, String> {
    report
        .get("cells")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let key = format!(
                "{} {} {}",
                text(c, "interface"),
                text(c, "family"),
                text(c, "service")
            );
            (key, text(c, "verdict"))
        })
        .collect()
}

fn findings(report: &Value) -> BTreeSet<String> {
    report
        .get("findings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} ({}) on {}",
                text(f, "rule_id"),
                text(f, "severity"),
                text(f, "context").split(':').next().unwrap_or("?")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn diff_names_changed_verdicts_and_findings() {
        let before = json!({
            "cells": [
                {"interface": "eth0", "family": "ipv4", "service": "445/tcp", "verdict": "exposed"},
                {"interface": "eth0", "family": "ipv4", "service": "139/tcp", "verdict": "not-listening"}
            ],
            "findings": [{"rule_id": "audit-reachable-smb", "severity": "critical", "context": "eth0: holds the default route"}]
        });
        let after = json!({
            "cells": [
                {"interface": "eth0", "family": "ipv4", "service": "445/tcp", "verdict": "filtered"},
                {"interface": "eth0", "family": "ipv4", "service": "139/tcp", "verdict": "not-listening"},
                {"interface": "eth1", "family": "ipv4", "service": "445/tcp", "verdict": "exposed"}
            ],
            "findings": []
        });
        let diff = AuditDiff::between(&before, &after);
        assert_eq!(diff.cells.len(), 2, "{diff:?}");
        assert_eq!(
            diff.cells[0],
            CellChange {
                cell: "eth0 ipv4 445/tcp".into(),
                before: Some("exposed".into()),
                after: Some("filtered".into()),
            }
        );
        assert_eq!(diff.cells[1].before, None);
        assert_eq!(
            diff.gone_findings,
            ["audit-reachable-smb (critical) on eth0"]
        );
        assert!(diff.new_findings.is_empty());
        assert!(AuditDiff::between(&after, &after).is_empty());
    }
}
