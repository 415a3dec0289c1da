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
use std::io::{self, Read, Seek, Write};
use std::net::Ipv4Addr;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{SocketAddr as UnixSocketAddr, UnixListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, Once};
use std::thread::sleep;
use std::time::{Duration, Instant};

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

/// What the harness found on this machine.
#[derive(Debug, Clone)]
struct Tools {
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
    /// Abstract unix socket holding the claim on 10.214.<net>.0/24 (released
    /// by the kernel when the process dies). Dropped last.
    _claim: UnixListener,
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
/// `let lab = require_lab!(&hosts);` at the top of a test.
macro_rules! require_lab {
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
        match Self::start(hosts) {
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

    /// Stops `daemon` on host `id` (TERM, KILL after 5 s) and every process it
    /// left in the namespace (smbd's children, `samba-dcerpcd`, ...). No-op
    /// if it is not running.
    pub fn stop_daemon(&self, id: &str, daemon: Daemon) {
        let host = self.host(id);
        let child = self.lock_daemons().remove(&(host.index, daemon));
        if let Some(child) = child {
            terminate_children(vec![child]);
        }
        let leftovers: Vec<u32> = ns_pids(&self.tools, &host.ns)
            .into_iter()
            .filter(|&p| match daemon {
                Daemon::Nmbd => exe_name(p).as_deref() == Some("nmbd"),
                // everything Samba but nmbd: smbd children and the RPC helpers smbd started
                Daemon::Smbd => is_samba(p) && exe_name(p).as_deref() != Some("nmbd"),
            })
            .collect();
        terminate_pids(&leftovers);
    }

    /// Starts `daemon` on host `id` again (after [`Lab::stop_daemon`]) and
    /// waits until it is ready, like [`Lab::start`]. The host must have been
    /// specified with that daemon.
    pub fn start_daemon(&self, id: &str, daemon: Daemon) {
        let index = self.host(id).index;
        assert!(
            self.runs(index, daemon),
            "lab: host {id} was not specified with {}",
            daemon.name()
        );
        if self.lock_daemons().contains_key(&(index, daemon)) {
            return;
        }
        self.spawn_daemon(index, daemon);
        self.wait_ready(&[(index, daemon)], Instant::now() + START_TIMEOUT);
    }

    /// Whether `daemon` of host `id` (the process the harness started) is running.
    pub fn daemon_running(&self, id: &str, daemon: Daemon) -> bool {
        let index = self.host(id).index;
        let mut daemons = self.lock_daemons();
        match daemons.get_mut(&(index, daemon)) {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
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

    fn ip_cmd(&self, args: &[&str]) {
        ip(&self.tools, args).unwrap_or_else(|e| panic!("lab: {e}"));
    }

    fn add_namespace(&mut self, ns: &str) -> Result<(), String> {
        ip(&self.tools, &["netns", "add", ns])?;
        self.namespaces.push(ns.to_owned());
        // no IPv6 in the lab (no DAD, no link-local addresses for Samba to bind)
        let script = "cd /proc/sys/net/ipv6/conf 2>/dev/null || exit 0; \
                      echo 1 > all/disable_ipv6 && echo 1 > default/disable_ipv6";
        ip(&self.tools, &["netns", "exec", ns, "sh", "-c", script])?;
        ip(&self.tools, &["-n", ns, "link", "set", "lo", "up"]).map(drop)
    }

    fn build_network(&mut self, hosts: &[HostSpec]) {
        let hub = self.hub_ns.clone();
        let net = self.net;
        self.ip_cmd(&[
            "-n",
            &hub,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "stp_state",
            "0",
        ]);
        self.ip_cmd(&["-n", &hub, "link", "set", "br0", "up"]);
        let mut ends = vec![("c0".to_owned(), self.client_ns.clone(), CLIENT_OCTET)];
        for (i, spec) in hosts.iter().enumerate() {
            let octet = FIRST_HOST_OCTET + u8::try_from(i).expect("host count checked");
            ends.push((format!("h{i}"), format!("{}-{}", self.tag, spec.id), octet));
        }
        for (port, ns, octet) in ends {
            self.add_namespace(&ns)
                .unwrap_or_else(|e| panic!("lab: {e}"));
            // created directly inside their namespaces: no name clash in the root namespace
            self.ip_cmd(&[
                "link", "add", "eth0", "netns", &ns, "type", "veth", "peer", "name", &port,
                "netns", &hub,
            ]);
            self.ip_cmd(&["-n", &hub, "link", "set", &port, "master", "br0", "up"]);
            let mac = format!("02:14:{net:02x}:00:00:{octet:02x}");
            self.ip_cmd(&["-n", &ns, "link", "set", "eth0", "address", &mac]);
            let addr = format!("10.214.{net}.{octet}/24");
            self.ip_cmd(&["-n", &ns, "addr", "add", &addr, "brd", "+", "dev", "eth0"]);
            self.ip_cmd(&["-n", &ns, "link", "set", "eth0", "up"]);
        }
        let client = self.client_ns.clone();
        // the silent address: a MAC nobody has, so nothing ever answers
        let unused = self.unused_ip().to_string();
        let phantom = format!("02:14:{net:02x}:00:00:{UNUSED_OCTET:02x}");
        self.ip_cmd(&[
            "-n",
            &client,
            "neigh",
            "replace",
            &unused,
            "lladdr",
            &phantom,
            "dev",
            "eth0",
            "nud",
            "permanent",
        ]);
        // the network rule: nothing but the /24 (and loopback) is routable from the lab
        for ns in &self.namespaces {
            let routes = ip(
                &self.tools,
                &["-n", ns, "-4", "route", "show", "table", "all"],
            )
            .unwrap_or_else(|e| panic!("lab: {e}"));
            for line in routes.lines() {
                let first = line.split_whitespace().next().unwrap_or("");
                let local_table = line.contains("table local");
                assert!(
                    local_table || first == format!("10.214.{net}.0/24"),
                    "lab: unexpected route in {ns}: {line:?}"
                );
            }
            assert!(
                ip(&self.tools, &["-n", ns, "route", "get", "192.0.2.1"]).is_err(),
                "lab: {ns} can route to 192.0.2.1; refusing to go on"
            );
        }
    }

    fn write_client_conf(&self) {
        let cdir = self.dir.join("client");
        for sub in ["", "lock", "state", "cache", "private", "run"] {
            mkdir(&cdir.join(sub));
        }
        let d = cdir.display();
        let conf = format!(
            "# Samba client tools in the lab (written by the smbaudit test harness):\n\
             # broadcast name resolution on loopback only; no DNS, WINS or lmhosts.\n\
             [global]\n\
             \x20  name resolve order = bcast\n\
             \x20  interfaces = 127.0.0.1/8\n\
             \x20  load printers = no\n\
             \x20  lock directory = {d}/lock\n\
             \x20  state directory = {d}/state\n\
             \x20  cache directory = {d}/cache\n\
             \x20  private dir = {d}/private\n\
             \x20  pid directory = {d}/run\n\
             \x20  ncalrpc dir = {d}/run/ncalrpc\n\
             \x20  log file = {d}/log.client\n"
        );
        write(&self.client_conf, &conf);
    }

    fn prepare_host(&self, index: usize, spec: &HostSpec) -> Host {
        let dir = self.dir.join("hosts").join(spec.id);
        for sub in [
            "",
            "run",
            "lock",
            "state",
            "cache",
            "private",
            "log",
            "shares",
            "bind-dns",
            "usershares",
            "ntp_signd",
        ] {
            mkdir(&dir.join(sub));
        }
        set_mode(&dir.join("private"), 0o700);
        let d = dir.display().to_string();
        let octet = FIRST_HOST_OCTET + u8::try_from(index).expect("host count checked");
        let ip = Ipv4Addr::new(10, 214, self.net, octet);
        let hostname: String = spec
            .netbios_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let extra_conf = spec.extra_conf.replace("@DIR@", &d);
        let shares = spec.shares.replace("@DIR@", &d);
        let mut conf = format!(
            "# host {id} of a smbaudit test lab (written by the test harness)\n\
             [global]\n\
             \x20  netbios name = {name}\n\
             \x20  workgroup = {wg}\n",
            id = spec.id,
            name = spec.netbios_name,
            wg = spec.workgroup,
        );
        if !spec.aliases.is_empty() {
            conf += &format!("   netbios aliases = {}\n", spec.aliases.join(" "));
        }
        conf += &format!(
            "   server string = smbaudit lab host {id}\n\
             \x20  pid directory = {d}/run\n\
             \x20  lock directory = {d}/lock\n\
             \x20  state directory = {d}/state\n\
             \x20  cache directory = {d}/cache\n\
             \x20  private dir = {d}/private\n\
             \x20  ncalrpc dir = {d}/run/ncalrpc\n\
             \x20  binddns dir = {d}/bind-dns\n\
             \x20  usershare path = {d}/usershares\n\
             \x20  ntp signd socket directory = {d}/ntp_signd\n\
             \x20  winbindd socket directory = {d}/run/winbindd\n\
             \x20  passdb backend = tdbsam:{d}/private/passdb.tdb\n\
             \x20  log file = {d}/log/log.tools\n\
             \x20  logging = file\n\
             \x20  max log size = 1000\n\
             \x20  server role = standalone server\n\
             \x20  load printers = no\n\
             \x20  printing = bsd\n\
             \x20  printcap name = /dev/null\n\
             \x20  disable spoolss = yes\n\
             \x20  dns proxy = no\n\
             \x20  obey pam restrictions = no\n\
             \x20  interfaces = eth0\n\
             \x20  bind interfaces only = yes\n\
             \x20  map to guest = bad user\n\
             # extra_conf\n{extra_conf}\n\
             # shares\n{shares}\n",
            id = spec.id,
        );
        let conf_path = dir.join("smb.conf");
        write(&conf_path, &conf);
        write(
            &dir.join("hosts"),
            &format!("127.0.0.1\tlocalhost\n{ip}\t{hostname}.{DNS_DOMAIN} {hostname}\n"),
        );
        for line in shares.lines().chain(extra_conf.lines()) {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("path") && value.trim().starts_with(&d) {
                let share = PathBuf::from(value.trim());
                mkdir(&share);
                set_mode(&share, 0o1777);
                let readme = share.join("README.txt");
                if !readme.exists() {
                    write(
                        &readme,
                        &format!("smbaudit lab share on host {}\n", spec.id),
                    );
                }
            }
        }
        let nss = if spec.users.is_empty() {
            None
        } else {
            Some(self.add_users(spec, &dir, &conf_path))
        };
        Host {
            id: spec.id.to_owned(),
            index,
            netbios_name: spec.netbios_name.to_owned(),
            hostname,
            ns: format!("{}-{}", self.tag, spec.id),
            ip,
            conf: conf_path,
            dir,
            smbd: spec.smbd,
            nmbd: spec.nmbd,
            smb_ports: smb_ports(&spec.extra_conf),
            nss,
        }
    }

    /// Private passwd/group for nss_wrapper, and the users in the host's tdbsam.
    fn add_users(&self, spec: &HostSpec, dir: &Path, conf: &Path) -> (PathBuf, PathBuf) {
        let lib = self
            .tools
            .nss_wrapper
            .as_ref()
            .expect("checked in find_tools");
        let smbpasswd = self
            .tools
            .smbpasswd
            .as_ref()
            .expect("checked in find_tools");
        let mut passwd = String::from("root:x:0:0:root:/root:/bin/sh\n");
        passwd += "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        let mut group = String::from("root:x:0:\nnogroup:x:65534:\n");
        for (k, (user, _)) in spec.users.iter().enumerate() {
            let uid = 60214 + k;
            passwd += &format!(
                "{user}:x:{uid}:{uid}:lab user:{}:/bin/false\n",
                dir.join("shares").display()
            );
            group += &format!("{user}:x:{uid}:\n");
        }
        let nss_dir = dir.join("nss");
        mkdir(&nss_dir);
        let (p, g) = (nss_dir.join("passwd"), nss_dir.join("group"));
        write(&p, &passwd);
        write(&g, &group);
        for (user, password) in spec.users {
            let mut cmd = Command::new(smbpasswd);
            cmd.env("LD_PRELOAD", lib)
                .env("NSS_WRAPPER_PASSWD", &p)
                .env("NSS_WRAPPER_GROUP", &g)
                .arg("-c")
                .arg(conf)
                .args(["-s", "-a", user]);
            let out = run(
                &mut cmd,
                format!("{password}\n{password}\n").as_bytes(),
                CMD_TIMEOUT,
            )
            .unwrap_or_else(|e| panic!("lab: smbpasswd for {user} on {}: {e}", spec.id));
            assert!(
                out.status.success(),
                "lab: smbpasswd -a {user} on {}: {}",
                spec.id,
                describe(&out)
            );
        }
        (p, g)
    }

    fn spawn_daemon(&self, index: usize, daemon: Daemon) {
        let h = &self.hosts[index];
        let t = &self.tools;
        let mut cmd = Command::new(&t.ip);
        cmd.args(["netns", "exec", &h.ns]);
        if let Some(setpriv) = &t.setpriv {
            cmd.arg(setpriv).args(["--pdeathsig", "TERM"]);
        }
        // own UTS and mount namespace: hostname = lower-case NetBIOS name and a
        // private /etc/hosts naming it <hostname>.<DNS_DOMAIN>
        cmd.arg(&t.unshare).args([
            "--uts",
            "--mount",
            "--",
            "sh",
            "-c",
            r#"hostname "$1" && mount --bind "$2" /etc/hosts && shift 2 && exec "$@""#,
            "sh",
        ]);
        cmd.arg(&h.hostname).arg(h.dir.join("hosts"));
        if let Some((passwd, group)) = &h.nss {
            let lib = t.nss_wrapper.as_ref().expect("checked in find_tools");
            cmd.arg("env")
                .arg(format!("LD_PRELOAD={}", lib.display()))
                .arg(format!("NSS_WRAPPER_PASSWD={}", passwd.display()))
                .arg(format!("NSS_WRAPPER_GROUP={}", group.display()));
        }
        cmd.arg(match daemon {
            Daemon::Smbd => &t.smbd,
            Daemon::Nmbd => &t.nmbd,
        });
        // not --no-process-group: smbd's parent kill(0, SIGTERM)s its process
        // group when it gets SIGTERM, which would hit the test runner (and cargo)
        cmd.args(["--foreground", "-s"])
            .arg(&h.conf)
            .arg("-l")
            .arg(h.dir.join("log"));
        let out_path = h.dir.join("log").join(format!("{}.out", daemon.name()));
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out_path)
            .unwrap_or_else(|e| panic!("lab: {}: {e}", out_path.display()));
        let err = out.try_clone().expect("lab: dup log fd");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("lab: cannot start {} of {}: {e}", daemon.name(), h.id));
        self.lock_daemons().insert((index, daemon), child);
    }

    /// Waits until each `(host, daemon)` is ready; panics with logs at `deadline`.
    fn wait_ready(&self, which: &[(usize, Daemon)], deadline: Instant) {
        let mut pending: Vec<(usize, Daemon)> = which.to_vec();
        let mut last: HashMap<(usize, Daemon), String> = HashMap::new();
        let mut pause = Duration::from_millis(50);
        while !pending.is_empty() {
            for &(index, daemon) in &pending {
                let exited = self
                    .lock_daemons()
                    .get_mut(&(index, daemon))
                    .map_or(Some(None), |c| c.try_wait().ok().flatten().map(Some));
                if let Some(status) = exited {
                    let h = &self.hosts[index];
                    panic!(
                        "lab {}: {} of host {} ({}) exited during start ({}).\n{}",
                        self.tag,
                        daemon.name(),
                        h.id,
                        h.netbios_name,
                        status.map_or_else(|| "not running".to_owned(), |s| s.to_string()),
                        host_log_tail(&h.dir)
                    );
                }
            }
            // one round: every pending check runs concurrently
            let remaining = deadline.saturating_duration_since(Instant::now());
            let limit = remaining.min(Duration::from_secs(3));
            let checks: Vec<((usize, Daemon), Vec<Spawned>)> = pending
                .iter()
                .map(|&key| (key, self.spawn_checks(key.0, key.1)))
                .collect();
            let mut still = Vec::new();
            for (key, spawned) in checks {
                let results: Vec<Result<Output, String>> =
                    spawned.into_iter().map(|s| s.finish(limit)).collect();
                match self.judge(key.0, key.1, &results) {
                    Ok(()) => {}
                    Err(why) => {
                        last.insert(key, why);
                        still.push(key);
                    }
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                let mut msg = format!("lab {}: not ready after {START_TIMEOUT:?}:\n", self.tag);
                for key in &pending {
                    let h = &self.hosts[key.0];
                    msg += &format!(
                        "--- {} of host {} ({}, {}): {}\n{}\n",
                        key.1.name(),
                        h.id,
                        h.netbios_name,
                        h.ip,
                        last.get(key).map_or("", String::as_str),
                        host_log_tail(&h.dir)
                    );
                }
                panic!("{msg}");
            }
            sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
            pause = (pause * 2).min(Duration::from_millis(400));
        }
    }

    fn spawn_checks(&self, index: usize, daemon: Daemon) -> Vec<Spawned> {
        let h = &self.hosts[index];
        let spawn = |mut cmd: Command| Spawned::spawn(&mut cmd, b"").map_err(|e| e.to_string());
        let mut v = Vec::new();
        match daemon {
            Daemon::Nmbd => {
                let mut status = self.client_command(&self.tools.nmblookup);
                status
                    .arg("-s")
                    .arg(&self.client_conf)
                    .arg("-A")
                    .arg(h.ip.to_string());
                v.push(spawn(status));
                // a broadcast query is answered only once the name is registered
                let mut query = self.client_command(&self.tools.nmblookup);
                query
                    .arg("-s")
                    .arg(&self.client_conf)
                    .arg("-B")
                    .arg(self.broadcast().to_string())
                    .arg(&h.netbios_name);
                v.push(spawn(query));
            }
            Daemon::Smbd => {
                for port in &h.smb_ports {
                    let mut connect = self.client_command("bash");
                    connect
                        .args(["-c", r#"exec 3<>"/dev/tcp/$1/$2""#, "bash"])
                        .arg(h.ip.to_string())
                        .arg(port.to_string());
                    v.push(spawn(connect));
                }
            }
        }
        v.into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("lab: cannot run a readiness check: {e}")))
            .collect()
    }

    fn judge(
        &self,
        index: usize,
        daemon: Daemon,
        results: &[Result<Output, String>],
    ) -> Result<(), String> {
        let h = &self.hosts[index];
        let text = |r: &Result<Output, String>| match r {
            Ok(o) => describe(o),
            Err(e) => e.clone(),
        };
        match daemon {
            Daemon::Nmbd => {
                let status = results[0].as_ref().map_err(Clone::clone)?;
                let listed = String::from_utf8_lossy(&status.stdout).lines().any(|l| {
                    let mut words = l.split_whitespace();
                    words.next() == Some(h.netbios_name.as_str()) && words.next() == Some("<20>")
                });
                if !listed {
                    return Err(format!(
                        "node status lacks {}<20>: {}",
                        h.netbios_name,
                        text(&results[0])
                    ));
                }
                let query = results[1].as_ref().map_err(Clone::clone)?;
                let want = format!("{} {}<00>", h.ip, h.netbios_name);
                if !String::from_utf8_lossy(&query.stdout)
                    .lines()
                    .any(|l| l.trim() == want)
                {
                    return Err(format!(
                        "broadcast name query unanswered: {}",
                        text(&results[1])
                    ));
                }
                Ok(())
            }
            Daemon::Smbd => {
                for (port, r) in h.smb_ports.iter().zip(results) {
                    match r {
                        Ok(o) if o.status.success() => {}
                        _ => return Err(format!("no TCP connect to {}:{port}: {}", h.ip, text(r))),
                    }
                }
                Ok(())
            }
        }
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

/// Checks that `target` (see [`Lab::check_target`] for the forms) lies
/// entirely inside one of the `allowed` IPv4 prefixes (`::1` is always allowed).
pub fn target_within(target: &str, allowed: &[(Ipv4Addr, u8)]) -> Result<(), String> {
    let t = target.trim();
    if t == "::1" || t == "[::1]" {
        return Ok(());
    }
    let (lo, hi) = target_span(t).map_err(|e| format!("{target:?}: {e}"))?;
    let inside = |addr: u32, (net, len): (Ipv4Addr, u8)| {
        let mask = if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len.min(32)))
        };
        addr & mask == u32::from(net) & mask
    };
    if allowed.iter().any(|&p| inside(lo, p) && inside(hi, p)) {
        return Ok(());
    }
    let list: Vec<String> = allowed.iter().map(|(n, l)| format!("{n}/{l}")).collect();
    Err(format!(
        "{target:?} spans {}-{}, not inside {}",
        Ipv4Addr::from(lo),
        Ipv4Addr::from(hi),
        list.join(" or ")
    ))
}

/// Lowest and highest address of a target expression.
fn target_span(t: &str) -> Result<(u32, u32), String> {
    if t.is_empty() {
        return Err("empty target".into());
    }
    if let Some((addr, len)) = t.split_once('/') {
        let addr: Ipv4Addr = addr.parse().map_err(|_| "not an IPv4 CIDR".to_owned())?;
        let len: u8 = len.parse().map_err(|_| "bad prefix length".to_owned())?;
        if len > 32 {
            return Err("prefix length > 32".into());
        }
        let mask = if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        };
        let lo = u32::from(addr) & mask;
        return Ok((lo, lo | !mask));
    }
    if let Some((a, b)) = t.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.parse::<Ipv4Addr>(), b.parse::<Ipv4Addr>()) {
            let (a, b) = (u32::from(a), u32::from(b));
            return if a <= b {
                Ok((a, b))
            } else {
                Err("range end before start".into())
            };
        }
    }
    // nmap octet ranges: each octet N, N-M, N-, -M, * or a comma list of those
    let parts: Vec<&str> = t.split('.').collect();
    if parts.len() != 4 {
        return Err("not an IPv4 address, CIDR or range".into());
    }
    let (mut lo, mut hi) = (0u32, 0u32);
    for part in parts {
        let (mut pmin, mut pmax) = (u32::MAX, 0u32);
        for item in part.split(',') {
            let (a, b) = if item == "*" || item == "-" {
                (0, 255)
            } else if let Some((a, b)) = item.split_once('-') {
                let a = if a.is_empty() { 0 } else { octet(a)? };
                let b = if b.is_empty() { 255 } else { octet(b)? };
                (a, b)
            } else {
                let n = octet(item)?;
                (n, n)
            };
            if a > b {
                return Err(format!("octet range {item:?} is empty"));
            }
            pmin = pmin.min(a);
            pmax = pmax.max(b);
        }
        lo = (lo << 8) | pmin;
        hi = (hi << 8) | pmax;
    }
    Ok((lo, hi))
}

