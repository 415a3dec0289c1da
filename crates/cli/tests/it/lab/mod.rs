//! Test lab: real Samba servers (Debian `smbd`/`nmbd`) in Linux network
//! namespaces, private to one test.
//!
//! Every [`Lab`] gets its own /24 in 10.214.0.0/16 and builds:
//!
//! ```text
//!   sat-<pid>-<n>-hub   bridge br0, no address, no routes
//!     |-- c0  <-veth->  sat-<pid>-<n>-cl     eth0 10.214.<n>.2/24  (the scanner runs here)
//!     |-- h0  <-veth->  sat-<pid>-<n>-<id0>  eth0 10.214.<n>.10/24 (smbd and/or nmbd)
//!     `-- h1  <-veth->  sat-<pid>-<n>-<id1>  eth0 10.214.<n>.11/24 ...
//! ```
//!
//! No namespace has a default route or any route besides its on-link /24, so
//! a packet from the client namespace to anything outside 10.214.<n>.0/24 and
//! 127.0.0.0/8 fails locally with "network unreachable"; the root namespace is
//! not touched. Run scanners with [`Lab::client_command`] and check every
//! target with [`Lab::check_target`] first.
//!
//! Addresses in the /24:
//! - `.2` client, `.10 + i` host `i` (in the order given to [`Lab::start`]);
//! - [`Lab::unused_ip`] (`.250`): silent - the client has a permanent neighbour
//!   entry with a MAC nobody owns, so frames are flooded by the bridge and
//!   dropped by every host (no ARP failure, no ICMP, TCP connects time out);
//! - [`Lab::absent_ip`] (`.249`) and every other unassigned address: nobody
//!   answers ARP, so the client's kernel reports "host unreachable" after ~3 s;
//! - [`Lab::broadcast`] (`.255`) reaches every host's nmbd.
//!
//! Each daemon is a child process of the test: `ip netns exec NS setpriv
//! --pdeathsig TERM unshare --uts --mount sh -c 'hostname ...; mount --bind
//! HOSTS /etc/hosts; exec smbd --foreground ...'`, with its
//! own temp dir (smb.conf, pid/lock/state/cache/private dirs, logs in `log/`).
//! The daemons get SIGTERM when the thread that started the lab exits, so keep
//! a `Lab` in the test that made it (never in a `static`).
//!
//! Dropping the `Lab` (also while unwinding from a panic) stops every daemon
//! (and smbd's per-connection children and the `samba-dcerpcd` helpers it
//! spawns), and deletes every namespace it made. Namespaces left by a killed
//! test process are removed on the next first use in any process.
//!
//! When the machine cannot run the lab (not root, tools missing),
//! [`Lab::start`] returns [`Skip`]; with `CI=true` in the environment it
//! panics instead, so CI never silently skips the real-Samba tests.
//! Set `SMBAUDIT_LAB_KEEP=1` to keep the lab's temp dir (configs and logs).

#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod guard;
mod ipv6;
mod net;
mod process;
mod ready;
mod samba;
mod setup;

pub use guard::target_within;
pub use process::output_within;
// pieces for labs with their own topology (tests/it/audit)
pub(crate) use net::{cleanup_namespace, ip, ns_pids};
pub(crate) use process::{describe, is_samba, run, terminate_children, terminate_pids};
pub(crate) use samba::{
    DaemonSpec, host_log_tail, make_private_dirs, private_globals, spawn_samba,
};
pub(crate) use setup::{find_tools, skip_or_panic, which};

use net::{claim_net, list_namespaces, ns_net, sweep_stale};
use samba::set_mode;
use setup::validate;

