//! The HTML report: one self-contained HTML5 file (inline CSS, inline JS, inline SVG; no
//! external resource of any kind, and a Content-Security-Policy that forbids loading one).
//!
//! Everything that came from the network is untrusted: NetBIOS and NTLM names, OS strings and
//! error messages are chosen by the server and may hold markup. Every string is written through
//! [`escape`], attributes are always double-quoted, and the script reads data only from
//! `data-*` attributes, never from generated JavaScript. The page is complete without the
//! script; the script only adds sorting, filtering and copy buttons.
//!
//! It scales to networks: each rule's rationale, fix and references are written once, in the
//! "Findings by rule" section (`#rule-<id>`), with the hosts it fired on; host rows refer to
//! rules by id, and a host's evidence folds into its row (`<details>`). Long host lists show
//! the first [`lists::LISTED`] addresses as links and the rest as address ranges.
//!
//! The script reads its state from the URL fragment, e.g. `report.html#filter=10.0.0.5&sort=-ip`
//! (a leading `-` sorts descending), and sets `document.body.dataset.ready = "1"` when it has
//! initialised (after the first layout; `data-ready-ms` says when, `data-table-fits` whether
//! the host table fits its box without horizontal scrolling).
//!
//! This file is also compiled into the integration tests (`tests/it/html.rs` includes it with
//! `#[path]`), so it and its submodules depend only on std and `smbaudit_findings`.

#[path = "html/hosts.rs"]
mod hosts;
#[path = "html/lists.rs"]
mod lists;
#[path = "html/rules.rs"]
mod rules;

use std::collections::HashSet;
use std::io::{self, Write};
use std::net::IpAddr;

use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};

use lists::host_list;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Everything the report shows.
pub(crate) struct HtmlReport<'a> {
    /// Page title and heading.
    pub(crate) title: String,
    /// When the report was written, RFC 3339.
    pub(crate) generated: String,
    /// The stored scan, if any.
    pub(crate) scan_id: Option<String>,
    /// Where the scan ran from (e.g. "LAN", "internet").
    pub(crate) vantage: String,
    /// The command line.
    pub(crate) command: String,
    /// The scanned hosts, in table order.
    pub(crate) hosts: &'a [HostRecord],
    /// What the rules concluded.
    pub(crate) findings: &'a [Finding],
    /// Rules not run, one entry per rule and reason, with the hosts they were not run on.
    pub(crate) not_checked: &'a [NotChecked],
    /// Addresses that belong to one machine (two or more each).
    pub(crate) machines: &'a [Vec<IpAddr>],
}

/// A rule that could not decide on some hosts, for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotChecked {
    /// The rule id.
    pub(crate) rule: String,
    /// Why it was not checked.
    pub(crate) why: String,
    /// The hosts it was not checked on, in table order.
    pub(crate) hosts: Vec<IpAddr>,
}

/// Writes `report` as one HTML5 document.
pub(crate) fn write_html(out: &mut impl Write, report: &HtmlReport<'_>) -> io::Result<()> {
    // Rendered into memory first: many small writes, and `Vec` never fails.
    let mut buf = Vec::with_capacity(64 * 1024 + report.hosts.len() * 2048);
    report.render(&mut buf)?;
    out.write_all(&buf)?;
    out.flush()
}

/// Escapes text for HTML element content and double- or single-quoted attribute values.
/// NUL, which HTML parsers drop or replace inconsistently, becomes U+FFFD.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Bar and badge colour of a severity (the CSS uses the same values).
fn colour(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "#9c1c1c",
        Severity::High => "#d9480f",
        Severity::Medium => "#e8a200",
        Severity::Low => "#1c64b4",
        Severity::Info => "#66727f",
    }
}

/// 5 for critical down to 1 for info: the sort key of the findings column.
fn rank(sev: Severity) -> usize {
    Severity::ALL_DESC.len()
        - Severity::ALL_DESC
            .iter()
            .position(|&s| s == sev)
            .unwrap_or(4)
}

/// The element id of a host (`host-10-0-0-5`); unique because addresses are.
fn host_id(ip: IpAddr) -> String {
    format!("host-{}", ip.to_string().replace(['.', ':'], "-"))
}

/// The element id of a rule's entry in the "Findings by rule" section.
fn rule_anchor(rule_id: &str) -> String {
    format!("rule-{}", escape(rule_id))
}

/// A sort key that orders addresses numerically as text: IPv4 before IPv6.
fn ip_sort_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("4-{:08x}", u32::from(v4)),
        IpAddr::V6(v6) => format!("6-{:032x}", u128::from(v6)),
    }
}

/// "1 host", "2 hosts".
fn hosts_n(n: usize) -> String {
    if n == 1 {
        "1 host".to_owned()
    } else {
        format!("{n} hosts")
    }
}

