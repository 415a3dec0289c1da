//! `smbaudit diff A B`: what changed between two stored scans.

use std::io::Write;
use std::net::IpAddr;

use smbaudit_findings::Finding;
use smbaudit_store::ScanDiff;

use super::stored;
use crate::args::{DiffArgs, ListFormat};
use crate::{Fatal, exit};

pub(crate) fn run(args: &DiffArgs) -> Result<u8, Fatal> {
    let store = stored::open(&args.store)?;
    let a = stored::resolve(&*store, &args.a)?.id;
    let b = stored::resolve(&*store, &args.b)?.id;
    let diff = store.diff(a, b).map_err(Fatal::from)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &diff)?;
            writeln!(out)?;
        }
        ListFormat::Table => write_table(&mut out, &diff)?,
    }
    Ok(exit::OK)
}

fn shown<T: ToString>(v: Option<&T>) -> String {
    v.map_or_else(|| "unknown".to_owned(), ToString::to_string)
}

/// `ip  before -> after` lines.
fn changes<T: ToString>(v: &[(IpAddr, Option<T>, Option<T>)]) -> Vec<String> {
    v.iter()
        .map(|(ip, x, y)| format!("{ip:<15} {} -> {}", shown(x.as_ref()), shown(y.as_ref())))
        .collect()
}

fn write_table(out: &mut impl Write, d: &ScanDiff) -> std::io::Result<()> {
    writeln!(out, "scan {} -> scan {}", d.a, d.b)?;
    if d.is_empty() {
        return writeln!(out, "no change");
    }
    let section = |out: &mut dyn Write, title: &str, lines: Vec<String>| -> std::io::Result<()> {
        if !lines.is_empty() {
            writeln!(out, "\n{title} ({})", lines.len())?;
            for l in lines {
                writeln!(out, "  {l}")?;
            }
        }
        Ok(())
    };
    let ip_port = |v: &[(IpAddr, smbaudit_probe::observation::Port)]| -> Vec<String> {
        v.iter().map(|(ip, p)| format!("{ip:<15} {p}")).collect()
    };
    section(out, "Ports opened", ip_port(&d.ports_opened))?;
    section(out, "Ports closed", ip_port(&d.ports_closed))?;
    let findings = |v: &[Finding]| -> Vec<String> {
        v.iter()
            .map(|f| {
                format!(
                    "{:<15} {:<8} {:<28} {}",
                    f.ip, f.severity, f.rule_id, f.title
                )
            })
            .collect()
    };
    section(out, "New findings", findings(&d.findings_new))?;
    section(out, "Resolved findings", findings(&d.findings_resolved))?;
    section(out, "Highest dialect", changes(&d.dialect_changes))?;
    section(
        out,
        "Dialect set",
        d.dialect_set_changes
            .iter()
            .map(|(ip, x, y)| format!("{ip:<15} {} -> {}", x.join(","), y.join(",")))
            .collect(),
    )?;
    section(out, "SMB2 signing required", changes(&d.signing_changes))?;
    section(
        out,
        "SMB1 signing required",
        changes(&d.smb1_signing_changes),
    )?;
    section(out, "SMB1 enabled", changes(&d.smb1_changes))?;
    let ips = |v: &[IpAddr]| -> Vec<String> { v.iter().map(ToString::to_string).collect() };
    section(out, "Hosts appeared", ips(&d.hosts_appeared))?;
    section(out, "Hosts gone", ips(&d.hosts_gone))?;
    Ok(())
}
