//! `smbaudit audit` on a multi-homed machine (issue 10, "Tests"): its
//! verdicts must equal what a peer on each side of the machine really
//! reaches, cell by cell.
//!
//! One lab ([`lab::AuditLab`]): the audited host namespace with an outside
//! interface (eth-out, default routes) and an inside one (eth-in), and a peer
//! namespace on each link. One test runs the matrix of [`Scenario::matrix`]
//! in order: real smbd/nmbd in four configurations, nftables and iptables-nft
//! rulesets, `::` listeners with v6only on and off, unjudgeable rules, an
//! audit that cannot find nft and an unreadable smb.conf. For each
//! scenario:
//!
//! 1. both peers probe the host's address on their link, v4 and v6: a TCP
//!    connect to 135, 139, 445 and an NBSTAT to 137/udp (`audit/probe.py`);
//! 2. lab self-test: those results must be what the scenario implies
//!    ([`Scenario::expect_reached`]), or the lab is broken and the audit
//!    cannot be judged;
//! 3. `smbaudit audit -f json` runs in the host namespace and each of its
//!    cells is compared with the probe of that cell: `exposed` = reached,
//!    `exposed-to-prefix` = reached iff the peer is in `prefixes`,
//!    `restricted` / `filtered` / `not-listening` = not reached, `unknown` =
//!    no claim (allowed only where the scenario has unjudgeable rules or an
//!    unreadable smb.conf). 138/udp has no reply and is not compared.
//!
//! Every mismatch is collected; the test fails at the end listing each one
//! with its scenario, cell, verdict and probe result.

mod host;
mod lab;
mod net;
mod probe;
mod scenarios;

use std::collections::BTreeMap;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value;

use lab::AuditLab;
use net::{Fam, Side, prefix_contains};
use probe::{Cell, Probed, Seen, probe_all};
use scenarios::{Config, Extra, Firewall, Scenario};

#[test]
fn audit_verdicts_match_what_each_side_reaches() {
    let mut lab = match AuditLab::start() {
        Ok(lab) => lab,
        Err(skip) => {
            let line = format!("SKIPPED (needs root + samba + nftables): audit lab: {skip}\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
            return;
        }
    };
    let t0 = Instant::now();
    let mut lab_failures = Vec::new();
    let mut audit_failures = Vec::new();
    let mut running: Option<(Config, PathBuf)> = None;
    for (n, scenario) in Scenario::matrix().into_iter().enumerate() {
        let name = scenario.name();
        if running.as_ref().map(|r| r.0) != Some(scenario.config) {
            lab.stop_host_processes();
            lab.load_firewall(Firewall::None);
            running = Some((scenario.config, lab.start_samba(scenario.config)));
        }
        if let Extra::V6Listener { v6only } = scenario.extra {
            lab.stop_host_processes();
            lab.start_v6_listener(v6only);
        }
        lab.load_firewall(scenario.firewall);
        if scenario.extra == Extra::UnreadableConf {
            if let Some((_, conf)) = &running {
                lab.break_conf(conf);
            }
        }
        let seen = probe_all(&lab);
        for (cell, s) in &seen {
            let want = scenario.expect_reached(*cell);
            if s.reached != want {
                let want = if want { "reached" } else { "not reached" };
                lab_failures.push(format!("[{name}] {cell}: lab expects {want}, probe {s}"));
            }
        }
        let started = Instant::now();
        let out = lab.run_audit(scenario.extra, "json");
        let took = started.elapsed();
        lab.keep_evidence(n, &scenario, &out);
        let verdicts = judge(&scenario, &out, &seen, &mut audit_failures);
        eprintln!(
            "{}",
            table(&format!("{name} (audit: {took:.0?})"), &seen, &verdicts)
        );
    }
    eprintln!(
        "audit lab: {} scenarios in {:.1?}",
        Scenario::matrix().len(),
        t0.elapsed()
    );
    assert!(
        lab_failures.is_empty(),
        "the lab's ground truth is not what the scenarios imply (the audit cannot be judged on it):\n{}",
        lab_failures.join("\n")
    );
    assert!(
        audit_failures.is_empty(),
        "smbaudit audit disagrees with the probes (SMBAUDIT_LAB_KEEP=1 keeps each audit's \
         JSON and ruleset in the lab dir):\n{}",
        audit_failures.join("\n")
    );
}

#[test]
fn audit_lab_removes_its_namespaces_processes_and_dir_when_a_test_panics() {
    let made: Mutex<Option<(Vec<u32>, PathBuf, bool)>> = Mutex::new(None);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let Ok(mut lab) = AuditLab::start() else {
            return;
        };
        lab.start_v6_listener(false);
        *made.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((lab.child_pids(), lab.dir().to_path_buf(), lab.keeps_dir()));
        panic!("a deliberate failure inside a test that holds the audit lab");
    }));
    let Some((pids, dir, kept)) = made.into_inner().unwrap_or_else(|e| e.into_inner()) else {
        eprintln!("SKIPPED: audit lab cleanup: the lab cannot run here");
        return;
    };
    assert!(result.is_err(), "the test body must have panicked");
    assert!(!pids.is_empty());
    for pid in pids {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} of the lab survived the panic"
        );
    }
    if kept {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        assert!(!dir.exists(), "{} survived the panic", dir.display());
    }
    // under the claim: no other test of this process is building the lab now
    let _claim = lab::claim_names();
    let out = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    let left: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("sat-aud-"))
        .map(str::to_owned)
        .collect();
    assert!(left.is_empty(), "namespaces survived the panic: {left:?}");
}

