//! Output that cannot be written, and databases that cannot be written, on loopback only:
//! a closed pipe (`| head`) is not an error and a stored scan still finishes; `> /dev/full`
//! names standard output, exits 1 and leaves the scan interrupted, not running; a
//! read-only database can be read by `history`, `show` and `diff`.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

/// A quick loopback scan of 127.0.0.1-16 on 445 (nothing listens there in the test's
/// environment or something does: either way every address is stored).
const LOOPBACK: [&str; 8] = [
    "-p",
    "445",
    "--connect-timeout",
    "300ms",
    "--all",
    "-f",
    "jsonl",
    "127.0.0.1-16",
];

/// Runs smbaudit with `args` (and `more`), asserts it succeeded, returns its stdout.
fn succeed(args: &[&str], more: &[&str]) -> Vec<u8> {
    let out = Command::new(BIN).args(args).args(more).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn history(db: &str) -> Vec<Value> {
    serde_json::from_slice(&succeed(&["history", "--db", db, "-f", "json"], &[])).unwrap()
}

/// Runs `args` with standard output's reader closed before anything is written.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_closed_pipe_is_not_an_error_and_the_stored_scan_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let db = db.to_str().unwrap();
    let mut args = vec!["scan", "--db", db, "-q"];
    args.extend(LOOPBACK);
    let (code, err) = with_closed_stdout(&args);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
    let scans = history(db);
    assert_eq!(scans[0]["status"], "finished", "{scans:?}");
    assert_eq!(scans[0]["hosts"], 16, "every host stored");
    for args in [
        vec!["history", "--db", db, "-f", "json"],
        vec!["show", "last", "--db", db, "--all", "-f", "json"],
        vec!["diff", "1", "1", "--db", db],
    ] {
        let (code, err) = with_closed_stdout(&args);
        assert_eq!((code, err.as_str()), (Some(0), ""), "{args:?}");
    }
}

#[test]
fn a_full_disk_names_standard_output_and_leaves_the_scan_interrupted() {
    if !Path::new("/dev/full").exists() {
        eprintln!("SKIPPED (no /dev/full)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let db = db.to_str().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["scan", "--db", db, "-q"])
        .args(LOOPBACK)
        .stdout(std::fs::File::create("/dev/full").unwrap());
    // (output() keeps the stdout set here; the scan is bounded by its own timeouts.)
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("writing results to standard output: No space left on device"),
        "{err}"
    );
    assert_eq!(history(db)[0]["status"], "interrupted");
}

/// Runs `args` as user nobody (tests run as root, who can write anything).
fn as_nobody(args: &[&str]) -> Option<(i32, String, String)> {
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
        .args(args)
        .output()
        .ok()?;
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn a_read_only_database_can_be_read_and_an_unreadable_one_exits_1() {
    if !nix_is_root() {
        eprintln!("SKIPPED (needs root to act as another user)");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.path().join("ro.db");
    let db = db.to_str().unwrap();
    succeed(&["scan", "--db", db, "-q"], &LOOPBACK);
    // Root's database in root's directory: nobody may read but not write either.
    std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let Some((code, out, err)) = as_nobody(&["history", "--db", db]) else {
        eprintln!("SKIPPED (no setpriv)");
        return;
    };
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("finished"), "{out}");
    let (code, out, err) = as_nobody(&["show", "1", "--db", db, "--all", "-f", "jsonl"]).unwrap();
    assert_eq!((code, out.lines().count()), (0, 16), "{err}");
    let (code, _, err) = as_nobody(&["diff", "1", "1", "--db", db]).unwrap();
    assert_eq!(code, 0, "{err}");

    // Writing it is a permission failure: exit 1, the path named once.
    let (code, _, err) = as_nobody(&["scan", "--db", db, "-p", "445", "127.0.0.1"]).unwrap();
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.matches(db).count(), 1, "{err}");

    // Unreadable: a permission failure, exit 1, the path named once.
    std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, err) = as_nobody(&["history", "--db", db]).unwrap();
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.matches(db).count(), 1, "{err}");
    assert!(err.contains("Permission denied"), "{err}");
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `--source-port 137` without privilege says what it needs before printing anything.
#[test]
fn a_privileged_source_port_without_privilege_says_what_it_needs() {
    if !nix_is_root() {
        eprintln!("SKIPPED (needs root to act as another user)");
        return;
    }
    for args in [
        vec!["nbstat", "--source-port", "137", "127.0.0.1"],
        vec!["scan", "--no-store", "--source-port", "137", "127.0.0.1"],
    ] {
        let Some((code, out, err)) = as_nobody(&args) else {
            eprintln!("SKIPPED (no setpriv)");
            return;
        };
        assert_eq!((code, out.as_str()), (1, ""), "{args:?}: {err}");
        assert!(err.contains("needs root or CAP_NET_BIND_SERVICE"), "{err}");
    }
}
