//! Network namespaces for the tests: made with `ip netns add`, entered by a
//! dedicated thread with `setns(2)` (nix's safe wrapper), deleted on drop.
//!
//! Running the code under test in a thread that has entered the namespace is the
//! simplest way that needs no second binary: rtnetlink and sock_diag sockets
//! belong to the namespace of the thread that opens them, and the code reads
//! `/proc/thread-self/net`. The thread is spawned for one closure and ends with
//! it, so no other test runs in the namespace.
//!
//! Dropping a [`Netns`] (also while unwinding from a panic) kills every process
//! in it (all started by this test: python listeners, smbd, nmbd and their
//! children) and deletes it. Namespaces named `hft-<pid>-...` whose process is
//! gone are removed by the first [`Netns::new`] of a later run.
//!
//! No namespace has a route that leads off the machine: links are veth pairs
//! whose peers sit in another namespace of the same test, which has no routes
//! beyond its own links; the tests send no traffic at all.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sched::{CloneFlags, setns};

/// A network namespace owned by this test.
pub(crate) struct Netns {
    /// Its name, `hft-<pid>-<n>-<role>`.
    pub(crate) name: String,
    children: Vec<(Child, Option<ChildStdin>)>,
}

/// Whether the tests can run here: root with `ip`. Outside CI they are skipped
/// with a message otherwise; with `CI=true` a missing prerequisite fails them.
pub(crate) fn available() -> bool {
    let root = nix::unistd::geteuid().is_root();
    let ip = Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if root && ip {
        return true;
    }
    let why = format!("namespace tests need root and ip (root: {root}, ip: {ip})");
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
    eprintln!("skipped: {why}");
    false
}

/// A per-process counter, so parallel tests get distinct names.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh `n` for a set of namespaces (and their 10.215.`n`.0/24-style prefixes).
pub(crate) fn next_id() -> u32 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Netns {
    /// Makes `hft-<pid>-<id>-<role>` with `lo` up.
    pub(crate) fn new(id: u32, role: &str) -> Self {
        sweep_stale();
        let name = format!("hft-{}-{id}-{role}", std::process::id());
        ip(&["netns", "add", &name]);
        let ns = Self {
            name,
            children: Vec::new(),
        };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME args...`, panicking with its stderr on failure.
    pub(crate) fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Runs `f` in a new thread that has entered this namespace, and returns its result.
    pub(crate) fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let file = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            setns(&file, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("setns {path}: {e}"));
            f()
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }

    /// Starts `argv` in the namespace (killed with the test process by
    /// `setpriv --pdeathsig KILL`, and by [`Drop`]) with stdin a pipe; waits at
    /// most `ready_within` for its first stdout line and returns that line.
    pub(crate) fn spawn(&mut self, argv: &[&str], ready_within: Duration) -> String {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &self.name,
            "setpriv",
            "--pdeathsig",
            "KILL",
        ])
        .args(argv)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        self.children.push((child, stdin));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(ready_within)
            .unwrap_or_else(|_| panic!("{argv:?}: no output within {ready_within:?}"));
        assert!(!line.is_empty(), "{argv:?} exited without output");
        line.trim().to_owned()
    }

    /// Starts `argv` in the namespace without waiting for output (a daemon that
    /// logs to files) and returns its pid (`ip netns exec` and `setpriv` exec it).
    pub(crate) fn spawn_daemon(&mut self, argv: &[&str]) -> u32 {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &self.name,
            "setpriv",
            "--pdeathsig",
            "KILL",
        ])
        .args(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let child = cmd.spawn().unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        let pid = child.id();
        self.children.push((child, None));
        pid
    }

    /// The pids of every process in the namespace.
    pub(crate) fn pids(&self) -> Vec<u32> {
        ip(&["netns", "pids", &self.name])
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for (child, stdin) in &mut self.children {
            drop(stdin.take());
            let _ = child.kill();
            let _ = child.wait();
        }
        kill_all_in(&self.name);
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Kills every process in namespace `name` (KILL, then waits at most 5 s for them to go).
fn kill_all_in(name: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = Command::new("ip").args(["netns", "pids", name]).output();
        let pids: Vec<String> = out
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if pids.is_empty() || Instant::now() >= deadline {
            return;
        }
        let _ = Command::new("kill").arg("-KILL").args(&pids).status();
        sleep(Duration::from_millis(50));
    }
}

/// Removes `hft-<pid>-...` namespaces whose test process is gone.
fn sweep_stale() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let me = std::process::id();
        let Ok(list) = Command::new("ip").args(["netns", "list"]).output() else {
            return;
        };
        for line in String::from_utf8_lossy(&list.stdout).lines() {
            let Some(name) = line.split_whitespace().next() else {
                continue;
            };
            let Some(pid) = name
                .strip_prefix("hft-")
                .and_then(|rest| rest.split('-').next())
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != me && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                kill_all_in(name);
                let _ = Command::new("ip").args(["netns", "del", name]).status();
            }
        }
    });
}

/// `ip args...` with its stdout, panicking with stderr on failure.
pub(crate) fn ip(args: &[&str]) -> String {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ip {}: {e}", args.join(" ")));
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A host namespace with a peer namespace; `link(name)` adds a veth pair whose
/// `name` end is in the host (IPv6 addresses only those given: `addrgenmode none`).
pub(crate) struct Pair {
    /// The namespace under test.
    pub(crate) host: Netns,
    /// The other ends of its links; no routes beyond them.
    pub(crate) peer: Netns,
}

impl Pair {
    /// Two namespaces `hft-<pid>-<id>-host` and `-peer`.
    pub(crate) fn new() -> Self {
        let id = next_id();
        Self {
            host: Netns::new(id, "host"),
            peer: Netns::new(id, "peer"),
        }
    }

    /// A veth pair `name` (host) ↔ `p-name` (peer), both up, with no automatic addresses.
    pub(crate) fn link(&self, name: &str) {
        let peer_name = format!("p-{name}");
        ip(&[
            "link",
            "add",
            name,
            "netns",
            &self.host.name,
            "type",
            "veth",
            "peer",
            "name",
            &peer_name,
            "netns",
            &self.peer.name,
        ]);
        for (ns, dev) in [(&self.host, name), (&self.peer, peer_name.as_str())] {
            ns.ip(&["link", "set", "dev", dev, "addrgenmode", "none"]);
            ns.ip(&["link", "set", "dev", dev, "up"]);
        }
    }

    /// Adds `addr` (with prefix) to host interface `dev` (IPv6 without DAD).
    pub(crate) fn addr(&self, dev: &str, addr: &str) {
        if addr.contains(':') {
            self.host.ip(&["addr", "add", addr, "dev", dev, "nodad"]);
        } else {
            self.host.ip(&["addr", "add", addr, "dev", dev]);
        }
    }
}
