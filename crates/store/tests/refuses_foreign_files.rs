//! Files that are not our database are refused with a clear error and left exactly as
//! they were: another application's SQLite database, a text file, binary data, a
//! truncated or damaged smbaudit database, one from a newer smbaudit, a directory.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{full_host_json, meta, record, temp_db};
use rusqlite::Connection;
use smbaudit_store::sqlite::{SqliteStore, SqliteWriter};
use smbaudit_store::{ScanStatus, ScanStore, StoreError};

/// The names in the file's directory (to see that no `-wal`/`-shm`/journal appeared).
fn siblings(path: &Path) -> BTreeSet<String> {
    fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Opens `path`, expecting a refusal whose message contains `says`; checks the file's
/// bytes and its directory did not change. Returns the error.
fn refused(path: &Path, says: &str) -> StoreError {
    let before = fs::read(path).unwrap();
    let dir_before = siblings(path);
    let err = SqliteStore::open(path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(says), "{msg:?} lacks {says:?}");
    assert!(
        msg.contains(&path.display().to_string()),
        "{msg:?} lacks the path"
    );
    assert!(
        fs::read(path).unwrap() == before,
        "{} was modified",
        path.display()
    );
    assert_eq!(
        siblings(path),
        dir_before,
        "files appeared next to {}",
        path.display()
    );
    err
}

/// A real smbaudit database with a few pages of data, checkpointed into the main file.
fn our_database() -> (tempfile::TempDir, PathBuf) {
    let (dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let scan = store.begin_scan(&meta(&["10.0.0.0/24"])).unwrap();
    let w = SqliteWriter::start(&path, scan).unwrap();
    for i in 1..=40 {
        w.send(&record(full_host_json(&format!("10.0.0.{i}"))), &[])
            .unwrap();
    }
    w.finish(ScanStatus::Finished).unwrap();
    drop(store); // the last connection to close checkpoints and removes the WAL
    assert!(fs::metadata(&path).unwrap().len() >= 8 * 4096);
    assert!(!path.with_extension("db-wal").exists());
    (dir, path)
}

#[test]
fn refuses_another_applications_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');")
        .unwrap();
    drop(conn);
    let err = refused(&path, "without smbaudit's application_id");
    assert!(matches!(err, StoreError::NotOurs(..)), "{err:?}");

    let path = dir.path().join("geo.gpkg");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA application_id = 1196444487; CREATE TABLE t (x);")
        .unwrap();
    drop(conn);
    let err = refused(&path, "another application (application_id 0x47504b47)");
    assert!(matches!(err, StoreError::NotOurs(..)), "{err:?}");
}

#[test]
fn refuses_text_and_binary_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("targets.txt");
    fs::write(&text, "10.0.0.1\n10.0.0.2\n").unwrap();
    let err = refused(&text, "not an SQLite file: a text file");
    assert!(matches!(err, StoreError::NotOurs(..)), "{err:?}");

    let png = dir.path().join("image.db");
    fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    refused(&png, "not an SQLite file: unknown binary data");

    let err = SqliteStore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("a directory"), "{err}");
}

#[test]
fn refuses_a_truncated_database() {
    let (_dir, path) = our_database();
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2 / 4096 * 4096]).unwrap();
    let err = refused(&path, "truncated: the header says");
    assert!(matches!(err, StoreError::Corrupt(..)), "{err:?}");

    fs::write(&path, &bytes[..60]).unwrap();
    let err = refused(&path, "truncated SQLite header: 60 of 100 bytes");
    assert!(matches!(err, StoreError::Corrupt(..)), "{err:?}");

    fs::write(&path, &bytes[..5000]).unwrap();
    refused(&path, "not a whole number of 4096-byte pages");
}

#[test]
fn refuses_a_database_with_a_damaged_schema_page() {
    let (_dir, path) = our_database();
    let mut bytes = fs::read(&path).unwrap();
    // Page 1 holds the schema b-tree right after the 100-byte file header.
    for b in &mut bytes[100..4096] {
        *b = 0xA5;
    }
    fs::write(&path, &bytes).unwrap();
    let err = refused(&path, "corrupt smbaudit database (SQLite says: ");
    assert!(matches!(err, StoreError::Corrupt(..)), "{err:?}");
    eprintln!("{err}");
}

#[test]
fn refuses_a_database_from_a_newer_smbaudit() {
    let (_dir, path) = our_database();
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = refused(
        &path,
        "schema version 99 is newer than this smbaudit supports (5)",
    );
    assert!(
        matches!(err, StoreError::TooNew { found: 99, .. }),
        "{err:?}"
    );
}

#[test]
fn an_empty_file_becomes_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    fs::write(&path, b"").unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.scans().unwrap(), []);
}

#[test]
fn opening_our_database_again_changes_nothing() {
    let (_dir, path) = our_database();
    let before = fs::read(&path).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.scans().unwrap().len(), 1);
    drop(store);
    assert!(
        fs::read(&path).unwrap() == before,
        "opening rewrote the file"
    );
}
