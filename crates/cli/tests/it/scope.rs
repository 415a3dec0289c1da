//! Scope safety and bad input, each run in a network namespace of its own (`unshare -n`:
//! nothing but a loopback), whose IP counters (`/proc/net/snmp`) then prove what was sent.
//!
//! Bad input exits 2 having sent no packet at all. A scan of loopback plus ranges of
//! multicast and reserved space probes loopback only: no packet was even tried towards the
//! reserved ranges (they have no route there, so one would count as `OutNoRoutes`).

use std::process::Command;
use std::time::Duration;

use crate::lab::{Skip, output_within, skip_or_panic, which};
use crate::run::jsonl;

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

/// What one run in a fresh namespace did.
struct Run {
    code: i32,
    out: String,
    err: String,
    /// IP datagrams handed to the stack (`Ip: OutRequests`).
    sent: u64,
    /// Sends refused for want of a route (`Ip: OutNoRoutes`).
    no_route: u64,
}

/// Runs smbaudit with `args` in a new network namespace (loopback up), then reads that
/// namespace's IP counters. `None` (after a skip line) where namespaces cannot be made.
fn in_own_netns(args: &[&str]) -> Option<Run> {
    if let Err(skip) = can_unshare().or_else(skip_or_panic) {
        eprintln!("SKIPPED (needs root): scope: {skip}");
        return None;
    }
    let data_home = tempfile::tempdir().expect("temp dir");
    let script = r#"ip link set lo up && "$0" "$@"; code=$?; echo "rc=$code" >&2; grep '^Ip:' /proc/net/snmp >&2"#;
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "sh", "-c", script, BIN])
        .args(args)
        .env("XDG_DATA_HOME", data_home.path());
    let out = output_within(&mut cmd, Duration::from_secs(60)).expect("ends by itself");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let (err, code, counters) = split_trailer(&err);
    Some(Run {
        code,
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        sent: counter(&counters, "OutRequests"),
        no_route: counter(&counters, "OutNoRoutes"),
        err,
    })
}

fn can_unshare() -> Result<(), Skip> {
    which("unshare").ok_or_else(|| Skip("unshare (util-linux) missing".into()))?;
    which("ip").ok_or_else(|| Skip("ip (iproute2) missing".into()))?;
    let ok = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(())
        .ok_or_else(|| Skip("unshare -n not permitted (needs root)".into()))
}

/// smbaudit's own stderr, its exit code, and the two `Ip:` lines the script appended.
fn split_trailer(err: &str) -> (String, i32, Vec<String>) {
    let at = err.rfind("rc=").expect("the script's trailer");
    let (own, trailer) = err.split_at(at);
    let mut lines = trailer.lines();
    let code = lines
        .next()
        .and_then(|l| l.strip_prefix("rc="))
        .and_then(|c| c.parse().ok())
        .expect("exit code");
    (own.to_owned(), code, lines.map(str::to_owned).collect())
}

/// The value of `name` in `/proc/net/snmp`'s `Ip:` header and value lines.
fn counter(lines: &[String], name: &str) -> u64 {
    let [header, values] = lines else {
        panic!("two Ip: lines expected: {lines:?}");
    };
    let column = header
        .split_whitespace()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no {name} in {header}"));
    values
        .split_whitespace()
        .nth(column)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no value for {name} in {values}"))
}

#[test]
fn bad_input_exits_2_naming_the_fault_and_sends_nothing() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["scan", "--seed", "1", "--shard", "3/2", "127.0.0.1"],
            "shard 3 of 2",
        ),
        (
            &["scan", "--seed", "1", "--shard", "0/0", "127.0.0.1"],
            "at least one shard",
        ),
        (&["scan", "--seed", "abc", "127.0.0.1"], "not a seed"),
        (&["scan", "fd00::/32"], "larger than /104"),
        (&["scan", "2a00:1450::/32", "-p", "445"], "larger than /104"),
        (&["scan", "224.0.0.1"], "multicast"),
        (&["scan", "255.255.255.255"], "broadcast"),
        (&["scan", "0.0.0.0"], "this network"),
        (&["scan", "ff02::1"], "multicast (ff00::/8)"),
        (&["scan", "fe80::1"], "link-local"),
        (&["nbstat", "192.0.2.7"], "documentation"),
        (&["scan", "224.0.0.0/4", "240.0.0.0/24"], "no target left"),
        (
            &["scan", "10.0.0.0/30", "--exclude", "10.0.0.0/29"],
            "no target",
        ),
    ];
    for (args, reason) in cases {
        let Some(run) = in_own_netns(args) else {
            return;
        };
        assert_eq!(run.code, 2, "{args:?}: {}", run.err);
        assert!(run.out.is_empty(), "{args:?}: stdout {}", run.out);
        assert!(run.err.contains(reason), "{args:?}: {}", run.err);
        assert_eq!((run.sent, run.no_route), (0, 0), "{args:?}: nothing sent");
    }
}

#[test]
fn a_reserved_address_is_refused_with_the_opt_out_named() {
    let Some(run) = in_own_netns(&["scan", "239.1.2.3", "10.0.0.1"]) else {
        return;
    };
    assert_eq!(run.code, 2);
    assert!(
        run.err.contains("\"239.1.2.3\"") && run.err.contains("--allow-reserved"),
        "{}",
        run.err
    );
    assert!(
        !run.err.contains("10.0.0.1"),
        "only the bad token: {}",
        run.err
    );
}

#[test]
fn ranges_skip_their_reserved_part_and_say_how_much() {
    let Some(run) = in_own_netns(&["scan", "--dry-run", "223.255.255.0-224.0.0.255"]) else {
        return;
    };
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(run.err.contains("skipping 256 addresses"), "{}", run.err);
    assert!(run.out.contains("targets: 256 addresses"), "{}", run.out);
    let all = in_own_netns(&[
        "scan",
        "--dry-run",
        "--allow-reserved",
        "223.255.255.0-224.0.0.255",
    ])
    .expect("ran once already");
    assert_eq!(all.code, 0, "{}", all.err);
    assert!(!all.err.contains("skipping"), "{}", all.err);
    assert!(all.out.contains("targets: 512 addresses"), "{}", all.out);
}

#[test]
fn a_scan_spanning_reserved_space_probes_only_unicast_targets() {
    let args = [
        "scan",
        "--no-store",
        "-f",
        "jsonl",
        "--all",
        "-p",
        "137,445",
        "--timeout",
        "200ms",
        "--connect-timeout",
        "500ms",
        "127.0.0.1",
        "224.0.0.0/30",
        "240.0.0.0/30",
        "ff02::/126",
    ];
    let Some(run) = in_own_netns(&args) else {
        return;
    };
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(run.err.contains("skipping 12 addresses"), "{}", run.err);
    let hosts = jsonl(&run.out);
    let ips: Vec<&str> = hosts.iter().filter_map(|h| h["ip"].as_str()).collect();
    assert_eq!(ips, ["127.0.0.1"], "only the unicast target is reported");
    assert!(run.sent > 0, "loopback was probed");
    assert_eq!(
        run.no_route, 0,
        "no send was even tried towards the reserved ranges (they have no route here)"
    );
}
