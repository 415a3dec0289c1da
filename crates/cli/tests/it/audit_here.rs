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

/// `smbaudit audit ARGS` in a new network namespace with only `lo` (up): a machine that
/// stays the same between two audits, whatever other tests bind meanwhile. `None` (after
/// SKIPPED) without root; with CI=true that fails instead.
fn audit_in_quiet_namespace(args: &[&str]) -> Option<std::process::Output> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !root {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI runs as root"
        );
        eprintln!("SKIPPED (needs root for a network namespace)");
        return None;
    }
    let out = Command::new("unshare")
        .args([
            "--net",
            "sh",
            "-c",
            "ip link set lo up && exec \"$0\" audit \"$@\"",
            BIN,
        ])
        .args(args)
        .output()
        .unwrap();
    Some(out)
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
    assert_eq!(
        cells.len(),
        5 * families_held(ifaces),
        "five services per interface and family"
    );
    assert!(report["unreadable"].is_array());

    // JSON lines: the same records, one per line, each with its type.
    let lines: Vec<Value> = String::from_utf8_lossy(&audit(&["-f", "jsonl"]).stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let of = |kind: &str| -> Vec<Value> {
        lines
            .iter()
            .filter(|l| l["type"] == kind)
            .cloned()
            .collect()
    };
    let (ifaces, cells) = (of("interface"), of("cell"));
    assert!(ifaces.iter().any(|i| i["name"] == "lo"));
    assert_eq!(cells.len(), 5 * families_held(&ifaces));
}

/// How many (interface, family) pairs have an address.
fn families_held(ifaces: &[Value]) -> usize {
    ifaces
        .iter()
        .map(|i| {
            let addrs: Vec<&str> = i["addrs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            usize::from(addrs.iter().any(|a| a.contains('.')))
                + usize::from(addrs.iter().any(|a| a.contains(':')))
        })
        .sum()
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
        let Some(out) = audit_in_quiet_namespace(&["--db", db, "-f", "json"]) else {
            return;
        };
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
    // The same quiet machine read twice: nothing changed.
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

#[test]
fn the_html_audit_renders_in_chromium_with_every_verdict() {
    let Some(chromium) = crate::html::chromium_or_skip("(needs chromium)") else {
        return;
    };
    let Some(json) = audit_in_quiet_namespace(&["-f", "json"]) else {
        return;
    };
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("audit.html");
    let out = audit_in_quiet_namespace(&["-f", "html"]).unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(&page, &out.stdout).unwrap();
    let profile = dir.path().join("profile");
    let dom = crate::html::dump_dom(&chromium, &profile, &format!("file://{}", page.display()));
    assert!(dom.contains("<table id=\"grid\">"), "{dom}");
    let rows = dom.matches("<tr data-interface=").count();
    assert_eq!(
        dom.matches("data-verdict=").count(),
        rows * 5,
        "five ports per row"
    );
    // The same quiet machine read twice: each cell of the JSON is a cell of the page.
    for c in json["cells"].as_array().unwrap() {
        let row = format!(
            "<tr data-interface=\"{}\" data-family=\"{}\">",
            c["interface"].as_str().unwrap(),
            c["family"].as_str().unwrap()
        );
        let at = dom.find(&row).unwrap_or_else(|| panic!("no row {row}"));
        let rest = &dom[at..];
        let end = rest.find("</tr>").unwrap();
        let cell = format!(
            "data-service=\"{}\" data-verdict=\"{}\"",
            c["service"].as_str().unwrap(),
            c["verdict"].as_str().unwrap()
        );
        assert!(rest[..end].contains(&cell), "{cell} in {}", &rest[..end]);
    }
}
