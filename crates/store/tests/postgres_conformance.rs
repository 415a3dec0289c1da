//! The PostgreSQL backend against a real server (a throwaway cluster, see `pg/mod.rs`):
//! the backend conformance suite, opened the way the CLI opens it (through
//! `smbaudit_store::open` and a `StoreLocation`), then what it must refuse.
//!
//! One test function owns the cluster, so that it is started once for the binary and
//! stopped when the test ends or fails; each case gets a fresh database.

mod common;
mod conformance;
mod pg;

use std::time::{Duration, Instant};

use common::{bare_host_json, meta, record};
use pg::Cluster;
use smbaudit_store::{ScanStatus, StoreError, StoreErrorKind, StoreLocation};

fn location(url: &str) -> StoreLocation {
    StoreLocation::parse(url.as_ref())
}

#[test]
fn postgres_backend_against_a_real_server() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    for (name, case) in conformance::CASES {
        let store = smbaudit_store::open(&location(&cluster.fresh())).unwrap();
        eprintln!("conformance case {name}");
        case(&*store);
    }
    for (name, case) in REFUSALS {
        eprintln!("case {name}");
        case(&cluster);
    }
}

type Check = (&'static str, fn(&Cluster));

const REFUSALS: &[Check] = &[
    ("reopening_keeps_the_data", reopening_keeps_the_data),
    (
        "a_foreign_database_is_untouched",
        a_foreign_database_is_untouched,
    ),
    ("a_too_new_schema_is_refused", a_too_new_schema_is_refused),
    (
        "read_only_open_creates_nothing",
        read_only_open_creates_nothing,
    ),
    (
        "a_wrong_password_is_refused_plainly",
        a_wrong_password_is_refused_plainly,
    ),
    (
        "an_unreachable_server_fails_fast",
        an_unreachable_server_fails_fast,
    ),
    ("a_silent_server_times_out", a_silent_server_times_out),
];

fn reopening_keeps_the_data(cluster: &Cluster) {
    let url = cluster.fresh();
    let scan = {
        let store = smbaudit_store::open(&location(&url)).unwrap();
        let scan = store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
        let w = store.writer(scan).unwrap();
        w.send(&record(bare_host_json("10.0.0.1")), &[]).unwrap();
        w.finish(ScanStatus::Finished).unwrap();
        scan
    };
    let again = smbaudit_store::open(&location(&url)).unwrap();
    assert_eq!(again.scan(scan).unwrap().hosts, 1);
    let read_only = smbaudit_store::open_read_only(&location(&url)).unwrap();
    assert_eq!(read_only.hosts(scan).unwrap().len(), 1);
    // The read-only session refuses writes at the server.
    assert!(read_only.begin_scan(&meta(&["10.0.0.2"])).is_err());
    assert!(read_only.writer(scan).is_err());
    let db = url.split('/').nth(3).unwrap().split('?').next().unwrap();
    assert_eq!(
        cluster.psql(db, "SELECT application, version FROM smbaudit_schema"),
        "smbaudit|3"
    );
}

fn a_foreign_database_is_untouched(cluster: &Cluster) {
    let db = cluster.create_db();
    cluster.psql(
        &db,
        "CREATE TABLE invoices (id int); INSERT INTO invoices VALUES (7)",
    );
    let before = cluster.psql(&db, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace");
    for read_only in [false, true] {
        let loc = location(&cluster.url(&db));
        let e = if read_only {
            smbaudit_store::open_read_only(&loc).unwrap_err()
        } else {
            smbaudit_store::open(&loc).unwrap_err()
        };
        assert_eq!(e.kind(), StoreErrorKind::NotOurs, "{e}");
        assert!(e.to_string().contains("invoices"), "{e}");
        assert!(!e.to_string().contains(pg::PASSWORD), "{e}");
    }
    let after = cluster.psql(&db, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace");
    assert_eq!(before, after);
    assert_eq!(before, "invoices");

    // A marker of another application is not ours either.
    let db = cluster.create_db();
    cluster.psql(&db, "CREATE TABLE smbaudit_schema (application text, version int); INSERT INTO smbaudit_schema VALUES ('other', 1)");
    let e = smbaudit_store::open(&location(&cluster.url(&db))).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::NotOurs, "{e}");
    assert_eq!(
        cluster.psql(&db, "SELECT count(*) FROM pg_class WHERE relname = 'scans'"),
        "0"
    );
}

fn a_too_new_schema_is_refused(cluster: &Cluster) {
    let url = cluster.fresh();
    drop(smbaudit_store::open(&location(&url)).unwrap());
    let db = url
        .split('/')
        .nth(3)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    cluster.psql(&db, "UPDATE smbaudit_schema SET version = 99");
    for read_only in [false, true] {
        let loc = location(&url);
        let e = if read_only {
            smbaudit_store::open_read_only(&loc).unwrap_err()
        } else {
            smbaudit_store::open(&loc).unwrap_err()
        };
        assert!(
            matches!(
                e,
                StoreError::TooNew {
                    found: 99,
                    supported: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.kind(), StoreErrorKind::TooNew);
    }
    assert_eq!(
        cluster.psql(&db, "SELECT version FROM smbaudit_schema"),
        "99"
    );
}

fn read_only_open_creates_nothing(cluster: &Cluster) {
    let db = cluster.create_db();
    let e = smbaudit_store::open_read_only(&location(&cluster.url(&db))).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Missing, "{e}");
    assert_eq!(
        cluster.psql(
            &db,
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        ),
        "0"
    );
}

fn a_wrong_password_is_refused_plainly(cluster: &Cluster) {
    let db = cluster.create_db();
    let wrong = cluster
        .url(&db)
        .replace(pg::PASSWORD, "not-the-password-9x");
    let e = smbaudit_store::open(&location(&wrong)).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Connect, "{e}");
    let text = format!("{e} {e:?}");
    assert!(text.contains("authentication failed"), "{text}");
    assert!(!text.contains("not-the-password-9x"), "{text}");
    // No password at all, over TCP: refused, not hung.
    let e = smbaudit_store::open(&location(&cluster.tcp_url_without_password(&db))).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Connect, "{e}");
}

fn an_unreachable_server_fails_fast(_cluster: &Cluster) {
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let url = format!("postgres://smbaudit:s3cret@127.0.0.1:{port}/db");
    let e = smbaudit_store::open(&location(&url)).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Connect, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!e.to_string().contains("s3cret"), "{e}");
    assert!(e.to_string().contains("127.0.0.1"), "{e}");
}

fn a_silent_server_times_out(_cluster: &Cluster) {
    // Accepts TCP connections (the kernel completes the handshake) but never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let url = format!("postgres://smbaudit:s3cret@127.0.0.1:{port}/db?connect_timeout=1");
    let e = smbaudit_store::open(&location(&url)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), StoreErrorKind::Connect, "{e}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(e.to_string().contains("no answer within 1s"), "{e}");
    drop(listener);
}
