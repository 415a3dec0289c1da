//! Unit tests of the HTML report: escaping, content, self-containment.

use std::net::IpAddr;

use serde_json::json;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Evidence, Finding, Platform, Remediation, Severity};

use super::{HtmlReport, NotChecked, escape, ip_sort_key, write_html};

/// Strings a hostile server (or a hostile command line) could put in the report.
const HOSTILE: [&str; 6] = [
    "<script>document.body.dataset.pwned='1'</script>",
    "\"><img src=x onerror=\"document.body.dataset.pwned='2'\">",
    "'><svg onload=alert(3)>",
    "</td></tr></table><script>alert(4)</script>",
    "&lt;already-escaped&gt;",
    "javascript:alert(5)",
];

/// One host record in the JSON form of schema/scan-host.v1.json.
fn host(ip: &str, computer: &str, domain: &str, os: &str, smb1: bool, signing: bool) -> HostRecord {
    let ntlm = json!({
        "netbios_computer": computer, "netbios_domain": domain, "dns_computer": null,
        "dns_domain": null, "dns_tree": null, "os_version": "10.0.17763", "target_name": domain,
        "timestamp": null, "negotiate_flags": 0x628a_8215_u32
    });
    let value = json!({
        "schema": "smbaudit/scan-host/v1",
        "ip": ip,
        "ports": {"137/udp": "open", "139/tcp": "open", "445/tcp": "open"},
        "port_evidence": {"445/tcp": "SYN-ACK"},
        "netbios": null,
        "nbss": null,
        "smb": {
            "port": 445, "dialects": ["2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"],
            "dialects_complete": true, "max_dialect": "3.1.1", "smb1": smb1, "smb1_reason": null,
            "signing": {"smb2": {"enabled": true, "required": signing}, "smb1": null},
            "server_guid": null, "system_time": null, "boot_time": null, "clock_skew_secs": null,
            "capabilities": [], "capabilities_raw": null, "max_transact_size": null,
            "max_read_size": null, "max_write_size": null, "contexts": [], "spnego_mechs": [],
            "ntlm": ntlm, "smb1_ntlm": null, "smb1_mode": null, "native_os": os,
            "native_lanman": null, "primary_domain": null, "by_port": {}
        },
        "errors": [],
        "connections": 3,
        "elapsed_ms": 42
    });
    serde_json::from_value(value).expect("host record JSON")
}

/// A host that only answered nothing: every optional part null.
fn silent(ip: &str) -> HostRecord {
    serde_json::from_value(json!({
        "schema": "smbaudit/scan-host/v1", "ip": ip,
        "ports": {"137/udp": "open|filtered", "139/tcp": "filtered", "445/tcp": "filtered"},
        "port_evidence": {}, "netbios": null, "nbss": null, "smb": null, "errors": [],
        "connections": 0, "elapsed_ms": 3000
    }))
    .expect("host record JSON")
}

fn finding(ip: &str, rule: &str, severity: Severity, extra: &str) -> Finding {
    Finding {
        rule_id: rule.into(),
        ip: ip.parse().unwrap(),
        title: format!("Title of {rule}{extra}"),
        severity,
        rationale: format!("Why {rule} matters{extra}"),
        evidence: vec![Evidence {
            field: "smb.signing.smb2.required".into(),
            value: format!("false{extra}"),
        }],
        context: Some(format!("scanned from the LAN{extra}")),
        remediation: vec![
            Remediation {
                platform: Platform::Windows,
                steps: format!("Set-SmbServerConfiguration -RequireSecuritySignature $true # {rule}{extra}"),
            },
            Remediation {
                platform: Platform::Samba,
                steps: format!("[global]\n    server signing = mandatory # {rule}"),
            },
        ],
        references: vec![
            "https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/overview-server-message-block-signing".into(),
            format!("javascript:alert('{rule}')"),
        ],
    }
}