/// Compares one audit run with the probes; returns the verdict of each cell.
fn judge(
    scenario: &Scenario,
    out: &Result<Output, String>,
    seen: &BTreeMap<Cell, Seen>,
    failures: &mut Vec<String>,
) -> BTreeMap<Cell, String> {
    let name = scenario.name();
    let mut verdicts = BTreeMap::new();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            failures.push(format!("[{name}] audit did not finish: {e}"));
            return verdicts;
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        failures.push(format!(
            "[{name}] audit exited with {}: {}",
            out.status,
            stderr.trim()
        ));
        return verdicts;
    }
    let report: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => {
            let text = String::from_utf8_lossy(&out.stdout);
            failures.push(format!(
                "[{name}] audit stdout is not one JSON object ({e}): {text}"
            ));
            return verdicts;
        }
    };
    let mut fail = |what: String| failures.push(format!("[{name}] {what}"));
    for side in [Side::Out, Side::In] {
        let facing = report["interfaces"]
            .as_array()
            .and_then(|all| all.iter().find(|i| i["name"] == side.iface()))
            .map(|i| i["facing"].clone());
        if facing.as_ref().and_then(Value::as_str) != Some(side.facing()) {
            fail(format!(
                "interface {} must be {}, audit says {facing:?}",
                side.iface(),
                side.facing()
            ));
        }
    }
    for (cell, s) in seen {
        let Some(c) = find_cell(&report, *cell) else {
            fail(format!("{cell}: no cell in the audit"));
            continue;
        };
        let verdict = c["verdict"].as_str().unwrap_or("<none>").to_owned();
        let said = format!("audit says {verdict} ({}), probe {s}", c["reason"]);
        let peer = cell.side.peer_addr(cell.fam);
        match verdict.as_str() {
            "exposed" if !s.reached => fail(format!("{cell}: {said}")),
            "restricted" | "filtered" | "not-listening" if s.reached => {
                fail(format!("{cell}: {said}"));
            }
            "exposed-to-prefix" => {
                let prefixes: Vec<&str> = c["prefixes"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let inside: Vec<Option<bool>> =
                    prefixes.iter().map(|p| prefix_contains(p, peer)).collect();
                if prefixes.is_empty() || inside.contains(&None) {
                    fail(format!("{cell}: bad prefixes {:?}; {said}", c["prefixes"]));
                } else if inside.contains(&Some(true)) != s.reached {
                    fail(format!(
                        "{cell}: prefixes {prefixes:?}, peer {peer}; {said}"
                    ));
                }
            }
            "unknown" if !scenario.unknown_allowed() => {
                fail(format!(
                    "{cell}: unknown without an unjudgeable rule; {said}"
                ));
            }
            "exposed" | "restricted" | "filtered" | "not-listening" | "unknown" => {}
            _ => fail(format!("{cell}: not a verdict: {said}")),
        }
        if let Some(want) = deciding_rule(scenario, *cell, &verdict) {
            let text = c["rule"]["text"].as_str().unwrap_or("");
            if !text.contains(want) {
                fail(format!(
                    "{cell}: the deciding rule must contain {want:?}, audit names {}; {said}",
                    c["rule"]
                ));
            }
        }
        if scenario.firewall == Firewall::Unjudgeable
            && must_be_unknown(*cell)
            && verdict != "unknown"
        {
            fail(format!(
                "{cell}: decided by an unjudgeable rule, must be unknown; {said}"
            ));
        }
        verdicts.insert(*cell, verdict);
    }
    match scenario.extra {
        Extra::NoNft => {
            let backend = report["firewall"]["backend"].as_str().unwrap_or("");
            if !backend.contains("iptables") {
                fail(format!(
                    "nft hidden: the firewall must be read with iptables-save, audit says {}",
                    report["firewall"]
                ));
            }
        }
        Extra::UnreadableConf => {
            let lines = report["unreadable"].as_array().cloned().unwrap_or_default();
            if !lines.iter().any(|l| l.to_string().contains("smb.conf")) {
                fail(format!(
                    "smb.conf replaced by a directory: no unreadable line names it: {}",
                    report["unreadable"]
                ));
            }
        }
        Extra::None | Extra::V6Listener { .. } => {}
    }
    // as root in the lab every fact is readable, but for the one made unreadable
    let unreadable = report["unreadable"].as_array().map_or(0, Vec::len);
    if scenario.extra != Extra::UnreadableConf && unreadable != 0 {
        fail(format!(
            "everything is readable here, audit says it could not read {}",
            report["unreadable"]
        ));
    }
    verdicts
}

