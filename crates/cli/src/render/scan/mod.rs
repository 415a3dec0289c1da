//! Scan results in every output format, each a type behind [`ScanSink`] (begin / host /
//! end, as ripgrep's printers): table, JSON, JSON lines (schema/scan-host.v1.json), CSV,
//! findings CSV, HTML and the share list. [`sink`] is the one place a format is chosen.

mod details;
mod formats;
mod shares;
mod table;

use std::io::{self, IsTerminal, Write};

use serde::Serialize;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Evaluation, Finding, Vantage};

use crate::args::ScanFormat;

/// An output format of scan results.
pub(crate) trait ScanSink {
    /// Whether the format needs every host at the end (else hosts can be dropped once
    /// shown).
    fn needs_all(&self) -> bool {
        false
    }

    /// Before the first host (headers).
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// One host, as it finishes.
    fn host(&mut self, scanned: &Scanned) -> io::Result<()>;

    /// After the last host: what the format shows of all of them.
    fn end(&mut self, ending: &Ending<'_>) -> io::Result<()>;
}

/// The sink of `format`, writing to `out`.
pub(crate) fn sink<'a, W: Write + 'a>(
    format: ScanFormat,
    verbose: bool,
    colour: bool,
    out: W,
) -> Box<dyn ScanSink + 'a> {
    match format {
        ScanFormat::Table => Box::new(table::Table {
            out,
            verbose,
            colour,
            live: io::stdout().is_terminal(),
        }),
        ScanFormat::Json => Box::new(formats::Json(out)),
        ScanFormat::Jsonl => Box::new(formats::Jsonl(out)),
        ScanFormat::Csv => Box::new(formats::Csv(out)),
        ScanFormat::FindingsCsv => Box::new(formats::FindingsCsv(out)),
        ScanFormat::Html => Box::new(formats::Html(out)),
        ScanFormat::Shares => Box::new(shares::Shares { out, verbose }),
    }
}

/// One host as the scan command hands it over: its record and what the rules made of it.
#[derive(Debug, Clone)]
pub(crate) struct Scanned {
    pub(crate) record: HostRecord,
    pub(crate) eval: Evaluation,
}

/// The JSON host object: the record plus its findings.
#[derive(Serialize)]
struct HostOutput<'a> {
    #[serde(flatten)]
    record: &'a HostRecord,
    findings: &'a [Finding],
    not_checked: Vec<NotChecked<'a>>,
}

#[derive(Serialize)]
struct NotChecked<'a> {
    rule_id: &'a str,
    reason: &'a str,
}

impl<'a> HostOutput<'a> {
    fn new(s: &'a Scanned) -> Self {
        Self {
            record: &s.record,
            findings: &s.eval.findings,
            not_checked: s
                .eval
                .not_checked
                .iter()
                .map(|(rule_id, reason)| NotChecked { rule_id, reason })
                .collect(),
        }
    }
}

/// What the end of a report shows besides the hosts.
pub(crate) struct Ending<'a> {
    pub(crate) hosts: &'a [Scanned],
    pub(crate) scan_id: Option<String>,
    pub(crate) vantage: Vantage,
    pub(crate) command: String,
}

impl Ending<'_> {
    /// The records of the hosts shown.
    fn records(&self) -> impl Iterator<Item = &HostRecord> {
        self.hosts.iter().map(|s| &s.record)
    }

    /// The hosts by address.
    fn sorted(&self) -> Vec<&Scanned> {
        let mut sorted: Vec<&Scanned> = self.hosts.iter().collect();
        sorted.sort_by_key(|h| h.record.ip);
        sorted
    }
}