impl HtmlReport<'_> {
    fn render(&self, out: &mut Vec<u8>) -> io::Result<()> {
        let title = escape(&self.title);
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; \
             form-action 'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"smbaudit\">\n<title>{title}</title>\n\
             <style>\n{CSS}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n<dl class=\"meta\">\n"
        )?;
        if let Some(id) = &self.scan_id {
            writeln!(out, "<dt>Scan</dt><dd><code>{}</code></dd>", escape(id))?;
        }
        let generated = escape(&self.generated);
        writeln!(
            out,
            "<dt>Generated</dt><dd><time datetime=\"{generated}\">{generated}</time></dd>\n\
             <dt>Vantage</dt><dd>{}</dd>\n<dt>Command</dt><dd><code>{}</code></dd>\n</dl>\n\
             <nav><a href=\"#summary\">Summary</a> · <a href=\"#rules\">Findings by rule</a> · \
             <a href=\"#hosts\">Hosts</a> · <a href=\"#not-checked\">Not checked</a> · \
             <a href=\"#machines\">Machines</a></nav>\n</header>\n<main>",
            escape(&self.vantage),
            escape(&self.command),
        )?;
        let listed: HashSet<IpAddr> = self.hosts.iter().map(|h| h.ip).collect();
        let rules = rules::by_rule(self.findings);
        self.summary(out)?;
        rules::rules_section(out, &rules, &listed)?;
        hosts::host_table(out, self.hosts, self.findings, &rules, &listed)?;
        rules::not_checked_section(out, self.not_checked, self.hosts.len(), &listed)?;
        self.machines_section(out, &listed)?;
        write!(out, "</main>\n<script>\n{JS}</script>\n</body>\n</html>\n")
    }

    /// Counts by severity, as a list and as an SVG bar chart drawn here.
    fn summary(&self, out: &mut Vec<u8>) -> io::Result<()> {
        let counts = Severity::ALL_DESC.map(|sev| {
            (
                sev,
                self.findings.iter().filter(|f| f.severity == sev).count(),
            )
        });
        writeln!(
            out,
            "<section id=\"summary\" aria-labelledby=\"summary-h\">\n\
             <h2 id=\"summary-h\">{} findings on {} hosts</h2>\n<ul class=\"counts\">",
            self.findings.len(),
            self.hosts.len()
        )?;
        for (sev, n) in counts {
            writeln!(
                out,
                "<li><span class=\"badge sev-{sev}\">{sev}</span> <span class=\"n\" id=\"count-{sev}\">{n}</span></li>"
            )?;
        }
        writeln!(out, "</ul>")?;
        // The chart: one bar per severity, scaled to the largest count.
        const LABEL: usize = 80;
        const BAR: usize = 320;
        const ROW: usize = 26;
        let max = counts.iter().map(|&(_, n)| n).max().unwrap_or(0).max(1);
        let described = counts
            .iter()
            .map(|(sev, n)| format!("{n} {sev}"))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            out,
            "<svg class=\"chart\" role=\"img\" \
             viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" aria-labelledby=\"chart-t\">\n\
             <title id=\"chart-t\">Findings by severity: {described}</title>",
            w = LABEL + BAR + 50,
            h = ROW * counts.len(),
        )?;
        for (i, (sev, n)) in counts.iter().enumerate() {
            let y = i * ROW;
            let width = if *n == 0 { 0 } else { (n * BAR / max).max(2) };
            writeln!(
                out,
                "<g class=\"bar\" data-severity=\"{sev}\"><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{sev}</text>\
                 <rect x=\"{LABEL}\" y=\"{ry}\" width=\"{width}\" height=\"{rh}\" rx=\"3\" fill=\"{fill}\"/>\
                 <text x=\"{nx}\" y=\"{ty}\">{n}</text></g>",
                lx = LABEL - 8,
                ty = y + 18,
                ry = y + 4,
                rh = ROW - 8,
                fill = colour(*sev),
                nx = LABEL + width + 6,
            )?;
        }
        writeln!(out, "</svg>\n</section>")
    }

    fn machines_section(&self, out: &mut Vec<u8>, listed: &HashSet<IpAddr>) -> io::Result<()> {
        writeln!(
            out,
            "<section id=\"machines\" aria-labelledby=\"machines-h\">\n\
             <h2 id=\"machines-h\">Machines with several addresses</h2>"
        )?;
        if self.machines.is_empty() {
            return writeln!(out, "<p>None seen.</p>\n</section>");
        }
        writeln!(out, "<ul>")?;
        for machine in self.machines {
            write!(out, "<li>{} addresses: ", machine.len())?;
            host_list(out, machine, listed)?;
            writeln!(out, "</li>")?;
        }
        writeln!(out, "</ul>\n</section>")
    }
}

#[cfg(test)]
#[path = "html/tests.rs"]
mod tests;
