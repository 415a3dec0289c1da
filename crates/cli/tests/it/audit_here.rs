//! `smbaudit audit` on the machine the tests run on: it only reads (netlink, /proc, the
//! Samba configuration, the firewall), so it runs here without a lab, root or Samba, and
//! whatever it cannot read is a line of the report, never a failure.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

const VERDICTS: [&str; 6] = [
    "exposed",
    "exposed-to-prefix",
    "restricted",
    "filtered",
    "not-listening",
    "unknown",
];

fn audit(args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("audit").args(args).output().unwrap()
}

#[test]
fn the_audit_of_this_machine_exits_0_with_a_verdict_for_every_cell() {
    let out = audit(&["-f", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let ifaces = report["interfaces"].as_array().expect("interfaces");
    assert!(
        ifaces
            .iter()
            .any(|i| i["name"] == "lo" && i["facing"] == "inside"),
        "{ifaces:?}"
    );
    let cells = report["cells"].as_array().expect("cells");
    assert!(!cells.is_empty());
    for c in cells {
        assert!(
            VERDICTS.contains(&c["verdict"].as_str().unwrap_or("")),
            "{c}"
        );
        assert!(
            c["service"]
                .as_str()
                .is_some_and(|s| s.ends_with("/tcp") || s.ends_with("/udp")),
            "{c}"
        );
    }
    // Five services for each interface and family it has an address of.
    let with_v4 = ifaces
        .iter()
        .filter(|i| {
            i["addrs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a.as_str().unwrap().contains('.'))
        })
        .count();
    let v4_cells = cells.iter().filter(|c| c["family"] == "ipv4").count();
    assert_eq!(v4_cells, with_v4 * 5);
    assert!(report["unreadable"].is_array());

    let lines = audit(&["-f", "jsonl"]);
    let kinds: Vec<String> = String::from_utf8_lossy(&lines.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("a JSON line")["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "cell").count(), cells.len());
    assert_eq!(
        kinds.iter().filter(|k| *k == "interface").count(),
        ifaces.len()
    );
}

#[test]
fn an_outside_name_that_is_no_interface_is_a_usage_error() {
    let out = audit(&["--outside", "no-such-if0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-if0") && err.contains("lo"),
        "names the real interfaces: {err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn lo_forced_outside_is_judged_as_outside() {
    let out = audit(&["--outside", "lo", "-f", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lo = report["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "lo")
        .unwrap();
    assert_eq!(lo["facing"], "outside", "{lo}");
    assert!(
        report["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["interface"] == "lo")
            .all(|c| c["facing"] == "outside")
    );
}

#[test]
fn stored_audits_are_listed_and_compared() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audits.db");
    let db = db.to_str().unwrap();
    for _ in 0..2 {
        let out = audit(&["--db", db, "-f", "json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("stored as audit"));
    }
    let history = Command::new(BIN)
        .args(["history", "--audits", "--db", db, "-f", "json"])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&history.stdout).unwrap();
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [2, 1], "newest first");
    // The same machine read twice in a row: nothing changed.
    let diff = Command::new(BIN)
        .args(["diff", "--audits", "1", "2", "--db", db])
        .output()
        .unwrap();
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    assert!(
        String::from_utf8_lossy(&diff.stdout).starts_with("No change"),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    let missing = Command::new(BIN)
        .args(["diff", "--audits", "1", "9", "--db", db])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("audit 9 not found"));
    // Scans and audits share the database: no scan is listed.
    let scans = Command::new(BIN)
        .args(["history", "--db", db, "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&scans.stdout).unwrap(),
        Value::Array(vec![])
    );
}
