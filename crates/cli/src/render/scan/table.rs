//! The scan table: one line per host (with `-v`, its details), then the findings grouped by
//! rule and the machines seen under several addresses. On a terminal the lines come as
//! hosts finish; written to a file or pipe they come at the end, sorted by address, as
//! `show` prints a stored scan.

use std::collections::BTreeMap;
use std::io::{self, Write};

use smbaudit_findings::Finding;
use smbaudit_findings::identity::correlate;

use super::details::write_details;
use super::{Ending, ScanSink, Scanned};
use crate::render::findings::{write_grouped, write_machines};

/// Table columns: header and width (the last is not padded).
const TABLE_HEADERS: [&str; 10] = [
    "IP address",
    "Computer",
    "Domain",
    "137/udp",
    "139/tcp",
    "445/tcp",
    "Max",
    "SMB1",
    "SignReq",
    "OS",
];
const TABLE_WIDTHS: [usize; 9] = [15, 15, 15, 13, 8, 8, 5, 4, 7];

/// One table line: padded cells, then `tail`.
fn table_row(out: &mut impl Write, cells: [String; 10], tail: &str) -> io::Result<()> {
    for (cell, width) in cells.iter().zip(TABLE_WIDTHS) {
        write!(out, "{cell:<width$} ")?;
    }
    writeln!(out, "{}{tail}", cells[9])
}

/// The table format.
pub(super) struct Table<W> {
    pub(super) out: W,
    pub(super) verbose: bool,
    pub(super) colour: bool,
    /// Lines as hosts finish (a terminal), else sorted at the end.
    pub(super) live: bool,
}

impl<W: Write> Table<W> {
    fn line(&mut self, scanned: &Scanned) -> io::Result<()> {
        let host = &scanned.record;
        let mut tail = String::new();
        if let Some(worst) = scanned.eval.findings.first() {
            tail += &format!(
                "  [{} findings, worst {}]",
                scanned.eval.findings.len(),
                worst.severity
            );
        }
        if !host.errors.is_empty() {
            tail += &format!("  ({} errors)", host.errors.len());
        }
        table_row(&mut self.out, host.short_summary_row(), &tail)?;
        if self.verbose {
            write_details(&mut self.out, host)?;
        }
        Ok(())
    }
}

impl<W: Write> ScanSink for Table<W> {
    fn needs_all(&self) -> bool {
        true
    }

    fn begin(&mut self) -> io::Result<()> {
        table_row(&mut self.out, TABLE_HEADERS.map(str::to_owned), "")?;
        self.out.flush()
    }

    fn host(&mut self, scanned: &Scanned) -> io::Result<()> {
        if !self.live {
            return Ok(());
        }
        self.line(scanned)?;
        self.out.flush()
    }

    fn end(&mut self, ending: &Ending<'_>) -> io::Result<()> {
        if !self.live {
            for scanned in ending.sorted() {
                self.line(scanned)?;
            }
        }
        let findings: Vec<&Finding> = ending.hosts.iter().flat_map(|h| &h.eval.findings).collect();
        let mut not_checked: BTreeMap<&str, usize> = BTreeMap::new();
        for h in ending.hosts {
            for (id, _) in &h.eval.not_checked {
                *not_checked.entry(id).or_default() += 1;
            }
        }
        let not_checked: Vec<(String, usize)> = not_checked
            .into_iter()
            .map(|(id, n)| (id.to_owned(), n))
            .collect();
        write_grouped(
            &mut self.out,
            &findings,
            &not_checked,
            self.colour,
            self.verbose,
        )?;
        write_machines(&mut self.out, &correlate(ending.records()))?;
        self.out.flush()
    }
}