/// The /16 all labs live in (never 10.213.0.0/16: that is the reference lab's).
pub const LAB_NET: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 214, 0, 0), 16);
/// DNS domain of the lab hosts: each daemon sees a private `/etc/hosts` that
/// names its address `<hostname>.<DNS_DOMAIN>`.
pub const DNS_DOMAIN: &str = "satlab.test";
/// How long [`Lab::start`] waits for all daemons to be ready.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Upper bound for one helper command (`ip ...`, `nmblookup`, ...).
const CMD_TIMEOUT: Duration = Duration::from_secs(10);
/// Host octet of the silent address.
const UNUSED_OCTET: u8 = 250;
/// Host octet of an unassigned address whose ARP fails.
const ABSENT_OCTET: u8 = 249;
/// Host octet of the client.
const CLIENT_OCTET: u8 = 2;
/// Host octet of the first host.
const FIRST_HOST_OCTET: u8 = 10;
/// Most hosts per lab (10..=209, below the special addresses).
const MAX_HOSTS: usize = 200;

/// Why a lab cannot run on this machine (not root, Samba or `ip` missing, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip(pub String);

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One of a host's Samba daemons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Daemon {
    /// SMB server (TCP 445 and/or 139).
    Smbd,
    /// NetBIOS name server (UDP 137, 138).
    Nmbd,
}

impl Daemon {
    /// Program name (`smbd` / `nmbd`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Smbd => "smbd",
            Self::Nmbd => "nmbd",
        }
    }
}

/// One lab host: a namespace with its own smb.conf and the daemons it runs.
///
/// `extra_conf` (extra `[global]` lines) and `shares` (share sections) are
/// appended after the harness defaults, so they override them; `@DIR@` in
/// either is replaced by the host's temp dir, and every `path = @DIR@/...`
/// directory is created (mode 1777, with a `README.txt`).
#[derive(Debug, Clone, Default)]
pub struct HostSpec {
    /// Short id, 1-10 characters of `[a-z0-9]` (names the namespace).
    pub id: &'static str,
    /// NetBIOS name (at most 15 characters); lower-cased it is the hostname.
    pub netbios_name: &'static str,
    /// Workgroup.
    pub workgroup: &'static str,
    /// Run smbd.
    pub smbd: bool,
    /// Run nmbd.
    pub nmbd: bool,
    /// Extra `[global]` lines, e.g. `"   smb ports = 139\n"`.
    pub extra_conf: String,
    /// Share sections, e.g. `"[public]\n path = @DIR@/shares/public\n guest ok = yes\n"`.
    pub shares: String,
    /// `netbios aliases`.
    pub aliases: &'static [&'static str],
    /// Samba users `(name, password)`; they exist only for this host's daemons
    /// (through `nss_wrapper`, package libnss-wrapper), `/etc/passwd` is untouched.
    pub users: &'static [(&'static str, &'static str)],
}

impl HostSpec {
    /// A host running smbd and nmbd with the harness defaults and no shares.
    pub fn new(id: &'static str, netbios_name: &'static str, workgroup: &'static str) -> Self {
        Self {
            id,
            netbios_name,
            workgroup,
            smbd: true,
            nmbd: true,
            ..Self::default()
        }
    }
}

/// What the harness found on this machine ([`find_tools`]).
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    ip: PathBuf,
    unshare: PathBuf,
    nmblookup: PathBuf,
    smbd: PathBuf,
    nmbd: PathBuf,
    smbpasswd: Option<PathBuf>,
    setpriv: Option<PathBuf>,
    nss_wrapper: Option<PathBuf>,
}

/// A started host.
#[derive(Debug)]
struct Host {
    id: String,
    index: usize,
    netbios_name: String,
    hostname: String,
    ns: String,
    ip: Ipv4Addr,
    dir: PathBuf,
    conf: PathBuf,
    smbd: bool,
    nmbd: bool,
    smb_ports: Vec<u16>,
    /// `(passwd, group)` files for nss_wrapper, when the host has users.
    nss: Option<(PathBuf, PathBuf)>,
}

/// A running lab; see the module documentation.
pub struct Lab {
    net: u8,
    tag: String,
    hub_ns: String,
    client_ns: String,
    hosts: Vec<Host>,
    /// Every namespace this lab created, in creation order.
    namespaces: Vec<String>,
    tools: Tools,
    dir: PathBuf,
    client_conf: PathBuf,
    keep_dir: bool,
    daemons: Mutex<HashMap<(usize, Daemon), Child>>,
    /// Hosts and client also have IPv6 addresses ([`Lab::start_dual_stack`]).
    ipv6: bool,
    /// Abstract unix socket holding the claim on 10.214.<net>.0/24 (released
    /// by the kernel when the process dies). Dropped last.
    _claim: UnixListener,
}

