//! Fixtures shared by the store's integration tests: host records built from JSON in the
//! shape of `schema/scan-host.v1.json`, findings, and temporary databases.
#![allow(dead_code)] // each test binary uses a different part

use std::path::PathBuf;

use serde_json::{Value, json};
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};
use smbaudit_store::ScanMeta;

/// A temporary directory and the database path inside it (the file not created yet; its
/// directory exists, as the store never creates one).
pub(crate) fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let parent = dir.path().join("nested/dir");
    std::fs::create_dir_all(&parent).expect("mkdir");
    (dir, parent.join("smbaudit.db"))
}

/// Scan metadata for a test scan.
pub(crate) fn meta(targets: &[&str]) -> ScanMeta {
    ScanMeta {
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        command: format!("smbaudit scan {}", targets.join(" ")),
        vantage: "lan".into(),
        options: None,
    }
}

/// A host that answered everything: every object of the schema filled in, with values
/// a Samba 4 server gives (floats, nested objects, untagged context values, `\xNN` names).
pub(crate) fn full_host_json(ip: &str) -> Value {
    json!({
        "schema": "smbaudit/scan-host/v1",
        "ip": ip,
        "ports": {"137/udp": "open", "139/tcp": "open", "445/tcp": "open"},
        "port_evidence": {"137/udp": "NBSTAT reply", "139/tcp": "SYN-ACK", "445/tcp": "SYN-ACK"},
        "netbios": {
            "ip": ip, "status": "ok", "error": null, "rtt_ms": 0.317, "attempts": 1,
            "names": [{
                "name": "FILESRV", "suffix": 32, "group": false, "flags": 1024, "node_type": "B",
                "active": true, "permanent": false, "conflict": false, "deregistering": false,
                "service": "File Server Service", "raw_hex": "46494c45535256202020202020202020"
            }, {
                "name": "WORK\\x01GROUP", "suffix": 0, "group": true, "flags": 33792, "node_type": "B",
                "active": true, "permanent": false, "conflict": false, "deregistering": false,
                "service": "Workstation Service", "raw_hex": "574f524b0147524f5550202020202000"
            }],
            "mac": "00:00:00:00:00:00", "mac_disclosed": false, "computer": "FILESRV",
            "aliases": [], "workgroup": "WORK\\x01GROUP", "users": ["alice"],
            "roles": ["file_server", "master_browser"], "node_type": "B", "statistics_len": 46
        },
        "nbss": {
            "accepted_name": "*SMBSERVER", "smbserver_accepted": true,
            "attempts": [{"called": "*SMBSERVER", "result": "positive", "code": null, "detail": null}]
        },
        "smb": {
            "port": 445,
            "dialects": ["2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"],
            "dialects_complete": true,
            "max_dialect": "3.1.1",
            "smb1": false,
            "smb1_reason": "NT LM 0.12 refused",
            "signing": {"smb2": {"enabled": true, "required": false}, "smb1": null},
            "server_guid": "6d2ab4c3-8f37-4a4f-9a0b-3e2f1c0d9e8a",
            "system_time": "2026-05-01T10:00:00.123456700Z",
            "boot_time": null,
            "clock_skew_secs": -2,
            "capabilities": ["DFS", "LEASING", "LARGE_MTU"],
            "capabilities_raw": 7,
            "max_transact_size": 8388608, "max_read_size": 8388608, "max_write_size": 8388608,
            "contexts": [
                {"type": 1, "name": "preauth_integrity", "data": "01002000010000",
                 "decoded": {"hash_algorithms": ["SHA-512"], "salt_len": 32}},
                {"type": 2, "name": "encryption", "data": "01000200",
                 "decoded": {"ciphers": ["AES-128-GCM"]}},
                {"type": 8, "name": "signing", "data": "01000200",
                 "decoded": {"algorithms": ["AES-GMAC"]}},
                {"type": 65280, "name": "unknown", "data": "dead", "decoded": null}
            ],
            "spnego_mechs": [{"oid": "1.3.6.1.4.1.311.2.2.10", "name": "NTLMSSP"},
                             {"oid": "1.2.3.4", "name": null}],
            "ntlm": {
                "netbios_computer": "FILESRV", "netbios_domain": "WORKGROUP",
                "dns_computer": "filesrv.lab", "dns_domain": "lab", "dns_tree": null,
                "os_version": "6.1.0", "target_name": "FILESRV",
                "timestamp": "2026-05-01T10:00:00Z", "negotiate_flags": 3800728085u32
            },
            "smb1_ntlm": null,
            "smb1_mode": null,
            "native_os": null, "native_lanman": null, "primary_domain": null,
            "by_port": {"445/tcp": {"max_dialect": "3.1.1", "signing_required": false, "error": null}}
        },
        "errors": [{"phase": "nbss_session", "port": 139, "message": "reset by peer \u{2014} ünïcode"}],
        "connections": 3,
        "elapsed_ms": 41
    })
}

/// A host with only closed ports.
pub(crate) fn bare_host_json(ip: &str) -> Value {
    json!({
        "schema": "smbaudit/scan-host/v1", "ip": ip,
        "ports": {"139/tcp": "closed", "445/tcp": "closed"},
        "port_evidence": {"139/tcp": "RST", "445/tcp": "RST"},
        "netbios": null, "nbss": null, "smb": null, "errors": [],
        "connections": 2, "elapsed_ms": 1
    })
}

/// Deserializes a host record (panics on a fixture that does not fit the type).
pub(crate) fn record(v: Value) -> HostRecord {
    serde_json::from_value(v).expect("fixture matches HostRecord")
}

/// The full host, modified by `edit`.
pub(crate) fn host_with(ip: &str, edit: impl FnOnce(&mut Value)) -> HostRecord {
    let mut v = full_host_json(ip);
    edit(&mut v);
    record(v)
}

/// A finding of `rule` on `ip`.
pub(crate) fn finding(ip: &str, rule: &str, severity: Severity) -> Finding {
    serde_json::from_value(json!({
        "rule_id": rule,
        "ip": ip,
        "title": format!("{rule} on {ip}"),
        "severity": severity,
        "rationale": "An attacker on the LAN can relay NTLM to this host.",
        "evidence": [{"field": "smb.signing.smb2.required", "value": "false"}],
        "context": if ip.starts_with("10.") { Value::from("private address") } else { Value::Null },
        "remediation": [
            {"platform": "windows", "steps": "Set-SmbServerConfiguration -RequireSecuritySignature $true"},
            {"platform": "samba", "steps": "[global]\nserver signing = mandatory"}
        ],
        "references": ["https://learn.microsoft.com/"]
    }))
    .expect("fixture matches Finding")
}

/// The `i`-th host of a generated scan (10.1.x.y), alternating full and bare records.
pub(crate) fn nth_ip(i: u32) -> String {
    format!("10.1.{}.{}", i / 250, i % 250 + 1)
}

/// The host and findings the `i`-th target of a generated scan yields: `i % 3` findings.
pub(crate) fn nth_result(i: u32) -> (HostRecord, Vec<Finding>) {
    let ip = nth_ip(i);
    let host = if i % 2 == 0 {
        record(full_host_json(&ip))
    } else {
        record(bare_host_json(&ip))
    };
    let rules = [
        "smb-signing-not-required",
        "ntlm-info-disclosure",
        "netbios-users",
    ];
    let findings = rules
        .iter()
        .take((i % 3) as usize)
        .zip([Severity::Medium, Severity::Low, Severity::Info])
        .map(|(rule, sev)| finding(&ip, rule, sev))
        .collect();
    (host, findings)
}
