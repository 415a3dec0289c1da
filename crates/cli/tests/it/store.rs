//! The scan store end to end: `history`, `show`, `diff`, a scan killed with SIGKILL then
//! `--resume`d, two scans writing one database at once, and databases that are not ours.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{Daemon, HostSpec, Lab, output_within, require_lab};
use crate::run::{jsonl, smbaudit};

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

pub(crate) fn hosts() -> Vec<HostSpec> {
    vec![
        HostSpec::new("fs", "FILESRV1", "LABWG"),
        HostSpec {
            extra_conf: "   server min protocol = NT1\n".into(),
            ..HostSpec::new("old", "OLDSRV", "LABWG")
        },
        HostSpec {
            smbd: false,
            ..HostSpec::new("nb", "NBONLY", "LABWG")
        },
    ]
}

/// The facts a resumed scan must reproduce, per host (no times, no counters).
fn essence(host: &Value) -> Value {
    let mut ids: Vec<&str> = host["findings"]
        .as_array()
        .map(|f| f.iter().map(|f| f["rule_id"].as_str().unwrap()).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    serde_json::json!({
        "ports": host["ports"],
        "dialects": host["smb"]["dialects"],
        "smb1": host["smb"]["smb1"],
        "signing": host["smb"]["signing"],
        "computer": host["netbios"]["computer"],
        "findings": ids,
    })
}

fn by_ip(lines: &str) -> BTreeMap<String, Value> {
    jsonl(lines)
        .into_iter()
        .map(|h| (h["ip"].as_str().unwrap().to_owned(), essence(&h)))
        .collect()
}

pub(crate) fn history(lab: &Lab, db: &str) -> Vec<Value> {
    let (code, out, err) = smbaudit(lab, &["history", "--db", db, "-f", "json"], &[]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("history JSON")
}

/// A scan slow enough to kill mid-way: every address of the lab's /24 (most are silent and
/// cost the connect timeout), four hosts at a time.
pub(crate) fn slow_scan_args<'a>(db: &'a str, range: &'a str) -> Vec<&'a str> {
    vec![
        "scan",
        "--db",
        db,
        "-q",
        "-f",
        "jsonl",
        "-c",
        "2",
        "--connect-timeout",
        "400ms",
        "--retries",
        "0",
        "--timeout",
        "300ms",
        // Discovery slow too (1,024 connects over ~7 s), and by connect(), which reports
        // each silent port when its wait ends (raw SYNs know silence only at the end), so
        // that silent hosts are stored as it goes.
        "--rate",
        "150",
        "--discovery",
        "connect",
        range,
    ]
}

/// Starts the slow scan into `db` and returns once `at_least` hosts are stored (the child
/// still running).
fn start_and_wait_for_hosts(lab: &Lab, db: &str, range: &str, at_least: u64) -> Child {
    let mut child = lab
        .client_command(BIN)
        .args(slow_scan_args(db, range))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_hosts(lab, db, at_least, &mut child);
    child
}

/// Polls the store until the running scan `child` has stored `at_least` hosts.
pub(crate) fn wait_for_hosts(lab: &Lab, db: &str, at_least: u64, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "no host stored within 120 s");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the scan ended too early"
        );
        if Path::new(db).exists()
            && history(lab, db)
                .first()
                .is_some_and(|s| s["hosts"].as_u64().unwrap() >= at_least)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn killed_scan_resumes_to_the_same_result() {
    let lab = require_lab!(&hosts());
    let dir = tempfile::tempdir().unwrap();
    let (net, len) = lab.prefix();
    let range = format!("{net}/{len}");
    lab.check_target(&range);

    // Reference: an uninterrupted scan.
    let full_db = dir.path().join("full.db");
    let full_db = full_db.to_str().unwrap();
    let mut cmd = lab.client_command(BIN);
    cmd.args(slow_scan_args(full_db, &range));
    let out = output_within(&mut cmd, Duration::from_secs(300)).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, full, _) = smbaudit(
        &lab,
        &["show", "last", "--db", full_db, "-f", "jsonl", "--all"],
        &[],
    );
    let full = by_ip(&full);
    assert_eq!(full.len(), 256, "every target stored");

    // The same scan, killed with SIGKILL once some hosts are stored.
    let db = dir.path().join("killed.db");
    let db = db.to_str().unwrap();
    let mut child = start_and_wait_for_hosts(&lab, db, &range, 20);
    Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let scans = history(&lab, db);
    assert_eq!(
        scans[0]["status"], "interrupted",
        "killed: its process is gone, so not running"
    );
    let stored_before = scans[0]["hosts"].as_u64().unwrap();
    assert!((20..256).contains(&stored_before), "{stored_before}");

    // --resume with no targets: the stored ones; finished hosts are not probed again.
    let (code, _, err) = smbaudit(
        &lab,
        &[
            "scan",
            "--db",
            db,
            "--resume",
            "-c",
            "2",
            "--connect-timeout",
            "400ms",
            "--retries",
            "0",
            "--timeout",
            "300ms",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("{stored_before} hosts were already done")),
        "{err}"
    );
    let scans = history(&lab, db);
    assert_eq!(scans.len(), 1, "resumed in place");
    assert_eq!(scans[0]["status"], "finished");
    let (_, resumed, _) = smbaudit(
        &lab,
        &["show", "last", "--db", db, "-f", "jsonl", "--all"],
        &[],
    );
    assert_eq!(by_ip(&resumed), full, "resumed scan = uninterrupted scan");
}