/// For a cell a drop rule filters, a piece of that rule's text: nft syntax,
/// or iptables-save's where nft is hidden from the audit.
fn deciding_rule(scenario: &Scenario, cell: Cell, verdict: &str) -> Option<&'static str> {
    if verdict != "filtered" || cell.side != Side::Out {
        return None;
    }
    match (scenario.firewall, cell.service) {
        (Firewall::OutsideSetDrop, Probed::Nbns) => Some("udp dport 137-138 drop"),
        (Firewall::OutsideSetDrop, _) => Some("tcp dport @smbports drop"),
        (Firewall::IptablesOutside445, Probed::Smb) if scenario.extra == Extra::NoNft => {
            Some("-A INPUT -i eth-out -p tcp -m tcp --dport 445 -j DROP")
        }
        (Firewall::IptablesOutside445, Probed::Smb) => Some("tcp dport 445"),
        _ => None,
    }
}

/// Cells of [`Firewall::Unjudgeable`] whose outcome only the unjudgeable
/// rules decide: 445/tcp IPv4 (the meter) and 139/tcp (the `fib` match).
/// (For 445/tcp IPv6 the meter's `ip saddr` key cannot match, so `filtered`
/// is also right.)
fn must_be_unknown(cell: Cell) -> bool {
    match cell.service {
        Probed::Smb => cell.fam == Fam::V4,
        Probed::Nbss => true,
        Probed::Epmap | Probed::Nbns => false,
    }
}

fn find_cell(report: &Value, cell: Cell) -> Option<&Value> {
    report["cells"].as_array()?.iter().find(|c| {
        c["interface"] == cell.side.iface()
            && c["family"] == cell.fam.json()
            && c["service"] == cell.service.json()
    })
}

/// One scenario's cells: probe result and verdict, for the test's stderr.
fn table(name: &str, seen: &BTreeMap<Cell, Seen>, verdicts: &BTreeMap<Cell, String>) -> String {
    let mut s = format!("--- {name}\n");
    for (cell, probe) in seen {
        let verdict = verdicts.get(cell).map_or("-", String::as_str);
        s += &format!(
            "  {:8} {} {:8} {:12} {verdict}\n",
            cell.side.iface(),
            cell.fam.json(),
            cell.service.json(),
            if probe.reached {
                "reached"
            } else {
                "not reached"
            },
        );
    }
    s
}
