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
fn postgres_urls_are_refused_without_their_password() {
    let url = "postgres://alice:s3cret@127.0.0.1:5432/scans?password=s3cret";
    let location = StoreLocation::parse(url.as_ref());
    let err = smbaudit_store::open(&location).unwrap_err();
    assert_eq!(err.kind(), smbaudit_store::StoreErrorKind::Unsupported);
    assert_eq!(
        err.to_string(),
        "postgres://alice:***@127.0.0.1:5432/scans?password=***: the PostgreSQL store backend is not built yet; give a file path"
    );
    assert!(!format!("{err:?}").contains("s3cret"), "{err:?}");
}
