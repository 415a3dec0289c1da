//! The SQLite backend passes the backend conformance suite.

mod common;
mod conformance;

use common::temp_db;

#[test]
fn sqlite_passes_the_conformance_suite() {
    for (name, case) in conformance::CASES {
        let (_dir, path) = temp_db();
        let store = smbaudit_store::sqlite::SqliteStore::open(&path).unwrap();
        eprintln!("conformance case {name}");
        case(&store);
    }
}

#[test]
fn sqlite_refuses_the_work_queue_plainly() {
    let (_dir, path) = common::temp_db();
    let store = smbaudit_store::sqlite::SqliteStore::open(&path).unwrap();
    let scan = smbaudit_store::ScanStore::begin_scan(&store, &common::meta(&["10.0.0.1"])).unwrap();
    let e = smbaudit_store::ScanStore::queue_chunks(&store, scan, 10, 3).unwrap_err();
    assert_eq!(e.kind(), smbaudit_store::StoreErrorKind::Unsupported);
    assert!(
        e.to_string()
            .contains("the work queue (--queue) needs PostgreSQL"),
        "{e}"
    );
}
