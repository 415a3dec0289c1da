//! `smbaudit diff A B`: what changed between two stored scans.

use std::io::Write;
use std::net::IpAddr;

use smbaudit_findings::Finding;
use smbaudit_probe::observation::Port;
use smbaudit_store::ScanDiff;

use super::stored;
use crate::args::{DiffArgs, ListFormat};
use crate::render::findings::plural;
use crate::{Fatal, exit};

pub(crate) fn run(args: &DiffArgs) -> Result<u8, Fatal> {
    let store = stored::open_existing(&args.store)?;
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

/// `ip | before -> after` rows.
fn changes<T: ToString>(v: &[(IpAddr, Option<T>, Option<T>)]) -> Vec<Vec<String>> {
    v.iter()
        .map(|(ip, x, y)| {
            vec![
                ip.to_string(),
                format!("{} -> {}", shown(x.as_ref()), shown(y.as_ref())),
            ]
        })
        .collect()
}

fn ports(v: &[Port]) -> String {
    if v.is_empty() {
        return "none".to_owned();
    }
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// What the two scans had in common, and what was left out of the comparison.
fn write_scope(out: &mut impl Write, d: &ScanDiff) -> std::io::Result<()> {
    let s = &d.scope;
    writeln!(
        out,
        "compared: {} both scans probed, on {}",
        plural(s.common_hosts, "target"),
        ports(&s.common_ports)
    )?;
    let mut left_out = Vec::new();
    if !s.ports_only_a.is_empty() {
        left_out.push(format!("{} (scan {} only)", ports(&s.ports_only_a), d.a));
    }
    if !s.ports_only_b.is_empty() {
        left_out.push(format!("{} (scan {} only)", ports(&s.ports_only_b), d.b));
    }
    if s.hosts_only_a > 0 {
        left_out.push(format!(
            "{} scan {} only probed",
            plural(s.hosts_only_a, "target"),
            d.a
        ));
    }
    if s.hosts_only_b > 0 {
        left_out.push(format!(
            "{} scan {} only probed",
            plural(s.hosts_only_b, "target"),
            d.b
        ));
    }
    if !left_out.is_empty() {
        writeln!(out, "not compared: {}", left_out.join("; "))?;
    }
    Ok(())
}

/// A titled section of rows, each column padded to its widest cell.
fn section(out: &mut impl Write, title: &str, rows: Vec<Vec<String>>) -> std::io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{title} ({})", rows.len())?;
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|x| x.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::from(" ");
        for (c, cell) in row.iter().enumerate() {
            let last = c + 1 == row.len();
            let pad = if last { 0 } else { widths[c] };
            line.push_str(&format!(" {cell:<pad$}"));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn write_table(out: &mut impl Write, d: &ScanDiff) -> std::io::Result<()> {
    writeln!(out, "scan {} -> scan {}", d.a, d.b)?;
    write_scope(out, d)?;
    if d.is_empty() {
        return writeln!(out, "no change");
    }
    let ip_port = |v: &[(IpAddr, Port)]| -> Vec<Vec<String>> {
        v.iter()
            .map(|(ip, p)| vec![ip.to_string(), p.to_string()])
            .collect()
    };
    section(out, "Ports opened", ip_port(&d.ports_opened))?;
    section(out, "Ports closed", ip_port(&d.ports_closed))?;
    let findings = |v: &[Finding]| -> Vec<Vec<String>> {
        v.iter()
            .map(|f| {
                vec![
                    f.ip.to_string(),
                    f.severity.to_string(),
                    f.rule_id.clone(),
                    f.title.clone(),
                ]
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
            .map(|(ip, x, y)| {
                vec![
                    ip.to_string(),
                    format!("{} -> {}", x.join(","), y.join(",")),
                ]
            })
            .collect(),
    )?;
    section(out, "SMB2 signing required", changes(&d.signing_changes))?;
    section(
        out,
        "SMB1 signing required",
        changes(&d.smb1_signing_changes),
    )?;
    section(out, "SMB1 enabled", changes(&d.smb1_changes))?;
    section(
        out,
        "Shares",
        d.share_changes
            .iter()
            .map(|c| vec![c.ip.to_string(), c.share.clone(), c.change.clone()])
            .collect(),
    )?;
    let ips =
        |v: &[IpAddr]| -> Vec<Vec<String>> { v.iter().map(|ip| vec![ip.to_string()]).collect() };
    section(out, "Hosts appeared", ips(&d.hosts_appeared))?;
    section(out, "Hosts gone", ips(&d.hosts_gone))?;
    Ok(())
}
