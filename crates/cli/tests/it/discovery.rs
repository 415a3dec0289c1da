//! The discovery stage end to end: a scan of a lab /24 with open, closed, silent and
//! absent addresses gives the verdicts the scan gave before it had discovery (one
//! connect per port: open, closed, filtered; [`expected`]), by the sender root gets and
//! by the `connect()` fallback run without CAP_NET_RAW (`setpriv` drops it from
//! the bounding set); `--discovery raw` without it is bad input; bad rates, seeds and
//! shards exit 2 before anything is sent.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde_json::{Value, json};

use crate::lab::{HostSpec, Lab, output_within, require_lab};
use crate::run::jsonl;

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");
const FALLBACK: &str = "discovery falls back to connect() (slower)";

fn hosts() -> Vec<HostSpec> {
    vec![
        HostSpec::new("fs", "FILESRV1", "LABWG"),
        HostSpec {
            smbd: false,
            ..HostSpec::new("nb", "NBONLY", "LABWG")
        },
    ]
}

/// Runs a scan of the lab's /24 in the client namespace, without CAP_NET_RAW if
/// `unprivileged`; returns (exit code, hosts by address, stderr).
fn scan(lab: &Lab, unprivileged: bool, extra: &[&str]) -> (i32, BTreeMap<Ipv4Addr, Value>, String) {
    let (net, len) = lab.prefix();
    let range = format!("{net}/{len}");
    lab.check_target(&range);
    let mut cmd = if unprivileged {
        let mut c = lab.client_command("setpriv");
        c.args(["--inh-caps=-net_raw", "--bounding-set=-net_raw", BIN]);
        c
    } else {
        lab.client_command(BIN)
    };
    cmd.args([
        "scan",
        "--no-store",
        "--all",
        "-f",
        "jsonl",
        "--seed",
        "11",
        "-p",
        "137,139,445",
    ])
    .args(["--reply-timeout", "3s", "--timeout", "500ms"])
    .args(extra)
    .arg(&range);
    let out = output_within(&mut cmd, std::time::Duration::from_secs(120)).expect("ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let hosts = jsonl(&stdout)
        .into_iter()
        .map(|h| (h["ip"].as_str().unwrap().parse().unwrap(), h))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        hosts,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The verdicts of the scan before discovery, per address of the /24.
fn expected(lab: &Lab, ip: Ipv4Addr) -> Value {
    if ip == lab.ip("fs") {
        json!({"137/udp": "open", "139/tcp": "open", "445/tcp": "open"})
    } else if ip == lab.ip("nb") {
        json!({"137/udp": "open", "139/tcp": "closed", "445/tcp": "closed"})
    } else {
        // Silent (.250), absent (no ARP answer), network and broadcast addresses alike
        // (137/udp to the broadcast address cannot be sent: checked for the hosts only).
        json!({"137/udp": null, "139/tcp": "filtered", "445/tcp": "filtered"})
    }
}

fn check_verdicts(lab: &Lab, hosts: &BTreeMap<Ipv4Addr, Value>, how: &str) {
    assert_eq!(hosts.len(), 256, "{how}: every address of the /24 once");
    for (ip, host) in hosts {
        if *ip == lab.client_ip() {
            assert_eq!(host["ports"]["445/tcp"], "closed", "{how}: {ip} {host}");
            continue;
        }
        let mut ports = host["ports"].clone();
        let want = expected(lab, *ip);
        if want["137/udp"].is_null() {
            ports["137/udp"] = Value::Null;
        }
        assert_eq!(ports, want, "{how}: {ip} {host}");
    }
    let fs = &hosts[&lab.ip("fs")];
    assert_eq!(fs["netbios"]["computer"], "FILESRV1", "{how}: {fs}");
    assert!(
        fs["smb"]["dialects"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "{how}: {fs}"
    );
    for silent in [lab.unused_ip(), lab.absent_ip()] {
        assert!(hosts[&silent]["smb"].is_null(), "{how}: {silent}");
    }
}

#[test]
fn discovery_gives_the_same_verdicts_by_either_sender() {
    let lab = require_lab!(&hosts());
    let (code, privileged, err) = scan(&lab, false, &[]);
    assert_eq!(code, 0, "{err}");
    check_verdicts(&lab, &privileged, "as root");
    assert!(
        err.contains("discovery by "),
        "the summary names the method: {err}"
    );
    // The raw sweep carries the NBSTAT queries: no NBSTAT sweep before it.
    assert!(
        err.contains("answered NBSTAT (queries in the discovery schedule)"),
        "{err}"
    );

    let (code, fallback, err) = scan(&lab, true, &["--rate", "2000"]);
    assert_eq!(code, 0, "{err}");
    check_verdicts(&lab, &fallback, "without CAP_NET_RAW");
    assert_eq!(
        err.lines().filter(|l| l.contains(FALLBACK)).count(),
        1,
        "one line says so: {err}"
    );
    assert!(err.contains("discovery by connect()"), "{err}");
    assert!(
        err.contains("of 256 answered NBSTAT"),
        "its own sweep first: {err}"
    );
    let differ: Vec<String> = privileged
        .iter()
        .filter(|(ip, h)| fallback.get(ip).map(|f| &f["ports"]) != Some(&h["ports"]))
        .map(|(ip, h)| {
            format!(
                "{ip}: {} vs {:?}",
                h["ports"],
                fallback.get(ip).map(|f| &f["ports"])
            )
        })
        .collect();
    assert!(differ.is_empty(), "as root vs without: {differ:#?}");
}

#[test]
fn raw_discovery_without_cap_net_raw_is_refused() {
    let lab = require_lab!(&hosts());
    let (code, hosts, err) = scan(&lab, true, &["--discovery", "raw"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("raw discovery is not possible"), "{err}");
    assert!(hosts.is_empty());
}

#[test]
fn bad_rates_seeds_and_shards_exit_2_before_sending() {
    let cases: [(&[&str], &str); 6] = [
        (&["--rate", "0"], "a rate of 0"),
        (&["--rate", "20000000"], "beyond what one machine can send"),
        (&["--rate", "fast"], "not a whole number"),
        (&["--seed", "x"], "not a seed"),
        (&["--seed", "1", "--shard", "3/2"], "shard 3 of 2"),
        (&["--seed", "1", "--shard", "0/0"], "at least one shard"),
    ];
    for (flags, said) in cases {
        let out = std::process::Command::new(BIN)
            .args(["scan", "--no-store"])
            .args(flags)
            .arg("127.0.0.1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(said), "{flags:?}: {err}");
        assert!(out.stdout.is_empty(), "{flags:?}");
    }
}

#[test]
fn dry_run_prints_the_first_syns_and_the_count_and_sends_nothing() {
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args([
                "scan",
                "--dry-run",
                "--no-store",
                "--seed",
                "3",
                "-p",
                "139,445",
            ])
            .args(extra)
            .arg("10.0.0.0/24")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let syns: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("SYN "))
            .map(|l| {
                let dst = l.split(" -> ").nth(1).unwrap().split(' ').next().unwrap();
                let (ip, port) = dst.rsplit_once(':').unwrap();
                assert!(l.contains(" seq 0x"), "{l}");
                (ip.to_owned(), port.to_owned())
            })
            .collect();
        (text, syns)
    };
    let (text, raw) = run(&[]);
    assert!(
        text.contains("512 probes to tcp 139,445 at 10000 pps"),
        "{text}"
    );
    assert_eq!(raw.len(), 8, "{text}");
    assert!(raw.iter().all(|(ip, _)| ip.starts_with("10.0.0.")));
    let (_, connect) = run(&["--discovery", "connect"]);
    // connect(): each address's ports together; raw: pairs permuted on their own.
    assert_eq!(connect[0].0, connect[1].0);
    assert_eq!(
        (connect[0].1.as_str(), connect[1].1.as_str()),
        ("139", "445")
    );
    assert_ne!(raw, connect);
}
