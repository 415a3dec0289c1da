//! A host that speaks SMB1 only (`server min protocol = server max protocol = NT1`): it
//! closes the connection on an SMB2 NEGOTIATE, which is its expected answer, not an error.

use serde_json::Value;

use crate::findings::{finding_ids, rule_ids};
use crate::lab::{HostSpec, Lab, require_lab};
use crate::run::{jsonl, smbaudit};

fn smb1_only() -> HostSpec {
    HostSpec {
        extra_conf: "   server min protocol = NT1\n   server max protocol = NT1\n".to_owned(),
        ..HostSpec::new("nt1", "NT1ONLY", "LABWG")
    }
}

fn scan(lab: &Lab, format: &str) -> (i32, String, String) {
    let ip = lab.ip("nt1").to_string();
    smbaudit(lab, &["scan", "-f", format, "--no-store"], &[ip])
}

#[test]
fn an_smb1_only_host_is_reported_as_one() {
    let lab = require_lab!(&[smb1_only()]);
    let (code, out, err) = scan(&lab, "jsonl");
    assert_eq!(code, 0, "stderr: {err}");
    let hosts = jsonl(&out);
    let [h] = hosts.as_slice() else {
        panic!("one host: {out}");
    };
    let smb = &h["smb"];
    assert_eq!(smb["smb1"], true, "{h}");
    assert_eq!(smb["max_dialect"], "NT LM 0.12", "{h}");
    assert_eq!(
        smb["dialects"],
        Value::Array(vec![]),
        "no SMB2 dialect: {h}"
    );
    assert_eq!(
        smb["dialects_complete"], true,
        "SMB2 refused is a complete answer: {h}"
    );
    for port in ["139/tcp", "445/tcp"] {
        assert_eq!(
            smb["by_port"][port]["max_dialect"], "NT LM 0.12",
            "{port}: {h}"
        );
        assert!(smb["by_port"][port]["error"].is_null(), "{port}: {h}");
    }
    // Samba's `server signing = default` leaves SMB1 signing off.
    assert_eq!(smb["signing"]["smb1"]["required"], false, "{h}");
    assert!(
        smb["clock_skew_secs"].as_i64().unwrap().abs() <= 5,
        "the SMB1 clock: {h}"
    );
    assert_eq!(h["errors"], Value::Array(vec![]), "no errors: {h}");
    let ids = finding_ids(h);
    for id in ["smb1-enabled", "no-smb3", "smb1-signing-not-required"] {
        assert!(ids.contains(id), "{id} in {ids:?}");
    }
    let not_checked = rule_ids(h, "not_checked");
    for id in ["no-smb3", "clock-skew", "smb2-signing-not-required"] {
        assert!(!not_checked.contains(id), "{id} is judged: {not_checked:?}");
    }
}