#[test]
fn diff_shows_what_changed_in_the_lab() {
    let lab = require_lab!(&hosts());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    let targets = [lab.ip("fs").to_string(), lab.ip("old").to_string()];
    let (code, first, err) = smbaudit(&lab, &["scan", "--db", db, "-f", "jsonl"], &targets);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("stored as scan 1"), "{err}");
    lab.stop_daemon("old", Daemon::Smbd);
    let (code, _, err) = smbaudit(&lab, &["scan", "--db", db, "-q"], &targets);
    assert_eq!(code, 0, "{err}");

    // show re-renders exactly what the scan printed.
    let (code, shown, err) = smbaudit(&lab, &["show", "1", "--db", db, "-f", "jsonl"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(by_ip(&shown), by_ip(&first));

    let (code, out, err) = smbaudit(&lab, &["diff", "1", "2", "--db", db, "-f", "json"], &[]);
    assert_eq!(code, 0, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    let old = lab.ip("old").to_string();
    let closed: Vec<(String, String)> = serde_json::from_value(d["ports_closed"].clone()).unwrap();
    assert_eq!(
        closed,
        [
            (old.clone(), "139/tcp".to_owned()),
            (old.clone(), "445/tcp".to_owned())
        ]
    );
    assert!(d["ports_opened"].as_array().unwrap().is_empty());
    let resolved: Vec<&str> = d["findings_resolved"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ip"] == old.as_str())
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for rule in ["smb1-enabled", "smb-exposed", "smb2-signing-not-required"] {
        assert!(resolved.contains(&rule), "{rule} resolved: {resolved:?}");
    }
    assert!(d["findings_new"].as_array().unwrap().is_empty(), "{d}");
    let (code, table, _) = smbaudit(&lab, &["diff", "1", "last", "--db", db], &[]);
    assert_eq!(code, 0);
    assert!(
        table.contains("Ports closed (2)") && table.contains("smb1-enabled"),
        "{table}"
    );
}

#[test]
fn two_scans_write_one_database_at_once() {
    let lab = require_lab!(&hosts());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let db = db.to_str().unwrap();
    let (net, len) = lab.prefix();
    let range = format!("{net}/{len}");
    lab.check_target(&range);
    let spawn = || {
        lab.client_command(BIN)
            .args(slow_scan_args(db, &range))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let scans = history(&lab, db);
    assert_eq!(scans.len(), 2);
    for s in &scans {
        assert_eq!(s["status"], "finished", "{scans:?}");
        assert_eq!(s["hosts"], 256, "no row lost: {s}");
    }
}

fn run_plain(args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    let out = output_within(&mut cmd, Duration::from_secs(30)).unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn foreign_or_corrupt_databases_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "shopping list\n").unwrap();
    let sqlite = dir.path().join("other.db");
    // Another application's SQLite database: a header and nothing of ours.
    let status = Command::new("sqlite3")
        .arg(&sqlite)
        .arg("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .status();
    let mut files = vec![text];
    if status.is_ok_and(|s| s.success()) {
        files.push(sqlite);
    }
    for file in files {
        let before = std::fs::read(&file).unwrap();
        let path = file.to_str().unwrap();
        for args in [
            vec!["history", "--db", path],
            vec!["scan", "--db", path, "127.0.0.1", "-p", "445"],
        ] {
            let (code, err) = run_plain(&args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains(path), "names the file: {err}");
        }
        assert_eq!(std::fs::read(&file).unwrap(), before, "{path} untouched");
    }
}

#[test]
fn unknown_scan_ids_and_missing_databases_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("absent.db");
    let db = db.to_str().unwrap();
    for args in [
        vec!["history", "--db", db],
        vec!["show", "last", "--db", db],
        vec!["diff", "1", "2", "--db", db],
        vec!["scan", "--db", db, "--resume"],
    ] {
        let (code, err) = run_plain(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&format!("{db}: no such database")), "{err}");
    }
    assert!(!Path::new(db).exists(), "reading created no database");
    // A directory the user typed is not created.
    let nested = dir.path().join("typo/s.db");
    let (code, err) = run_plain(&[
        "scan",
        "--db",
        nested.to_str().unwrap(),
        "127.0.0.1",
        "-p",
        "445",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist; create it first"), "{err}");
    assert!(!dir.path().join("typo").exists());

    // One loopback scan, then ids that are not there.
    let (code, err) = run_plain(&[
        "scan",
        "--db",
        db,
        "-q",
        "--connect-timeout",
        "300ms",
        "-p",
        "445",
        "127.0.0.1",
    ]);
    assert_eq!(code, 0, "{err}");
    for args in [
        vec!["show", "7", "--db", db],
        vec!["diff", "1", "9", "--db", db],
        vec!["show", "x", "--db", db],
        vec!["scan", "--db", db, "--resume"],
    ] {
        let (code, err) = run_plain(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.is_empty());
    }
}

/// A PostgreSQL server that cannot be reached is refused with exit 2 before anything is
/// sent, and the URL's password never reaches the message.
#[test]
fn unreachable_postgres_exits_2_without_the_password() {
    let url = "postgres://alice:s3cret@127.0.0.1:1/scans?connect_timeout=3";
    for args in [
        vec!["history", "--db", url],
        vec!["show", "last", "--db", url],
        vec!["scan", "--db", url, "127.0.0.1", "-p", "445"],
    ] {
        let (code, err) = run_plain(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("postgres://alice:***@127.0.0.1:1/scans?connect_timeout=3: cannot connect to PostgreSQL"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
    }
}

/// Ctrl-C (SIGINT) stops a scan cleanly: exit code 130, what finished is stored and the scan
/// is marked interrupted, so `--resume` can pick it up.
#[test]
fn interrupted_scan_keeps_what_it_finished() {
    let lab = require_lab!(&hosts());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("int.db");
    let db = db.to_str().unwrap();
    let (net, len) = lab.prefix();
    let range = format!("{net}/{len}");
    lab.check_target(&range);
    let child = start_and_wait_for_hosts(&lab, db, &range, 10);
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scans = history(&lab, db);
    assert_eq!(scans[0]["status"], "interrupted");
    let stored = scans[0]["hosts"].as_u64().unwrap();
    assert!((10..256).contains(&stored), "{stored}");
}
