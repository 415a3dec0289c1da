//! Rendering scan results: table, JSON, JSON lines (schema/scan-host.v1.json) and CSV.

use std::io::{self, Write};

use smbaudit_findings::record::HostRecord;

use super::write_csv_row;
use crate::args::ScanFormat;

/// The table and CSV columns of a host, in order.
fn columns(host: &HostRecord) -> [String; 12] {
    let smb = host.smb.as_ref();
    let yes_no = |v: Option<bool>| match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    };
    let ntlm = host.ntlm();
    let os = smb
        .and_then(|s| s.native_os.clone())
        .or_else(|| ntlm.and_then(|n| n.os_version.clone().map(|v| format!("NTLM {v}"))));
    [
        host.ip.to_string(),
        host.computer().unwrap_or("-").to_owned(),
        host.domain().unwrap_or("-").to_owned(),
        host.port("137/udp").unwrap_or("-").to_owned(),
        host.port("139/tcp").unwrap_or("-").to_owned(),
        host.port("445/tcp").unwrap_or("-").to_owned(),
        smb.and_then(|s| s.max_dialect.clone())
            .unwrap_or_else(|| "-".into()),
        smb.map_or_else(|| "-".into(), |s| s.dialects.join(",")),
        smb.map_or("-", |s| yes_no(s.smb1)).to_owned(),
        smb.map_or("-", |s| {
            yes_no(s.signing.smb2.as_ref().map(|sg| sg.required))
        })
        .to_owned(),
        os.unwrap_or_else(|| "-".into()),
        host.errors.len().to_string(),
    ]
}

const HEADERS: [&str; 12] = [
    "ip",
    "computer",
    "domain",
    "137/udp",
    "139/tcp",
    "445/tcp",
    "max_dialect",
    "dialects",
    "smb1",
    "smb2_signing_required",
    "os",
    "errors",
];

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

/// Writes hosts in one of the formats.
pub(crate) struct ScanRenderer<W: Write> {
    format: ScanFormat,
    verbose: bool,
    out: W,
    collected: Vec<HostRecord>,
}

impl<W: Write> ScanRenderer<W> {
    pub(crate) fn new(format: ScanFormat, verbose: bool, out: W) -> Self {
        Self {
            format,
            verbose,
            out,
            collected: Vec::new(),
        }
    }

    pub(crate) fn begin(&mut self) -> io::Result<()> {
        match self.format {
            ScanFormat::Table => {
                table_row(&mut self.out, TABLE_HEADERS.map(str::to_owned), "")?;
                self.out.flush()
            }
            ScanFormat::Csv => write_csv_row(&mut self.out, HEADERS),
            _ => Ok(()),
        }
    }

    pub(crate) fn host(&mut self, host: HostRecord) -> io::Result<()> {
        match self.format {
            ScanFormat::Table => {
                let [
                    ip,
                    computer,
                    domain,
                    udp137,
                    tcp139,
                    tcp445,
                    max,
                    _,
                    smb1,
                    sign,
                    os,
                    _,
                ] = columns(&host);
                let errors = if host.errors.is_empty() {
                    String::new()
                } else {
                    format!("  ({} errors)", host.errors.len())
                };
                table_row(
                    &mut self.out,
                    [
                        ip, computer, domain, udp137, tcp139, tcp445, max, smb1, sign, os,
                    ],
                    &errors,
                )?;
                if self.verbose {
                    self.details(&host)?;
                }
                self.out.flush()
            }
            ScanFormat::Json => {
                self.collected.push(host);
                Ok(())
            }
            ScanFormat::Jsonl => {
                serde_json::to_writer(&mut self.out, &host)?;
                writeln!(self.out)?;
                self.out.flush()
            }
            ScanFormat::Csv => write_csv_row(&mut self.out, columns(&host)),
        }
    }

    fn details(&mut self, host: &HostRecord) -> io::Result<()> {
        let out = &mut self.out;
        for (port, evidence) in &host.port_evidence {
            writeln!(
                out,
                "    {port:<8} {:<13} {evidence}",
                host.port(port).unwrap_or("-")
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

    pub(crate) fn end(&mut self) -> io::Result<()> {
        if self.format == ScanFormat::Json {
            self.collected.sort_by_key(|h| h.ip);
            serde_json::to_writer_pretty(&mut self.out, &self.collected)?;
            writeln!(self.out)?;
        }
        self.out.flush()
    }
}
