//! Comparing two stored scans: ports opened and closed, findings new and resolved,
//! dialect, signing and SMB1 changes, hosts appeared and gone.

mod common;

use std::net::IpAddr;
use std::path::Path;

use common::{bare_host_json, finding, full_host_json, host_with, meta, record, temp_db};
use serde_json::json;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};
use smbaudit_store::sqlite::{SqliteStore, SqliteWriter};
use smbaudit_store::{ScanDiff, ScanId, ScanStatus, ScanStore, StoreError};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn store_scan(
    store: &SqliteStore,
    path: &Path,
    hosts: &[HostRecord],
    findings: &[Finding],
) -> ScanId {
    let scan = store.begin_scan(&meta(&["10.0.0.0/29"])).unwrap();
    let w = SqliteWriter::start(path, scan).unwrap();
    for h in hosts {
        let mine: Vec<Finding> = findings.iter().filter(|f| f.ip == h.ip).cloned().collect();
        w.send(h, &mine).unwrap();
    }
    w.finish(ScanStatus::Finished).unwrap();
    scan
}

#[test]
fn diff_reports_every_kind_of_change() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();

    let signing_off = finding("10.0.0.1", "smb-signing-not-required", Severity::Medium);
    let ntlm_leak = finding("10.0.0.2", "ntlm-info-disclosure", Severity::Low);
    let smb1_on = finding("10.0.0.2", "smb1-enabled", Severity::High);
    let a = store_scan(
        &store,
        &path,
        &[
            record(full_host_json("10.0.0.1")),
            host_with("10.0.0.2", |v| v["ports"]["139/tcp"] = json!("closed")),
            record(bare_host_json("10.0.0.3")),
        ],
        &[signing_off.clone(), ntlm_leak.clone()],
    );
    let b = store_scan(
        &store,
        &path,
        &[
            // 10.0.0.1: signing now required, 3.1.1 gone, 139 closed.
            host_with("10.0.0.1", |v| {
                v["smb"]["signing"]["smb2"]["required"] = json!(true);
                v["smb"]["max_dialect"] = json!("3.0.2");
                v["smb"]["dialects"] = json!(["2.0.2", "2.1", "3.0", "3.0.2"]);
                v["ports"]["139/tcp"] = json!("closed");
            }),
            // 10.0.0.2: 139 opened, SMB1 switched on (with SMB1 signing off); a port
            // only this scan looked at is not "opened".
            host_with("10.0.0.2", |v| {
                v["smb"]["smb1"] = json!(true);
                v["smb"]["signing"]["smb1"] = json!({"enabled": true, "required": false});
                v["ports"]["8445/tcp"] = json!("open");
            }),
            record(bare_host_json("10.0.0.4")),
        ],
        &[ntlm_leak.clone(), smb1_on.clone()],
    );

    let d = store.diff(a, b).unwrap();
    let expected = ScanDiff {
        a,
        b,
        ports_opened: vec![(ip("10.0.0.2"), smbaudit_probe::observation::Port::tcp(139))],
        ports_closed: vec![(ip("10.0.0.1"), smbaudit_probe::observation::Port::tcp(139))],
        findings_new: vec![smb1_on],
        findings_resolved: vec![signing_off],
        dialect_changes: vec![(ip("10.0.0.1"), Some("3.1.1".into()), Some("3.0.2".into()))],
        dialect_set_changes: vec![(
            ip("10.0.0.1"),
            vec![
                "2.0.2".into(),
                "2.1".into(),
                "3.0".into(),
                "3.0.2".into(),
                "3.1.1".into(),
            ],
            vec!["2.0.2".into(), "2.1".into(), "3.0".into(), "3.0.2".into()],
        )],
        signing_changes: vec![(ip("10.0.0.1"), Some(false), Some(true))],
        smb1_signing_changes: vec![(ip("10.0.0.2"), None, Some(false))],
        smb1_changes: vec![(ip("10.0.0.2"), Some(false), Some(true))],
        hosts_appeared: vec![ip("10.0.0.4")],
        hosts_gone: vec![ip("10.0.0.3")],
    };
    assert_eq!(d, expected);
    assert!(!d.is_empty());

    // The other way round, everything is mirrored.
    let back = store.diff(b, a).unwrap();
    assert_eq!(back.ports_opened, expected.ports_closed);
    assert_eq!(back.ports_closed, expected.ports_opened);
    assert_eq!(back.findings_new, expected.findings_resolved);
    assert_eq!(back.findings_resolved, expected.findings_new);
    assert_eq!(
        back.signing_changes,
        [(ip("10.0.0.1"), Some(true), Some(false))]
    );
    assert_eq!(back.hosts_appeared, expected.hosts_gone);

    assert!(store.diff(a, a).unwrap().is_empty());
}

#[test]
fn diff_with_a_missing_scan_is_not_found() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let a = store_scan(&store, &path, &[record(bare_host_json("10.0.0.1"))], &[]);
    for (x, y) in [(a, ScanId(77)), (ScanId(77), a)] {
        let err = store.diff(x, y).unwrap_err();
        assert!(matches!(err, StoreError::NotFound(ScanId(77))), "{err:?}");
    }
}
