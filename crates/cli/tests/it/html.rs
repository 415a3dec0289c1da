//! The HTML report in a real browser. The renderer (src/render/html.rs, which depends only on
//! std and smbaudit-findings) is compiled into this test binary with `#[path]`; headless
//! Chromium loads a report built from hostile and normal data, runs its script and dumps the
//! DOM, which the tests read: the script ran (`data-ready="1"`), no injected markup ran, every
//! host row and severity count is there, and the fragment's filter and sort were applied.
//!
//! Chromium loads only the local file: the report has no external resources and forbids them
//! by CSP, and Chromium runs with background networking off and every host name unresolvable.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Evidence, Finding, Platform, Remediation, Severity};

use crate::lab::output_within;

#[path = "../../src/render/html.rs"]
mod html_render;
#[path = "html/scale.rs"]
mod scale;

use html_render::{HtmlReport, NotChecked, write_html};

/// A name a hostile server could send: it would mark the body if it ever ran.
const HOSTILE_SCRIPT: &str = "<script>document.body.dataset.pwned='script'</script>";
const HOSTILE_ATTR: &str = "\"><img src=x onerror=\"document.body.dataset.pwned='img'\">";

/// The hosts in input order, and their order when sorted by address.
const IPS: [&str; 4] = ["192.168.1.20", "10.0.0.12", "fe80::1", "10.0.0.5"];
const IPS_SORTED: [&str; 4] = ["10.0.0.5", "10.0.0.12", "192.168.1.20", "fe80::1"];

fn host(ip: &str, computer: Option<&str>, os: &str, signing_required: bool) -> HostRecord {
    let smb = computer.map(|name| {
        json!({
            "port": 445, "dialects": ["2.1", "3.0", "3.0.2", "3.1.1"], "dialects_complete": true,
            "max_dialect": "3.1.1", "smb1": false, "smb1_reason": null,
            "signing": {"smb2": {"enabled": true, "required": signing_required}, "smb1": null},
            "server_guid": null, "system_time": null, "boot_time": null, "clock_skew_secs": null,
            "capabilities": [], "capabilities_raw": null, "max_transact_size": null,
            "max_read_size": null, "max_write_size": null, "contexts": [], "spnego_mechs": [],
            "ntlm": {
                "netbios_computer": name, "netbios_domain": name, "dns_computer": null,
                "dns_domain": null, "dns_tree": null, "os_version": "10.0.20348",
                "target_name": name, "timestamp": null, "negotiate_flags": 0
            },
            "smb1_ntlm": null, "smb1_mode": null, "native_os": os, "native_lanman": null,
            "primary_domain": null, "by_port": {}
        })
    });
    let state = if smb.is_some() { "open" } else { "filtered" };
    serde_json::from_value(json!({
        "schema": "smbaudit/scan-host/v1", "ip": ip,
        "ports": {"137/udp": "open|filtered", "139/tcp": state, "445/tcp": state},
        "port_evidence": {}, "netbios": null, "nbss": null, "smb": smb, "errors": [],
        "connections": 2, "elapsed_ms": 10
    }))
    .expect("host record JSON")
}

fn finding(ip: &str, rule: &str, severity: Severity, text: &str) -> Finding {
    Finding {
        rule_id: rule.into(),
        ip: ip.parse().unwrap(),
        title: format!("{rule}: {text}"),
        severity,
        rationale: format!("because {text}"),
        evidence: vec![Evidence {
            field: "smb.ntlm.netbios_computer".into(),
            value: text.into(),
        }],
        context: Some(text.into()),
        remediation: vec![Remediation {
            platform: Platform::Perimeter,
            steps: format!("block 445/tcp # {text}"),
        }],
        references: vec!["https://example.invalid/advisory".into()],
    }
}

