//! Findings against real Samba: the rule ids each host must get are derived from its
//! configuration (the same hosts as `scan.rs`), not copied from the scanner's output; the
//! vantage changes ratings; `--fail-on` and `--relay-list` gate and list.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde_json::Value;

use crate::html::{body_attributes, chromium_or_skip, count, dump_dom, row_id, rows};
use crate::lab::{Lab, require_lab};
use crate::run::{jsonl, smbaudit};
use crate::scan::{Expect, expectations, lab_hosts};

/// The rule ids a host's configuration implies when scanned from the LAN.
fn expected_ids(e: &Expect) -> BTreeSet<&'static str> {
    let mut ids = BTreeSet::from([
        // Every lab host runs nmbd (137/udp answers, with the workgroup and file server role)
        // and smbd, and offers NTLM, which discloses the DNS names and Samba's version.
        "netbios-exposed",
        "nbstat-discloses-names",
        "ntlm-discloses-dns-names",
        "ntlm-discloses-os-build",
    ]);
    if e.smb_ports.contains(&445) {
        ids.insert("smb-exposed");
    }
    if !e.signing_required {
        ids.insert("smb2-signing-not-required");
    }
    if e.smb1() {
        ids.insert("smb1-enabled");
        if !e.signing_required {
            ids.insert("smb1-signing-not-required");
        }
    }
    if matches!(e.max, "SMB2_02" | "SMB2_10") {
        ids.insert("no-smb3");
    }
    // Samba's defaults (restrict anonymous = 0) grant an anonymous session that reaches
    // IPC$, and the lab's base configuration maps unknown users to guest (map to guest =
    // bad user); both attempts are made over SMB2, and the null session lists the shares
    // (IPC$ only here: no disk share to read or write).
    if e.smb2() {
        ids.insert("null-session");
        ids.insert("guest-fallback");
        ids.insert("anonymous-share-listing");
    }
    ids
}

fn scan(lab: &Lab, extra: &[&str]) -> (i32, BTreeMap<Ipv4Addr, Value>, String) {
    let (net, len) = lab.prefix();
    let mut args = vec!["scan", "-f", "jsonl", "--no-store"];
    args.extend_from_slice(extra);
    let (code, out, err) = smbaudit(lab, &args, &[format!("{net}/{len}")]);
    let hosts = jsonl(&out)
        .into_iter()
        .map(|h| (h["ip"].as_str().unwrap().parse().unwrap(), h))
        .collect();
    (code, hosts, err)
}

pub(crate) fn finding_ids(host: &Value) -> BTreeSet<String> {
    rule_ids(host, "findings")
}

