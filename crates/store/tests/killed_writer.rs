//! A writer process killed with SIGKILL mid-scan leaves a consistent database: whole
//! hosts with all their findings, status still running, resumable to the same result as
//! an uninterrupted run.
//!
//! The child is this test binary itself, re-run on the ignored `child_writer` test with
//! environment variables naming the database and the scan.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{meta, nth_ip, nth_result, temp_db};
use smbaudit_store::sqlite::{SqliteStore, SqliteWriter};
use smbaudit_store::{ScanId, ScanStatus, ScanStore};

const ENV_DB: &str = "SMBAUDIT_STORE_TEST_CHILD_DB";
const ENV_SCAN: &str = "SMBAUDIT_STORE_TEST_CHILD_SCAN";
/// Hosts the child sends at once (two full batches and a partial one).
const FAST: u32 = 150;
/// Hosts in the scan; those after `FAST` trickle in every `SLOW_GAP`.
const TOTAL: u32 = 600;
const SLOW_GAP: Duration = Duration::from_millis(20);

/// Kills the child if the test fails before it does.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The writer process: sends `FAST` hosts at once, then the rest slowly, and never
/// finishes (the parent kills it long before its last sleep ends).
#[test]
#[ignore = "the child process of killed_writer_loses_at_most_a_batch_and_resumes"]
fn child_writer() {
    let Some(db) = std::env::var_os(ENV_DB) else {
        return; // run by hand with --ignored: nothing to do
    };
    let scan: ScanId = std::env::var(ENV_SCAN).unwrap().parse().unwrap();
    let writer = SqliteWriter::start(Path::new(&db), scan).unwrap();
    for i in 0..TOTAL {
        let (host, findings) = nth_result(i);
        writer.send(&host, &findings).unwrap();
        if i >= FAST {
            sleep(SLOW_GAP);
        }
    }
    sleep(Duration::from_secs(60));
}

fn write_all(path: &Path, scan: ScanId, skip: &dyn Fn(u32) -> bool) {
    let writer = SqliteWriter::start(path, scan).unwrap();
    for i in (0..TOTAL).filter(|i| !skip(*i)) {
        let (host, findings) = nth_result(i);
        writer.send(&host, &findings).unwrap();
    }
    writer.finish(ScanStatus::Finished).unwrap();
}

#[test]
fn killed_writer_loses_at_most_a_batch_and_resumes() {
    let (_dir, path) = temp_db();
    let scan = SqliteStore::open(&path)
        .unwrap()
        .begin_scan(&meta(&["10.1.0.0/22"]))
        .unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--ignored", "--test-threads=1"])
        .env(ENV_DB, &path)
        .env(ENV_SCAN, scan.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);

    // Wait (bounded) until the fast part is committed, then kill -9 during the slow part.
    let store = SqliteStore::open(&path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.finished_hosts(scan).unwrap().len() < FAST as usize {
        assert!(
            Instant::now() < deadline,
            "child committed too little in 60 s"
        );
        assert!(child.0.try_wait().unwrap().is_none(), "child exited early");
        sleep(Duration::from_millis(10));
    }
    child.0.kill().unwrap(); // SIGKILL on Unix
    let status = child.0.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");
    drop(store);

    // The database opens and is intact.
    let store = SqliteStore::open(&path).unwrap();
    store.verify().unwrap();
    let committed = store.finished_hosts(scan).unwrap();
    eprintln!(
        "{} of {TOTAL} hosts committed before the kill",
        committed.len()
    );
    assert!(committed.len() >= FAST as usize && committed.len() < TOTAL as usize);

    // Every committed host is whole: its record and exactly its findings.
    let index: HashMap<String, u32> = (0..TOTAL).map(|i| (nth_ip(i), i)).collect();
    let hosts = store.hosts(scan).unwrap();
    assert_eq!(hosts.len(), committed.len());
    let mut found: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for f in store.findings(scan).unwrap() {
        found.entry(f.ip.to_string()).or_default().push(f);
    }
    for host in &hosts {
        let ip = host.ip.to_string();
        let (want_host, mut want_findings) = nth_result(index[&ip]);
        assert_eq!(*host, want_host);
        want_findings.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
        assert_eq!(found.remove(&ip).unwrap_or_default(), want_findings, "{ip}");
    }
    assert!(found.is_empty(), "findings without a host: {found:?}");

    // Stored as running, but its process is gone (pid and start time): read as interrupted.
    let summary = store.scan(scan).unwrap();
    assert_eq!(
        (summary.status, summary.finished),
        (ScanStatus::Interrupted, None)
    );
    let owner = summary
        .owner
        .as_ref()
        .expect("the child stamped itself as owner");
    assert_ne!(owner.pid, std::process::id());
    assert_eq!(owner.alive(), Some(false));
    assert_eq!(summary.hosts, committed.len() as u64);
    assert_eq!(store.last_unfinished().unwrap().map(|s| s.id), Some(scan));

    // Resume: write only what is missing, then compare with an uninterrupted run.
    write_all(&path, scan, &|i| {
        committed.contains(&nth_ip(i).parse().unwrap())
    });
    let reference = store.begin_scan(&meta(&["10.1.0.0/22"])).unwrap();
    write_all(&path, reference, &|_| false);

    assert_eq!(store.hosts(scan).unwrap(), store.hosts(reference).unwrap());
    assert_eq!(
        store.findings(scan).unwrap(),
        store.findings(reference).unwrap()
    );
    let (resumed, full) = (store.scan(scan).unwrap(), store.scan(reference).unwrap());
    assert_eq!(resumed.hosts, u64::from(TOTAL));
    assert_eq!(resumed.findings_by_severity, full.findings_by_severity);
    assert_eq!(resumed.status, ScanStatus::Finished);
    assert_eq!(store.last_unfinished().unwrap(), None);
}
