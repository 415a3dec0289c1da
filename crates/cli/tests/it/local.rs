//! `smbaudit local` (and `smbaudit` with no command): the loopback check goes through the
//! same record, rules and output formats as `scan`. Run inside a lab host's namespace, whose
//! loopback has a real smbd and nmbd behind it.

use serde_json::Value;

use crate::findings::finding_ids;
use crate::lab::{HostSpec, require_lab};
use crate::scan::validator;

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

#[test]
fn local_reports_loopback_with_findings_in_scan_formats() {
    // The harness binds Samba to eth0 only; this host listens on loopback too.
    let host = HostSpec {
        extra_conf: "   interfaces = lo eth0\n".to_owned(),
        ..HostSpec::new("self", "SELFSRV", "LABWG")
    };
    let lab = require_lab!(&[host]);
    let out = lab
        .host_command("self", BIN)
        .args(["local", "-f", "json", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hosts: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let [h] = hosts.as_slice() else {
        panic!("one host: {hosts:?}");
    };
    let errors: Vec<String> = validator().iter_errors(h).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "schema v1: {errors:?}");
    assert_eq!(h["ip"], "127.0.0.1");
    assert_eq!(h["ports"]["445/tcp"], "open", "{h}");
    assert_eq!(
        h["smb"]["ntlm"]["netbios_computer"], "SELFSRV",
        "the SMB suite ran: {h}"
    );
    let ids = finding_ids(h);
    assert!(ids.contains("smb-exposed"), "{ids:?}");

    // No command at all: the audit of the host's interfaces, then the loopback table.
    let out = lab.host_command("self", BIN).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("This machine ("), "{table}");
    let (audit, local) = table
        .split_once("\nIP address")
        .expect("the audit, then the loopback table");
    assert!(
        audit
            .lines()
            .any(|l| l.starts_with("eth0 ") && l.contains("inside") && l.contains("EXPOSED")),
        "smbd on eth0, no firewall: {audit}"
    );
    assert!(audit.contains("445/tcp smbd (pid"), "{audit}");
    assert!(
        local.lines().nth(1).unwrap().starts_with("127.0.0.1 "),
        "{local}"
    );
    assert!(
        local.contains("Findings:") && local.contains("smb-exposed"),
        "{local}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback (127.0.0.1) only"), "{err}");
}