fn octet(s: &str) -> Result<u32, String> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad octet {s:?}"));
    }
    let n: u32 = s.parse().map_err(|_| format!("bad octet {s:?}"))?;
    if n > 255 {
        return Err(format!("octet {n} > 255"));
    }
    Ok(n)
}

/// `smb ports` of an extra_conf (the last setting wins), default `445 139`;
/// `disable netbios = yes` drops 139.
fn smb_ports(extra_conf: &str) -> Vec<u16> {
    let mut ports = vec![445, 139];
    let mut netbios = true;
    for line in extra_conf.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key: String = key
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        let value = value.trim();
        if key == "smb ports" {
            ports = value
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
        } else if key == "disable netbios" {
            netbios = !matches!(value.to_ascii_lowercase().as_str(), "yes" | "true" | "1");
        }
    }
    if !netbios {
        ports.retain(|&p| p != 139);
    }
    ports
}

fn validate(hosts: &[HostSpec]) {
    assert!(hosts.len() <= MAX_HOSTS, "lab: at most {MAX_HOSTS} hosts");
    for (i, h) in hosts.iter().enumerate() {
        assert!(
            (1..=10).contains(&h.id.len())
                && h.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && h.id != "hub"
                && h.id != "cl",
            "lab: host id {:?}: 1-10 of [a-z0-9], not hub/cl",
            h.id
        );
        assert!(
            hosts[..i].iter().all(|o| o.id != h.id),
            "lab: duplicate host id {:?}",
            h.id
        );
        assert!(
            (1..=15).contains(&h.netbios_name.len()),
            "lab: NetBIOS name {:?} must be 1-15 characters",
            h.netbios_name
        );
        assert!(
            !h.workgroup.is_empty(),
            "lab: host {} has no workgroup",
            h.id
        );
    }
}

