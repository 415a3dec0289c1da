//! The report at network scale and on a laptop screen: a synthetic 4096-host report (real
//! rule texts from the registry, per-host names and evidence) stays under 8 MB, writes each
//! rule's text once and lists each rule once with its host count; in headless Chromium it
//! pages its table, and a link to a row on a later page opens that row. A 5-host report shows
//! every column of the host table at 1366 px. (Render time is measured by benches/html.sh.)

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use smbaudit_findings::registry;
use smbaudit_findings::{Evidence, Finding, Rule, Severity};

use super::html_render::{HtmlReport, NotChecked, escape, write_html};
use super::{attr, body_attributes, chromium_or_skip, dump_dom_with, host, row_id, rows};

/// The limit the issue sets for a 4096-host report.
const MAX_BYTES: usize = 8_000_000;
const HOSTS: u32 = 4096;

fn rule(id: &str) -> &'static Rule {
    registry()
        .iter()
        .find(|r| r.id == id)
        .expect("rule in the registry")
}

fn ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a01_0000 + i))
}

/// The rules that fire on host `i`, with this host's severity and evidence: six on every
/// host (as on the lab farm), SMB1 on every 19th, clock skew (two severities) on every 7th.
fn findings_of(i: u32) -> Vec<Finding> {
    let name = format!("WS{i:04}");
    let addr = ip(i);
    let ev = |f: &str, v: String| Evidence::new(f, v);
    let mut hits: Vec<(&str, Severity, Vec<Evidence>, Option<String>)> = vec![
        (
            "smb2-signing-not-required",
            Severity::Medium,
            vec![
                ev("smb.signing.smb2.required", "false".into()),
                ev("smb.spnego_mechs", "NTLMSSP offered".into()),
            ],
            Some("NTLM accepted: an NTLM relay target".into()),
        ),
        (
            "ntlm-discloses-dns-names",
            Severity::Low,
            vec![
                ev(
                    "smb.ntlm.dns_computer",
                    format!("{}.corp.example", name.to_lowercase()),
                ),
                ev("smb.ntlm.dns_domain", "corp.example".into()),
            ],
            None,
        ),
        (
            "smb-exposed",
            Severity::Low,
            vec![
                ev("ports.445/tcp", "open".into()),
                ev("ip", format!("{addr} (private)")),
            ],
            Some("private address, scanned from the LAN".into()),
        ),
        (
            "netbios-exposed",
            Severity::Info,
            vec![
                ev("ports.139/tcp", "open".into()),
                ev("ip", format!("{addr} (private)")),
            ],
            Some("private address, scanned from the LAN".into()),
        ),
        (
            "nbstat-discloses-names",
            Severity::Info,
            vec![
                ev("netbios.computer", name.clone()),
                ev("netbios.workgroup", "CORP".into()),
            ],
            None,
        ),
        (
            "ntlm-discloses-os-build",
            Severity::Info,
            vec![ev("smb.ntlm.os_version", format!("10.0.{}", 17763 + i % 3))],
            None,
        ),
    ];
    if i % 19 == 0 {
        hits.push((
            "smb1-enabled",
            Severity::High,
            vec![ev("smb.smb1", "true".into())],
            None,
        ));
    }
    if i % 7 == 0 {
        let sev = if i % 14 == 0 {
            Severity::Medium
        } else {
            Severity::Low
        };
        hits.push((
            "clock-skew",
            sev,
            vec![ev("smb.clock_skew_secs", format!("{}", 400 + i))],
            None,
        ));
    }
    hits.into_iter()
        .map(|(id, sev, evidence, context)| rule(id).finding(addr, sev, evidence, context))
        .collect()
}

