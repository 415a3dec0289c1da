//! Two writers on one database at once (WAL plus the busy timeout), as threads and as
//! processes: both complete and no row is lost.

mod common;

use std::net::IpAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use common::{bare_host_json, finding, meta, record, temp_db};
use rusqlite::Connection;
use smbaudit_findings::Severity;
use smbaudit_store::sqlite::{SqliteStore, SqliteWriter};
use smbaudit_store::{ScanId, ScanStatus, ScanStore, WriterStats};

const HOSTS: u32 = 1500;
const ENV_DB: &str = "SMBAUDIT_STORE_TEST_CONCURRENT_DB";
const ENV_PREFIX: &str = "SMBAUDIT_STORE_TEST_CONCURRENT_PREFIX";

fn ip(prefix: u8, i: u32) -> String {
    format!("10.{prefix}.{}.{}", i / 250, i % 250 + 1)
}

/// Sends `HOSTS` hosts (each with one finding) numbered from `prefix`, one at a time.
fn write(path: &Path, scan: ScanId, prefix: u8) -> WriterStats {
    let writer = SqliteWriter::start(path, scan).unwrap();
    for i in 0..HOSTS {
        let ip = ip(prefix, i);
        let f = finding(&ip, "smb-signing-not-required", Severity::Medium);
        writer.send(&record(bare_host_json(&ip)), &[f]).unwrap();
    }
    writer.finish(ScanStatus::Finished).unwrap()
}

fn count(path: &Path, sql: &str, scan: ScanId) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(sql, [scan.0], |r| r.get(0)).unwrap()
}

#[test]
fn two_scans_written_at_once_lose_no_row() {
    let (_dir, path) = temp_db();
    // Both threads create the (missing) database, start a scan and write it at once.
    let start = Barrier::new(2);
    let results: Vec<(ScanId, WriterStats)> = thread::scope(|s| {
        let runs: Vec<_> = [1u8, 2]
            .into_iter()
            .map(|prefix| {
                let (path, start) = (&path, &start);
                s.spawn(move || {
                    start.wait();
                    let scan = SqliteStore::open(path)
                        .unwrap()
                        .begin_scan(&meta(&["10.0.0.0/8"]))
                        .unwrap();
                    (scan, write(path, scan, prefix))
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_ne!(results[0].0, results[1].0);
    for (scan, stats) in results {
        assert_eq!(
            (stats.hosts, stats.findings),
            (u64::from(HOSTS), u64::from(HOSTS))
        );
        let hosts = count(&path, "SELECT count(*) FROM hosts WHERE scan_id = ?1", scan);
        let findings = count(
            &path,
            "SELECT count(*) FROM findings WHERE scan_id = ?1",
            scan,
        );
        assert_eq!((hosts, findings), (i64::from(HOSTS), i64::from(HOSTS)));
        let summary = SqliteStore::open(&path).unwrap().scan(scan).unwrap();
        assert_eq!(
            (summary.hosts, summary.findings()),
            (u64::from(HOSTS), u64::from(HOSTS))
        );
        assert_eq!(summary.status, ScanStatus::Finished);
    }
}

#[test]
fn two_writers_on_one_scan_lose_no_row() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let scan = store
        .begin_scan(&meta(&["10.3.0.0/16", "10.4.0.0/16"]))
        .unwrap();
    thread::scope(|s| {
        let a = s.spawn(|| write(&path, scan, 3));
        let b = s.spawn(|| write(&path, scan, 4));
        a.join().unwrap();
        b.join().unwrap();
    });
    let stored = store.finished_hosts(scan).unwrap();
    assert_eq!(stored.len(), 2 * HOSTS as usize);
    for i in 0..HOSTS {
        for prefix in [3, 4] {
            assert!(stored.contains(&ip(prefix, i).parse::<IpAddr>().unwrap()));
        }
    }
    assert_eq!(store.findings(scan).unwrap().len(), 2 * HOSTS as usize);
}

/// The child process of `two_processes_writing_at_once_lose_no_row`: opens (perhaps
/// creates) the database, starts a scan and writes it.
#[test]
#[ignore = "the child process of two_processes_writing_at_once_lose_no_row"]
fn child_scan_writer() {
    let Some(db) = std::env::var_os(ENV_DB) else {
        return; // run by hand with --ignored: nothing to do
    };
    let prefix: u8 = std::env::var(ENV_PREFIX).unwrap().parse().unwrap();
    let path = Path::new(&db);
    let scan = SqliteStore::open(path)
        .unwrap()
        .begin_scan(&meta(&[&format!("10.{prefix}.0.0/16")]))
        .unwrap();
    write(path, scan, prefix);
}

/// Kills the child if the test fails before it exits.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn two_processes_writing_at_once_lose_no_row() {
    let (_dir, path) = temp_db();
    let mut children: Vec<KillOnDrop> = [5u8, 6]
        .into_iter()
        .map(|prefix| {
            let child = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "child_scan_writer",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(ENV_DB, &path)
                .env(ENV_PREFIX, prefix.to_string())
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            KillOnDrop(child)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    for child in &mut children {
        let status = loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "a writer process hung");
            thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "writer process failed: {status:?}");
    }
    let store = SqliteStore::open(&path).unwrap();
    let scans = store.scans().unwrap();
    assert_eq!(scans.len(), 2);
    for s in scans {
        assert_eq!(
            (s.hosts, s.findings()),
            (u64::from(HOSTS), u64::from(HOSTS))
        );
        let rows = count(&path, "SELECT count(*) FROM hosts WHERE scan_id = ?1", s.id);
        assert_eq!(rows, i64::from(HOSTS));
        assert_eq!(s.status, ScanStatus::Finished);
    }
}