fn ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

fn skip_or_panic<T>(skip: Skip) -> Result<T, Skip> {
    if ci() {
        panic!("lab: CI=true but the Samba lab cannot run here: {skip}");
    }
    Err(skip)
}

fn find_tools(hosts: &[HostSpec]) -> Result<Tools, Skip> {
    let uid = fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_owned))
        })
        .unwrap_or_default();
    if uid != "0" {
        return Err(Skip(format!("not root (effective uid {uid})")));
    }
    let need = |name: &str, package: &str| {
        which(name).ok_or_else(|| Skip(format!("{name} not found (package {package})")))
    };
    let users = hosts.iter().any(|h| !h.users.is_empty());
    let nss_wrapper = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
    ]
    .iter()
    .map(|d| Path::new(d).join("libnss_wrapper.so"))
    .find(|p| p.exists());
    if users && nss_wrapper.is_none() {
        return Err(Skip(
            "libnss_wrapper.so not found (package libnss-wrapper); needed for lab users".into(),
        ));
    }
    for bin in ["sh", "bash", "hostname", "mount"] {
        need(bin, "base system")?;
    }
    Ok(Tools {
        ip: need("ip", "iproute2")?,
        unshare: need("unshare", "util-linux")?,
        nmblookup: need("nmblookup", "samba-common-bin")?,
        smbd: need("smbd", "samba")?,
        nmbd: need("nmbd", "samba")?,
        smbpasswd: if users {
            Some(need("smbpasswd", "samba-common-bin")?)
        } else {
            which("smbpasswd")
        },
        setpriv: which("setpriv"),
        nss_wrapper,
    })
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Picks a free 10.214.N.0/24 by binding an abstract unix socket named after
/// it: exclusive per network namespace (all test processes share the root
/// one), and released by the kernel when the process dies.
fn claim_net() -> Option<(u8, UnixListener)> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let hint = std::process::id()
        .wrapping_mul(7)
        .wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed));
    (0..254u32).find_map(|k| {
        let net = u8::try_from(1 + (hint.wrapping_add(k) % 254)).expect("1..=254");
        let addr =
            UnixSocketAddr::from_abstract_name(format!("smbaudit-test-lab-10.214.{net}")).ok()?;
        UnixListener::bind_addr(&addr).ok().map(|l| (net, l))
    })
}

