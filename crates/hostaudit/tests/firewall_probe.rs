//! decide() against what a peer actually reaches: a server namespace (`eth0`, listening
//! on 135, 139 and 445/tcp, echoing on 137 and 138/udp) and a client namespace joined by a veth pair, with an inside
//! (192.168.56.0/24, fd56::/64) and an outside (203.0.113.0/24, 2001:db8::/64) source on
//! the client. Only these two namespaces see the traffic: they have no other links.
//! Without root or the tools the test skips, unless CI=true.

use std::io::Read;
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use smbaudit_hostaudit::firewall::{Query, Ruleset, Verdict, parse_iptables_save, parse_nft_json};
use smbaudit_hostaudit::{Family, Proto, Service};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A namespace deleted on drop, also when the test panics.
struct Netns(String);

impl Netns {
    fn new(role: &str) -> Self {
        let name = format!(
            "fwt-{role}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run(&["ip", "netns", "add", &name]);
        Self(name)
    }

    fn ok(&self, args: &[&str]) -> String {
        let mut all = vec!["ip", "netns", "exec", self.0.as_str()];
        all.extend_from_slice(args);
        run(&all)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// A process killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn can_run() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let tools = ["nft", "ip", "python3", "iptables-nft-restore"]
        .iter()
        .all(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if root && tools {
        return true;
    }
    let why = if root {
        "nft, ip, python3 or iptables-nft-restore missing"
    } else {
        "not root"
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and the probe test cannot run: {why}");
    }
    eprintln!("skipping probe test: {why}");
    false
}

/// Accepts and closes connections on the audited TCP ports and echoes datagrams on
/// the UDP ones, for at most a minute.
const SERVER: &str = r#"
import socket, select, time
socks = []
for kind, port in ((socket.SOCK_STREAM, 135), (socket.SOCK_STREAM, 139), (socket.SOCK_STREAM, 445),
                   (socket.SOCK_DGRAM, 137), (socket.SOCK_DGRAM, 138)):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    if kind == socket.SOCK_STREAM: s.listen(64)
    socks.append(s)
print("ready", flush=True)
end = time.time() + 60
while time.time() < end:
    for s in select.select(socks, [], [], 0.5)[0]:
        if s.type == socket.SOCK_STREAM:
            c, _ = s.accept(); c.close()
        else:
            data, peer = s.recvfrom(512); s.sendto(data, peer)
"#;

/// Probes from each `src dst port tcp|udp` line at once (a connect, or a datagram
/// that must come back); prints `open`, `refused` or `timeout`. 1.5 s: an ICMPv6
/// admin-prohibited answer to a SYN only fails the connect at the first SYN
/// retransmission, after one second.
const CLIENT: &str = r#"
import errno, socket, sys, threading
jobs = [l.split() for l in sys.stdin.read().splitlines() if l.strip()]
out = [None] * len(jobs)
def probe(i, src, dst, port, proto):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind); s.settimeout(1.5)
    try:
        s.bind((src, 0)); s.connect((dst, int(port)))
        if kind == socket.SOCK_DGRAM:
            s.send(b"probe"); s.recv(512)
        out[i] = "open"
    except socket.timeout: out[i] = "timeout"
    except OSError as e:
        # A reset or an ICMP error (port unreachable, admin prohibited): rejected.
        rejected = (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES)
        out[i] = "refused" if e.errno in rejected else "error " + str(e)
    finally: s.close()
ts = [threading.Thread(target=probe, args=(i, *j)) for i, j in enumerate(jobs)]
[t.start() for t in ts]; [t.join() for t in ts]
print("\n".join(out))
"#;

struct Lab {
    server: Netns,
    client: Netns,
}

/// (client source, server address) pairs: inside and outside, both families.
const PAIRS: [(&str, &str); 4] = [
    ("192.168.56.2", "192.168.56.1"),
    ("203.0.113.2", "203.0.113.1"),
    ("fd56::2", "fd56::1"),
    ("2001:db8::2", "2001:db8::1"),
];

impl Lab {
    fn new() -> Self {
        let server = Netns::new("srv");
        let client = Netns::new("cli");
        server.ok(&[
            "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0", "netns",
            &client.0,
        ]);
        for (addr, peer) in [
            ("192.168.56.1/24", "192.168.56.2/24"),
            ("203.0.113.1/24", "203.0.113.2/24"),
        ] {
            server.ok(&["ip", "addr", "add", addr, "dev", "eth0"]);
            client.ok(&["ip", "addr", "add", peer, "dev", "peer0"]);
        }
        for (addr, peer) in [
            ("fd56::1/64", "fd56::2/64"),
            ("2001:db8::1/64", "2001:db8::2/64"),
        ] {
            server.ok(&["ip", "addr", "add", addr, "dev", "eth0", "nodad"]);
            client.ok(&["ip", "addr", "add", peer, "dev", "peer0", "nodad"]);
        }
        // Rejections answer every probe at once: no ICMP rate limit in the server.
        server.ok(&[
            "sysctl",
            "-q",
            "-w",
            "net.ipv4.icmp_ratelimit=0",
            "net.ipv6.icmp.ratelimit=0",
        ]);
        server.ok(&["ip", "link", "set", "eth0", "up"]);
        client.ok(&["ip", "link", "set", "peer0", "up"]);
        Self { server, client }
    }

    fn serve(&self) -> Running {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.server.0, "python3", "-c", SERVER])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server");
        let mut ready = [0u8; 5];
        let stdout = child.stdout.as_mut().expect("piped");
        stdout.read_exact(&mut ready).expect("server says ready");
        assert_eq!(&ready, b"ready");
        Running(child)
    }