/// Renders a report with the given parts.
fn render(hosts: &[HostRecord], findings: &[Finding], hostile: &str) -> String {
    let not_checked = vec![NotChecked {
        rule: "smb-null-session".to_owned(),
        why: format!("needs --auth{hostile}"),
        hosts: hosts.iter().map(|h| h.ip).collect(),
    }];
    let machines = vec![vec![
        "10.0.0.5".parse::<IpAddr>().unwrap(),
        "fe80::5".parse().unwrap(),
    ]];
    let report = HtmlReport {
        title: format!("smbaudit report{hostile}"),
        generated: "2025-01-02T03:04:05Z".into(),
        scan_id: Some(format!("scan-7{hostile}")),
        vantage: format!("LAN{hostile}"),
        command: format!("smbaudit scan 10.0.0.0/24 '{hostile}'"),
        hosts,
        findings,
        not_checked: &not_checked,
        machines: &machines,
    };
    let mut out = Vec::new();
    write_html(&mut out, &report).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn escape_neutralises_markup_and_quotes() {
    assert_eq!(escape("plain NAME-01"), "plain NAME-01");
    assert_eq!(
        escape("<script>alert('x')</script>"),
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    );
    assert_eq!(
        escape("\"><img src=x onerror=\"a()\">"),
        "&quot;&gt;&lt;img src=x onerror=&quot;a()&quot;&gt;"
    );
    assert_eq!(escape("&lt;"), "&amp;lt;");
    assert_eq!(escape("a\0b"), "a\u{FFFD}b");
    assert_eq!(escape("Ünïcødé ☃ 名前"), "Ünïcødé ☃ 名前");
    for s in HOSTILE {
        let e = escape(s);
        assert!(!e.contains(['<', '>', '"', '\'']), "{s:?} -> {e:?}");
    }
}

#[test]
fn report_shows_hosts_findings_counts_and_no_raw_hostile_string() {
    let bad = HOSTILE.concat();
    let hosts = [
        host(
            "10.0.0.5",
            "FILESRV",
            "CORP",
            "Windows Server 2019",
            false,
            false,
        ),
        host("10.0.0.12", &bad, &bad, &bad, true, false),
        silent("192.168.1.20"),
    ];
    let findings = [
        finding(
            "10.0.0.5",
            "smb2-signing-not-required",
            Severity::Medium,
            "",
        ),
        finding("10.0.0.12", "smb1-enabled", Severity::High, &bad),
        finding("10.0.0.12", "ntlm-info-leak", Severity::Info, &bad),
        finding(
            "10.0.0.12",
            "smb2-signing-not-required",
            Severity::Medium,
            &bad,
        ),
        finding("10.0.0.12", "internet-exposed", Severity::Critical, ""),
    ];
    let html = render(&hosts, &findings, &bad);

    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.trim_end().ends_with("</html>"));
    for id in [
        "row-host-10-0-0-5",
        "row-host-10-0-0-12",
        "row-host-192-168-1-20",
    ] {
        assert!(html.contains(&format!("<tr id=\"{id}\"")), "{id}");
    }
    assert!(html.contains(">FILESRV</td>") && html.contains(">CORP</td>"));
    assert!(html.contains(">Windows Server 2019</td>"));
    for f in &findings {
        assert!(html.contains(&escape(&f.title)), "{}", f.title);
        for r in &f.remediation {
            assert!(html.contains(&escape(r.steps.trim_end())), "{}", r.steps);
        }
    }
    assert!(html.contains("<pre class=\"steps\"><code>[global]\n    server signing = mandatory"));
    for (sev, n) in [
        ("critical", 1),
        ("high", 1),
        ("medium", 2),
        ("low", 0),
        ("info", 1),
    ] {
        assert!(html.contains(&format!("id=\"count-{sev}\">{n}<")), "{sev}");
    }
    assert!(html.contains("5 findings on 3 hosts"));
    // The host with four findings: worst first, and the table says so.
    let host12 = &html[html
        .find("<article class=\"host\" id=\"host-10-0-0-12\"")
        .unwrap()..];
    let order: Vec<usize> = ["critical", "high", "medium", "info"]
        .iter()
        .map(|s| host12.find(&format!("class=\"finding sev-{s}\"")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(html.contains("data-findings=\"500004\""));
    assert!(html.contains("(1 critical, 1 high, 1 medium, 1 info)"));
    assert!(html.contains("not checked: needs --auth"));
    assert!(html.contains("<a href=\"#row-host-10-0-0-5\">10.0.0.5</a>, fe80::5"));

    // Hostile strings only ever appear escaped; the only script is ours.
    assert_eq!(html.matches("<script").count(), 1);
    for needle in [
        "<img",
        "<svg onload",
        "</td></tr></table><script",
        "'>",
        "href=\"javascript",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    assert!(html.contains(&escape(HOSTILE[0])));
    assert!(html.contains("&amp;lt;already-escaped&amp;gt;"));
    assert!(html.contains("<li>javascript:alert(&#39;smb1-enabled&#39;)</li>"));
    assert!(html.contains(
        "<a href=\"https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/overview-server-message-block-signing\""
    ));
}

#[test]
fn report_is_self_contained() {
    let html = render(&[silent("10.0.0.1")], &[], "");
    for needle in [
        "<link", "<img", "<iframe", "@import", "url(", " src=", "//fonts", "http://", "https://",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none';"));
    assert!(html.contains("<svg class=\"chart\""));
    assert!(html.contains("No findings."));
    assert!(html.contains("id=\"count-critical\">0<"));
}

#[test]
fn empty_lists_say_so() {
    let report = HtmlReport {
        title: "t".into(),
        generated: "2025-01-02T03:04:05Z".into(),
        scan_id: None,
        vantage: "internet".into(),
        command: "smbaudit scan".into(),
        hosts: &[],
        findings: &[],
        not_checked: &[],
        machines: &[],
    };
    let mut out = Vec::new();
    write_html(&mut out, &report).unwrap();
    let html = String::from_utf8(out).unwrap();
    assert!(html.contains("Every rule was checked."));
    assert!(html.contains("None seen."));
    assert!(html.contains("0 findings on 0 hosts"));
    assert!(!html.contains("<dt>Scan</dt>"));
}

#[test]
fn ip_sort_keys_order_numerically() {
    let ips = ["10.0.0.5", "10.0.0.12", "192.168.1.20", "::1", "fe80::1"];
    let keys: Vec<String> = ips
        .iter()
        .map(|ip| ip_sort_key(ip.parse().unwrap()))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
}
