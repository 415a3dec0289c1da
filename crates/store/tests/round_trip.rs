//! Hosts and findings written through a `Writer` read back exactly; history, status and
//! replacement of re-sent hosts.

mod common;

use std::collections::BTreeMap;

use common::{bare_host_json, finding, full_host_json, host_with, meta, record, temp_db};
use rusqlite::Connection;
use smbaudit_findings::{Finding, Severity};
use smbaudit_store::sqlite::{SqliteStore, SqliteWriter};
use smbaudit_store::{ScanId, ScanStatus, ScanStore, StoreError, WriterStats};

#[test]
fn written_scan_reads_back_equal_and_is_listed_with_counts() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let scan = store
        .begin_scan(&meta(&["10.0.0.0/24", "2001:db8::5"]))
        .unwrap();

    let hosts = vec![
        record(full_host_json("192.168.1.10")),
        record(full_host_json("10.0.0.2")),
        record(bare_host_json("2001:db8::5")),
        record(bare_host_json("10.0.0.1")),
    ];
    let findings = vec![
        finding("192.168.1.10", "smb-signing-not-required", Severity::Medium),
        finding("192.168.1.10", "ntlm-info-disclosure", Severity::Low),
        finding("10.0.0.2", "smb-signing-not-required", Severity::High),
    ];
    let writer = SqliteWriter::start(&path, scan).unwrap();
    for h in &hosts {
        let mine: Vec<Finding> = findings.iter().filter(|f| f.ip == h.ip).cloned().collect();
        writer.send(h, &mine).unwrap();
    }
    let stats = writer.finish(ScanStatus::Finished).unwrap();
    assert_eq!(
        stats,
        WriterStats {
            hosts: 4,
            findings: 3,
            batches: 1
        }
    );
    drop(store);

    let store = SqliteStore::open(&path).unwrap();
    let mut by_address = hosts.clone();
    by_address.sort_by_key(|h| h.ip);
    let read = store.hosts(scan).unwrap();
    assert_eq!(read, by_address);
    assert_eq!(
        read.iter().map(|h| h.ip.to_string()).collect::<Vec<_>>(),
        ["10.0.0.1", "10.0.0.2", "192.168.1.10", "2001:db8::5"]
    );
    // Lossless: the JSON shown again is byte for byte the JSON first rendered.
    for (r, h) in read.iter().zip(&by_address) {
        assert_eq!(
            serde_json::to_string(r).unwrap(),
            serde_json::to_string(h).unwrap()
        );
    }
    let mut sorted = findings.clone();
    sorted.sort_by(|a, b| (a.ip, &a.rule_id).cmp(&(b.ip, &b.rule_id)));
    assert_eq!(store.findings(scan).unwrap(), sorted);

    let history = store.scans().unwrap();
    assert_eq!(history.len(), 1);
    let s = &history[0];
    assert_eq!(s.id, scan);
    assert_eq!(s.status, ScanStatus::Finished);
    assert_eq!(s.targets, ["10.0.0.0/24", "2001:db8::5"]);
    assert_eq!(s.command, "smbaudit scan 10.0.0.0/24 2001:db8::5");
    assert_eq!(s.vantage, "lan");
    assert_eq!(s.hosts, 4);
    assert_eq!(
        s.findings_by_severity,
        BTreeMap::from([
            (Severity::High, 1),
            (Severity::Medium, 1),
            (Severity::Low, 1)
        ])
    );
    assert_eq!(s.findings(), 3);
    let started = humantime::parse_rfc3339(&s.started).unwrap();
    let finished = humantime::parse_rfc3339(s.finished.as_deref().unwrap()).unwrap();
    assert!(finished >= started);
    assert_eq!(store.scan(scan).unwrap(), *s);
}

#[test]
fn history_is_newest_first_and_tracks_unfinished_scans() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.scans().unwrap(), []);
    assert_eq!(store.last_unfinished().unwrap(), None);

    let first = store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
    let second = store.begin_scan(&meta(&["10.0.0.2"])).unwrap();
    assert!(second > first);
    let ids: Vec<ScanId> = store.scans().unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, [second, first]);

    let newest = store.last_unfinished().unwrap().unwrap();
    assert_eq!(
        (newest.id, newest.status, newest.finished),
        (second, ScanStatus::Running, None)
    );

    store.set_status(second, ScanStatus::Interrupted).unwrap();
    let s = store.last_unfinished().unwrap().unwrap();
    assert_eq!((s.id, s.status), (second, ScanStatus::Interrupted));
    assert!(s.finished.is_some());

    store.set_status(second, ScanStatus::Finished).unwrap();
    assert_eq!(store.last_unfinished().unwrap().unwrap().id, first);
    store.set_status(first, ScanStatus::Finished).unwrap();
    assert_eq!(store.last_unfinished().unwrap(), None);

    // Resuming marks the scan running again and clears its end time.
    let w = SqliteWriter::start(&path, first).unwrap();
    let s = store.scan(first).unwrap();
    assert_eq!((s.status, s.finished), (ScanStatus::Running, None));
    w.finish(ScanStatus::Finished).unwrap();
}

