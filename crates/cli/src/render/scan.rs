//! Rendering scan results: table, JSON, JSON lines (schema/scan-host.v1.json) and CSV.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use smbaudit_findings::identity::correlate;
use smbaudit_findings::record::{HostRecord, SUMMARY_HEADERS};
use smbaudit_findings::{Evaluation, Finding, Vantage};

use super::findings::{FINDINGS_CSV_HEADER, write_findings_csv, write_grouped, write_machines};
use super::html::{HtmlReport, write_html};
use super::write_csv_row;
use crate::args::ScanFormat;

/// The CSV columns of a host: the summary row and the error count.
fn csv_row(host: &HostRecord) -> impl Iterator<Item = String> {
    host.summary_row()
        .into_iter()
        .chain([host.errors.len().to_string()])
}

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
}

/// Writes hosts in one of the formats.
pub(crate) struct ScanRenderer<W: Write> {
    format: ScanFormat,
    verbose: bool,
    colour: bool,
    out: W,
}

impl<W: Write> ScanRenderer<W> {
    pub(crate) fn new(format: ScanFormat, verbose: bool, colour: bool, out: W) -> Self {
        Self {
            format,
            verbose,
            colour,
            out,
        }
    }

    /// Whether the format needs every host at the end (else hosts can be dropped once shown).
    pub(crate) fn needs_all(&self) -> bool {
        matches!(
            self.format,
            ScanFormat::Table | ScanFormat::Json | ScanFormat::Html
        )
    }

    pub(crate) fn begin(&mut self) -> io::Result<()> {
        match self.format {
            ScanFormat::Table => {
                table_row(&mut self.out, TABLE_HEADERS.map(str::to_owned), "")?;
                self.out.flush()
            }
            ScanFormat::Csv => {
                write_csv_row(&mut self.out, SUMMARY_HEADERS.into_iter().chain(["errors"]))
            }
            ScanFormat::FindingsCsv => write_csv_row(&mut self.out, FINDINGS_CSV_HEADER),
            _ => Ok(()),
        }
    }

    pub(crate) fn host(&mut self, scanned: &Scanned) -> io::Result<()> {
        let host = &scanned.record;
        match self.format {
            ScanFormat::Table => {
                let cells = host.short_summary_row();
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
                table_row(&mut self.out, cells, &tail)?;
                if self.verbose {
                    self.details(host)?;
                }
                self.out.flush()
            }
            ScanFormat::Json | ScanFormat::Html => Ok(()),
            ScanFormat::Jsonl => {
                serde_json::to_writer(&mut self.out, &HostOutput::new(scanned))?;
                writeln!(self.out)?;
                self.out.flush()
            }
            ScanFormat::Csv => write_csv_row(&mut self.out, csv_row(host)),
            ScanFormat::FindingsCsv => write_findings_csv(&mut self.out, &scanned.eval.findings),
        }
    }

    pub(crate) fn end(&mut self, ending: &Ending<'_>) -> io::Result<()> {
        match self.format {
            ScanFormat::Table => {
                let findings: Vec<&Finding> =
                    ending.hosts.iter().flat_map(|h| &h.eval.findings).collect();
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
            }
            ScanFormat::Json => {
                let mut sorted: Vec<&Scanned> = ending.hosts.iter().collect();
                sorted.sort_by_key(|h| h.record.ip);
                let all: Vec<HostOutput<'_>> = sorted.into_iter().map(HostOutput::new).collect();
                serde_json::to_writer_pretty(&mut self.out, &all)?;
                writeln!(self.out)?;
            }
            ScanFormat::Html => {
                let mut sorted: Vec<&Scanned> = ending.hosts.iter().collect();
                sorted.sort_by_key(|h| h.record.ip);
                let hosts: Vec<HostRecord> = sorted.iter().map(|h| h.record.clone()).collect();
                let findings: Vec<Finding> = sorted
                    .iter()
                    .flat_map(|h| h.eval.findings.iter().cloned())
                    .collect();
                let mut not_checked: BTreeMap<&str, &str> = BTreeMap::new();
                for h in &sorted {
                    for (id, why) in &h.eval.not_checked {
                        not_checked.entry(id).or_insert(why);
                    }
                }
                let not_checked: Vec<(String, String)> = not_checked
                    .into_iter()
                    .map(|(id, why)| (id.to_owned(), why.to_owned()))
                    .collect();
                let machines: Vec<Vec<std::net::IpAddr>> = correlate(ending.records())
                    .into_iter()
                    .filter(|m| m.addresses.len() > 1)
                    .map(|m| m.addresses)
                    .collect();
                let report = HtmlReport {
                    title: "smbaudit report".to_owned(),
                    generated: humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                        .to_string(),
                    scan_id: ending.scan_id.clone(),
                    vantage: ending.vantage.to_string(),
                    command: ending.command.clone(),
                    hosts: &hosts,
                    findings: &findings,
                    not_checked: &not_checked,
                    machines: &machines,
                };
                write_html(&mut self.out, &report)?;
            }
            _ => {}
        }
        self.out.flush()
    }