impl Tools {
    /// `ip netns exec NS program`: a `Command` running `program` in `ns`.
    pub(crate) fn netns_command(&self, ns: &str, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(&self.ip);
        cmd.args(["netns", "exec", ns]).arg(program);
        cmd
    }
}

impl fmt::Debug for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lab")
            .field("prefix", &format_args!("10.214.{}.0/24", self.net))
            .field("client_ns", &self.client_ns)
            .field(
                "hosts",
                &self.hosts.iter().map(|h| (&h.id, h.ip)).collect::<Vec<_>>(),
            )
            .field("dir", &self.dir)
            .finish()
    }
}

/// Prints the skip line for `test` and evaluates to `None` when the lab cannot
/// run (see [`Lab::start_or_skip`]); use as
/// `let lab = require_lab!(&hosts);` at the top of a test
/// (`require_lab!(dual_stack: &hosts)` for a dual-stack lab).
macro_rules! require_lab {
    (dual_stack: $hosts:expr) => {
        match $crate::lab::Lab::start_or_skip_with($hosts, true) {
            Some(lab) => lab,
            None => return,
        }
    };
    ($hosts:expr) => {
        match $crate::lab::Lab::start_or_skip($hosts) {
            Some(lab) => lab,
            None => return,
        }
    };
}
pub(crate) use require_lab;

impl Lab {
    /// Starts the hosts and waits (at most [`START_TIMEOUT`]) until every nmbd
    /// answers a node status listing `<NAME><20>` and answers a broadcast name
    /// query for its name (registration done), and every smbd accepts TCP
    /// connections from the client namespace on its ports.
    ///
    /// Returns `Err(Skip)` when the machine cannot run a lab (not root; `ip`,
    /// `unshare`, Samba missing; namespaces not permitted), but panics instead
    /// when the environment has `CI=true`. Any other failure panics, with the
    /// daemon logs in the message.
    pub fn start(hosts: &[HostSpec]) -> Result<Self, Skip> {
        Self::start_with(hosts, false)
    }

    /// [`Lab::start`], every host and the client also given an IPv6 address (see
    /// `lab/ipv6.rs`).
    pub fn start_dual_stack(hosts: &[HostSpec]) -> Result<Self, Skip> {
        Self::start_with(hosts, true)
    }

    fn start_with(hosts: &[HostSpec], ipv6: bool) -> Result<Self, Skip> {
        validate(hosts);
        let tools = match find_tools(hosts) {
            Ok(t) => t,
            Err(skip) => return skip_or_panic(skip),
        };
        sweep_stale(&tools);
        let Some((net, claim)) = claim_net() else {
            panic!("lab: every 10.214.N.0/24 (N = 1..254) is claimed by a running lab");
        };
        let pid = std::process::id();
        let tag = format!("sat-{pid}-{net}");
        // Namespaces of this /24 that exist now were left by a dead process
        // (the claim proves nobody else uses it).
        for ns in list_namespaces(&tools) {
            if ns_net(&ns) == Some(net) {
                cleanup_namespace(&tools, &ns, true);
            }
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("sat-lab-{pid}-{net}-"))
            .tempdir()
            .expect("lab: cannot create temp dir")
            .keep();
        set_mode(&dir, 0o755);
        let keep_dir =
            std::env::var_os("SMBAUDIT_LAB_KEEP").is_some_and(|v| v != "0" && !v.is_empty());
        let mut lab = Self {
            net,
            hub_ns: format!("{tag}-hub"),
            client_ns: format!("{tag}-cl"),
            tag,
            hosts: Vec::new(),
            namespaces: Vec::new(),
            client_conf: dir.join("client").join("client.conf"),
            dir,
            keep_dir,
            tools,
            daemons: Mutex::new(HashMap::new()),
            ipv6,
            _claim: claim,
        };
        // From here on, a panic drops `lab`, which removes whatever was made.
        let t0 = Instant::now();
        if let Err(e) = lab.add_namespace(&lab.hub_ns.clone()) {
            // The first `ip netns add` decides whether this machine allows namespaces.
            return skip_or_panic(Skip(format!("cannot create network namespaces: {e}")));
        }
        lab.build_network(hosts);
        lab.write_client_conf();
        for (index, spec) in hosts.iter().enumerate() {
            let host = lab.prepare_host(index, spec);
            lab.hosts.push(host);
        }
        for index in 0..lab.hosts.len() {
            for daemon in [Daemon::Nmbd, Daemon::Smbd] {
                if lab.runs(index, daemon) {
                    lab.spawn_daemon(index, daemon);
                }
            }
        }
        let all: Vec<(usize, Daemon)> = (0..lab.hosts.len())
            .flat_map(|i| [(i, Daemon::Nmbd), (i, Daemon::Smbd)])
            .filter(|&(i, d)| lab.runs(i, d))
            .collect();
        lab.wait_ready(&all, Instant::now() + START_TIMEOUT);
        if std::env::var_os("SMBAUDIT_LAB_VERBOSE").is_some() {
            eprintln!("lab: {lab:?} ready in {:.2?}", t0.elapsed());
        }
        Ok(lab)
    }

