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

/// The findings section of the table format: counts, then each severity's findings; with
/// `verbose`, the rationale, evidence and remediation under each.
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
        let mut group: Vec<&&Finding> =
            findings.iter().filter(|f| f.severity == severity).collect();
        if group.is_empty() {
            continue;
        }
        group.sort_by(|a, b| (&a.rule_id, a.ip).cmp(&(&b.rule_id, b.ip)));
        let label = severity.as_str().to_uppercase();
        writeln!(out, "\n{}", paint(colour, severity, &label))?;
        for f in group {
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
                writeln!(out, "      why: {}", f.rationale)?;
                for r in &f.remediation {
                    writeln!(out, "      fix ({}):", r.platform)?;
                    for line in r.steps.lines() {
                        writeln!(out, "        {line}")?;
                    }
                }
            }
        }
    }
    if !not_checked.is_empty() {
        let list: Vec<String> = not_checked
            .iter()
            .map(|(id, hosts)| format!("{id} ({hosts} hosts)"))
            .collect();
        writeln!(out, "\nNot checked: {}", list.join(", "))?;
    }
    Ok(())
}

/// Machines seen at several addresses (same server GUID, NTLM DNS name or MAC).
pub(crate) fn write_machines(out: &mut impl Write, machines: &[Machine]) -> io::Result<()> {
    let multi: Vec<&Machine> = machines.iter().filter(|m| m.addresses.len() > 1).collect();
    if multi.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nOne machine, several addresses:")?;
    for m in multi {
        let addrs: Vec<String> = m.addresses.iter().map(ToString::to_string).collect();
        writeln!(out, "  {}  [{}]", addrs.join(", "), m.keys.join(", "))?;
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