/// Once per process: removes `sat-*` namespaces (and the Samba processes in
/// them) and `sat-lab-*` temp dirs whose owning process is gone.
fn sweep_stale(tools: &Tools) {
    static SWEEP: Once = Once::new();
    SWEEP.call_once(|| {
        let me = std::process::id();
        for ns in list_namespaces(tools) {
            if let Some(pid) = ns_owner(&ns) {
                if pid != me && !pid_alive(pid) {
                    cleanup_namespace(tools, &ns, true);
                }
            }
        }
        if let Ok(entries) = fs::read_dir(std::env::temp_dir()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some(rest) = name.strip_prefix("sat-lab-") else {
                    continue;
                };
                let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
                if pid.is_some_and(|p| p != me && !pid_alive(p)) {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
    });
}

/// `sat-<pid>-<net>-<role>` -> pid
fn ns_owner(ns: &str) -> Option<u32> {
    let mut parts = ns.strip_prefix("sat-")?.split('-');
    parts.next()?.parse().ok()
}

/// `sat-<pid>-<net>-<role>` -> net
fn ns_net(ns: &str) -> Option<u8> {
    let mut parts = ns.strip_prefix("sat-")?.split('-');
    parts.next()?.parse::<u32>().ok()?;
    parts.next()?.parse().ok()
}

fn list_namespaces(tools: &Tools) -> Vec<String> {
    match ip(tools, &["netns", "list"]) {
        Ok(out) => out
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn ns_pids(tools: &Tools, ns: &str) -> Vec<u32> {
    match ip(tools, &["netns", "pids", ns]) {
        Ok(out) => out
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Stops the processes in `ns` and deletes it.
///
/// In a live lab's namespace (`stale == false`) only Samba processes and
/// descendants of this process (e.g. a scanner a failed test left running)
/// are stopped; anything else (someone's `tcpdump`) is left alone with a
/// warning. A stale namespace (`sat-<pid>-...` whose test process is gone)
/// holds only what that test started - Samba helpers that outlived it, a
/// scanner it was running - so everything in it is stopped.
fn cleanup_namespace(tools: &Tools, ns: &str, stale: bool) {
    let me = std::process::id();
    let mut victims = Vec::new();
    for pid in ns_pids(tools, ns) {
        if stale || is_samba(pid) || is_descendant_of(pid, me) {
            victims.push(pid);
        } else {
            eprintln!(
                "lab: WARNING: process {pid} ({}) in {ns} was not started by this lab; left alone",
                cmdline(pid)
            );
        }
    }
    if stale && !victims.is_empty() {
        let list: Vec<String> = victims
            .iter()
            .map(|&p| format!("{p} ({})", cmdline(p)))
            .collect();
        eprintln!(
            "lab: stopping leftovers in stale namespace {ns}: {}",
            list.join(", ")
        );
    }
    terminate_pids(&victims);
    if let Err(e) = ip(tools, &["netns", "del", ns]) {
        eprintln!("lab: WARNING: {e}");
    }
}

fn cmdline(pid: u32) -> String {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let text = String::from_utf8_lossy(&raw).replace('\0', " ");
    text.trim().chars().take(100).collect()
}

/// TERM, then KILL after 5 s; reaps.
fn terminate_children(mut children: Vec<Child>) {
    if children.is_empty() {
        return;
    }
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    signal(&pids, "TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        children.retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_)) | Err(_)));
        if children.is_empty() || Instant::now() >= deadline {
            break;
        }
        sleep(Duration::from_millis(20));
    }
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// TERM, then KILL after 5 s, for processes that are not our children.
fn terminate_pids(pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    signal(pids, "TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|&p| pid_alive(p)) && Instant::now() < deadline {
        sleep(Duration::from_millis(20));
    }
    let alive: Vec<u32> = pids.iter().copied().filter(|&p| pid_alive(p)).collect();
    if !alive.is_empty() {
        signal(&alive, "KILL");
        let deadline = Instant::now() + Duration::from_secs(2);
        while alive.iter().any(|&p| pid_alive(p)) && Instant::now() < deadline {
            sleep(Duration::from_millis(20));
        }
    }
}

fn signal(pids: &[u32], sig: &str) {
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        r#"sig=$1; shift; kill -s "$sig" "$@" 2>/dev/null; true"#,
        "sh",
        sig,
    ]);
    cmd.args(pids.iter().map(u32::to_string));
    let _ = run(&mut cmd, b"", Duration::from_secs(5));
}

/// Alive and not a zombie.
fn pid_alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')').is_some_and(|(_, rest)| {
            !matches!(rest.trim_start().chars().next(), Some('Z' | 'X') | None)
        })
    })
}

fn parent_pid(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn is_descendant_of(pid: u32, ancestor: u32) -> bool {
    let mut p = pid;
    for _ in 0..64 {
        match parent_pid(p) {
            Some(pp) if pp == ancestor => return true,
            Some(pp) if pp > 1 => p = pp,
            _ => return false,
        }
    }
    false
}

fn exe(pid: u32) -> Option<PathBuf> {
    fs::read_link(format!("/proc/{pid}/exe")).ok()
}

fn exe_name(pid: u32) -> Option<String> {
    exe(pid).and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// smbd, nmbd or a Samba helper (`/usr/libexec/samba/*`: samba-dcerpcd, rpcd_*).
fn is_samba(pid: u32) -> bool {
    exe(pid).is_some_and(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        name == "smbd" || name == "nmbd" || p.parent().is_some_and(|d| d.ends_with("libexec/samba"))
    })
}

fn ip(tools: &Tools, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new(&tools.ip);
    cmd.args(args);
    let out = run(&mut cmd, b"", CMD_TIMEOUT).map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("ip {}: {}", args.join(" "), describe(&out)))
    }
}

