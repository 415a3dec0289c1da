//! The "Findings by rule" section, where each rule's rationale, fix and references appear
//! once, with the hosts it fired on; and the "Not checked" section, with the hosts each rule
//! was not run on.

use std::collections::HashSet;
use std::io::{self, Write};
use std::net::IpAddr;

use smbaudit_findings::{Evidence, Finding, Platform, Severity};

use super::lists::host_list;
use super::{NotChecked, escape, hosts_n, rule_anchor};

/// The findings of one rule. The rule's text (title, rationale, remediation, references) is
/// taken from its first finding; a finding whose text differs shows its own (see `hosts.rs`).
pub(super) struct RuleGroup<'a> {
    /// The finding whose text stands for the rule.
    pub(super) first: &'a Finding,
    /// The worst severity among its findings.
    pub(super) worst: Severity,
    /// Every finding of the rule.
    pub(super) findings: Vec<&'a Finding>,
    /// Evidence every finding of the rule shares (when it fired on two or more hosts): written
    /// once, in the rule's entry, not on each host.
    pub(super) common: Vec<&'a Evidence>,
    /// The context every finding shares, likewise.
    pub(super) common_context: Option<&'a str>,
}

impl RuleGroup<'_> {
    /// The distinct addresses the rule fired on, in address order.
    fn ips(&self) -> Vec<IpAddr> {
        let mut ips: Vec<IpAddr> = self.findings.iter().map(|f| f.ip).collect();
        ips.sort_unstable();
        ips.dedup();
        ips
    }
}

/// Findings grouped by rule: worst severity first, then the most hosts, then by id.
pub(super) fn by_rule(findings: &[Finding]) -> Vec<RuleGroup<'_>> {
    let mut groups: Vec<RuleGroup<'_>> = Vec::new();
    for f in findings {
        match groups.iter_mut().find(|g| g.first.rule_id == f.rule_id) {
            Some(g) => {
                g.worst = g.worst.max(f.severity);
                g.findings.push(f);
            }
            None => groups.push(RuleGroup {
                first: f,
                worst: f.severity,
                findings: vec![f],
                common: Vec::new(),
                common_context: None,
            }),
        }
    }
    for g in groups.iter_mut().filter(|g| g.findings.len() > 1) {
        let others = &g.findings[1..];
        g.common = (g.first.evidence.iter())
            .filter(|e| others.iter().all(|f| f.evidence.contains(e)))
            .collect();
        g.common_context = g
            .first
            .context
            .as_deref()
            .filter(|c| others.iter().all(|f| f.context.as_deref() == Some(*c)));
    }
    groups.sort_by(|a, b| {
        b.worst
            .cmp(&a.worst)
            .then_with(|| b.findings.len().cmp(&a.findings.len()))
            .then_with(|| a.first.rule_id.cmp(&b.first.rule_id))
    });
    groups
}

/// The group of `rule_id`, if it fired.
pub(super) fn group<'r, 'a>(
    rules: &'r [RuleGroup<'a>],
    rule_id: &str,
) -> Option<&'r RuleGroup<'a>> {
    rules.iter().find(|g| g.first.rule_id == rule_id)
}