    /// [`Lab::start`], printing `SKIPPED (needs root + samba): <test>: <reason>`
    /// to stderr (not captured by the test harness) and returning `None` when
    /// the lab cannot run (the test then returns early). The test name is the
    /// current thread's name, which the test harness sets to the test's path.
    pub fn start_or_skip(hosts: &[HostSpec]) -> Option<Self> {
        Self::start_or_skip_with(hosts, false)
    }

    /// [`Lab::start_or_skip`], dual-stack when `ipv6`.
    pub fn start_or_skip_with(hosts: &[HostSpec], ipv6: bool) -> Option<Self> {
        match Self::start_with(hosts, ipv6) {
            Ok(lab) => Some(lab),
            Err(skip) => {
                let thread = std::thread::current();
                let test = thread.name().unwrap_or("<unnamed test>");
                // straight to the process's stderr, past the test harness's
                // output capture, so the skip shows up even for a passing test
                let line = format!("SKIPPED (needs root + samba): {test}: {skip}\n");
                let _ = io::stderr().write_all(line.as_bytes());
                None
            }
        }
    }

    /// Address of host `id`.
    pub fn ip(&self, id: &str) -> Ipv4Addr {
        self.host(id).ip
    }

    /// The lab's prefix, e.g. `(10.214.7.0, 24)`. All of it is on-link in the
    /// client namespace (which has no other route besides loopback).
    pub fn prefix(&self) -> (Ipv4Addr, u8) {
        (Ipv4Addr::new(10, 214, self.net, 0), 24)
    }

