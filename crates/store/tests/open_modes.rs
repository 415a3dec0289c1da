//! How a database is opened: read-only for reading (nothing created or changed), never a
//! directory made behind the user's back, the options and owner of a scan kept, and a
//! version-1 database read as it is, or migrated when opened for writing.

mod common;

use std::fs;

use common::{meta, temp_db};
use rusqlite::Connection;
use smbaudit_store::sqlite::SqliteStore;
use smbaudit_store::{ScanMeta, ScanOptions, ScanStatus, ScanStore, StoreError, StoreErrorKind};

fn options() -> ScanOptions {
    ScanOptions {
        ports: vec![445],
        connect_timeout_ms: 4000,
        reply_timeout_ms: 10_000,
        host_timeout_ms: 30_000,
        udp_timeout_ms: 1000,
        udp_retries: 1,
        source_port: 0,
        name_service: Some("wins 10.0.0.1".into()),
        user: None,
        null_session: true,
        shares: true,
        write_check: false,
        seed: Some(u64::MAX),
        shard: Some(smbaudit_store::StoredShard { index: 2, count: 4 }),
    }
}

#[test]
fn options_and_owner_are_stored_with_the_scan() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let scan = store
        .begin_scan(&ScanMeta {
            options: Some(options()),
            ..meta(&["10.0.0.0/30"])
        })
        .unwrap();
    let summary = store.scan(scan).unwrap();
    assert_eq!(summary.options, Some(options()));
    let owner = summary.owner.expect("owner stamped");
    assert_eq!(owner.pid, std::process::id());
    assert_eq!(summary.status, ScanStatus::Running, "its process is alive");
}

#[test]
fn read_only_open_needs_an_existing_database_and_creates_nothing() {
    let (dir, path) = temp_db();
    let err = SqliteStore::open_read_only(&path).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Missing, "{err}");
    assert!(err.to_string().contains("no such database"), "{err}");
    assert!(!path.exists(), "nothing created");

    let store = SqliteStore::open(&path).unwrap();
    store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
    drop(store);
    let before = fs::read(&path).unwrap();
    let reader = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(reader.scans().unwrap().len(), 1);
    let started = reader.begin_scan(&meta(&["10.0.0.2"]));
    assert!(started.is_err(), "a read-only store writes nothing");
    drop(reader);
    assert_eq!(fs::read(&path).unwrap(), before, "the file is unchanged");
    // Only SQLite's own WAL side files may appear (a reader needs the shared-memory index
    // where it can make one; on a read-only directory it does without).
    for entry in fs::read_dir(path.parent().unwrap()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(name.starts_with("smbaudit.db"), "{name}");
    }
    drop(dir);
}

#[test]
fn a_missing_directory_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo/smbaudit.db");
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NoDirectory(..)), "{err:?}");
    assert!(err.to_string().contains("typo"), "{err}");
    assert!(!dir.path().join("typo").exists());
}

/// A database as smbaudit 0.x (schema version 1) left it.
fn version_1_database(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA application_id = 1397572161; -- 0x534D4241, SMBA
         CREATE TABLE scans (id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL,
             finished TEXT, status TEXT NOT NULL, targets_json TEXT NOT NULL,
             command TEXT NOT NULL, vantage TEXT NOT NULL);
         CREATE TABLE hosts (scan_id INTEGER NOT NULL, ip TEXT NOT NULL,
             record_json TEXT NOT NULL, written TEXT NOT NULL, PRIMARY KEY (scan_id, ip));
         CREATE TABLE findings (scan_id INTEGER NOT NULL, ip TEXT NOT NULL,
             rule_id TEXT NOT NULL, severity TEXT NOT NULL, finding_json TEXT NOT NULL);
         INSERT INTO scans (started, finished, status, targets_json, command, vantage)
             VALUES ('2026-01-01T00:00:00Z', NULL, 'running', '[\"10.0.0.1\"]',
                     'smbaudit scan 10.0.0.1', 'lan');
         PRAGMA user_version = 1;",
    )
    .unwrap();
}

#[test]
fn a_version_1_database_is_read_as_it_is_and_migrated_for_writing() {
    let (_dir, path) = temp_db();
    version_1_database(&path);
    let reader = SqliteStore::open_read_only(&path).unwrap();
    let scans = reader.scans().unwrap();
    assert_eq!(scans.len(), 1);
    assert_eq!(
        (scans[0].options.clone(), scans[0].owner.clone()),
        (None, None)
    );
    assert_eq!(
        scans[0].status,
        ScanStatus::Running,
        "no owner: status as stored"
    );
    drop(reader);
    let version = |p: &std::path::Path| -> i64 {
        Connection::open(p)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&path), 1, "reading did not migrate");
    let reader = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(reader.audits().unwrap(), [], "no audits table yet: none");
    drop(reader);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.scans().unwrap()[0].options, None);
    drop(store);
    assert_eq!(version(&path), 5);
}
