//! The host table. Each row's last cell folds the host's findings into `<details>`: one line
//! per finding with its rule id (a link to the rule's entry), severity, evidence and context.

use smbaudit_probe::smb::shares::ShareListing;
use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::net::IpAddr;

use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};

use super::rules::{RuleGroup, evidence, group, rule_text};
use super::{escape, host_id, ip_sort_key, rank, rule_anchor};

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

/// The table of hosts, then the findings whose address has no row (each as its own list).
pub(super) fn host_table(
    out: &mut Vec<u8>,
    hosts: &[HostRecord],
    findings: &[Finding],
    rules: &[RuleGroup<'_>],
    listed: &HashSet<IpAddr>,
) -> io::Result<()> {
    writeln!(
        out,
        "<section id=\"hosts\" aria-labelledby=\"hosts-h\">\n<h2 id=\"hosts-h\">Hosts</h2>\n\
         <p class=\"filter\" id=\"filter-box\" hidden><label for=\"host-filter\">Filter hosts</label> \
         <input type=\"search\" id=\"host-filter\" autocomplete=\"off\" spellcheck=\"false\"> \
         <output id=\"host-status\" for=\"host-filter\" aria-live=\"polite\"></output> \
         <button type=\"button\" id=\"expand-all\">Expand all findings</button></p>\n\
         <div class=\"scroll\" id=\"host-box\"><table id=\"host-table\">\n\
         <caption>{} hosts. Click a column header to sort, a host's findings to see the evidence; \
         a rule id leads to its rationale and fix.</caption>\n<colgroup>",
        hosts.len()
    )?;
    for (key, _, _) in COLUMNS {
        write!(out, "<col class=\"c-{key}\">")?;
    }
    write!(out, "</colgroup>\n<thead><tr>")?;
    for (key, header, kind) in COLUMNS {
        write!(
            out,
            "<th scope=\"col\" data-key=\"{key}\" data-type=\"{kind}\">{header}</th>"
        )?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    let grouped = by_host(findings);
    for host in hosts {
        let found = grouped.get(&host.ip).map_or(&[][..], Vec::as_slice);
        host_row(out, host, found, rules)?;
    }
    writeln!(
        out,
        "</tbody>\n</table></div>\n<p class=\"pager\" id=\"pager\" hidden>\
         <button type=\"button\" data-go=\"prev\">Previous page</button> \
         <button type=\"button\" data-go=\"next\">Next page</button> \
         <button type=\"button\" data-go=\"all\">Show all rows</button></p>"
    )?;
    let unlisted: Vec<_> = grouped
        .iter()
        .filter(|(ip, _)| !listed.contains(ip))
        .collect();
    if !unlisted.is_empty() {
        writeln!(out, "<h3>Findings on addresses not in the table</h3>")?;
        for (&ip, found) in unlisted {
            writeln!(out, "<h4>{ip}</h4>")?;
            host_findings(out, ip, None, found, rules)?;
        }
    }
    writeln!(out, "</section>")
}

/// One row of the host table; the `data-*` attributes are the script's sort keys.
fn host_row(
    out: &mut Vec<u8>,
    host: &HostRecord,
    found: &[&Finding],
    rules: &[RuleGroup<'_>],
) -> io::Result<()> {
    let cells = host.short_summary_row();
    let worst = found.iter().map(|f| f.severity).max();
    let findings_key = worst.map_or(0, |w| rank(w) * 100_000 + found.len());
    write!(out, "<tr id=\"row-{}\"", host_id(host.ip))?;
    for ((key, _, _), cell) in COLUMNS.iter().zip(&cells) {
        let value = if *key == "ip" {
            ip_sort_key(host.ip)
        } else {
            escape(cell)
        };
        write!(out, " data-{key}=\"{value}\"")?;
    }
    write!(
        out,
        " data-findings=\"{findings_key}\"><th scope=\"row\">{}</th>",
        escape(&cells[0])
    )?;
    for (i, cell) in cells.iter().enumerate().skip(1) {
        let class = match (i, cell.as_str()) {
            (7, "yes") | (8, "no") => " class=\"warn\"",
            _ => "",
        };
        write!(out, "<td{class}>{}</td>", escape(cell))?;
    }
    if found.is_empty() {
        return writeln!(out, "<td>0</td></tr>");
    }
    out.extend_from_slice(b"<td>");
    host_findings(out, host.ip, shares_of(host), found, rules)?;
    writeln!(out, "</td></tr>")
}

/// The host's share list, if the scan obtained one.
fn shares_of(host: &HostRecord) -> Option<&ShareListing> {
    host.smb.as_ref().and_then(|s| s.shares.as_ref())
}

/// A host's findings: the count by severity, and (folded) one line per finding.
fn host_findings(
    out: &mut Vec<u8>,
    ip: IpAddr,
    shares: Option<&ShareListing>,
    found: &[&Finding],
    rules: &[RuleGroup<'_>],
) -> io::Result<()> {
    let worst = found
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    let breakdown = Severity::ALL_DESC
        .iter()
        .filter_map(|&sev| {
            let n = found.iter().filter(|f| f.severity == sev).count();
            (n > 0).then(|| format!("{n} {sev}"))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let id = host_id(ip);
    write!(
        out,
        "<article class=\"host\" id=\"{id}\" data-row=\"row-{id}\"><details><summary>\
         <span class=\"badge sev-{worst}\">{worst}</span> {} <span class=\"breakdown\">({breakdown})</span>\
         </summary><ul class=\"found\">",
        found.len()
    )?;
    for f in found {
        finding(out, f, group(rules, &f.rule_id))?;
    }
    out.extend_from_slice(b"</ul>");
    if let Some(listing) = shares {
        let line = listing.summary();
        write!(out, "<p class=\"shares\">Shares: {}</p>", escape(&line))?;
    }
    out.extend_from_slice(b"</details></article>");
    Ok(())
}

/// One finding of a host: rule id (a link to the rule; the severity is drawn by the CSS from
/// the class), the evidence and context not shared by every host of the rule, and the
/// finding's own text where it differs from the rule's.
fn finding(out: &mut Vec<u8>, f: &Finding, group: Option<&RuleGroup<'_>>) -> io::Result<()> {
    write!(
        out,
        "<li class=\"finding sev-{}\"><a href=\"#{}\">{}</a>",
        f.severity,
        rule_anchor(&f.rule_id),
        escape(&f.rule_id)
    )?;
    let common = group.map_or(&[][..], |g| g.common.as_slice());
    let common_context = group.and_then(|g| g.common_context);
    let context = f.context.as_deref().filter(|&c| Some(c) != common_context);
    let own = f.evidence.iter().filter(|e| !common.contains(e));
    evidence(out, own, context)?;
    if let Some(rule) = group.map(|g| g.first).filter(|r| !std::ptr::eq(*r, f)) {
        if rule.title != f.title {
            write!(out, "<br><strong>{}</strong>", escape(&f.title))?;
        }
        if rule.rationale != f.rationale {
            write!(out, "<br>{}", escape(&f.rationale))?;
        }
        if rule.remediation != f.remediation || rule.references != f.references {
            out.extend_from_slice(b"<div class=\"variant\">");
            rule_text(out, f, "h5")?;
            out.extend_from_slice(b"</div>");
        }
    }
    out.extend_from_slice(b"</li>");
    Ok(())
}
