//! SIGTERM (a timeout, systemd, a CI cancel) stops a scan as Ctrl-C does: it prints and
//! stores what finished, marks the scan interrupted and exits 143.

use crate::lab::require_lab;
use crate::run::{jsonl, smbaudit};
use crate::store::{history, hosts, slow_scan_args, wait_for_hosts};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

#[test]
fn sigterm_prints_stores_and_exits_143() {
    let lab = require_lab!(&hosts());
    let dir = tempfile::tempdir().unwrap();
    let (net, len) = lab.prefix();
    let range = format!("{net}/{len}");
    lab.check_target(&range);
    let db = dir.path().join("term.db");
    let db = db.to_str().unwrap();
    let out_path = dir.path().join("out.jsonl");
    let mut child = lab
        .client_command(BIN)
        .args(slow_scan_args(db, &range))
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_hosts(&lab, db, 10, &mut child);
    // The silent addresses before the lab hosts finish first (and are not printed); wait
    // until a lab host, whose SMB checks take longer, is stored too.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while smbaudit(&lab, &["show", "last", "--db", db, "-f", "jsonl"], &[])
        .1
        .trim()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no lab host stored within 120 s"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the scan ended too early"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "SIGTERM exits 128 + 15");
    let scans = history(&lab, db);
    assert_eq!(scans[0]["status"], "interrupted", "{:?}", scans[0]);
    let stored = scans[0]["hosts"].as_u64().unwrap();
    assert!((10..256).contains(&stored), "stopped mid-way: {stored}");
    let ips = |lines: &str| {
        let mut ips: Vec<String> = jsonl(lines)
            .iter()
            .map(|h| h["ip"].as_str().unwrap().to_owned())
            .collect();
        ips.sort();
        ips
    };
    let printed = ips(&std::fs::read_to_string(&out_path).unwrap());
    let (code, shown, err) = smbaudit(&lab, &["show", "last", "--db", db, "-f", "jsonl"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !printed.is_empty(),
        "the lab hosts that finished were printed"
    );
    assert_eq!(printed, ips(&shown), "what was printed is what was stored");
}