/// Writes the report to `dir/report.html` and returns its path.
fn write_report(dir: &Path) -> PathBuf {
    let hostile = format!("{HOSTILE_SCRIPT}{HOSTILE_ATTR}");
    let hosts = [
        host(IPS[0], None, "-", false),
        host(IPS[1], Some(&hostile), &hostile, false),
        host(IPS[2], Some("V6HOST"), "Samba 4.17", true),
        host(IPS[3], Some("FILESRV"), "Windows Server 2022", false),
    ];
    let findings = [
        finding(
            "10.0.0.12",
            "internet-exposed",
            Severity::Critical,
            &hostile,
        ),
        finding("10.0.0.12", "smb-signing", Severity::Medium, &hostile),
        finding("10.0.0.5", "smb-signing", Severity::Medium, "FILESRV"),
        finding("10.0.0.5", "ntlm-info", Severity::Info, "FILESRV"),
        finding("fe80::1", "ntlm-info", Severity::Info, "V6HOST"),
    ];
    let not_checked = [NotChecked {
        rule: "null-session".to_owned(),
        why: hostile.clone(),
        hosts: vec![IPS[1].parse().unwrap()],
    }];
    let machines = [vec![
        "10.0.0.5".parse::<IpAddr>().unwrap(),
        "fe80::1".parse().unwrap(),
    ]];
    let report = HtmlReport {
        title: format!("smbaudit {hostile}"),
        generated: "2025-01-02T03:04:05Z".into(),
        scan_id: Some(hostile.clone()),
        vantage: hostile.clone(),
        command: format!("smbaudit scan '{hostile}'"),
        hosts: &hosts,
        findings: &findings,
        not_checked: &not_checked,
        machines: &machines,
    };
    let path = dir.join("report.html");
    let mut file = std::fs::File::create(&path).unwrap();
    write_html(&mut file, &report).unwrap();
    path
}

/// The first of chromium, chromium-browser, google-chrome on PATH.
pub(crate) fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Chromium, or `None` after printing `SKIPPED (what)`; with CI=true a missing Chromium
/// fails the test instead (CI installs it).
pub(crate) fn chromium_or_skip(what: &str) -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI installs chromium (none of chromium, chromium-browser, google-chrome on PATH)"
        );
        eprintln!("SKIPPED {what}");
    }
    found
}

/// Loads `url` in headless Chromium (killed after 60 s) and returns the DOM after load.
pub(crate) fn dump_dom(chromium: &Path, profile: &Path, url: &str) -> String {
    dump_dom_with(chromium, profile, url, &[])
}

/// [`dump_dom`] with more Chromium flags (e.g. `--window-size=1366,900`).
pub(crate) fn dump_dom_with(chromium: &Path, profile: &Path, url: &str, extra: &[&str]) -> String {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-sync",
        "--disable-extensions",
        "--disable-component-update",
        "--disable-default-apps",
        "--no-default-browser-check",
        // Nothing but the file may load: no name resolves.
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    // Crash-report and config directories go under the profile, not the user's home.
    .env("HOME", profile)
    .env("XDG_CONFIG_HOME", profile)
    .env("XDG_CACHE_HOME", profile)
    .args(extra)
    .arg("--dump-dom")
    .arg(url);
    let out = output_within(&mut cmd, Duration::from_secs(60)).expect("chromium within 60 s");
    assert!(
        out.status.success(),
        "chromium failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 DOM")
}

/// The attributes of the start tag at the beginning of `tag` (`<name a="v" ...>`), as
/// Chromium serializes them: always double-quoted, `"` inside escaped as `&quot;`.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let name_end = tag.find(|c: char| c.is_whitespace() || c == '>').unwrap();
    let mut rest = &tag[name_end..];
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('>') {
            return attrs;
        }
        let end = rest.find(['=', ' ', '>']).unwrap_or(rest.len());
        let name = rest[..end].to_owned();
        rest = &rest[end..];
        let value = if let Some(quoted) = rest.strip_prefix("=\"") {
            let close = quoted.find('"').expect("closing quote");
            rest = &quoted[close + 1..];
            quoted[..close].to_owned()
        } else {
            String::new()
        };
        attrs.push((name, value));
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The host table's rows in DOM order: (id, hidden).
pub(crate) fn rows(dom: &str) -> Vec<(String, bool)> {
    let table = &dom[dom.find("<table id=\"host-table\"").expect("host table")..];
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    body.match_indices("<tr ")
        .map(|(i, _)| {
            let attrs = attributes(&body[i..]);
            let id = attr(&attrs, "id").expect("row id").to_owned();
            (id, attr(&attrs, "hidden").is_some())
        })
        .collect()
}