/// The 4096-host report, and what it was built from.
fn big_report(path: &Path) -> (String, Vec<Finding>) {
    let hosts: Vec<_> = (0..HOSTS)
        .map(|i| {
            host(
                &ip(i).to_string(),
                Some(&format!("WS{i:04}")),
                "Windows 10 Pro 19045",
                false,
            )
        })
        .collect();
    let findings: Vec<Finding> = (0..HOSTS).flat_map(findings_of).collect();
    let not_checked = [
        NotChecked {
            rule: "null-session".into(),
            why: "needs the null-session check; not run".into(),
            hosts: hosts.iter().map(|h| h.ip).collect(),
        },
        NotChecked {
            rule: "nbss-smbserver-accepted".into(),
            why: "*SMBSERVER was not tried on 139".into(),
            hosts: (0..HOSTS).filter(|i| i % 3 == 0).map(ip).collect(),
        },
    ];
    let machines = [vec![ip(1), ip(2)]];
    let report = HtmlReport {
        title: "smbaudit report".into(),
        generated: "2025-01-02T03:04:05Z".into(),
        scan_id: Some("1".into()),
        vantage: "lan".into(),
        command: "smbaudit scan 10.1.0.0/20".into(),
        hosts: &hosts,
        findings: &findings,
        not_checked: &not_checked,
        machines: &machines,
    };
    let mut out = Vec::new();
    write_html(&mut out, &report).unwrap();
    std::fs::write(path, &out).unwrap();
    (String::from_utf8(out).unwrap(), findings)
}

/// The rows the script left visible, in DOM order.
fn shown_rows(dom: &str) -> Vec<String> {
    rows(dom)
        .into_iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(id, _)| id)
        .collect()
}

/// Findings by rule: each rule that fired has one entry, with the number of hosts it fired
/// on; its rationale appears once, and each fix text once per rule that carries it (several
/// rules share the perimeter block), never once per host.
fn assert_each_rule_once(html: &str, findings: &[Finding]) {
    let mut fired: Vec<(&str, usize)> = Vec::new();
    for f in findings {
        match fired.iter_mut().find(|(id, _)| *id == f.rule_id) {
            Some((_, n)) => *n += 1,
            None => fired.push((&f.rule_id, 1)),
        }
    }
    assert_eq!(fired.len(), 8);
    assert_eq!(html.matches("<article class=\"rule ").count(), fired.len());
    for &(id, n) in &fired {
        let tag = format!("id=\"rule-{id}\" data-rule=\"{id}\" data-count=\"{n}\">");
        assert_eq!(html.matches(&tag).count(), 1, "{id}: {n} hosts");
        let line = format!("<strong>{id} on {n} hosts</strong>");
        assert!(html.contains(&line), "{line}");
    }
    assert!(html.contains("<strong>clock-skew on 586 hosts</strong> (293 medium, 293 low)"));
    let rules: Vec<&Rule> = fired.iter().map(|(id, _)| rule(id)).collect();
    for r in &rules {
        assert_eq!(html.matches(&escape(r.rationale)).count(), 1, "{}", r.id);
        for (_, steps) in r.remediation {
            let text = format!("<code>{}</code></pre>", escape(steps.trim_end()));
            let carriers = rules
                .iter()
                .filter(|o| {
                    o.remediation
                        .iter()
                        .any(|(_, s)| s.trim_end() == steps.trim_end())
                })
                .count();
            assert_eq!(html.matches(&text).count(), carriers, "{}: {steps}", r.id);
        }
    }
}

