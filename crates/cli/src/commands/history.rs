//! `smbaudit history`: the stored scans, newest first.

use std::collections::BTreeMap;
use std::io::Write;

use smbaudit_findings::Severity;
use smbaudit_store::ScanSummary;

use super::stored;
use crate::args::{HistoryArgs, ListFormat};
use crate::{Fatal, exit};

pub(crate) fn run(args: &HistoryArgs) -> Result<u8, Fatal> {
    // The per-user database not made yet: nothing stored, an empty history.
    let scans = match stored::open_read_only(&args.store)? {
        Some(store) => store.scans().map_err(Fatal::from)?,
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &scans)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            writeln!(
                out,
                "{:>5}  {:<24} {:<22} {:>6}  {:<26} Targets",
                "Scan", "Started", "Status", "Hosts", "Findings (crit/high/med/low/info)"
            )?;
            for s in &scans {
                writeln!(
                    out,
                    "{:>5}  {:<24} {:<22} {:>6}  {:<26} {}{}",
                    s.id.to_string(),
                    s.started,
                    status_cell(s),
                    s.hosts,
                    severity_counts(&s.findings_by_severity),
                    s.name
                        .as_ref()
                        .map(|n| format!("[{n}] "))
                        .unwrap_or_default(),
                    s.targets.join(" ")
                )?;
            }
        }
    }
    Ok(exit::OK)
}

/// The status, and for a scan of many workers how many shards finished:
/// "running, 3/4 shards".
fn status_cell(s: &ScanSummary) -> String {
    match (s.shards, s.chunks) {
        (Some(shards), _) => format!("{}, {shards}", s.status),
        (None, Some(chunks)) => format!("{}, {chunks}", s.status),
        (None, None) => s.status.to_string(),
    }
}

/// "1/0/2/0/5": findings per severity, most severe first, as the history tables show them.
pub(crate) fn severity_counts(by_severity: &BTreeMap<Severity, u64>) -> String {
    Severity::ALL_DESC
        .iter()
        .map(|sev| by_severity.get(sev).copied().unwrap_or(0).to_string())
        .collect::<Vec<_>>()
        .join("/")
}
