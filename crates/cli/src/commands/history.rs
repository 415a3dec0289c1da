//! `smbaudit history`: the stored scans, newest first.

use std::collections::BTreeMap;
use std::io::Write;

use smbaudit_findings::Severity;

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
                "{:>5}  {:<24} {:<11} {:>6}  {:<26} Targets",
                "Scan", "Started", "Status", "Hosts", "Findings (crit/high/med/low/info)"
            )?;
            for s in &scans {
                writeln!(
                    out,
                    "{:>5}  {:<24} {:<11} {:>6}  {:<26} {}",
                    s.id.to_string(),
                    s.started,
                    s.status.to_string(),
                    s.hosts,
                    severity_counts(&s.findings_by_severity),
                    s.targets.join(" ")
                )?;
            }
        }
    }
    Ok(exit::OK)
}

/// "1/0/2/0/5": findings per severity, most severe first, as the history tables show them.
pub(crate) fn severity_counts(by_severity: &BTreeMap<Severity, u64>) -> String {
    Severity::ALL_DESC
        .iter()
        .map(|sev| by_severity.get(sev).copied().unwrap_or(0).to_string())
        .collect::<Vec<_>>()
        .join("/")
}
