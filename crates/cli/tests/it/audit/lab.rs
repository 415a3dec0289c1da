//! The multi-homed audit lab: three namespaces on this machine.
//!
//! ```text
//!  sat-aud-out  eth0 10.214.200.2/24 fd00:5a7:200::2/64  <-veth->  eth-out \
//!                                                                            sat-aud-host
//!  sat-aud-in   eth0 10.214.201.2/24 fd00:5a7:200:1::2/64  <-veth->  eth-in  /
//! ```
//!
//! The host (the audited machine) has eth-out 10.214.200.1/24 +
//! fd00:5a7:200::1/64 holding the v4 and v6 default routes (via the out peer),
//! and eth-in 10.214.201.1/24 + fd00:5a7:200:1::1/64. The peers have only their
//! on-link prefix and forward nothing, so a packet the host sends anywhere
//! ends in the out peer. [`AuditLab::start`] checks every namespace's routes
//! before anything runs. Samba, listeners and rulesets go into the host
//! namespace only; the root namespace is never touched.
//!
//! The namespace names are fixed; an abstract unix socket claims them for one
//! process at a time, and namespaces of a dead process are removed at start.
//! Dropping the lab (also while a test panics) stops every process it started
//! and deletes its namespaces and temp dir (`SMBAUDIT_LAB_KEEP=1` keeps the dir).

use std::fs;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr as UnixSocketAddr, UnixListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::lab::{
    Skip, Tools, cleanup_namespace, find_tools, ip, is_samba, ns_pids, run, skip_or_panic,
    terminate_children, terminate_pids, which,
};

use super::net::{Fam, HOST_NS, IN_NS, OUT_NS, Side};

