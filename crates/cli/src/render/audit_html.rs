//! `smbaudit audit -f html`: one self-contained page (no script, no external resource) with
//! the verdict grid, the facts behind it, the findings with their fixes, and what could not
//! be read. Every value from the machine is escaped.

use std::fmt::Write as _;
use std::io::{self, Write};

use smbaudit_hostaudit::Service;
use smbaudit_hostaudit::report::Audit;
use smbaudit_hostaudit::verdict::describe;

use super::html::escape;

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}\
td.v-exposed{background:#f8c4c4;font-weight:bold}td.v-exposed-to-prefix{background:#fde2b8}\
td.v-restricted{background:#e3f0d8}td.v-filtered{background:#d8ecd8}td.v-not-listening{color:#888}\
td.v-unknown{background:#eee;font-style:italic}pre{background:#f5f5f5;padding:.5em;overflow-x:auto}\
.sev-critical,.sev-high{color:#b00}.sev-medium{color:#a60}.sev-low,.sev-info{color:#357}";

/// The whole page.
pub(crate) fn write_html(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    let mut page = String::new();
    let title = format!("smbaudit audit of {}", audit.hostname);
    let _ = write!(
        page,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\
         <h1>{}</h1><p>{} interfaces, read in {} ms; nothing was sent.</p>",
        escape(&title),
        escape(&title),
        audit.interfaces.len(),
        audit.elapsed_ms
    );
    grid(&mut page, audit);
    facts(&mut page, audit);
    findings(&mut page, audit);
    if !audit.unreadable.is_empty() {
        page.push_str("<h2>Could not read</h2><ul id=\"unreadable\">");
        for u in &audit.unreadable {
            let _ = write!(
                page,
                "<li><b>{}</b>: {}</li>",
                escape(&u.what),
                escape(&u.why)
            );
        }
        page.push_str("</ul>");
    }
    page.push_str("</body></html>\n");
    out.write_all(page.as_bytes())?;
    out.flush()
}

/// One row per interface and family; each cell carries its verdict as a class and a
/// `data-verdict`, and its reason as a tooltip.
fn grid(page: &mut String, audit: &Audit) {
    page.push_str(
        "<h2>Verdicts</h2><table id=\"grid\"><tr><th>Interface</th><th>Facing</th><th>Family</th>",
    );
    for s in Service::AUDITED {
        let _ = write!(page, "<th>{s}</th>");
    }
    page.push_str("</tr>");
    for row in audit.rows() {
        let _ = write!(
            page,
            "<tr data-interface=\"{}\" data-family=\"{}\"><td>{}</td><td>{:?}</td><td>{}</td>",
            escape(&row.interface),
            row.family.to_string().to_lowercase(),
            escape(&row.interface),
            row.facing,
            row.family
        );
        for s in Service::AUDITED {
            match audit.cell(row, s) {
                Some(c) => {
                    let v = c.verdict.as_str();
                    let _ = write!(
                        page,
                        "<td class=\"v-{v}\" data-service=\"{s}\" data-verdict=\"{v}\" title=\"{}\">{v}</td>",
                        escape(&c.reason)
                    );
                }
                None => page.push_str("<td></td>"),
            }
        }
        page.push_str("</tr>");
    }
    page.push_str("</table>");
}

fn facts(page: &mut String, audit: &Audit) {
    page.push_str("<h2>Interfaces</h2><ul>");
    for i in &audit.interfaces {
        let addrs: Vec<String> = i.addrs.iter().map(ToString::to_string).collect();
        let _ = write!(
            page,
            "<li><b>{}</b> ({:?}): {} — {}</li>",
            escape(&i.name),
            i.facing,
            escape(&addrs.join(" ")),
            escape(&i.why)
        );
    }
    page.push_str("</ul><h2>Listening</h2><ul>");
    if audit.listeners.is_empty() {
        page.push_str("<li>nothing on 135/tcp, 137-138/udp, 139/tcp or 445/tcp</li>");
    }
    for l in &audit.listeners {
        let _ = write!(page, "<li>{} {}</li>", l.service, escape(&describe(l)));
    }
    page.push_str("</ul>");
    for conf in &audit.samba {
        let _ = write!(
            page,
            "<h2>Samba: {}</h2><pre>{}</pre>",
            escape(&conf.path.display().to_string()),
            escape(&serde_json::to_string_pretty(&conf.params).unwrap_or_default())
        );
    }
}

fn findings(page: &mut String, audit: &Audit) {
    let _ = write!(page, "<h2>Findings ({})</h2>", audit.findings.len());
    for f in &audit.findings {
        let sev = f.severity.as_str();
        let _ = write!(
            page,
            "<section class=\"finding\" data-rule=\"{}\" data-severity=\"{sev}\"><h3><span class=\"sev-{sev}\">{}</span> {}</h3><p>{}</p><ul>",
            escape(&f.rule_id),
            sev.to_uppercase(),
            escape(&f.title),
            escape(&f.rationale)
        );
        for e in &f.evidence {
            let _ = write!(
                page,
                "<li><code>{}</code> = {}</li>",
                escape(&e.field),
                escape(&e.value)
            );
        }
        page.push_str("</ul>");
        for r in &f.remediation {
            let _ = write!(
                page,
                "<p>Fix ({}):</p><pre>{}</pre>",
                r.platform,
                escape(&r.steps)
            );
        }
        page.push_str("</section>");
    }
}
