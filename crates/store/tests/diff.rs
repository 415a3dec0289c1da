//! Comparing two stored scans: ports opened and closed, findings new and resolved,
//! dialect, signing and SMB1 changes, hosts appeared and gone.

mod common;

use std::net::IpAddr;
use std::path::Path;

use common::{bare_host_json, finding, full_host_json, host_with, meta, record, temp_db};
use serde_json::json;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};
use smbaudit_probe::observation::Port;
use smbaudit_store::sqlite::{SqliteStore, SqliteWriter};
use smbaudit_store::{DiffScope, ScanDiff, ScanId, ScanStatus, ScanStore, StoreError};

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
        // 8445/tcp only B looked at; 10.0.0.3 only A probed, 10.0.0.4 only B: not compared.
        scope: DiffScope {
            common_ports: vec![Port::udp(137), Port::tcp(139), Port::tcp(445)],
            ports_only_a: vec![],
            ports_only_b: vec![Port::tcp(8445)],
            common_hosts: 2,
            hosts_only_a: 1,
            hosts_only_b: 1,
        },
        ports_opened: vec![(ip("10.0.0.2"), Port::tcp(139))],
        ports_closed: vec![(ip("10.0.0.1"), Port::tcp(139))],
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
        share_changes: vec![],
        hosts_appeared: vec![],
        hosts_gone: vec![],
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

/// A `-p 445` scan after a full one: the NetBIOS findings it could not see are not
/// "resolved", an address it did not probe is not "gone", a host silent in both scans is
/// not listed, and a host it probed that stopped answering is gone.
#[test]
fn diff_compares_only_what_both_scans_observed() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let netbios = finding("10.0.0.1", "netbios-exposed", Severity::Info);
    let smb = finding("10.0.0.1", "smb-exposed", Severity::Low);
    let smb_gone = finding("10.0.0.2", "smb-exposed", Severity::Low);
    let silent = |ip: &str| {
        host_with(ip, |v| {
            v["ports"] =
                json!({"137/udp": "open|filtered", "139/tcp": "filtered", "445/tcp": "filtered"});
            v["netbios"] = json!(null);
            v["nbss"] = json!(null);
            v["smb"] = json!(null);
        })
    };
    let a = store_scan(
        &store,
        &path,
        &[
            record(full_host_json("10.0.0.1")),
            record(full_host_json("10.0.0.2")),
            silent("10.0.0.3"),
            record(full_host_json("10.0.0.5")),
        ],
        &[netbios.clone(), smb.clone(), smb_gone.clone()],
    );
    let only_445 = |v: &mut serde_json::Value| {
        v["ports"] = json!({"445/tcp": "open"});
        v["port_evidence"] = json!({"445/tcp": "SYN-ACK"});
        v["netbios"] = json!(null);
        v["nbss"] = json!(null);
    };
    let b = store_scan(
        &store,
        &path,
        &[
            host_with("10.0.0.1", only_445),
            host_with("10.0.0.2", |v| {
                only_445(v);
                v["ports"] = json!({"445/tcp": "filtered"});
                v["smb"] = json!(null);
            }),
            host_with("10.0.0.3", |v| {
                only_445(v);
                v["ports"] = json!({"445/tcp": "filtered"});
                v["smb"] = json!(null);
            }),
        ],
        std::slice::from_ref(&smb),
    );
    let d = store.diff(a, b).unwrap();
    assert_eq!(d.scope.common_ports, [Port::tcp(445)]);
    assert_eq!(d.scope.ports_only_a, [Port::udp(137), Port::tcp(139)]);
    assert_eq!((d.scope.common_hosts, d.scope.hosts_only_a), (3, 1));
    assert_eq!(
        d.findings_resolved,
        [smb_gone],
        "netbios-exposed was not looked at"
    );
    assert!(d.findings_new.is_empty(), "{:?}", d.findings_new);
    assert_eq!(
        d.hosts_gone,
        [ip("10.0.0.2")],
        "10.0.0.5 was not probed, 10.0.0.3 never answered"
    );
    assert!(d.hosts_appeared.is_empty());
    assert!(d.ports_closed.iter().all(|(_, p)| *p == Port::tcp(445)));
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

fn with_shares(ip: &str, shares: serde_json::Value) -> HostRecord {
    host_with(ip, |v| {
        v["smb"]["shares"] = json!({"listed_by": "anonymous", "listed": true,
            "reason": "NetrShareEnum level 1", "level": 1, "shares": shares});
    })
}

fn share(name: &str, write: bool) -> serde_json::Value {
    json!({"name": name, "kind": "disk", "special": false, "hidden": false, "comment": "",
        "access": [{"identity": "anonymous", "connect": true, "connect_status": "connected",
            "read": true, "write": write}]})
}

#[test]
fn diff_lists_shares_that_came_and_went_and_access_that_changed() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let a = store_scan(
        &store,
        &path,
        &[with_shares(
            "10.0.0.1",
            json!([share("public", false), share("old", false)]),
        )],
        &[],
    );
    let b = store_scan(
        &store,
        &path,
        &[with_shares(
            "10.0.0.1",
            json!([share("public", true), share("new", false)]),
        )],
        &[],
    );
    let d = store.diff(a, b).unwrap();
    let got: Vec<(&str, &str)> = d
        .share_changes
        .iter()
        .map(|c| (c.share.as_str(), c.change.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("new", "appeared"),
            ("old", "gone"),
            (
                "public",
                "anonymous: connect,read,no write -> connect,read,write"
            ),
        ]
    );
}