pub(crate) fn row_id(ip: &str) -> String {
    format!("row-host-{}", ip.replace(['.', ':'], "-"))
}

pub(crate) fn body_attributes(dom: &str) -> Vec<(String, String)> {
    attributes(&dom[dom.find("<body").expect("body")..])
}

pub(crate) fn count(dom: &str, sev: &str) -> usize {
    let key = format!("id=\"count-{sev}\">");
    let at = dom.find(&key).unwrap_or_else(|| panic!("{key}")) + key.len();
    dom[at..dom[at..].find('<').unwrap() + at].parse().unwrap()
}

#[test]
fn report_scripts_run_in_headless_chromium_and_apply_fragment_filter_and_sort() {
    let Some(chromium) = chromium_or_skip("(needs chromium)") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = write_report(dir.path());
    let url = format!("file://{}", report.display());
    let load = |n: usize, fragment: &str| {
        let profile = dir.path().join(format!("profile-{n}"));
        dump_dom(&chromium, &profile, &format!("{url}{fragment}"))
    };

    // Plain load: the script ran, nothing injected ran, everything is there.
    let dom = load(0, "");
    let body = body_attributes(&dom);
    assert_eq!(
        attr(&body, "data-ready"),
        Some("1"),
        "script did not finish"
    );
    assert_eq!(attr(&body, "data-pwned"), None, "injected markup ran");
    assert!(!dom.contains("<img"), "injected element in the DOM");
    assert!(dom.contains("&lt;script&gt;document.body.dataset.pwned"));
    let expected: Vec<(String, bool)> = IPS.iter().map(|ip| (row_id(ip), false)).collect();
    assert_eq!(rows(&dom), expected);
    for (sev, n) in [
        ("critical", 1),
        ("high", 0),
        ("medium", 2),
        ("low", 0),
        ("info", 2),
    ] {
        assert_eq!(count(&dom, sev), n, "{sev}");
    }
    assert!(dom.contains("4 of 4 hosts shown"));

    // Filter from the fragment: only the matching row (and its findings) stay visible.
    let dom = load(1, "#filter=10.0.0.5");
    assert_eq!(attr(&body_attributes(&dom), "data-ready"), Some("1"));
    let visible: Vec<String> = rows(&dom)
        .into_iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(visible, [row_id("10.0.0.5")]);
    assert_eq!(rows(&dom).len(), IPS.len());
    assert!(dom.contains("1 of 4 hosts shown"));
    let filter_box = attributes(&dom[dom.find("<p class=\"filter\"").unwrap()..]);
    assert_eq!(attr(&filter_box, "hidden"), None, "filter box not shown");
    let hidden_article = attributes(
        &dom[dom
            .find("<article class=\"host\" id=\"host-10-0-0-12\"")
            .unwrap()..],
    );
    assert!(attr(&hidden_article, "hidden").is_some());

    // Sort by address from the fragment: numeric order (10.0.0.5 before 10.0.0.12), v6 last.
    let dom = load(2, "#sort=ip");
    let order: Vec<String> = rows(&dom).into_iter().map(|(id, _)| id).collect();
    let expected: Vec<String> = IPS_SORTED.iter().map(|ip| row_id(ip)).collect();
    assert_eq!(order, expected);
    assert!(dom.contains("data-key=\"ip\" data-type=\"key\" aria-sort=\"ascending\""));

    // Worst findings first: critical host, then medium (2 findings), then info, then none.
    let dom = load(3, "#sort=-findings");
    let order: Vec<String> = rows(&dom).into_iter().map(|(id, _)| id).collect();
    let expected: Vec<String> = ["10.0.0.12", "10.0.0.5", "fe80::1", "192.168.1.20"]
        .iter()
        .map(|ip| row_id(ip))
        .collect();
    assert_eq!(order, expected);
}
