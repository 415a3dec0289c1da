//! `connections` as a capture sees it (issue 9): tshark in the lab's client namespace
//! prints every SYN and SYN-ACK of the scan; the connections per host are the distinct
//! TCP streams the host accepted (a refused SYN, as on a closed 135, is no connection;
//! retransmissions belong to their stream), and each host's reported `connections` must
//! equal them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{HostSpec, Lab, output_within, require_lab};

/// The capture filter: the handshakes' SYNs and SYN-ACKs, without discovery's raw SYNs
/// (source ports 61000-65535, `wire::tcpip::cookie::SOURCE_PORTS`): a SYN-ACK to one of
/// them is reset by our kernel, a half-open probe the discovery stage counts, not a
/// connection.
const SYN_FILTER: &str = "tcp[tcpflags] & tcp-syn != 0 and not portrange 61000-65535";
/// How long tshark may take to start capturing, and to stop.
const TSHARK_LIMIT: Duration = Duration::from_secs(20);

/// A live tshark capture in the client namespace, printing each SYN and SYN-ACK as it
/// passes (`ip.src`, `ip.dst`, `tcp.stream`, `tcp.flags`); killed on drop.
struct Capture {
    child: Child,
    lines: Receiver<String>,
}

impl Capture {
    /// Starts capturing on the client's eth0, once tshark says it captures; `None`
    /// without tshark.
    fn start(lab: &Lab) -> Option<Self> {
        if crate::lab::which("tshark").is_none() {
            assert!(std::env::var("CI").is_err(), "CI installs tshark (.ci/run)");
            return None;
        }
        let mut child = lab
            .client_command("tshark")
            .args(["-n", "-l", "-i", "eth0", "-f", SYN_FILTER])
            .args([
                "-T",
                "fields",
                "-e",
                "ip.src",
                "-e",
                "ip.dst",
                "-e",
                "tcp.stream",
                "-e",
                "tcp.flags",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tshark starts");
        let (tx, lines) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let (started_tx, started) = std::sync::mpsc::channel();
        // Read both to the end: tshark must never block on (or die of) a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = started_tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let capture = Self { child, lines };
        // "Capturing on" comes before packets really are: a marker SYN that shows up in
        // the output proves the capture live (bounded: at most TSHARK_LIMIT).
        let deadline = Instant::now() + TSHARK_LIMIT;
        while Instant::now() < deadline {
            if started.try_recv().is_ok_and(|l| l.contains("Capturing on")) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        capture.until_marker(lab);
        Some(capture)
    }

    /// Sends a SYN to the lab's silent address (nothing answers; TCP port 9) and returns
    /// every SYN line seen before it shows: packets pass in order, so all sent earlier
    /// are in. One knock per second, at most [`TSHARK_LIMIT`].
    fn until_marker(&self, lab: &Lab) -> Vec<String> {
        let marker = format!("{}\t{}\t", lab.client_ip(), lab.unused_ip());
        let probe = format!("exec 3<>/dev/tcp/{}/9", lab.unused_ip());
        let deadline = Instant::now() + TSHARK_LIMIT;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            let mut knock = lab.client_command("timeout");
            knock.args(["0.3", "bash", "-c", &probe]);
            let _ = output_within(&mut knock, TSHARK_LIMIT);
            while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(700)) {
                if line.starts_with(&marker) {
                    seen.retain(|l: &String| !l.starts_with(&marker));
                    return seen;
                }
                seen.push(line);
            }
        }
        panic!("the marker SYN never showed in the capture: {seen:?}");
    }

    /// Every SYN since the capture went live, once a final marker passed.
    fn stop(self, lab: &Lab) -> Vec<String> {
        self.until_marker(lab)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The distinct TCP streams a host accepted (its SYN-ACK), per host: a refused SYN (RST)
/// is no connection, a retransmitted SYN or SYN-ACK belongs to its stream.
fn connections_per_host(lines: &[String]) -> BTreeMap<String, usize> {
    let streams: BTreeSet<(&str, &str)> = lines
        .iter()
        .filter_map(|line| match line.split('\t').collect::<Vec<_>>()[..] {
            [src, _, stream, flags] if syn_ack(flags) => Some((src, stream)),
            _ => None,
        })
        .collect();
    let mut per_host = BTreeMap::new();
    for (dst, _) in streams {
        *per_host.entry(dst.to_owned()).or_insert(0) += 1;
    }
    per_host
}

/// Whether tshark's `tcp.flags` (`0x0012`) has ACK set.
fn syn_ack(flags: &str) -> bool {
    u16::from_str_radix(flags.trim_start_matches("0x"), 16).is_ok_and(|f| f & 0x10 != 0)
}

/// An SMB3 host with a guest share and an SMB1-only one: every host's `connections` is what
/// the capture in the client namespace counts for it.
#[test]
fn reported_connections_match_a_capture_of_the_client() {
    let shares = "[public]\n   path = @DIR@/shares/public\n   guest ok = yes\n".to_owned();
    let hosts = [
        HostSpec {
            shares: shares.clone(),
            ..HostSpec::new("s3", "CAPSMB3", "LABWG")
        },
        HostSpec {
            shares,
            extra_conf: "   server min protocol = NT1\n   server max protocol = NT1\n".into(),
            ..HostSpec::new("nt1", "CAPNT1", "LABWG")
        },
    ];
    let lab = require_lab!(&hosts);
    let Some(capture) = Capture::start(&lab) else {
        eprintln!("skipped: no tshark");
        return;
    };
    let targets: Vec<String> = ["s3", "nt1"]
        .iter()
        .map(|id| lab.ip(id).to_string())
        .collect();
    let (code, out, err) =
        crate::run::smbaudit(&lab, &["scan", "-f", "json", "--no-store"], &targets);
    let lines = capture.stop(&lab);
    assert_eq!(code, 0, "{err}");
    let seen = connections_per_host(&lines);
    let hosts: Vec<Value> = serde_json::from_str(&out).expect("scan JSON");
    assert_eq!(hosts.len(), 2, "{out}");
    for h in &hosts {
        let ip = h["ip"].as_str().unwrap();
        let reported = h["connections"].as_u64().unwrap();
        assert!(reported >= 2, "{h}");
        assert_eq!(
            Some(usize::try_from(reported).unwrap()),
            seen.get(ip).copied(),
            "{ip}: the capture saw {seen:?}"
        );
    }
}