#[test]
fn a_host_sent_again_replaces_its_record_and_findings() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let scan = store.begin_scan(&meta(&["10.0.0.9"])).unwrap();
    let before = record(full_host_json("10.0.0.9"));
    let after = host_with("10.0.0.9", |v| {
        v["smb"]["signing"]["smb2"]["required"] = true.into()
    });

    let w = SqliteWriter::start(&path, scan).unwrap();
    w.send(
        &before,
        &[
            finding("10.0.0.9", "smb-signing-not-required", Severity::Medium),
            finding("10.0.0.9", "ntlm-info-disclosure", Severity::Low),
        ],
    )
    .unwrap();
    w.finish(ScanStatus::Interrupted).unwrap();
    assert_eq!(store.hosts(scan).unwrap(), [before]);

    // Within one batch and across writers, the last one sent wins.
    let w = SqliteWriter::start(&path, scan).unwrap();
    w.send(&after, &[]).unwrap();
    let last = finding("10.0.0.9", "ntlm-info-disclosure", Severity::Info);
    w.send(&after, std::slice::from_ref(&last)).unwrap();
    w.finish(ScanStatus::Finished).unwrap();

    assert_eq!(store.hosts(scan).unwrap(), [after]);
    assert_eq!(store.findings(scan).unwrap(), [last]);
    let s = store.scan(scan).unwrap();
    assert_eq!((s.hosts, s.findings()), (1, 1));
    assert_eq!(
        s.findings_by_severity,
        BTreeMap::from([(Severity::Info, 1)])
    );
}

#[test]
fn missing_scans_and_mismatched_findings_are_errors() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let absent = ScanId(42);
    let not_found = |r: Result<(), StoreError>| {
        let e = r.unwrap_err();
        assert!(matches!(e, StoreError::NotFound(ScanId(42))), "{e:?}");
        assert_eq!(e.to_string(), "scan 42 not found");
    };
    not_found(store.scan(absent).map(drop));
    not_found(store.hosts(absent).map(drop));
    not_found(store.findings(absent).map(drop));
    not_found(store.finished_hosts(absent).map(drop));
    not_found(store.set_status(absent, ScanStatus::Finished));
    not_found(SqliteWriter::start(&path, absent).map(drop));

    let scan = store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
    let w = SqliteWriter::start(&path, scan).unwrap();
    let e = w
        .send(
            &record(bare_host_json("10.0.0.1")),
            &[finding("10.0.0.2", "smb1-enabled", Severity::High)],
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::FindingForOtherHost { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "finding smb1-enabled is for 10.0.0.2 but was sent with host 10.0.0.1"
    );
    let stats = w.finish(ScanStatus::Finished).unwrap();
    assert_eq!(stats.hosts, 0);
    assert_eq!(store.hosts(scan).unwrap(), []);
}

#[test]
fn database_is_marked_as_ours_and_uses_wal() {
    let (_dir, path) = temp_db();
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let app: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(app, 0x534D_4241, "ASCII SMBA");
    assert_eq!(version, 5);
    assert_eq!(mode, "wal");
    drop(conn);
    // Opening again is a no-op on an up-to-date database.
    let store = SqliteStore::open(&path).unwrap();
    store.verify().unwrap();
    assert_eq!(store.path(), path);
}

#[test]
fn audits_come_back_verbatim_newest_first_and_an_absent_one_is_not_found() {
    use smbaudit_store::{AuditId, AuditSummary};
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let summary = |host: &str| AuditSummary {
        id: AuditId(0),
        started: "2026-12-04T19:00:00Z".into(),
        hostname: host.into(),
        reachable: 2,
        findings_by_severity: BTreeMap::from([(Severity::Critical, 1)]),
    };
    let report = r#"{"cells":[{"interface":"eth0","verdict":"exposed"}], "note": "verbatim"}"#;
    let first = store.save_audit(&summary("a"), report).unwrap();
    let second = store.save_audit(&summary("b"), "{}").unwrap();
    assert!(second > first);
    let listed = store.audits().unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|a| (a.id, a.hostname.as_str()))
            .collect::<Vec<_>>(),
        [(second, "b"), (first, "a")]
    );
    assert_eq!(listed[1].findings_by_severity[&Severity::Critical], 1);
    drop(store);
    let reader = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(reader.audit(first).unwrap(), report);
    let missing = reader.audit(AuditId(99)).unwrap_err();
    assert!(
        matches!(missing, StoreError::AuditNotFound(AuditId(99))),
        "{missing}"
    );
}
