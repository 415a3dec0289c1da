//! A small network of namespaces for the raw sweep's tests: a scanner, a target that
//! holds the bridge, and an injector, all on one /24 of 10.215.0.0/16.
//!
//! ```text
//!   [synr-PID-K-s]  s0 10.215.N.1/24 ──┐
//!                                      ├── br0 (in [synr-PID-K-t]) holds the targets' addresses
//!   [synr-PID-K-i]  i0 10.215.N.200/24 ┘
//! ```
//!
//! No namespace has a default route or any route but its /24, so nothing can leave the
//! machine. Everything is removed on drop (a panicking test included): the processes
//! started in the namespaces are killed by pid, then the namespaces deleted.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use nix::sched::{CloneFlags, setns};

/// Which namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Runs the sweep.
    Scanner,
    /// Holds the bridge and the targets.
    Target,
    /// Sends forged replies.
    Injector,
}

impl Role {
    fn suffix(self) -> &'static str {
        match self {
            Self::Scanner => "s",
            Self::Target => "t",
            Self::Injector => "i",
        }
    }
}

/// Why the test cannot run here.
#[derive(Debug)]
pub(crate) struct Skip(pub(crate) String);

/// Networks made by this process, numbered for unique names and /24s.
static NEXT: AtomicU8 = AtomicU8::new(1);

/// The three namespaces and what runs in them.
#[derive(Debug)]
pub(crate) struct Net {
    prefix: String,
    third: u8,
    children: Mutex<Vec<Child>>,
}

impl Net {
    /// Builds the network, or says why it cannot be built (not root, no `ip`). With
    /// `CI=true` a machine that cannot build it is a failure, not a skip.
    pub(crate) fn start() -> Result<Self, Skip> {
        let result = Self::try_start();
        if let (Err(skip), true) = (&result, std::env::var("CI").is_ok_and(|v| v == "true")) {
            panic!("CI=true but the namespace tests cannot run: {}", skip.0);
        }
        result
    }

    fn try_start() -> Result<Self, Skip> {
        if !nix::unistd::geteuid().is_root() {
            return Err(Skip("needs root".into()));
        }
        for tool in ["ip", "nft", "python3", "tc"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !found {
                return Err(Skip(format!("{tool} not found")));
            }
        }
        let k = NEXT.fetch_add(1, Ordering::Relaxed);
        let net = Self {
            prefix: format!("synr-{}-{k}-", std::process::id()),
            third: k,
            children: Mutex::new(Vec::new()),
        };
        for role in [Role::Scanner, Role::Target, Role::Injector] {
            let status = Command::new("ip")
                .args(["netns", "add", &net.ns(role)])
                .status();
            if !status.is_ok_and(|s| s.success()) {
                return Err(Skip(format!("cannot create namespace {}", net.ns(role))));
            }
        }
        net.wire();
        Ok(net)
    }

    /// Namespace name of `role`.
    pub(crate) fn ns(&self, role: Role) -> String {
        format!("{}{}", self.prefix, role.suffix())
    }

    /// Address `host` of this network's /24.
    pub(crate) fn addr(&self, host: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 215, self.third, host)
    }

    /// The scanner's address.
    pub(crate) fn scanner(&self) -> Ipv4Addr {
        self.addr(1)
    }

    /// `10.215.N.` for building tokens.
    pub(crate) fn net24(&self) -> String {
        format!("10.215.{}.", self.third)
    }

    fn wire(&self) {
        let (s, t, i) = (
            self.ns(Role::Scanner),
            self.ns(Role::Target),
            self.ns(Role::Injector),
        );
        let n = self.net24();
        self.sh(
            Role::Target,
            "ip link add br0 type bridge && ip link set br0 up && ip link set lo up",
        );
        self.sh(Role::Target, &format!("ip addr add {n}2/24 dev br0"));
        for (ns, dev, port, host) in [(&s, "s0", "ts", 1), (&i, "i0", "ti", 200)] {
            run(Command::new("ip").args([
                "-n", ns, "link", "add", dev, "type", "veth", "peer", "name", port, "netns", &t,
            ]));
            self.sh(
                Role::Target,
                &format!("ip link set {port} master br0 && ip link set {port} up"),
            );
            run(Command::new("ip").args([
                "-n",
                ns,
                "addr",
                "add",
                &format!("{n}{host}/24"),
                "dev",
                dev,
            ]));
            run(Command::new("ip").args(["-n", ns, "link", "set", dev, "up"]));
            run(Command::new("ip").args(["-n", ns, "link", "set", "lo", "up"]));
        }
    }

    /// Runs `script` with `sh -c` in `role`'s namespace; panics unless it succeeds.
    pub(crate) fn sh(&self, role: Role, script: &str) {
        run(Command::new("ip").args(["netns", "exec", &self.ns(role), "sh", "-c", script]));
    }

    /// The standard output of `script` in `role`'s namespace.
    pub(crate) fn output(&self, role: Role, script: &str) -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns(role), "sh", "-c", script])
            .output()
            .expect("ip netns exec");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `program args` in `role`'s namespace, killed on drop.
    #[allow(dead_code)]
    pub(crate) fn spawn(&self, role: Role, program: &str, args: &[&str]) {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(role), program])
            .args(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn in a namespace");
        self.children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(child);
    }

    /// Starts `program args` in `role`'s namespace and waits for its first line of output,
    /// which must be `ready` (the program exiting first is a failure). Killed on drop.
    pub(crate) fn spawn_ready(&self, role: Role, program: &str, args: &[&str]) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.ns(role), program])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn in a namespace");
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        self.children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(child);
        assert_eq!(line.trim(), "ready", "{program} {args:?} did not start");
    }

    /// Runs `f` on a thread inside `role`'s namespace: sockets it opens belong there, and
    /// so do the threads it starts.
    pub(crate) fn enter<T: Send>(&self, role: Role, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/run/netns/{}", self.ns(role));
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let ns = File::open(&path).expect("open the namespace");
                    setns(&ns, CloneFlags::CLONE_NEWNET).expect("setns");
                    f()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let children = self.children.get_mut().unwrap_or_else(|e| e.into_inner());
        for child in children.iter_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for role in [Role::Injector, Role::Scanner, Role::Target] {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(role)])
                .status();
        }
    }
}

/// Runs `cmd`; panics with its output unless it succeeds.
fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