/// Upper bound for one helper command (`ip`, `nft`, the audit, a probe run).
pub(crate) const CMD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for the claim on the namespace names (another test
/// process running this lab).
const CLAIM_TIMEOUT: Duration = Duration::from_secs(90);

/// Programs the audit lab needs besides the Samba lab's.
#[derive(Debug)]
pub(crate) struct LabTools {
    /// The Samba lab's tools (ip, unshare, setpriv, smbd, nmbd).
    pub(crate) samba: Tools,
    /// `nft`.
    pub(crate) nft: PathBuf,
    /// `iptables-nft-restore`.
    pub(crate) iptables_restore: PathBuf,
    /// `ip6tables-nft-restore`.
    pub(crate) ip6tables_restore: PathBuf,
    /// `python3` (probes and the `::` listener).
    pub(crate) python: PathBuf,
}

impl LabTools {
    fn find() -> Result<Self, Skip> {
        let need = |name: &str, package: &str| {
            which(name).ok_or_else(|| Skip(format!("{name} not found (package {package})")))
        };
        Ok(Self {
            samba: find_tools(&[])?,
            nft: need("nft", "nftables")?,
            iptables_restore: need("iptables-nft-restore", "iptables")?,
            ip6tables_restore: need("ip6tables-nft-restore", "iptables")?,
            // the system python, not a pyenv shim (a bash script per probe run)
            python: Some(PathBuf::from("/usr/bin/python3"))
                .filter(|p| p.exists())
                .or_else(|| which("python3"))
                .ok_or_else(|| Skip("python3 not found (package python3)".into()))?,
        })
    }
}

/// A running audit lab; see the module documentation.
pub(crate) struct AuditLab {
    pub(crate) tools: LabTools,
    dir: PathBuf,
    keep_dir: bool,
    /// Every namespace this lab created, in creation order.
    namespaces: Vec<String>,
    /// Processes started in the host namespace (daemons, the `::` listener).
    children: Vec<Child>,
    _claim: UnixListener,
}

impl AuditLab {
    /// Builds the namespaces, links, addresses and routes, and checks that
    /// nothing is routable beyond the lab. `Err(Skip)` when the machine cannot
    /// run it (not root, tools missing); with `CI=true` that panics instead.
    pub(crate) fn start() -> Result<Self, Skip> {
        let tools = match LabTools::find() {
            Ok(t) => t,
            Err(skip) => return skip_or_panic(skip),
        };
        let claim = claim_names();
        for ns in [HOST_NS, OUT_NS, IN_NS] {
            if ip(&tools.samba, &["netns", "pids", ns]).is_ok() {
                // we hold the claim, so whoever made it is gone
                cleanup_namespace(&tools.samba, ns, true);
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("sat-aud-lab-")
            .tempdir()
            .expect("audit lab: cannot create temp dir")
            .keep();
        let keep_dir =
            std::env::var_os("SMBAUDIT_LAB_KEEP").is_some_and(|v| v != "0" && !v.is_empty());
        let mut lab = Self {
            tools,
            dir,
            keep_dir,
            namespaces: Vec::new(),
            children: Vec::new(),
            _claim: claim,
        };
        // from here on a panic drops `lab`, which removes what was made
        if let Err(e) = lab.add_namespace(HOST_NS) {
            return skip_or_panic(Skip(format!("cannot create network namespaces: {e}")));
        }
        lab.build();
        Ok(lab)
    }

    /// The lab's temp dir (configs, logs, rulesets).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the temp dir outlives the lab (`SMBAUDIT_LAB_KEEP=1`).
    pub(crate) fn keeps_dir(&self) -> bool {
        self.keep_dir
    }

    /// `ip ARGS`, panicking with the output on failure.
    pub(crate) fn ip(&self, args: &[&str]) -> String {
        ip(&self.tools.samba, args).unwrap_or_else(|e| panic!("audit lab: {e}"))
    }

    /// A `Command` running `program` in namespace `ns`.
    pub(crate) fn netns_command(&self, ns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
        self.tools.samba.netns_command(ns, program)
    }

    /// Runs `cmd` with `stdin`, bounded by [`CMD_TIMEOUT`]; panics if it
    /// cannot run or times out (a non-zero exit is the caller's to judge).
    pub(crate) fn output(&self, cmd: &mut Command, stdin: &[u8]) -> Output {
        run(cmd, stdin, CMD_TIMEOUT).unwrap_or_else(|e| panic!("audit lab: {e}"))
    }

    fn add_namespace(&mut self, ns: &str) -> Result<(), String> {
        ip(&self.tools.samba, &["netns", "add", ns])?;
        self.namespaces.push(ns.to_owned());
        // v6 addresses usable at once (also the link-local ones), no forwarding
        let script = "cd /proc/sys/net && echo 0 > ipv6/conf/all/accept_dad && \
                      echo 0 > ipv6/conf/default/accept_dad && \
                      echo 0 > ipv4/ip_forward && echo 0 > ipv6/conf/all/forwarding";
        ip(
            &self.tools.samba,
            &["netns", "exec", ns, "sh", "-c", script],
        )?;
        ip(&self.tools.samba, &["-n", ns, "link", "set", "lo", "up"]).map(drop)
    }

    fn build(&mut self) {
        for ns in [OUT_NS, IN_NS] {
            self.add_namespace(ns)
                .unwrap_or_else(|e| panic!("audit lab: {e}"));
        }
        for side in [Side::Out, Side::In] {
            let (iface, peer) = (side.iface(), side.peer_ns());
            // created inside their namespaces: no name clash in the root namespace
            self.ip(&[
                "link", "add", iface, "netns", HOST_NS, "type", "veth", "peer", "name", "eth0",
                "netns", peer,
            ]);
            for fam in [Fam::V4, Fam::V6] {
                let host = format!("{}/{}", side.host_addr(fam), fam.link_len());
                let peer_addr = format!("{}/{}", side.peer_addr(fam), fam.link_len());
                let mut host_args = vec!["-n", HOST_NS, "addr", "add", &host, "dev", iface];
                let mut peer_args = vec!["-n", peer, "addr", "add", &peer_addr, "dev", "eth0"];
                if fam == Fam::V6 {
                    host_args.push("nodad");
                    peer_args.push("nodad");
                }
                self.ip(&host_args);
                self.ip(&peer_args);
            }
            self.ip(&["-n", HOST_NS, "link", "set", iface, "up"]);
            self.ip(&["-n", peer, "link", "set", "eth0", "up"]);
        }
        let (gw4, gw6) = (
            Side::Out.peer_addr(Fam::V4).to_string(),
            Side::Out.peer_addr(Fam::V6).to_string(),
        );
        self.ip(&["-n", HOST_NS, "-4", "route", "add", "default", "via", &gw4]);
        self.ip(&["-n", HOST_NS, "-6", "route", "add", "default", "via", &gw6]);
        self.check_routes();
    }

    /// The network rule: the peers route only their on-link prefix (plus
    /// link-local and multicast), the host only the two link prefixes and the
    /// default via the out peer, and no namespace forwards.
    fn check_routes(&self) {
        for ns in [HOST_NS, OUT_NS, IN_NS] {
            for fam in ["-4", "-6"] {
                let routes = self.ip(&["-n", ns, fam, "route", "show", "table", "all"]);
                for line in routes.lines() {
                    let ok = allowed_route(ns, line);
                    assert!(ok, "audit lab: unexpected route in {ns}: {line:?}");
                }
            }
            let mut cat = self.netns_command(ns, "cat");
            cat.args([
                "/proc/sys/net/ipv4/ip_forward",
                "/proc/sys/net/ipv6/conf/all/forwarding",
            ]);
            let out = self.output(&mut cat, b"");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .collect::<Vec<_>>(),
                ["0", "0"],
                "audit lab: {ns} forwards packets"
            );
        }
        for peer in [OUT_NS, IN_NS] {
            for far in ["192.0.2.1", "2001:db8::1"] {
                assert!(
                    ip(&self.tools.samba, &["-n", peer, "route", "get", far]).is_err(),
                    "audit lab: {peer} can route to {far}; refusing to go on"
                );
            }
        }
    }

    /// Starts `program` in the host namespace as a child that gets SIGTERM
    /// when the test thread exits; stdout and stderr go to `log`. Stopped by
    /// [`AuditLab::stop_host_processes`] and on drop.
    pub(crate) fn spawn_in_host(&mut self, mut cmd: Command, log: &Path) -> &mut Child {
        let out =
            fs::File::create(log).unwrap_or_else(|e| panic!("audit lab: {}: {e}", log.display()));
        let err = out.try_clone().expect("audit lab: dup log fd");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("audit lab: cannot start {cmd:?}: {e}"));
        self.children.push(child);
        self.children.last_mut().expect("just pushed")
    }

    /// Adds a child the caller started in the host namespace (stopped like
    /// those of [`AuditLab::spawn_in_host`]).
    pub(crate) fn adopt(&mut self, child: Child) {
        self.children.push(child);
    }

    /// Pids of the processes started in the host namespace.
    pub(crate) fn child_pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// Whether every process started in the host namespace still runs.
    pub(crate) fn children_alive(&mut self) -> Result<(), String> {
        for c in &mut self.children {
            if let Ok(Some(status)) = c.try_wait() {
                return Err(format!("process {} exited: {status}", c.id()));
            }
        }
        Ok(())
    }

    /// Stops every process started in the host namespace, and every Samba
    /// process left there (smbd's children, samba-dcerpcd).
    pub(crate) fn stop_host_processes(&mut self) {
        terminate_children(std::mem::take(&mut self.children));
        let leftovers: Vec<u32> = ns_pids(&self.tools.samba, HOST_NS)
            .into_iter()
            .filter(|&p| is_samba(p))
            .collect();
        terminate_pids(&leftovers);
    }

    /// Polls `ready` (at most every 100 ms) until it returns `Ok` or `limit`
    /// passes; then panics with its last answer.
    pub(crate) fn wait_until(
        &mut self,
        what: &str,
        limit: Duration,
        mut ready: impl FnMut(&mut Self) -> Result<(), String>,
    ) {
        let deadline = Instant::now() + limit;
        loop {
            let last = match ready(self) {
                Ok(()) => return,
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                panic!("audit lab: {what} not ready after {limit:?}: {last}");
            }
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for AuditLab {
    fn drop(&mut self) {
        // never panic here: this also runs while a failed test unwinds
        self.stop_host_processes();
        for ns in self.namespaces.iter().rev() {
            cleanup_namespace(&self.tools.samba, ns, false);
        }
        if self.keep_dir {
            eprintln!("audit lab: kept {}", self.dir.display());
        } else if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!(
                "audit lab: WARNING: cannot remove {}: {e}",
                self.dir.display()
            );
        }
    }
}

/// Whether `line` of `ip route show table all` in `ns` is one the lab made:
/// the kernel's local, link-local and multicast routes, a link prefix of the
/// namespace, or (in the host) a default route via the out peer.
fn allowed_route(ns: &str, line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    if line.contains("table local") || first.starts_with("fe80::") || first.starts_with("ff00::") {
        return true;
    }
    let on_link = [Side::Out, Side::In].iter().any(|s| {
        (ns == HOST_NS || ns == s.peer_ns())
            && [Fam::V4, Fam::V6]
                .iter()
                .any(|&f| first == s.link_prefix(f))
    });
    let default_out = ns == HOST_NS
        && first == "default"
        && [Fam::V4, Fam::V6]
            .iter()
            .any(|&f| line.contains(&format!("via {} ", Side::Out.peer_addr(f))));
    on_link || default_out
}

/// Claims the fixed namespace names for this process (an abstract unix
/// socket, released by the kernel when the process dies), waiting at most
/// [`CLAIM_TIMEOUT`] for another process to finish its run.
pub(crate) fn claim_names() -> UnixListener {
    let deadline = Instant::now() + CLAIM_TIMEOUT;
    loop {
        let addr = UnixSocketAddr::from_abstract_name("smbaudit-test-lab-sat-aud")
            .expect("abstract socket name");
        match UnixListener::bind_addr(&addr) {
            Ok(l) => return l,
            Err(e) if Instant::now() >= deadline => {
                panic!("audit lab: the sat-aud-* namespaces stay claimed by another process: {e}")
            }
            Err(_) => sleep(Duration::from_millis(250)),
        }
    }
}
