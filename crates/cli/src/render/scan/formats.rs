//! The machine-readable scan formats: JSON, JSON lines (schema/scan-host.v1.json), CSV of
//! hosts, CSV of findings, and the self-contained HTML report.

use std::collections::BTreeMap;
use std::io::{self, Write};

use smbaudit_findings::Finding;
use smbaudit_findings::identity::correlate;
use smbaudit_findings::record::{HostRecord, SUMMARY_HEADERS};

use super::{Ending, HostOutput, ScanSink, Scanned};
use crate::render::findings::{FINDINGS_CSV_HEADER, write_findings_csv};
use crate::render::html::{HtmlReport, NotChecked, write_html};
use crate::render::write_csv_row;

/// One JSON array of every host, sorted by address, at the end.
pub(super) struct Json<W>(pub(super) W);

impl<W: Write> ScanSink for Json<W> {
    fn needs_all(&self) -> bool {
        true
    }

    fn host(&mut self, _: &Scanned) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, ending: &Ending<'_>) -> io::Result<()> {
        let all: Vec<HostOutput<'_>> = ending.sorted().into_iter().map(HostOutput::new).collect();
        serde_json::to_writer_pretty(&mut self.0, &all)?;
        writeln!(self.0)?;
        self.0.flush()
    }
}

/// One JSON object per host and line, as hosts finish.
pub(super) struct Jsonl<W>(pub(super) W);

impl<W: Write> ScanSink for Jsonl<W> {
    fn host(&mut self, scanned: &Scanned) -> io::Result<()> {
        serde_json::to_writer(&mut self.0, &HostOutput::new(scanned))?;
        writeln!(self.0)?;
        self.0.flush()
    }

    fn end(&mut self, _: &Ending<'_>) -> io::Result<()> {
        self.0.flush()
    }
}

/// One CSV row per host: the summary row and the error count.
pub(super) struct Csv<W>(pub(super) W);

/// Sorted by address at the end, as `show` prints a stored scan.
impl<W: Write> ScanSink for Csv<W> {
    fn needs_all(&self) -> bool {
        true
    }

    fn begin(&mut self) -> io::Result<()> {
        write_csv_row(
            &mut self.0,
            SUMMARY_HEADERS.into_iter().chain(["shares", "errors"]),
        )
    }

    fn host(&mut self, _: &Scanned) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, ending: &Ending<'_>) -> io::Result<()> {
        for scanned in ending.sorted() {
            let host = &scanned.record;
            let row = host
                .summary_row()
                .into_iter()
                .chain([shares_cell(host), host.errors.len().to_string()]);
            write_csv_row(&mut self.0, row)?;
        }
        self.0.flush()
    }
}

/// The CSV `shares` cell: each share and each identity's access, or "-".
fn shares_cell(host: &HostRecord) -> String {
    host.smb
        .as_ref()
        .and_then(|s| s.shares.as_ref())
        .map_or_else(|| "-".into(), |l| l.summary())
}

/// One CSV row per finding.
pub(super) struct FindingsCsv<W>(pub(super) W);

/// Sorted by address at the end, as `show` prints a stored scan.
impl<W: Write> ScanSink for FindingsCsv<W> {
    fn needs_all(&self) -> bool {
        true
    }

    fn begin(&mut self) -> io::Result<()> {
        write_csv_row(&mut self.0, FINDINGS_CSV_HEADER)
    }

    fn host(&mut self, _: &Scanned) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, ending: &Ending<'_>) -> io::Result<()> {
        for scanned in ending.sorted() {
            write_findings_csv(&mut self.0, &scanned.eval.findings)?;
        }
        self.0.flush()
    }
}

/// The HTML report of every host, at the end.
pub(super) struct Html<W>(pub(super) W);

impl<W: Write> ScanSink for Html<W> {
    fn needs_all(&self) -> bool {
        true
    }

    fn host(&mut self, _: &Scanned) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, ending: &Ending<'_>) -> io::Result<()> {
        let sorted = ending.sorted();
        let hosts: Vec<HostRecord> = sorted.iter().map(|h| h.record.clone()).collect();
        let findings: Vec<Finding> = sorted
            .iter()
            .flat_map(|h| h.eval.findings.iter().cloned())
            .collect();
        // One entry per rule and reason, with the hosts (in table order) it applies to.
        let mut not_checked: BTreeMap<(&str, &str), Vec<std::net::IpAddr>> = BTreeMap::new();
        for h in &sorted {
            for (id, why) in &h.eval.not_checked {
                not_checked.entry((id, why)).or_default().push(h.record.ip);
            }
        }
        let not_checked: Vec<NotChecked> = not_checked
            .into_iter()
            .map(|((rule, why), hosts)| NotChecked {
                rule: rule.to_owned(),
                why: why.to_owned(),
                hosts,
            })
            .collect();
        let machines: Vec<Vec<std::net::IpAddr>> = correlate(ending.records())
            .into_iter()
            .filter(|m| m.addresses.len() > 1)
            .map(|m| m.addresses)
            .collect();
        let report = HtmlReport {
            title: "smbaudit report".to_owned(),
            generated: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            scan_id: ending.scan_id.clone(),
            vantage: ending.vantage.to_string(),
            command: ending.command.clone(),
            hosts: &hosts,
            findings: &findings,
            not_checked: &not_checked,
            machines: &machines,
        };
        write_html(&mut self.0, &report)?;
        self.0.flush()
    }
}