fn describe(out: &Output) -> String {
    let text = format!(
        "{}; stdout: {}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    text.chars().take(2000).collect()
}

fn host_log_tail(dir: &Path) -> String {
    let mut s = String::new();
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join("log"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for f in files {
        let text = fs::read_to_string(&f).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        s += &format!("==> {} <==\n", f.display());
        for l in &lines[lines.len().saturating_sub(25)..] {
            s += l;
            s.push('\n');
        }
    }
    s
}

fn mkdir(p: &Path) {
    fs::create_dir_all(p).unwrap_or_else(|e| panic!("lab: mkdir {}: {e}", p.display()));
    set_mode(p, 0o755);
}

fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("lab: chmod {}: {e}", p.display()));
}

fn write(p: &Path, text: &str) {
    fs::write(p, text).unwrap_or_else(|e| panic!("lab: write {}: {e}", p.display()));
}

/// A running command whose stdout/stderr go to anonymous temp files (no pipe
/// can fill up or be held open by a grandchild).
struct Spawned {
    child: Child,
    out: fs::File,
    err: fs::File,
    what: String,
}

impl Spawned {
    fn spawn(cmd: &mut Command, stdin: &[u8]) -> io::Result<Self> {
        let out = tempfile::tempfile()?;
        let err = tempfile::tempfile()?;
        let input = if stdin.is_empty() {
            Stdio::null()
        } else {
            let mut f = tempfile::tempfile()?;
            f.write_all(stdin)?;
            f.rewind()?;
            Stdio::from(f)
        };
        cmd.stdin(input)
            .stdout(out.try_clone()?)
            .stderr(err.try_clone()?);
        let what = format!("{cmd:?}");
        let child = cmd.spawn()?;
        Ok(Self {
            child,
            out,
            err,
            what,
        })
    }

