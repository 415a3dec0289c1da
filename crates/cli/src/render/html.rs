//! The HTML report: one self-contained HTML5 file (inline CSS, inline JS, inline SVG; no
//! external resource of any kind, and a Content-Security-Policy that forbids loading one).
//!
//! Everything that came from the network is untrusted: NetBIOS and NTLM names, OS strings and
//! error messages are chosen by the server and may hold markup. Every string is written through
//! [`escape`], attributes are always double-quoted, and the script reads data only from
//! `data-*` attributes, never from generated JavaScript. The page is complete without the
//! script; the script only adds sorting, filtering and copy buttons.
//!
//! The script reads its state from the URL fragment, e.g. `report.html#filter=10.0.0.5&sort=-ip`
//! (a leading `-` sorts descending), and sets `document.body.dataset.ready = "1"` when it has
//! initialised.
//!
//! This file is also compiled into the integration tests (`tests/it/html.rs` includes it with
//! `#[path]`), so it depends only on std and `smbaudit_findings`.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::net::IpAddr;

use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Platform, Severity};

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
    /// Rules not run: (rule id, why).
    pub(crate) not_checked: &'a [(String, String)],
    /// Addresses that belong to one machine (two or more each).
    pub(crate) machines: &'a [Vec<IpAddr>],
}

/// Writes `report` as one HTML5 document.
pub(crate) fn write_html(out: &mut impl Write, report: &HtmlReport<'_>) -> io::Result<()> {
    // Rendered into memory first: many small writes, and `Vec` never fails.
    let mut buf = Vec::with_capacity(64 * 1024);
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

/// A sort key that orders addresses numerically as text: IPv4 before IPv6.
fn ip_sort_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("4-{:08x}", u32::from(v4)),
        IpAddr::V6(v6) => format!("6-{:032x}", u128::from(v6)),
    }
}

/// The host table's columns: (key read by the script, header, how the script compares
/// keys: `key` as plain strings, `num` as numbers, `text` in natural language order).
const COLUMNS: [(&str, &str, &str); 11] = [
    ("ip", "IP address", "key"),
    ("computer", "Computer", "text"),
    ("domain", "Domain", "text"),
    ("p137", "137/udp", "text"),
    ("p139", "139/tcp", "text"),
    ("p445", "445/tcp", "text"),
    ("dialect", "Max dialect", "text"),
    ("smb1", "SMB1", "text"),
    ("signing", "SMB2 signing required", "text"),
    ("os", "OS", "text"),
    ("findings", "Findings", "num"),
];

/// Findings of one host, most severe first (stable: rule order within a severity).
fn by_host(findings: &[Finding]) -> BTreeMap<IpAddr, Vec<&Finding>> {
    let mut map: BTreeMap<IpAddr, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        map.entry(f.ip).or_default().push(f);
    }
    for list in map.values_mut() {
        list.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
    map
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
             <dt>Vantage</dt><dd>{}</dd>\n<dt>Command</dt><dd><code>{}</code></dd>\n</dl>\n</header>\n<main>",
            escape(&self.vantage),
            escape(&self.command),
        )?;
        let grouped = by_host(self.findings);
        let listed: HashSet<IpAddr> = self.hosts.iter().map(|h| h.ip).collect();
        self.summary(out)?;
        self.host_table(out, &grouped)?;
        self.findings_section(out, &grouped, &listed)?;
        self.not_checked_section(out)?;
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

    fn host_table(
        &self,
        out: &mut Vec<u8>,
        grouped: &BTreeMap<IpAddr, Vec<&Finding>>,
    ) -> io::Result<()> {
        writeln!(
            out,
            "<section id=\"hosts\" aria-labelledby=\"hosts-h\">\n<h2 id=\"hosts-h\">Hosts</h2>\n\
             <p class=\"filter\" id=\"filter-box\" hidden><label for=\"host-filter\">Filter hosts</label> \
             <input type=\"search\" id=\"host-filter\" autocomplete=\"off\" spellcheck=\"false\"> \
             <output id=\"host-status\" for=\"host-filter\" aria-live=\"polite\"></output></p>\n\
             <div class=\"scroll\"><table id=\"host-table\">\n\
             <caption>{} hosts. Click a column header to sort.</caption>\n<thead><tr>",
            self.hosts.len()
        )?;
        for (key, header, kind) in COLUMNS {
            write!(
                out,
                "<th scope=\"col\" data-key=\"{key}\" data-type=\"{kind}\">{header}</th>"
            )?;
        }
        writeln!(out, "</tr></thead>\n<tbody>")?;
        for host in self.hosts {
            let found = grouped.get(&host.ip).map_or(&[][..], Vec::as_slice);
            host_row(out, host, found)?;
        }
        writeln!(out, "</tbody>\n</table></div>\n</section>")
    }

    fn findings_section(
        &self,
        out: &mut Vec<u8>,
        grouped: &BTreeMap<IpAddr, Vec<&Finding>>,
        listed: &HashSet<IpAddr>,
    ) -> io::Result<()> {
        writeln!(
            out,
            "<section id=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">Findings by host</h2>"
        )?;
        if self.findings.is_empty() {
            writeln!(out, "<p>No findings.</p>")?;
        }
        // Hosts in table order, then any finding whose address is not among the hosts.
        let mut order: Vec<(IpAddr, Option<&HostRecord>)> =
            self.hosts.iter().map(|h| (h.ip, Some(h))).collect();
        order.extend(
            grouped
                .keys()
                .filter(|ip| !listed.contains(ip))
                .map(|&ip| (ip, None)),
        );
        for (ip, host) in order {
            let Some(list) = grouped.get(&ip) else {
                continue;
            };
            let id = host_id(ip);
            let name = host
                .and_then(HostRecord::computer)
                .map(|c| format!(" — {}", escape(c)))
                .unwrap_or_default();
            writeln!(
                out,
                "<article class=\"host\" id=\"{id}\" data-row=\"row-{id}\">\n<h3>{ip}{name} \
                 <small>({} findings)</small></h3>",
                list.len()
            )?;
            for f in list {
                finding(out, f)?;
            }
            writeln!(out, "</article>")?;
        }
        writeln!(out, "</section>")
    }

    fn not_checked_section(&self, out: &mut Vec<u8>) -> io::Result<()> {
        writeln!(
            out,
            "<section id=\"not-checked\" aria-labelledby=\"not-checked-h\">\n\
             <h2 id=\"not-checked-h\">Not checked</h2>"
        )?;
        if self.not_checked.is_empty() {
            return writeln!(out, "<p>Every rule was checked.</p>\n</section>");
        }
        writeln!(
            out,
            "<table>\n<thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Why not</th></tr></thead>\n<tbody>"
        )?;
        for (rule, why) in self.not_checked {
            writeln!(
                out,
                "<tr><td><code>{}</code></td><td>not checked: {}</td></tr>",
                escape(rule),
                escape(why)
            )?;
        }
        writeln!(out, "</tbody>\n</table>\n</section>")
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
            let links: Vec<String> = machine
                .iter()
                .map(|&ip| {
                    if listed.contains(&ip) {
                        format!("<a href=\"#row-{}\">{ip}</a>", host_id(ip))
                    } else {
                        ip.to_string()
                    }
                })
                .collect();
            writeln!(out, "<li>{}</li>", links.join(", "))?;
        }
        writeln!(out, "</ul>\n</section>")
    }
}