    /// An address in the prefix that silently swallows everything (no host,
    /// no ARP failure, no ICMP): a filtered host.
    pub fn unused_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 214, self.net, UNUSED_OCTET)
    }

    /// An unassigned address: ARP gets no answer, so the client's kernel
    /// reports "host unreachable" after ~3 s, like an empty LAN address.
    pub fn absent_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 214, self.net, ABSENT_OCTET)
    }

    /// The client's own address (10.214.N.2).
    pub fn client_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 214, self.net, CLIENT_OCTET)
    }

    /// The prefix's broadcast address (10.214.N.255).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 214, self.net, 255)
    }

    /// A `Command` that runs `program` inside the client namespace
    /// (`ip netns exec <client-ns> program`): whatever it sends can only reach
    /// the lab and loopback. `ip netns exec` execs the program, so the child's
    /// pid is the program's and killing the child kills it.
    pub fn client_command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(&self.tools.ip);
        cmd.args(["netns", "exec"])
            .arg(&self.client_ns)
            .arg(program);
        cmd
    }

    /// A `Command` that runs `program` inside host `id`'s namespace (root
    /// shell on the "server"; e.g. `ss -lntu`).
    pub fn host_command(&self, id: &str, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(&self.tools.ip);
        cmd.args(["netns", "exec"])
            .arg(&self.host(id).ns)
            .arg(program);
        cmd
    }

    /// Panics unless `target` (an IPv4 address, CIDR `a.b.c.d/n`, a range
    /// `a.b.c.d-e.f.g.h`, or an nmap-style octet range like `10.214.7.1-20`,
    /// `10.214.7.*`, `10.214.7.1,3,5-9`; or `::1`) lies entirely inside
    /// 127.0.0.0/8 or the lab prefix. Call it on every target before a scan.
    pub fn check_target(&self, target: &str) {
        if let Some(v6) = self.v6_target_inside(target) {
            if let Err(e) = v6 {
                panic!("lab: refusing target outside the lab: {e}");
            }
            return;
        }
        let allowed = [(Ipv4Addr::new(127, 0, 0, 0), 8), self.prefix()];
        if let Err(e) = target_within(target, &allowed) {
            panic!("lab: refusing target outside the lab: {e}");
        }
    }

    /// Name of the client namespace.
    pub fn client_ns(&self) -> &str {
        &self.client_ns
    }

    /// Name of host `id`'s namespace.
    pub fn host_ns(&self, id: &str) -> &str {
        &self.host(id).ns
    }

    /// Every namespace of this lab.
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }

    /// Ids of the hosts, in start order.
    pub fn host_ids(&self) -> Vec<&str> {
        self.hosts.iter().map(|h| h.id.as_str()).collect()
    }

    /// Safe smb.conf for Samba client tools (`smbclient -s`, `nmblookup -s`)
    /// run through [`Lab::client_command`]: broadcast name resolution only, on
    /// loopback; no DNS, WINS or lmhosts; state in the lab's temp dir.
    pub fn client_conf(&self) -> &Path {
        &self.client_conf
    }

    /// Host `id`'s temp dir (smb.conf, `log/`, `shares/`, ...).
    pub fn host_dir(&self, id: &str) -> &Path {
        &self.host(id).dir
    }

    /// Host `id`'s smb.conf.
    pub fn host_conf(&self, id: &str) -> &Path {
        &self.host(id).conf
    }

    /// Pids of every Samba process (daemons, per-connection smbd children,
    /// `samba-dcerpcd` and `rpcd_*` helpers) now in the lab's namespaces.
    pub fn samba_pids(&self) -> Vec<u32> {
        self.namespaces
            .iter()
            .flat_map(|ns| ns_pids(&self.tools, ns))
            .filter(|&p| is_samba(p))
            .collect()
    }

    /// The last lines of host `id`'s logs (daemon logs and their stdout/stderr).
    pub fn log_tail(&self, id: &str) -> String {
        host_log_tail(&self.host(id).dir)
    }

    fn host(&self, id: &str) -> &Host {
        self.hosts
            .iter()
            .find(|h| h.id == id)
            .unwrap_or_else(|| panic!("lab: no host {id:?} (hosts: {:?})", self.host_ids()))
    }

    fn runs(&self, index: usize, daemon: Daemon) -> bool {
        let h = &self.hosts[index];
        match daemon {
            Daemon::Smbd => h.smbd,
            Daemon::Nmbd => h.nmbd,
        }
    }

    fn lock_daemons(&self) -> std::sync::MutexGuard<'_, HashMap<(usize, Daemon), Child>> {
        // a panic while holding the lock leaves the map consistent
        self.daemons.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // never panic here: this also runs while a failed test unwinds
        let children: Vec<Child> = self.lock_daemons().drain().map(|(_, c)| c).collect();
        terminate_children(children);
        for ns in self.namespaces.iter().rev() {
            cleanup_namespace(&self.tools, ns, false);
        }
        if self.keep_dir {
            eprintln!("lab: kept {}", self.dir.display());
        } else if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!("lab: WARNING: cannot remove {}: {e}", self.dir.display());
        }
    }
}