    /// What each (source, destination, port) reaches.
    fn probe(&self, jobs: &[(&str, &str, Service)]) -> Vec<String> {
        let input: String = jobs
            .iter()
            .map(|(s, d, svc)| {
                let proto = if svc.proto == Proto::Tcp {
                    "tcp"
                } else {
                    "udp"
                };
                format!("{s} {d} {} {proto}\n", svc.port)
            })
            .collect();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.client.0, "python3", "-c", CLIENT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the client");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(input.as_bytes())
            .expect("jobs");
        let out = child.wait_with_output().expect("client ends");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// What a peer at `src` should see if the decision is right.
fn expected(verdict: &Verdict, src: IpAddr) -> &'static str {
    match verdict {
        Verdict::Accepted => "open",
        Verdict::AcceptedFrom(nets) if nets.iter().any(|n: &IpNet| n.contains(&src)) => "open",
        // AcceptedFrom does not say whether other sources are dropped or rejected.
        Verdict::AcceptedFrom(_) => "blocked",
        Verdict::Dropped => "timeout",
        Verdict::Rejected => "refused",
        Verdict::Unknown(why) => panic!("a probe fixture must be judgeable: {why}"),
    }
}

fn check(lab: &Lab, rs: &Ruleset, what: &str) {
    let services = Service::AUDITED;
    let mut jobs = Vec::new();
    let mut want = Vec::new();
    for (src, dst) in PAIRS {
        let src_ip: IpAddr = src.parse().expect("address");
        let family = Family::of(src_ip);
        for service in services {
            let d = rs.decide(&Query {
                iface: "eth0",
                family,
                service,
            });
            jobs.push((src, dst, service));
            want.push(expected(&d.verdict, src_ip));
        }
    }
    let got = lab.probe(&jobs);
    let all: Vec<_> = jobs
        .iter()
        .zip(&got)
        .map(|((s, _, svc), g)| format!("{s} {svc} {g}"))
        .collect();
    for ((job, want), got) in jobs.iter().zip(&want).zip(&got) {
        let blocked = *want == "blocked" && (got == "timeout" || got == "refused");
        assert!(
            blocked || got == want,
            "{what}: {job:?}: reached {got}, decided {want}; all: {all:?}"
        );
    }
    assert_eq!(got.len(), jobs.len(), "{what}");
}

#[test]
fn decisions_match_what_a_peer_reaches() {
    if !can_run() {
        return;
    }
    let start = Instant::now();
    let lab = Lab::new();
    let _server = lab.serve();
    let data = format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"));
    // Nothing loaded: everything is open.
    check(
        &lab,
        &parse_nft_json(&lab.server.ok(&["nft", "-j", "list", "ruleset"])).expect("nft"),
        "none",
    );
    for name in [
        "outside-drop-set",
        "inside-prefix",
        "jumps",
        "source-rules",
        "firewalld-like",
    ] {
        lab.server
            .ok(&["nft", "-f", &format!("{data}/nft/{name}.nft")]);
        let rs = parse_nft_json(&lab.server.ok(&["nft", "-j", "list", "ruleset"])).expect("nft");
        check(&lab, &rs, name);
        // The block commands close everything on eth0, as a peer sees it.
        for cmd in rs.block_commands("eth0", &Service::AUDITED) {
            lab.server.ok(&["sh", "-c", &cmd]);
        }
        let blocked =
            parse_nft_json(&lab.server.ok(&["nft", "-j", "list", "ruleset"])).expect("nft");
        check(&lab, &blocked, &format!("{name} + block commands"));
    }
    lab.server.ok(&["nft", "flush", "ruleset"]);
    for name in ["inside-prefix", "jumps", "ufw-like"] {
        let v4 = format!("{data}/iptables/{name}.v4.rules");
        lab.server
            .ok(&["sh", "-c", &format!("iptables-nft-restore < {v4}")]);
        let v6 = format!("{data}/iptables/{name}.v6.rules");
        let v6_rules = if std::path::Path::new(&v6).exists() {
            lab.server
                .ok(&["sh", "-c", &format!("ip6tables-nft-restore < {v6}")]);
            lab.server.ok(&["ip6tables-nft-save"])
        } else {
            String::new()
        };
        let rs = parse_iptables_save(&lab.server.ok(&["iptables-nft-save"]), &v6_rules)
            .expect("iptables");
        check(&lab, &rs, &format!("iptables {name}"));
        lab.server.ok(&["nft", "flush", "ruleset"]);
    }
    // Bounded: every probe gives up after 1.5 s, all of a check at once.
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}
