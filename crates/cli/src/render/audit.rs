//! `smbaudit audit` output: a table of verdicts per interface and port with the findings
//! under it, one JSON object, or JSON lines (one object per interface, cell, finding and
//! could-not-read line, each tagged with its `type`).

use std::io::{self, Write};

use serde::Serialize;
use smbaudit_findings::Finding;
use smbaudit_hostaudit::Service;
use smbaudit_hostaudit::firewall::Backend;
use smbaudit_hostaudit::interfaces::Interface;
use smbaudit_hostaudit::report::Audit;
use smbaudit_hostaudit::samba::ReadMethod;
use smbaudit_hostaudit::verdict::{Cell, CellVerdict, describe};

use super::findings::{FINDINGS_CSV_HEADER, colour_stdout, write_findings_csv, write_grouped};
use super::write_csv_row;

/// The table: verdicts, what listens, Samba, the firewall, findings, could-not-read lines.
pub(crate) fn write_table(out: &mut impl Write, audit: &Audit, verbose: bool) -> io::Result<()> {
    writeln!(
        out,
        "This machine ({}): {} interfaces, read in {} ms; nothing was sent.\n",
        audit.hostname,
        audit.interfaces.len(),
        audit.elapsed_ms
    )?;
    write_grid(out, audit)?;
    write_facts(out, audit)?;
    if verbose {
        write_reasons(out, &audit.cells)?;
    }
    let findings: Vec<&Finding> = audit.findings.iter().collect();
    write_grouped(out, &findings, &[], colour_stdout(), verbose)?;
    if !verbose && !findings.is_empty() {
        writeln!(
            out,
            "\n(-v shows the evidence and the exact fix for each finding)"
        )?;
    }
    write_unreadable(out, audit)
}

/// One row per interface and family, one column per audited port.
fn write_grid(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    write!(out, "{:<16} {:<8} {:<6}", "INTERFACE", "FACING", "FAMILY")?;
    for service in Service::AUDITED {
        write!(out, " {:<10}", service.to_string())?;
    }
    writeln!(out)?;
    for row in audit.rows() {
        write!(
            out,
            "{:<16} {:<8} {:<6}",
            row.interface,
            row.facing.as_str(),
            row.family.to_string()
        )?;
        for service in Service::AUDITED {
            let verdict = audit.cell(row, service).map_or("", |c| short(c.verdict));
            write!(out, " {verdict:<10}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "(exposed: reachable from anywhere on that side; prefix: accepted from some sources only;\n \
         restricted: Samba refuses it; filtered: the firewall drops it; -: nothing listens; ?: unknown)"
    )
}

fn short(v: CellVerdict) -> &'static str {
    match v {
        CellVerdict::Exposed => "EXPOSED",
        CellVerdict::ExposedToPrefix => "prefix",
        CellVerdict::Restricted => "restricted",
        CellVerdict::Filtered => "filtered",
        CellVerdict::NotListening => "-",
        CellVerdict::Unknown => "?",
    }
}

/// Why each interface is on its side, what listens, Samba's settings, the firewall.
fn write_facts(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    writeln!(out)?;
    for iface in &audit.interfaces {
        writeln!(out, "{}: {}", iface.name, interface_line(iface))?;
    }
    if audit.listeners.is_empty() {
        writeln!(
            out,
            "Listening: nothing on 135/tcp, 137-138/udp, 139/tcp or 445/tcp"
        )?;
    } else {
        let each: Vec<String> = audit
            .listeners
            .iter()
            .map(|l| format!("{} {}", l.service, describe(l)))
            .collect();
        writeln!(out, "Listening: {}", each.join("; "))?;
    }
    for conf in &audit.samba {
        let p = &conf.params;
        writeln!(
            out,
            "Samba: {} (read with {}, pids {:?}): interfaces = {}; bind interfaces only = {}; smb ports = {}; disable netbios = {}; server min protocol = {}; server signing = {}; restrict anonymous = {}; map to guest = {}; guest ok shares: {}",
            conf.path.display(),
            match conf.method {
                ReadMethod::Testparm => "testparm",
                ReadMethod::Parsed => "smbaudit's parser",
            },
            conf.pids,
            if p.interfaces.is_empty() {
                "(unset: every interface)".to_owned()
            } else {
                p.interfaces.join(" ")
            },
            yes_no(p.bind_interfaces_only),
            p.smb_ports
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            yes_no(p.disable_netbios),
            p.server_min_protocol,
            p.server_signing,
            p.restrict_anonymous,
            p.map_to_guest,
            if p.guest_ok_shares.is_empty() {
                "none".to_owned()
            } else {
                p.guest_ok_shares.join(", ")
            },
        )?;
    }
    match &audit.firewall {
        Some(fw) if fw.input_chains.is_empty() => {
            writeln!(out, "Firewall: {}, no input chain", backend(fw.backend))
        }
        Some(fw) => writeln!(
            out,
            "Firewall: {}: {}",
            backend(fw.backend),
            fw.input_chains.join("; ")
        ),
        None => writeln!(out, "Firewall: could not be read"),
    }
}

fn backend(b: Backend) -> &'static str {
    match b {
        Backend::Nftables => "nftables",
        Backend::Iptables => "iptables",
    }
}

fn interface_line(iface: &Interface) -> String {
    let addrs: Vec<String> = iface.addrs.iter().map(ToString::to_string).collect();
    let addrs = if addrs.is_empty() {
        "no address".to_owned()
    } else {
        addrs.join(" ")
    };
    format!("{} {addrs} ({})", iface.facing.as_str(), iface.why)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// With -v: every cell that is not "nothing listens", with its reason and rule.
fn write_reasons(out: &mut impl Write, cells: &[Cell]) -> io::Result<()> {
    writeln!(out)?;
    for c in cells
        .iter()
        .filter(|c| c.verdict != CellVerdict::NotListening)
    {
        let rule = c
            .rule
            .as_ref()
            .map(|r| {
                format!(
                    " [{} {} {}: {}]",
                    r.table,
                    r.chain,
                    r.handle.map_or_else(String::new, |h| format!("handle {h}")),
                    r.text
                )
            })
            .unwrap_or_default();
        writeln!(
            out,
            "  {} {} {}: {}: {}{rule}",
            c.interface,
            c.family,
            c.service,
            c.verdict.as_str(),
            c.reason
        )?;
    }
    Ok(())
}

fn write_unreadable(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    if audit.unreadable.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nCould not read:")?;
    for u in &audit.unreadable {
        writeln!(out, "  {}: {}", u.what, u.why)?;
    }
    Ok(())
}

/// The whole audit as one pretty JSON object.
pub(crate) fn write_json(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, audit)?;
    writeln!(out)
}

/// A JSON line: the record and its type.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    item: &'a T,
}

/// One JSON object per line: interfaces, cells, findings, could-not-read lines.
pub(crate) fn write_jsonl(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    fn line<T: Serialize>(out: &mut impl Write, kind: &'static str, item: &T) -> io::Result<()> {
        serde_json::to_writer(&mut *out, &Line { kind, item })?;
        writeln!(out)
    }
    for i in &audit.interfaces {
        line(out, "interface", i)?;
    }
    for c in &audit.cells {
        line(out, "cell", c)?;
    }
    for f in &audit.findings {
        line(out, "finding", f)?;
    }
    for u in &audit.unreadable {
        line(out, "unreadable", u)?;
    }
    Ok(())
}

/// One CSV row per finding, as `scan -f findings-csv`.
pub(crate) fn write_csv(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    write_csv_row(out, FINDINGS_CSV_HEADER)?;
    write_findings_csv(out, &audit.findings)
}
