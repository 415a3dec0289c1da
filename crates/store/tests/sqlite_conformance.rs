//! The SQLite backend passes the backend conformance suite, opened the way the CLI opens
//! it: through `smbaudit_store::open` and a `StoreLocation`.

mod common;
mod conformance;

use common::temp_db;
use smbaudit_store::StoreLocation;

#[test]
fn sqlite_passes_the_conformance_suite() {
    for (name, case) in conformance::CASES {
        let (_dir, path) = temp_db();
        let store = smbaudit_store::open(&StoreLocation::Sqlite(path)).unwrap();
        eprintln!("conformance case {name}");
        case(&*store);
    }
}

#[test]
fn postgres_errors_never_show_the_password() {
    // Nothing answers there, or it refuses these credentials: either way a connection
    // error, and the password appears nowhere.
    let url = "postgres://alice:s3cret@127.0.0.1:1/scans?password=s3cret&connect_timeout=2";
    let location = StoreLocation::parse(url.as_ref());
    let err = smbaudit_store::open(&location).unwrap_err();
    assert_eq!(err.kind(), smbaudit_store::StoreErrorKind::Connect, "{err}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "postgres://alice:***@127.0.0.1:1/scans?password=***&connect_timeout=2: cannot connect to PostgreSQL: "
        ),
        "{shown}"
    );
    assert!(!format!("{shown} {err:?}").contains("s3cret"), "{err:?}");
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
