//! `--resume` and `diff` never lose or invent facts: a resumed scan probes the rest of its
//! targets with its own options, a resume of some targets leaves the scan unfinished, a
//! killed scan is not shown as running, and `diff` of scans of different ports compares
//! only what both looked at.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::lab::{Lab, require_lab};
use crate::run::{jsonl, smbaudit};
use crate::store::{history, hosts, wait_for_hosts};

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

/// The slow scan of the lab's /24 on 445 only, killed with SIGKILL once `at_least` hosts
/// are stored.
fn killed_445_scan(lab: &Lab, db: &str, range: &str, at_least: u64) {
    let mut args = crate::store::slow_scan_args(db, range);
    args.extend(["-p", "445"]);
    let mut child = lab
        .client_command(BIN)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_hosts(lab, db, at_least, &mut child);
    // While its process lives, the scan is running and cannot be resumed.
    assert_eq!(history(lab, db)[0]["status"], "running");
    let (code, _, err) = smbaudit(lab, &["scan", "--db", db, "--resume"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is still running (process"), "{err}");
    Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
}

fn ports_seen(lab: &Lab, db: &str) -> BTreeSet<String> {
    let (code, out, err) = smbaudit(
        lab,
        &["show", "last", "--db", db, "-f", "jsonl", "--all"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    jsonl(&out)
        .iter()
        .flat_map(|h| {
            h["ports"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn resume_uses_the_scans_options_and_finishes_only_when_every_target_is_done() {
    let lab = require_lab!(&hosts());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    let (net, len) = lab.prefix();
    let range = format!("{net}/{len}");
    lab.check_target(&range);
    killed_445_scan(&lab, db, &range, 10);
    let scans = history(&lab, db);
    assert_eq!(
        scans[0]["status"], "interrupted",
        "its process is gone: {scans:?}"
    );
    assert_eq!(scans[0]["options"]["ports"], serde_json::json!([445]));
    // The seed drawn for the run is stored, so the resume goes on in the same order.
    let seed = scans[0]["options"]["seed"].clone();
    assert!(seed.is_u64(), "{scans:?}");

    // A flag that contradicts the stored options is refused, and nothing is probed.
    let before = scans[0]["hosts"].as_u64().unwrap();
    let (code, _, err) = smbaudit(
        &lab,
        &["scan", "--db", db, "--resume", "-p", "139,445"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--ports (the scan used 445)"), "{err}");
    assert_eq!(history(&lab, db)[0]["hosts"].as_u64(), Some(before));

    // A target outside the scan is refused.
    // (Loopback: refused before anything is sent, and harmless if it were not.)
    let (code, _, err) = smbaudit(
        &lab,
        &["scan", "--db", db, "--resume", "1", "127.0.0.2"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not among the targets of scan 1"), "{err}");

    // Resuming one target of the scan: still unfinished, and says what is left.
    let one = lab.ip("fs").to_string();
    let quick = [
        "--connect-timeout",
        "400ms",
        "--timeout",
        "300ms",
        "--retries",
        "0",
    ];
    let mut args = vec!["scan", "--db", db, "--resume", "1", "-q"];
    args.extend(quick);
    let (code, _, err) = smbaudit(&lab, &args, &[one]);
    assert_eq!(code, 0, "{err}");
    let scans = history(&lab, db);
    assert_eq!(
        scans[0]["status"], "interrupted",
        "only one target was resumed"
    );
    let mut args = vec!["scan", "--db", db, "--resume", "1"];
    args.extend(quick);
    let (code, _, err) = smbaudit(&lab, &args, &[]);
    assert_eq!(code, 0, "{err}");
    let scans = history(&lab, db);
    assert_eq!(scans.len(), 1, "resumed in place");
    assert_eq!(scans[0]["status"], "finished");
    assert_eq!(scans[0]["hosts"], 256);
    assert_eq!(
        scans[0]["options"]["seed"], seed,
        "the resume kept the seed"
    );
    // Every host, before and after the kill, was probed on 445 only.
    assert_eq!(ports_seen(&lab, db), BTreeSet::from(["445/tcp".to_owned()]));
    let (code, _, err) = smbaudit(&lab, &["scan", "--db", db, "--resume"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no interrupted scan"), "{err}");
}

fn rules_of(list: &Value, ip: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ip"] == ip)
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn diff_of_scans_of_different_ports_compares_only_what_both_saw() {
    let lab = require_lab!(&hosts());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let db = db.to_str().unwrap();
    let (fs, nb) = (lab.ip("fs").to_string(), lab.ip("nb").to_string());
    // A silent address of the lab: never answers in either scan.
    let silent = format!("{}", lab.unused_ip());
    let targets = [fs.clone(), nb.clone(), silent.clone()];
    let quick = ["--connect-timeout", "400ms", "-q"];
    let mut args = vec!["scan", "--db", db];
    args.extend(quick);
    let (code, _, err) = smbaudit(&lab, &args, &targets);
    assert_eq!(code, 0, "{err}");
    args.extend(["-p", "445"]);
    let (code, _, err) = smbaudit(&lab, &args, &targets[..1]);
    assert_eq!(code, 0, "{err}");

    let (code, out, err) = smbaudit(&lab, &["diff", "1", "2", "--db", db, "-f", "json"], &[]);
    assert_eq!(code, 0, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["scope"]["common_ports"], serde_json::json!(["445/tcp"]));
    assert_eq!(
        (
            d["scope"]["common_hosts"].as_u64(),
            d["scope"]["hosts_only_a"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert!(rules_of(&d["findings_resolved"], &fs).is_empty(), "{d}");
    assert!(
        d["hosts_gone"].as_array().unwrap().is_empty(),
        "nb was not probed: {d}"
    );
    assert!(d["ports_closed"].as_array().unwrap().is_empty(), "{d}");

    let (code, table, _) = smbaudit(&lab, &["diff", "1", "2", "--db", db], &[]);
    assert_eq!(code, 0);
    assert!(
        table.contains("compared: 1 target both scans probed, on 445/tcp"),
        "{table}"
    );
    assert!(
        table.contains(
            "not compared: 135/tcp,137/udp,139/tcp (scan 1 only); 2 targets scan 1 only probed"
        ),
        "{table}"
    );
    assert!(table.contains("no change"), "{table}");
}