/// The rule ids of a host's `findings` or `not_checked`.
pub(crate) fn rule_ids(host: &Value, key: &str) -> BTreeSet<String> {
    host[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

fn severity_of(host: &Value, rule: &str) -> String {
    host["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {host}"))["severity"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn findings_follow_each_configuration_and_the_vantage() {
    let expect = expectations();
    let lab = require_lab!(&lab_hosts(&expect));
    let (code, hosts, err) = scan(&lab, &["--vantage", "lan"]);
    assert_eq!(code, 0, "{err}");
    for e in &expect {
        let h = &hosts[&lab.ip(e.spec.id)];
        let want: BTreeSet<String> = expected_ids(e).into_iter().map(str::to_owned).collect();
        assert_eq!(finding_ids(h), want, "host {}", e.spec.id);
        for f in h["findings"].as_array().unwrap() {
            assert!(!f["remediation"].as_array().unwrap().is_empty(), "{f}");
            assert!(!f["evidence"].as_array().unwrap().is_empty(), "{f}");
        }
        let not_checked: Vec<&str> = h["not_checked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["rule_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            not_checked.contains(&"null-session"),
            !e.smb2(),
            "the null session is tried over SMB2 only: {h}"
        );
        assert_eq!(
            not_checked.contains(&"anonymous-share-listing"),
            !e.smb2(),
            "shares are listed on the SMB2 null session only: {h}"
        );
        assert!(
            !not_checked.contains(&"ms17-010"),
            "MS17-010 is checked where SMB1 is on, not applicable where off: {h}"
        );
        if e.smb1() {
            // Samba answers PeekNamedPipe on FID 0 as a patched Windows does.
            let ms17 = &h["smb"]["ms17_010"];
            assert_eq!(ms17["vulnerable"], false, "{ms17}");
            assert!(
                ms17["status"].as_str().unwrap().contains("INVALID_HANDLE"),
                "{ms17}"
            );
            // ... and its DoublePulsar ping with MID 65: no implant.
            let pulsar = &h["smb"]["doublepulsar"];
            assert_eq!(pulsar["present"], false, "{pulsar}");
            assert_eq!(pulsar["mid"], 65, "{pulsar}");
        }
        if e.smb_ports.contains(&445) {
            assert_eq!(
                severity_of(h, "smb-exposed"),
                "low",
                "private, from the LAN"
            );
        }
        assert_eq!(severity_of(h, "netbios-exposed"), "info");
    }
    let nb = &hosts[&lab.ip("nbonly")];
    assert_eq!(
        finding_ids(nb),
        BTreeSet::from(["nbstat-discloses-names".into(), "netbios-exposed".into()])
    );

    // From the internet, the same private addresses reached mean a leak: rated high.
    let (code, hosts, err) = scan(&lab, &["--vantage", "internet"]);
    assert_eq!(code, 0, "{err}");
    let modern = &hosts[&lab.ip("modern")];
    assert_eq!(severity_of(modern, "smb-exposed"), "high");
    assert_eq!(severity_of(modern, "netbios-exposed"), "high");
}

#[test]
fn fail_on_and_relay_list() {
    let expect = expectations();
    let lab = require_lab!(&lab_hosts(&expect));
    let dir = tempfile::tempdir().unwrap();
    let relay = dir.path().join("relay.txt");
    let relay_arg = relay.to_str().unwrap();
    // SMB1 on the legacy host is a high finding: --fail-on high exits 3, critical does not.
    let (code, _, err) = scan(
        &lab,
        &[
            "--vantage",
            "lan",
            "--fail-on",
            "high",
            "--relay-list",
            relay_arg,
        ],
    );
    assert_eq!(code, 3, "{err}");
    // The exit code is explained: which rules tripped the gate, on how many hosts.
    let legacy = expect.iter().filter(|e| e.smb1()).count();
    assert!(
        err.contains("--fail-on high:") && err.contains(&format!("smb1-enabled ({legacy} host")),
        "{err}"
    );
    let (code, _, err) = scan(&lab, &["--vantage", "lan", "--fail-on", "critical"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("--fail-on"), "{err}");
    // Relay targets: every host whose signing is not mandatory, Samba or not.
    let listed: BTreeSet<Ipv4Addr> = std::fs::read_to_string(&relay)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let want: BTreeSet<Ipv4Addr> = expect
        .iter()
        .filter(|e| !e.signing_required)
        .map(|e| lab.ip(e.spec.id))
        .collect();
    assert_eq!(listed, want);
}

/// A real scan's HTML report, opened in headless Chromium: its script runs, every exposed lab
/// host has a row, and the severity counts match the JSON findings of the same lab.
#[test]
fn html_report_of_a_real_scan_renders() {
    let expect = expectations();
    let lab = require_lab!(&lab_hosts(&expect));
    let Some(chromium) = chromium_or_skip("(needs chromium)") else {
        return;
    };
    let (code, hosts, err) = scan(&lab, &["--vantage", "lan"]);
    assert_eq!(code, 0, "{err}");
    let (net, len) = lab.prefix();
    let (code, html, err) = smbaudit(
        &lab,
        &["scan", "--no-store", "--vantage", "lan", "-q", "-f", "html"],
        &[format!("{net}/{len}")],
    );
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    std::fs::write(&file, html).unwrap();
    let dom = dump_dom(
        &chromium,
        &dir.path().join("profile"),
        &format!("file://{}", file.display()),
    );
    assert!(
        body_attributes(&dom).contains(&("data-ready".into(), "1".into())),
        "the report's script ran"
    );
    let row_ids: BTreeSet<String> = rows(&dom).into_iter().map(|(id, _)| id).collect();
    let want: BTreeSet<String> = hosts.keys().map(|ip| row_id(&ip.to_string())).collect();
    assert_eq!(row_ids, want);
    for severity in ["critical", "high", "medium", "low", "info"] {
        let in_json = hosts
            .values()
            .flat_map(|h| h["findings"].as_array().unwrap())
            .filter(|f| f["severity"] == severity)
            .count();
        assert_eq!(count(&dom, severity), in_json, "{severity}");
    }
}