    /// Waits at most `limit`; on timeout kills the child and returns an error
    /// with what it printed so far.
    fn finish(self, limit: Duration) -> Result<Output, String> {
        self.finish_io(limit).map_err(|e| e.to_string())
    }

    fn finish_io(mut self, limit: Duration) -> io::Result<Output> {
        let deadline = Instant::now() + limit;
        let mut pause = Duration::from_millis(1);
        let status: Option<ExitStatus> = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                Ok(None) => {
                    sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", self.what))),
            }
        };
        let read = |f: &mut fs::File| {
            let mut v = Vec::new();
            let _ = f.rewind().and_then(|()| f.read_to_end(&mut v));
            v
        };
        let (stdout, stderr) = (read(&mut self.out), read(&mut self.err));
        match status {
            Some(status) => Ok(Output {
                status,
                stdout,
                stderr,
            }),
            None => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "timed out after {limit:?}: {}; stdout: {}; stderr: {}",
                    self.what,
                    String::from_utf8_lossy(&stdout).trim(),
                    String::from_utf8_lossy(&stderr).trim()
                ),
            )),
        }
    }
}

fn run(cmd: &mut Command, stdin: &[u8], limit: Duration) -> Result<Output, String> {
    Spawned::spawn(cmd, stdin)
        .map_err(|e| format!("{cmd:?}: {e}"))?
        .finish(limit)
}

/// Runs `cmd` (stdin closed) and returns its output, killing it if it runs
/// longer than `limit` (error kind `TimedOut`, with its output so far in the
/// message). Use it for every scanner run in a test: loops must be bounded.
pub fn output_within(cmd: &mut Command, limit: Duration) -> io::Result<Output> {
    Spawned::spawn(cmd, b"")?.finish_io(limit)
}
