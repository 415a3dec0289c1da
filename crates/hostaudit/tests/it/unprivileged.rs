//! listeners::read without root: the listeners are all there, their owners
//! (root's processes) are unreadable lines, not errors.
//!
//! The test re-executes this test binary as `nobody` inside the namespace
//! (`ip netns exec NS setpriv --reuid=65534 ...  <copy of the test binary> --exact
//! unprivileged::child_prints_listeners --ignored`), which prints what it read as JSON.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use smbaudit_hostaudit::Service;
use smbaudit_hostaudit::listeners;

use crate::listeners::{BINDER, SOCKETS, lab};
use crate::netns::available;

/// The marker before the child's JSON line.
const MARK: &str = "LISTENERS-JSON ";

#[test]
#[ignore = "run as nobody by as_nobody_listeners_are_found_and_root_owners_unreadable"]
fn child_prints_listeners() {
    let (all, unreadable) = listeners::read(&Service::AUDITED);
    let out = serde_json::json!({ "listeners": all, "unreadable": unreadable });
    println!("{MARK}{out}");
}

#[test]
fn as_nobody_listeners_are_found_and_root_owners_unreadable() {
    if !available() {
        return;
    }
    let mut pair = lab();
    pair.host
        .spawn(&["python3", "-c", BINDER, SOCKETS], Duration::from_secs(20));
    // a copy nobody can reach: the build's own target dir may be under a 0700 home
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = dir.path().join("it");
    std::fs::copy(std::env::current_exe().expect("test binary"), &exe).expect("copy");
    for (path, mode) in [(dir.path(), 0o755), (exe.as_path(), 0o755)] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &pair.host.name,
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
        ])
        .args(["--clear-groups", "--pdeathsig", "KILL"])
        .arg(&exe)
        .args([
            "--exact",
            "unprivileged::child_prints_listeners",
            "--ignored",
            "--nocapture",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the unprivileged child did not finish in 30 s");
        }
        sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text
        .lines()
        .find_map(|l| l.strip_prefix(MARK))
        .unwrap_or_else(|| panic!("no {MARK} line in {text}"));
    let facts: serde_json::Value = serde_json::from_str(json).expect("child JSON");

    let all = facts["listeners"].as_array().expect("listeners");
    assert_eq!(all.len(), 7, "{all:#?}");
    assert!(all.iter().all(|l| l["process"].is_null()), "{all:#?}");
    // sock_diag needs no privilege: v6only and device are still read
    assert!(all.iter().any(|l| l["device"] == "out0"), "{all:#?}");
    assert!(all.iter().any(|l| l["v6only"] == false), "{all:#?}");

    let unreadable = facts["unreadable"].as_array().expect("unreadable");
    assert_eq!(
        unreadable.len(),
        7,
        "one line per listener: {unreadable:#?}"
    );
    let smb = unreadable
        .iter()
        .find(|u| u["what"] == "owner of 445/tcp on ::")
        .unwrap_or_else(|| panic!("{unreadable:#?}"));
    let why = smb["why"].as_str().expect("why");
    assert!(why.contains("permission denied: run as root"), "{why}");
}
