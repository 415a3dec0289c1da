//! Stored audits: `audit --db` writes one, `history --audits` lists them, `diff --audits A B`
//! compares two.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::Value;
use smbaudit_findings::Severity;
use smbaudit_hostaudit::report::Audit;
use smbaudit_store::{AuditDiff, AuditId, AuditSummary, ScanStore};

use super::stored;
use crate::args::{DiffArgs, HistoryArgs, ListFormat, StoreArgs};
use crate::render::findings::plural;
use crate::{Fatal, exit};

/// Stores `audit` in the database `--db` names; returns its id.
pub(crate) fn save(db: &std::path::Path, audit: &Audit) -> Result<AuditId, Fatal> {
    let store = stored::open(&StoreArgs {
        db: Some(db.to_owned()),
    })?;
    let mut findings_by_severity = BTreeMap::<Severity, u64>::new();
    for f in &audit.findings {
        *findings_by_severity.entry(f.severity).or_default() += 1;
    }
    let summary = AuditSummary {
        id: AuditId(0),
        started: rfc3339(audit.started_at),
        hostname: audit.hostname.clone(),
        reachable: audit.cells.iter().filter(|c| c.verdict.reachable()).count() as u64,
        findings_by_severity,
    };
    let json = serde_json::to_string(audit)?;
    store.save_audit(&summary, &json).map_err(Fatal::from)
}

/// Seconds since the epoch as RFC 3339 UTC, as the store writes scan times.
fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

/// `history --audits`.
pub(crate) fn history(args: &HistoryArgs) -> Result<u8, Fatal> {
    let audits = match stored::open_read_only(&args.store)? {
        Some(store) => store.audits().map_err(Fatal::from)?,
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &audits)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            writeln!(
                out,
                "{:>5}  {:<24} {:<20} {:>9}  Findings (crit/high/med/low/info)",
                "Audit", "Started", "Host", "Reachable"
            )?;
            for a in &audits {
                writeln!(
                    out,
                    "{:>5}  {:<24} {:<20} {:>9}  {}",
                    a.id.to_string(),
                    a.started,
                    a.hostname,
                    a.reachable,
                    super::history::severity_counts(&a.findings_by_severity)
                )?;
            }
        }
    }
    Ok(exit::OK)
}

/// `diff --audits A B`.
pub(crate) fn diff(args: &DiffArgs) -> Result<u8, Fatal> {
    let store = stored::open_existing(&args.store)?;
    let before = report(&*store, &args.a)?;
    let after = report(&*store, &args.b)?;
    let diff = AuditDiff::between(&before, &after);
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &diff)?;
            writeln!(out)?;
        }
        ListFormat::Table => write_diff(&mut out, &diff)?,
    }
    Ok(exit::OK)
}

fn write_diff(out: &mut impl Write, diff: &AuditDiff) -> std::io::Result<()> {
    if diff.is_empty() {
        return writeln!(out, "No change: every verdict and finding is the same.");
    }
    writeln!(out, "{} changed:", plural(diff.cells.len(), "verdict"))?;
    for c in &diff.cells {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "absent".into());
        writeln!(
            out,
            "  {:<28} {} -> {}",
            c.cell,
            shown(&c.before),
            shown(&c.after)
        )?;
    }
    for (label, list) in [
        ("New findings", &diff.new_findings),
        ("Gone findings", &diff.gone_findings),
    ] {
        if !list.is_empty() {
            writeln!(out, "{label}:")?;
            for f in list {
                writeln!(out, "  {f}")?;
            }
        }
    }
    Ok(())
}

/// A stored audit named by number or `last`, as its JSON.
fn report(store: &dyn ScanStore, name: &str) -> Result<Value, Fatal> {
    let id =
        if name == "last" {
            store
                .audits()
                .map_err(Fatal::from)?
                .first()
                .map(|a| a.id)
                .ok_or_else(|| Fatal::usage(anyhow::anyhow!("the database holds no audit yet")))?
        } else {
            AuditId(name.parse().map_err(|_| {
                Fatal::usage(anyhow::anyhow!("audit {name:?}: not a number or `last`"))
            })?)
        };
    let json = store.audit(id).map_err(Fatal::usage)?;
    serde_json::from_str(&json)
        .map_err(|e| Fatal::from(anyhow::anyhow!("audit {id}: stored report unreadable: {e}")))
}
