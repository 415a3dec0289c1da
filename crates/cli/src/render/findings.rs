//! Findings as people read them: grouped by severity, most urgent first, coloured on a
//! terminal (NO_COLOR honoured); and as a findings-level CSV.

use std::io::{self, IsTerminal, Write};

use smbaudit_findings::identity::Machine;
use smbaudit_findings::{Finding, Severity};

use super::write_csv_row;

/// Whether to colour stdout: a terminal, and NO_COLOR unset or empty (no-color.org).
pub(crate) fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn paint(colour: bool, severity: Severity, text: &str) -> String {
    if !colour {
        return text.to_owned();
    }
    let code = match severity {
        Severity::Critical => "1;97;41",
        Severity::High => "1;31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// The findings section of the table format: counts, then each severity's findings, one
/// line per host; with `verbose`, each finding's evidence under it and each rule's
/// rationale and fix once, after its hosts.
pub(crate) fn write_grouped(
    out: &mut impl Write,
    findings: &[&Finding],
    not_checked: &[(String, usize)],
    colour: bool,
    verbose: bool,
) -> io::Result<()> {
    writeln!(out)?;
    let counts: Vec<String> = Severity::ALL_DESC
        .iter()
        .map(|s| {
            let n = findings.iter().filter(|f| f.severity == *s).count();
            paint(colour && n > 0, *s, &format!("{n} {s}"))
        })
        .collect();
    writeln!(out, "Findings: {}", counts.join(", "))?;
    for severity in Severity::ALL_DESC {
        let mut group: Vec<&Finding> = findings
            .iter()
            .copied()
            .filter(|f| f.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        group.sort_by(|a, b| (&a.rule_id, a.ip).cmp(&(&b.rule_id, b.ip)));
        let label = severity.as_str().to_uppercase();
        writeln!(out, "\n{}", paint(colour, severity, &label))?;
        for rule in group.chunk_by(|a, b| a.rule_id == b.rule_id) {
            write_rule(out, rule, verbose)?;
        }
    }
    if !not_checked.is_empty() {
        let list: Vec<String> = not_checked
            .iter()
            .map(|(id, hosts)| format!("{id} ({})", plural(*hosts, "host")))
            .collect();
        writeln!(out, "\nNot checked: {}", list.join(", "))?;
    }
    Ok(())
}

/// The findings of one rule: a line per host (with its evidence when verbose), then the
/// rule's rationale and fix once.
fn write_rule(out: &mut impl Write, rule: &[&Finding], verbose: bool) -> io::Result<()> {
    for f in rule {
        let context = f
            .context
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        writeln!(out, "  {:<15} {:<28} {}{context}", f.ip, f.rule_id, f.title)?;
        if verbose {
            for e in &f.evidence {
                writeln!(out, "      evidence: {} = {}", e.field, e.value)?;
            }
        }
    }
    let Some(first) = rule.first().filter(|_| verbose) else {
        return Ok(());
    };
    writeln!(out, "    why ({}): {}", first.rule_id, first.rationale)?;
    for r in &first.remediation {
        writeln!(out, "    fix ({}, {}):", first.rule_id, r.platform)?;
        for line in r.steps.lines() {
            writeln!(out, "      {line}")?;
        }
    }
    Ok(())
}

/// `n` and the noun, singular or plural: "1 host", "2 hosts".
pub(crate) fn plural(n: impl TryInto<u64>, noun: &str) -> String {
    let n: u64 = n.try_into().unwrap_or(u64::MAX);
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Addresses listed per machine before the rest are counted.
const MACHINE_ADDRESSES_SHOWN: usize = 8;
/// Machines listed before the rest are counted.
const MACHINES_SHOWN: usize = 20;

/// Machines seen at several addresses (same server GUID, NTLM DNS name or MAC): a line per
/// machine with its first addresses, wrapped, and counts for the rest.
pub(crate) fn write_machines(out: &mut impl Write, machines: &[Machine]) -> io::Result<()> {
    let multi: Vec<&Machine> = machines.iter().filter(|m| m.addresses.len() > 1).collect();
    if multi.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nOne machine, several addresses:")?;
    for m in multi.iter().take(MACHINES_SHOWN) {
        let shown: Vec<String> = m
            .addresses
            .iter()
            .take(MACHINE_ADDRESSES_SHOWN)
            .map(ToString::to_string)
            .collect();
        let more = m.addresses.len().saturating_sub(MACHINE_ADDRESSES_SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {} addresses [{}]:",
            m.addresses.len(),
            m.keys.join(", ")
        )?;
        for line in shown.chunks(4) {
            writeln!(out, "    {}", line.join(", "))?;
        }
        if !more.is_empty() {
            writeln!(out, "   {more}")?;
        }
    }
    if multi.len() > MACHINES_SHOWN {
        writeln!(
            out,
            "  and {} more (every address: -f json, or the HTML report)",
            plural(multi.len() - MACHINES_SHOWN, "machine")
        )?;
    }
    Ok(())
}

/// Header of the findings-level CSV.
pub(crate) const FINDINGS_CSV_HEADER: [&str; 8] = [
    "ip",
    "severity",
    "rule_id",
    "title",
    "evidence",
    "context",
    "remediation",
    "references",
];

/// One findings-level CSV row per finding.
pub(crate) fn write_findings_csv(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    for f in findings {
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("{}={}", e.field, e.value))
            .collect();
        let remediation: Vec<String> = f
            .remediation
            .iter()
            .map(|r| format!("[{}] {}", r.platform, r.steps))
            .collect();
        write_csv_row(
            out,
            [
                f.ip.to_string(),
                f.severity.to_string(),
                f.rule_id.clone(),
                f.title.clone(),
                evidence.join("; "),
                f.context.clone().unwrap_or_default(),
                remediation.join("\n"),
                f.references.join(" "),
            ],
        )?;
    }
    Ok(())
}