/// One entry per rule that fired: what it means, how to fix it, and where it fired.
pub(super) fn rules_section(
    out: &mut Vec<u8>,
    rules: &[RuleGroup<'_>],
    listed: &HashSet<IpAddr>,
) -> io::Result<()> {
    writeln!(
        out,
        "<section id=\"rules\" aria-labelledby=\"rules-h\">\n<h2 id=\"rules-h\">Findings by rule</h2>"
    )?;
    if rules.is_empty() {
        writeln!(out, "<p>No findings.</p>")?;
    }
    for group in rules {
        rule_entry(out, group, listed)?;
    }
    writeln!(out, "</section>")
}

fn rule_entry(
    out: &mut Vec<u8>,
    group: &RuleGroup<'_>,
    listed: &HashSet<IpAddr>,
) -> io::Result<()> {
    let f = group.first;
    let (sev, id) = (group.worst, escape(&f.rule_id));
    let ips = group.ips();
    writeln!(
        out,
        "<article class=\"rule sev-{sev}\" id=\"{anchor}\" data-rule=\"{id}\" data-count=\"{n}\">\n\
         <h3><span class=\"badge sev-{sev}\">{sev}</span> {title} <code>{id}</code></h3>",
        anchor = rule_anchor(&f.rule_id),
        n = ips.len(),
        title = escape(&f.title),
    )?;
    write!(
        out,
        "<div class=\"fired\"><strong>{id} on {}</strong>{}: ",
        hosts_n(ips.len()),
        severity_mix(&group.findings),
    )?;
    host_list(out, &ips, listed)?;
    out.extend_from_slice(b"</div>\n");
    if !group.common.is_empty() || group.common_context.is_some() {
        out.extend_from_slice(b"<p class=\"common\">Seen on each of them:");
        evidence(out, group.common.iter().copied(), group.common_context)?;
        out.extend_from_slice(b"</p>\n");
    }
    writeln!(out, "<p>{}</p>", escape(&f.rationale))?;
    // Folded: with many rules, the fixes would push the host table far down.
    let platforms: Vec<&str> = f
        .remediation
        .iter()
        .map(|r| platform_label(r.platform))
        .collect();
    writeln!(
        out,
        "<details class=\"howto\"><summary>How to fix ({}) and references</summary>",
        platforms.join(", ")
    )?;
    rule_text(out, f, "h4")?;
    writeln!(out, "</details>\n</article>")
}

/// Evidence items as ` <code>field = value</code>`, then the context in italics.
pub(super) fn evidence<'e>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = &'e Evidence>,
    context: Option<&str>,
) -> io::Result<()> {
    for e in items {
        write!(
            out,
            " <code>{} = {}</code>",
            escape(&e.field),
            escape(&e.value)
        )?;
    }
    if let Some(context) = context {
        write!(out, " <i>{}</i>", escape(context))?;
    }
    Ok(())
}

/// " (3 high, 209 medium)" when the rule's findings differ in severity, else nothing.
fn severity_mix(findings: &[&Finding]) -> String {
    let counts: Vec<String> = Severity::ALL_DESC
        .iter()
        .filter_map(|&sev| {
            let n = findings.iter().filter(|f| f.severity == sev).count();
            (n > 0).then(|| format!("{n} {sev}"))
        })
        .collect();
    if counts.len() > 1 {
        format!(" ({})", counts.join(", "))
    } else {
        String::new()
    }
}

/// A rule's remediation and references, under headings of level `h` (the fix's platform one
/// level below).
pub(super) fn rule_text(out: &mut Vec<u8>, f: &Finding, h: &str) -> io::Result<()> {
    if !f.remediation.is_empty() {
        writeln!(out, "<{h}>Remediation</{h}>")?;
        for r in &f.remediation {
            let label = platform_label(r.platform);
            writeln!(
                out,
                "<div class=\"fix\" data-platform=\"{}\"><h6>{label}</h6>\n<pre class=\"steps\"><code>{}</code></pre></div>",
                r.platform.as_str(),
                escape(r.steps.trim_end())
            )?;
        }
    }
    if !f.references.is_empty() {
        writeln!(out, "<{h}>References</{h}>\n<ul class=\"refs\">")?;
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
    Ok(())
}

fn platform_label(platform: Platform) -> &'static str {
    match platform {
        Platform::Windows => "Windows",
        Platform::Samba => "Samba",
        Platform::Perimeter => "Perimeter",
    }
}

/// Rules not run: which, why, and on which hosts ("all 4096 hosts", or the list).
pub(super) fn not_checked_section(
    out: &mut Vec<u8>,
    not_checked: &[NotChecked],
    total: usize,
    listed: &HashSet<IpAddr>,
) -> io::Result<()> {
    writeln!(
        out,
        "<section id=\"not-checked\" aria-labelledby=\"not-checked-h\">\n\
         <h2 id=\"not-checked-h\">Not checked</h2>"
    )?;
    if not_checked.is_empty() {
        return writeln!(out, "<p>Every rule was checked.</p>\n</section>");
    }
    writeln!(
        out,
        "<table class=\"not-checked\">\n<thead><tr><th scope=\"col\">Rule</th>\
         <th scope=\"col\">Why not</th><th scope=\"col\">On which hosts</th></tr></thead>\n<tbody>"
    )?;
    for nc in not_checked {
        write!(
            out,
            "<tr data-rule=\"{rule}\" data-count=\"{n}\"><td><code>{rule}</code></td>\
             <td>not checked: {}</td><td>",
            escape(&nc.why),
            rule = escape(&nc.rule),
            n = nc.hosts.len(),
        )?;
        if nc.hosts.len() == total && total > 1 {
            write!(out, "all {total} hosts")?;
        } else {
            write!(out, "{} of {total}: ", hosts_n(nc.hosts.len()))?;
            host_list(out, &nc.hosts, listed)?;
        }
        writeln!(out, "</td></tr>")?;
    }
    writeln!(out, "</tbody>\n</table>\n</section>")
}
