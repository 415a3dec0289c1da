//! One scan from many workers against real Samba (the lab) and a real PostgreSQL server
//! (a throwaway cluster, `pg/mod.rs`): four worker processes writing one scan equal one
//! process scanning alone, host by host; a killed worker's shard is resumed with nothing
//! lost or doubled; claims that must be refused are (exit 2); two scans write at once; the
//! server restarting mid-scan is survived, and a server gone for good fails the worker
//! within a bound.
//!
//! The four workers run in the lab's one client namespace (a namespace each would cost a
//! lab each and prove nothing more: the shards are disjoint by their order, not by where
//! they run). They reach the server over its Unix socket, which every namespace shares.
//! One test owns the lab and the cluster, so both start once; each case gets a database.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{Lab, output_within, require_lab};
use crate::pg::Cluster;
use crate::run::smbaudit;
use crate::store::{history, hosts};

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

/// Options that keep a scan of the lab short: silent addresses give up quickly. Discovery
/// by connect(): four raw-SYN senders in one namespace would see each other's answers.
const QUICK: [&str; 14] = [
    "--connect-timeout",
    "400ms",
    "--timeout",
    "300ms",
    "--retries",
    "0",
    "-c",
    "4",
    "--discovery",
    "connect",
    "--tries",
    "1",
    "--cooldown",
    "400ms",
];

/// The fields of a host's JSON that differ from run to run whatever is scanned: times
/// (`timestamp` is the server's clock in its NTLM challenge), durations, and what is drawn
/// at random per run (the made-up share name, the SMB 3.1.1 negotiate contexts' salt).
const TIMING: &[&str] = &[
    "elapsed_ms",
    "rtt_ms",
    "timestamp",
    "system_time",
    "server_start_time",
];

/// Paths where two JSON values differ (for the assertion message).
fn differences(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (l, r) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                differences(l, r, &format!("{at}.{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                differences(l, r, &format!("{at}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{at}: {a} vs {b}")),
        _ => {}
    }
}

/// Asserts `a == b`, naming the paths that differ.
fn assert_same_host(a: &Value, b: &Value, what: &str) {
    let mut diff = Vec::new();
    differences(a, b, "", &mut diff);
    assert!(diff.is_empty(), "{what}: {}", diff.join("; "));
}

/// `v` without its timing fields, at any depth.
fn normalise(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| !TIMING.contains(&k.as_str()));
                if let Some(any) = map.get_mut("any_share_name").and_then(Value::as_object_mut) {
                    any.remove("name");
                }
                if let Some(Value::Array(contexts)) = map.get_mut("contexts") {
                    contexts
                        .iter_mut()
                        .filter_map(Value::as_object_mut)
                        .for_each(|c| {
                            c.remove("data");
                        });
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// `show SCAN -f json --all`, host by host (address -> normalised host).
fn shown(lab: &Lab, db: &str, scan: &str) -> BTreeMap<String, Value> {
    let (code, out, err) = smbaudit(lab, &["show", scan, "--db", db, "-f", "json", "--all"], &[]);
    assert_eq!(code, 0, "{err}");
    let hosts: Vec<Value> = serde_json::from_str(&out).expect("show JSON");
    let n = hosts.len();
    let by_ip: BTreeMap<String, Value> = hosts
        .into_iter()
        .map(|h| (h["ip"].as_str().unwrap().to_owned(), normalise(h)))
        .collect();
    assert_eq!(by_ip.len(), n, "an address shown twice");
    by_ip
}

/// A worker of scan `name`: `scan --db DB --scan-name NAME --seed S --shard I/N`.
fn worker_args<'a>(db: &'a str, name: &'a str, seed: &'a str, shard: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "scan",
        "--db",
        db,
        "-q",
        "-f",
        "jsonl",
        "--scan-name",
        name,
        "--seed",
        seed,
        "--shard",
        shard,
    ];
    args.extend(QUICK);
    args
}

/// Starts a slow worker (two hosts at a time, not four, and 20 connects a second) in the
/// background.
fn spawn_slow(lab: &Lab, args: &[&str], target: &str) -> Child {
    let mut slow: Vec<&str> = Vec::new();
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        if *a == "-c" {
            rest.next();
        } else {
            slow.push(a);
        }
    }
    lab.client_command(BIN)
        .args(slow)
        .args(["-c", "2", "--rate", "20", target])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (at most 120 s) until `sql` (a count) reads at least `n`; the child must still run.
