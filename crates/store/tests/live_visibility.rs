//! Hosts a running writer commits are visible to other connections while it runs, not only
//! when it finishes (what `smbaudit history` and a kill -9 rely on), even when this process
//! opens the same database several times (the scan's store, its writer, a reader).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{meta, nth_result, temp_db};
use smbaudit_store::sqlite::{SqliteStore, SqliteWriter};
use smbaudit_store::{ScanStatus, ScanStore};

const ENV_DB: &str = "SMBAUDIT_STORE_TEST_DB";

#[test]
#[ignore = "the child process of a_slow_trickle_of_hosts_is_committed_as_it_goes"]
fn child_opens_and_closes() {
    let Some(db) = std::env::var_os(ENV_DB) else {
        return; // run by hand with --ignored: nothing to do
    };
    let store = SqliteStore::open(Path::new(&db)).unwrap();
    assert!(!store.scans().unwrap().is_empty());
}

#[test]
fn a_slow_trickle_of_hosts_is_committed_as_it_goes() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let scan = store.begin_scan(&meta(&["10.0.0.0/24"])).unwrap();
    let writer = SqliteWriter::start(&path, scan).unwrap();
    let wal = path.with_extension("db-wal");
    // One host every 50 ms, as a scan of mostly silent addresses delivers them; a reader
    // opens and closes the database meanwhile.
    for i in 0..20 {
        let (host, findings) = nth_result(i);
        writer.send(&host, &findings).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        if i % 5 == 4 {
            drop(SqliteStore::open(&path).unwrap());
            // Another process opening and closing the database (`smbaudit history` during a
            // scan) must not take the live writer's WAL away. It would if this process's
            // POSIX locks on the file had been dropped: the other process would then think
            // it was the last user, checkpoint and delete the WAL.
            let status = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "child_opens_and_closes",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(ENV_DB, &path)
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            assert!(wal.exists(), "the WAL of a live writer was deleted");
        }
    }
    let reader = SqliteStore::open(&path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = 0;
    while Instant::now() < deadline {
        seen = reader.scan(scan).unwrap().hosts;
        if seen == 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(seen, 20, "hosts visible while the writer runs");
    writer.finish(ScanStatus::Finished).unwrap();
    drop(store);
    assert_eq!(reader.scan(scan).unwrap().hosts, 20);
}