/// One row of the host table; the `data-*` attributes are the script's sort keys.
fn host_row(out: &mut Vec<u8>, host: &HostRecord, found: &[&Finding]) -> io::Result<()> {
    let cells = host.short_summary_row();
    let worst = found.iter().map(|f| f.severity).max();
    let findings_key = worst.map_or(0, |w| rank(w) * 100_000 + found.len());
    let id = host_id(host.ip);
    write!(out, "<tr id=\"row-{id}\"")?;
    for ((key, _, _), cell) in COLUMNS.iter().zip(&cells) {
        let value = if *key == "ip" {
            ip_sort_key(host.ip)
        } else {
            escape(cell)
        };
        write!(out, " data-{key}=\"{value}\"")?;
    }
    write!(out, " data-findings=\"{findings_key}\">")?;
    write!(
        out,
        "<th scope=\"row\"><a href=\"#{id}\">{}</a></th>",
        escape(&cells[0])
    )?;
    for (i, cell) in cells.iter().enumerate().skip(1) {
        let class = match (i, cell.as_str()) {
            (7, "yes") | (8, "no") => " class=\"warn\"",
            _ => "",
        };
        write!(out, "<td{class}>{}</td>", escape(cell))?;
    }
    match worst {
        None => writeln!(out, "<td>0</td></tr>"),
        Some(w) => {
            let breakdown = Severity::ALL_DESC
                .iter()
                .filter_map(|&sev| {
                    let n = found.iter().filter(|f| f.severity == sev).count();
                    (n > 0).then(|| format!("{n} {sev}"))
                })
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(
                out,
                "<td><span class=\"badge sev-{w}\">{w}</span> {} <span class=\"breakdown\">({breakdown})</span></td></tr>",
                found.len()
            )
        }
    }
}

/// One finding: title, badge, rationale, evidence, context, remediation, references.
fn finding(out: &mut Vec<u8>, f: &Finding) -> io::Result<()> {
    let sev = f.severity;
    writeln!(
        out,
        "<section class=\"finding sev-{sev}\" data-severity=\"{sev}\">\n\
         <h4><span class=\"badge sev-{sev}\">{sev}</span> {}</h4>\n\
         <p class=\"rule\">Rule <code>{}</code></p>\n<p>{}</p>",
        escape(&f.title),
        escape(&f.rule_id),
        escape(&f.rationale),
    )?;
    if !f.evidence.is_empty() {
        writeln!(out, "<h5>Evidence</h5>\n<ul class=\"evidence\">")?;
        for e in &f.evidence {
            writeln!(
                out,
                "<li><code>{}</code> = <code>{}</code></li>",
                escape(&e.field),
                escape(&e.value)
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    if let Some(context) = &f.context {
        writeln!(
            out,
            "<p class=\"context\"><strong>Context:</strong> {}</p>",
            escape(context)
        )?;
    }
    if !f.remediation.is_empty() {
        writeln!(out, "<h5>Remediation</h5>")?;
        for r in &f.remediation {
            let class = r.platform.as_str();
            let label = match r.platform {
                Platform::Windows => "Windows",
                Platform::Samba => "Samba",
                Platform::Perimeter => "Perimeter",
            };
            writeln!(
                out,
                "<div class=\"fix\" data-platform=\"{class}\"><h6>{label}</h6>\n<pre class=\"steps\"><code>{}</code></pre></div>",
                escape(r.steps.trim_end())
            )?;
        }
    }
    if !f.references.is_empty() {
        writeln!(out, "<h5>References</h5>\n<ul class=\"refs\">")?;
        for r in &f.references {
            let r = escape(r);
            // Only web links become links: an escaped `javascript:` URL would still run.
            if r.starts_with("https://") || r.starts_with("http://") {
                writeln!(
                    out,
                    "<li><a href=\"{r}\" rel=\"noreferrer noopener\">{r}</a></li>"
                )?;
            } else {
                writeln!(out, "<li>{r}</li>")?;
            }
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")
}

#[cfg(test)]
#[path = "html/tests.rs"]
mod tests;