    fn details(&mut self, host: &HostRecord) -> io::Result<()> {
        let out = &mut self.out;
        for (port, evidence) in &host.port_evidence {
            writeln!(
                out,
                "    {port:<8} {:<13} {evidence}",
                host.ports.get(port).map_or("-", |s| s.as_str())
            )?;
        }
        if let Some(nbss) = &host.nbss {
            for a in &nbss.attempts {
                writeln!(
                    out,
                    "    session  {:<16} {}{}",
                    a.called,
                    a.result,
                    a.detail
                        .as_ref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                )?;
            }
        }
        if let Some(smb) = &host.smb {
            writeln!(
                out,
                "    dialects {}{}",
                smb.dialects.join(" "),
                if smb.dialects_complete {
                    ""
                } else {
                    " (incomplete)"
                }
            )?;
            if let Some(reason) = &smb.smb1_reason {
                writeln!(out, "    smb1     {reason}")?;
            }
            if let Some(s) = &smb.signing.smb2 {
                writeln!(
                    out,
                    "    signing  smb2 enabled={} required={}",
                    s.enabled, s.required
                )?;
            }
            if let Some(s) = &smb.signing.smb1 {
                writeln!(
                    out,
                    "    signing  smb1 enabled={} required={}",
                    s.enabled, s.required
                )?;
            }
            if let Some(guid) = &smb.server_guid {
                writeln!(out, "    guid     {guid}")?;
            }
            if let Some(t) = &smb.system_time {
                writeln!(
                    out,
                    "    time     {t} (skew {} s), boot {}",
                    smb.clock_skew_secs.unwrap_or_default(),
                    smb.boot_time.as_deref().unwrap_or("not disclosed")
                )?;
            }
            if !smb.capabilities.is_empty() {
                writeln!(out, "    caps     {}", smb.capabilities.join(" "))?;
            }
            for ctx in &smb.contexts {
                let value = ctx
                    .decoded
                    .as_ref()
                    .and_then(|v| serde_json::to_string(v).ok())
                    .unwrap_or_else(|| ctx.data.clone());
                writeln!(out, "    context  {} {value}", ctx.name)?;
            }
            let mechs: Vec<&str> = smb
                .spnego_mechs
                .iter()
                .map(|m| m.name.as_deref().unwrap_or(m.oid.as_str()))
                .collect();
            if !mechs.is_empty() {
                writeln!(out, "    spnego   {}", mechs.join(" "))?;
            }
            for (label, ntlm) in [("ntlm", &smb.ntlm), ("ntlm1", &smb.smb1_ntlm)] {
                if let Some(n) = ntlm {
                    writeln!(
                        out,
                        "    {label:<8} computer={} domain={} dns={} dns_domain={} forest={} os={}",
                        n.netbios_computer.as_deref().unwrap_or("-"),
                        n.netbios_domain.as_deref().unwrap_or("-"),
                        n.dns_computer.as_deref().unwrap_or("-"),
                        n.dns_domain.as_deref().unwrap_or("-"),
                        n.dns_tree.as_deref().unwrap_or("-"),
                        n.os_version.as_deref().unwrap_or("-"),
                    )?;
                }
            }
            if smb.native_os.is_some() || smb.native_lanman.is_some() {
                writeln!(
                    out,
                    "    native   os={:?} lanman={:?}",
                    smb.native_os.as_deref().unwrap_or(""),
                    smb.native_lanman.as_deref().unwrap_or("")
                )?;
            }
        }
        for e in &host.errors {
            let port = e.port.map(|p| format!(" {p}")).unwrap_or_default();
            writeln!(out, "    error    {}{port}: {}", e.phase, e.message)?;
        }
        Ok(())
    }
}
