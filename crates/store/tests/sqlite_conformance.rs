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