fn wait_until(cluster: &Cluster, db: &str, sql: &str, n: i64, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            Instant::now() < deadline,
            "{sql} did not reach {n} in 120 s"
        );
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("the worker ended too early ({status}): {err}");
        }
        let got = count(cluster, db, sql);
        if got >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The number `sql` reads, or 0 while it fails (the schema not made yet).
fn count(cluster: &Cluster, db: &str, sql: &str) -> i64 {
    let out = cluster
        .tool("psql")
        .args(["-X", "-q", "-t", "-A", "-d", db, "-c", sql])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn kill_9(child: &mut Child) {
    Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
}

/// The scan's row in `history -f json` (the only one, or the one named `name`).
fn listed(lab: &Lab, db: &str, name: &str) -> Value {
    history(lab, db)
        .into_iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scan named {name}"))
}

#[test]
fn sharded_scans_against_real_samba_and_postgres() {
    // No host ever wins a browser election: its name table would change mid-test.
    let stable: Vec<_> = hosts()
        .into_iter()
        .map(|mut h| {
            h.extra_conf.push_str("   local master = no\n");
            h
        })
        .collect();
    let lab = require_lab!(&stable);
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (net, _) = lab.prefix();
    // The hosts, the client itself (RST) and the silent address: each answers the same
    // every time. (An address nobody holds answers by the kernel's neighbour cache: a
    // timeout, or "unreachable" once an earlier scan's ARP failed.)
    let small: Vec<String> = [
        lab.client_ip(),
        lab.ip("fs"),
        lab.ip("old"),
        lab.ip("nb"),
        lab.unused_ip(),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let whole = format!("{net}/24");
    lab.check_target(&whole);
    let dir = tempfile::tempdir().unwrap();
    let reference = four_workers_equal_one_process(&lab, &cluster, &small, dir.path());
    claims_that_must_be_refused_are(&lab, &cluster, &small);
    a_killed_workers_shard_resumes_with_no_host_lost_or_doubled(&lab, &cluster, &whole, &reference);
    two_scans_write_at_once(&lab, &cluster, &small);
    queue_workers_share_chunks_and_take_over_a_dead_ones(&lab, &cluster, &whole, dir.path());
    a_server_restart_is_survived_and_a_lost_server_fails_in_bounded_time(&lab, &cluster, &whole);
}

/// Four workers into PostgreSQL = one process into SQLite, host by host; `report` gives
/// the same summary on both. Returns the reference hosts.
fn four_workers_equal_one_process(
    lab: &Lab,
    cluster: &Cluster,
    targets: &[String],
    dir: &std::path::Path,
) -> BTreeMap<String, Value> {
    let sqlite = dir.join("one.db");
    let sqlite = sqlite.to_str().unwrap();
    let mut args = vec!["scan", "--db", sqlite, "-q", "--seed", "5"];
    args.extend(QUICK);
    let (code, _, err) = smbaudit(lab, &args, targets);
    assert_eq!(code, 0, "{err}");
    let one = shown(lab, sqlite, "last");
    assert_eq!(one.len(), 5, "every target stored");

    let db = cluster.create_db();
    let url = cluster.url(&db);
    let shards = ["1/4", "2/4", "3/4", "4/4"];
    let results: Vec<(i32, String, String)> = std::thread::scope(|s| {
        let runs: Vec<_> = shards
            .iter()
            .map(|shard| {
                let args = worker_args(&url, "lab4", "5", shard);
                s.spawn(move || smbaudit(lab, &args, targets))
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (shard, (code, _, err)) in shards.iter().zip(&results) {
        assert_eq!(*code, 0, "shard {shard}: {err}");
    }
    let scan = listed(lab, &url, "lab4");
    assert_eq!(scan["status"], "finished", "{scan}");
    assert_eq!(scan["shards"]["finished"], 4, "{scan}");
    assert_eq!(scan["hosts"], 5, "{scan}");
    let (_, table, _) = smbaudit(lab, &["history", "--db", &url], &[]);
    assert!(table.contains("finished, 4/4 shards"), "{table}");
    assert_eq!(
        cluster.psql(&db, "SELECT sum(hosts) FROM scan_shards"),
        "5",
        "each host counted by one shard"
    );

    let four = shown(lab, &url, "lab4");
    assert_eq!(
        four.keys().collect::<Vec<_>>(),
        one.keys().collect::<Vec<_>>()
    );
    for (ip, host) in &one {
        assert_same_host(
            &four[ip],
            host,
            &format!("{ip}: four workers vs one process"),
        );
    }
    // The same summary from both backends, with groups.
    let (net, _) = lab.prefix();
    let [a, b, ..] = net.octets();
    let groups = dir.join("groups.txt");
    std::fs::write(
        &groups,
        format!("{net}/24 lab net\n{net}/28 low four # longest wins\n"),
    )
    .unwrap();
    let groups = groups.to_str().unwrap();
    let report = |db: &str, scan: &str| {
        let (code, out, err) = smbaudit(
            lab,
            &["report", scan, "--db", db, "--groups", groups, "-f", "json"],
            &[],
        );
        assert_eq!(code, 0, "{err}");
        let mut r: Value = serde_json::from_str(&out).unwrap();
        for k in ["scan", "name", "shards"] {
            r.as_object_mut().unwrap().remove(k);
        }
        r
    };
    let from_pg = report(&url, "lab4");
    assert_eq!(from_pg, report(sqlite, "last"));
    assert_eq!(from_pg["hosts"], 5);
    let group = |name: &str| {
        from_pg["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == name)
            .map(|g| g["hosts"].as_u64().unwrap())
    };
    assert_eq!((group("low four"), group("lab net")), (Some(4), Some(1)));
    assert!(
        from_pg["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["hosts"].as_u64() > Some(0)),
        "{from_pg}"
    );
    let (code, csv, _) = smbaudit(lab, &["report", "lab4", "--db", &url, "-f", "csv"], &[]);
    assert_eq!(code, 0);
    assert!(csv.starts_with("kind,key,severity,hosts\n"), "{csv}");
    assert!(
        csv.contains(&format!("network,{a}.{b}.0.0/16,any,5\n")),
        "{csv}"
    );
    // A malformed groups file: exit 2, naming the file and line, before the database.
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "10.0.0.0/8 ok\n10.1.0.0/16\n").unwrap();
    let bad = bad.to_str().unwrap();
    let (code, _, err) = smbaudit(lab, &["report", "--db", &url, "--groups", bad], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{bad}:2:")), "{err}");
    one
}

/// Exit 2, nothing scanned: a shard claimed twice, another seed for the same scan, a shard
/// without a seed, a shard out of range, a finished shard resumed.
fn claims_that_must_be_refused_are(lab: &Lab, cluster: &Cluster, targets: &[String]) {
    let db = cluster.create_db();
    let url = cluster.url(&db);
    let t = targets;
    let (code, _, err) = smbaudit(lab, &worker_args(&url, "r", "7", "1/2"), t);
    assert_eq!(code, 0, "{err}");
    // A job engine starting the finished shard's worker again: nothing to do, exit 0.
    let (code, _, err) = smbaudit(lab, &worker_args(&url, "r", "7", "1/2"), t);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("nothing to do: scan 1: shard 1/2 is already finished"),
        "{err}"
    );
    let cases: [(Vec<&str>, &str); 4] = [
        (
            worker_args(&url, "r", "8", "2/2"),
            "--seed (the scan used 7)",
        ),
        (
            worker_args(&url, "r", "7", "2/3"),
            "the shard count (the scan has 2 shards, this worker 3 shards)",
        ),
        (
            vec!["scan", "--db", &url, "--scan-name", "n", "--shard", "1/2"],
            "needs --seed",
        ),
        (
            vec![
                "scan",
                "--db",
                &url,
                "--scan-name",
                "n",
                "--seed",
                "1",
                "--shard",
                "3/2",
            ],
            "shard 3 of 2 does not exist",
        ),
    ];
    for (args, says) in cases {
        let (code, _, err) = smbaudit(lab, &args, t);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let (code, _, err) = smbaudit(
        lab,
        &["scan", "--db", &url, "--resume", "r", "--shard", "1/2"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shard 1/2 is already finished"), "{err}");
    let (code, _, err) = smbaudit(lab, &["scan", "--db", &url, "--resume", "r"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("resume one shard with --shard I/2"), "{err}");
    // Still one scan, one shard done, nothing else stored.
    let scan = listed(lab, &url, "r");
    let first: u64 = cluster
        .psql(&db, "SELECT hosts FROM scan_shards WHERE shard_index = 1")
        .parse()
        .unwrap();
    assert_eq!(
        (scan["shards"]["finished"].as_u64(), scan["hosts"].as_u64()),
        (Some(1), Some(first))
    );
    assert_eq!(history(lab, &url).len(), 1);
}

/// A worker killed with SIGKILL after its first hosts are stored; its shard re-run with
/// `--resume NAME --shard I/N`: every address once, the real hosts as one process saw them.
fn a_killed_workers_shard_resumes_with_no_host_lost_or_doubled(
    lab: &Lab,
    cluster: &Cluster,
    targets: &str,
    reference: &BTreeMap<String, Value>,
) {
    let db = cluster.create_db();
    let url = cluster.url(&db);
    let mut one = spawn_slow(lab, &worker_args(&url, "slow", "9", "1/2"), targets);
    let two = spawn_slow(lab, &worker_args(&url, "slow", "9", "2/2"), targets);
    let first_hosts = "SELECT coalesce(max(hosts), 0) FROM scan_shards WHERE shard_index = 1";
    wait_until(cluster, &db, first_hosts, 1, &mut one);
    // Shard 1's worker lives: its shard cannot be taken, by a second worker or a resume.
    let (code, _, err) = smbaudit(
        lab,
        &worker_args(&url, "slow", "9", "1/2"),
        &[targets.to_owned()],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shard 1/2 is already claimed by"), "{err}");
    let (code, _, err) = smbaudit(
        lab,
        &["scan", "--db", &url, "--resume", "slow", "--shard", "1/2"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already claimed by"), "{err}");
    assert!(
        one.try_wait().unwrap().is_none(),
        "shard 1 ended too soon for the test"
    );
    kill_9(&mut one);
    let before: u64 = cluster.psql(&db, first_hosts).parse().unwrap();
    assert!((1..128).contains(&before), "{before}");
    let out = two.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan = listed(lab, &url, "slow");
    assert_eq!(
        scan["status"], "interrupted",
        "shard 1's worker is gone: {scan}"
    );
    assert_eq!(scan["shards"]["failed"], 1, "{scan}");

    let mut args = vec!["scan", "--db", &url, "--resume", "slow", "--shard", "1/2"];
    args.extend(QUICK);
    let (code, _, err) = smbaudit(lab, &args, &[]);
    assert_eq!(code, 0, "{err}");
    let scan = listed(lab, &url, "slow");
    assert_eq!(scan["status"], "finished", "{scan}");
    assert_eq!(scan["hosts"], 256, "{scan}");
    assert_eq!(
        cluster.psql(&db, "SELECT string_agg(hosts::text || ':' || last_index::text, ',' ORDER BY shard_index) FROM scan_shards"),
        "128:128,128:128",
        "each shard stored each of its hosts once and got to its end"
    );
    let hosts = shown(lab, &url, "slow");
    assert_eq!(hosts.len(), 256);
    for ip in ["fs", "old", "nb"].map(|id| lab.ip(id).to_string()) {
        assert_same_host(
            &hosts[&ip],
            &reference[&ip],
            &format!("{ip}: resumed vs one process"),
        );
    }
}

/// A sharded scan and a plain one written into one database at the same time.
fn two_scans_write_at_once(lab: &Lab, cluster: &Cluster, targets: &[String]) {
    let url = cluster.url(&cluster.create_db());
    let t = targets;
    let mut plain = vec!["scan", "--db", &url, "-q", "--seed", "5"];
    plain.extend(QUICK);
    let sharded = worker_args(&url, "both", "5", "1/1");
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| smbaudit(lab, &plain, t));
        let b = s.spawn(|| smbaudit(lab, &sharded, t));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((a.0, b.0), (0, 0), "{}\n{}", a.2, b.2);
    let scans = history(lab, &url);
    assert_eq!(scans.len(), 2);
    for s in &scans {
        assert_eq!(
            (s["status"].as_str(), s["hosts"].as_u64()),
            (Some("finished"), Some(5)),
            "{s}"
        );
    }
    let ids: BTreeSet<String> = scans.iter().map(|s| s["id"].to_string()).collect();
    let [x, y] = [
        &ids.iter().next().unwrap()[..],
        &ids.iter().nth(1).unwrap()[..],
    ];
    assert_eq!(
        shown(lab, &url, x),
        shown(lab, &url, y),
        "both saw the same lab"
    );
}

/// The server stopped and started again mid-scan: the worker reconnects and finishes.
/// Stopped for good: the worker fails with a clear message, within a bound, and its shard
/// can be resumed once the server is back.
fn a_server_restart_is_survived_and_a_lost_server_fails_in_bounded_time(
    lab: &Lab,
    cluster: &Cluster,
    targets: &str,
) {
    let db = cluster.create_db();
    let url = cluster.url(&db);
    let hosts_of = |name: &str| {
        format!(
            "SELECT coalesce(sum(h.n), 0) FROM (SELECT count(*) AS n FROM hosts JOIN scans s ON s.id = scan_id WHERE s.name = '{name}') h"
        )
    };
    let mut child = spawn_slow(lab, &worker_args(&url, "restart", "3", "1/1"), targets);
    wait_until(cluster, &db, &hosts_of("restart"), 1, &mut child);
    cluster.pg_ctl_stop();
    std::thread::sleep(Duration::from_secs(1));
    cluster.pg_ctl_start();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan = listed(lab, &url, "restart");
    assert_eq!(
        (scan["status"].as_str(), scan["hosts"].as_u64()),
        (Some("finished"), Some(256)),
        "{scan}"
    );

    let mut child = spawn_slow(lab, &worker_args(&url, "lost", "3", "1/1"), targets);
    wait_until(cluster, &db, &hosts_of("lost"), 1, &mut child);
    cluster.pg_ctl_stop();
    let stopped = Instant::now();
    let deadline = stopped + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the worker hangs without its server"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("reconnections failed"), "{err}");
    cluster.pg_ctl_start();
    // The job engine starts the worker again with the same command: it takes its shard
    // over from the dead process and finishes it.
    let mut cmd = lab.client_command(BIN);
    cmd.args(worker_args(&url, "lost", "3", "1/1")).arg(targets);
    let out = output_within(&mut cmd, Duration::from_secs(180)).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan = listed(lab, &url, "lost");
    assert_eq!(
        (scan["status"].as_str(), scan["hosts"].as_u64()),
        (Some("finished"), Some(256)),
        "{scan}"
    );
}

/// `--queue`: two workers take chunks of one scan; one is killed holding a chunk, which
/// the other takes over once its lease expires. Every address is stored once. SQLite
/// refuses the queue before anything is sent.
fn queue_workers_share_chunks_and_take_over_a_dead_ones(
    lab: &Lab,
    cluster: &Cluster,
    targets: &str,
    dir: &std::path::Path,
) {
    let db = cluster.create_db();
    let url = cluster.url(&db);
    let worker = |url: &str| -> Vec<String> {
        let mut args: Vec<String> = [
            "scan",
            "--db",
            url,
            "-q",
            "-f",
            "jsonl",
            "--scan-name",
            "q",
            "--seed",
            "4",
            "--queue",
            "--chunk-size",
            "32",
            "--lease",
            "3s",
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(QUICK.map(str::to_owned));
        args
    };
    let args = worker(&url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut doomed = spawn_slow(lab, &args, targets);
    let mut other = spawn_slow(lab, &args, targets);
    let leased_by_doomed = format!(
        "SELECT count(*) FROM scan_chunks WHERE state = 'leased' AND worker_json LIKE '%\"pid\":{},%'",
        doomed.id()
    );
    wait_until(cluster, &db, "SELECT count(*) FROM hosts", 1, &mut doomed);
    wait_until(cluster, &db, &leased_by_doomed, 1, &mut doomed);
    kill_9(&mut doomed);
    let deadline = Instant::now() + Duration::from_secs(240);
    let status = loop {
        if let Some(status) = other.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the surviving worker did not finish"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut other.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    let scan = listed(lab, &url, "q");
    assert_eq!(scan["status"], "finished", "{scan}");
    assert_eq!(
        (
            scan["chunks"]["done"].as_u64(),
            scan["chunks"]["count"].as_u64()
        ),
        (Some(8), Some(8)),
        "{scan}"
    );
    assert_eq!(scan["hosts"], 256, "{scan}");
    assert_eq!(shown(lab, &url, "q").len(), 256);
    let (_, table, _) = smbaudit(lab, &["history", "--db", &url], &[]);
    assert!(table.contains("finished, 8/8 chunks"), "{table}");

    // One file is no queue for many machines: refused, nothing stored.
    let sqlite = dir.join("queue.db");
    let sqlite = sqlite.to_str().unwrap();
    let args = worker(sqlite);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = smbaudit(lab, &args, &[targets.to_owned()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--queue needs a database every worker shares"),
        "{err}"
    );
    assert_eq!(history(lab, sqlite), Vec::<Value>::new());
}