#[test]
fn report_of_4096_hosts_is_small_lists_each_rule_once_and_pages_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.html");
    let (html, findings) = big_report(&path);
    eprintln!("4096-host report: {} bytes", html.len());
    assert!(
        html.len() <= MAX_BYTES,
        "{} bytes > {MAX_BYTES}",
        html.len()
    );
    assert_each_rule_once(&html, &findings);
    // Not checked says on which hosts.
    assert!(html.contains("data-rule=\"null-session\" data-count=\"4096\""));
    assert!(
        html.contains("not checked: needs the null-session check; not run</td><td>all 4096 hosts")
    );
    assert!(html.contains("data-rule=\"nbss-smbserver-accepted\" data-count=\"1366\""));
    assert!(html.contains("1366 hosts of 4096: <a href=\"#row-host-10-1-0-0\">10.1.0.0</a>, "));

    let Some(chromium) = chromium_or_skip("the browser part (needs chromium)") else {
        return;
    };
    // The script pages the table: the first 250 rows are shown, the rest hidden.
    let url = format!("file://{}", path.display());
    let window = ["--window-size=1366,900"];
    let dom = dump_dom_with(&chromium, &dir.path().join("p0"), &url, &window);
    let body = body_attributes(&dom);
    assert_eq!(attr(&body, "data-ready"), Some("1"));
    assert_eq!(attr(&body, "data-table-fits"), Some("1"), "{body:?}");
    let shown = shown_rows(&dom);
    assert_eq!(
        (shown.len(), shown[0].as_str()),
        (250, row_id("10.1.0.0").as_str())
    );
    assert!(dom.contains("4096 of 4096 hosts match, 1–250 shown (page 1 of 17)"));
    // A link to a host on a later page shows that page, with the host's findings open.
    let target = row_id("10.1.11.184");
    let dom = dump_dom_with(
        &chromium,
        &dir.path().join("p1"),
        &format!("{url}#{target}"),
        &window,
    );
    assert!(shown_rows(&dom).contains(&target), "row 3000 on page 13");
    assert!(dom.contains("3001–3250 shown (page 13 of 17)"));
    let row = &dom[dom.find(&format!("<tr id=\"{target}\"")).unwrap()..];
    assert!(row[..row.find("</tr>").unwrap()].contains("<details open=\"\">"));
}

/// Five hosts as the lab has them (long OS strings, IPv6, many findings): the host table
/// fits a 1366 px window, so no column hides behind a horizontal scroll.
#[test]
fn report_of_five_hosts_shows_every_column_at_1366_px() {
    let Some(chromium) = chromium_or_skip("(needs chromium)") else {
        return;
    };
    let lab = [
        ("10.213.1.10", "SAMBA-MODERN", "Samba 4.17.12-Debian"),
        (
            "10.213.1.11",
            "LEGACY-NT1-SRV",
            "Windows Server 2008 R2 Enterprise 7601 Service Pack 1",
        ),
        (
            "10.213.1.12",
            "SIGNING-REQUIRED",
            "Windows Server 2022 Datacenter 20348",
        ),
        ("fd00:213:1::13", "V6ONLY-FILESERVER", "NTLM 10.0.20348"),
        ("10.213.1.14", "WORKGROUP-STANDALONE", "Unix Samba 4.17.12"),
    ];
    let hosts: Vec<_> = lab
        .iter()
        .map(|&(ip, name, os)| host(ip, Some(name), os, false))
        .collect();
    let findings: Vec<Finding> = (0..5)
        .flat_map(findings_of)
        .zip(lab.iter().flat_map(|l| std::iter::repeat_n(l.0, 8)))
        .map(|(mut f, ip)| {
            f.ip = ip.parse().unwrap();
            f
        })
        .collect();
    let report = HtmlReport {
        title: "smbaudit report".into(),
        generated: "2025-01-02T03:04:05Z".into(),
        scan_id: None,
        vantage: "lan".into(),
        command: "smbaudit scan 10.213.1.10-14".into(),
        hosts: &hosts,
        findings: &findings,
        not_checked: &[],
        machines: &[],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("five.html");
    write_html(&mut std::fs::File::create(&path).unwrap(), &report).unwrap();
    let url = format!("file://{}", path.display());
    let dom = dump_dom_with(
        &chromium,
        &dir.path().join("p"),
        &url,
        &["--window-size=1366,900"],
    );
    let body = body_attributes(&dom);
    assert_eq!(attr(&body, "data-ready"), Some("1"));
    assert_eq!(attr(&body, "data-table-fits"), Some("1"), "{body:?}");
    assert!(dom.contains("5 of 5 hosts shown"));
    assert_eq!(shown_rows(&dom).len(), 5);
}
