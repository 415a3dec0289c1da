//! Network namespaces, veth pairs, routes, the claim of the /24 and the
//! cleanup of stale namespaces.

use std::fs;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr as UnixSocketAddr, UnixListener};
use std::process::Command;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use super::process::{
    cmdline, describe, is_descendant_of, is_samba, pid_alive, run, terminate_pids,
};
use super::{CLIENT_OCTET, CMD_TIMEOUT, FIRST_HOST_OCTET, HostSpec, Lab, Tools, UNUSED_OCTET};

impl Lab {
    pub(super) fn ip_cmd(&self, args: &[&str]) {
        ip(&self.tools, args).unwrap_or_else(|e| panic!("lab: {e}"));
    }

    pub(super) fn add_namespace(&mut self, ns: &str) -> Result<(), String> {
        ip(&self.tools, &["netns", "add", ns])?;
        self.namespaces.push(ns.to_owned());
        // no IPv6 in the lab (no DAD, no link-local addresses for Samba to bind), unless
        // dual-stack: then nothing automatic (super::ipv6::SYSCTLS); the hub only bridges
        let script = if self.ipv6 && *ns != self.hub_ns {
            super::ipv6::SYSCTLS
        } else {
            "cd /proc/sys/net/ipv6/conf 2>/dev/null || exit 0; \
             echo 1 > all/disable_ipv6 && echo 1 > default/disable_ipv6"
        };
        ip(&self.tools, &["netns", "exec", ns, "sh", "-c", script])?;
        ip(&self.tools, &["-n", ns, "link", "set", "lo", "up"]).map(drop)
    }

    pub(super) fn build_network(&mut self, hosts: &[HostSpec]) {
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
        if self.ipv6 {
            // no MLD querier in the lab: flood multicast (neighbour solicitations) to all
            self.ip_cmd(&[
                "-n",
                &hub,
                "link",
                "set",
                "br0",
                "type",
                "bridge",
                "mcast_snooping",
                "0",
            ]);
        }
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
            self.add_v6_address(&ns, octet);
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
        self.add_v6_phantom(&client, &phantom);
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
            if self.ipv6 && *ns != self.hub_ns {
                self.assert_v6_routes(ns);
            }
        }
    }
}

/// Picks a free 10.214.N.0/24 by binding an abstract unix socket named after
/// it: exclusive per network namespace (all test processes share the root
/// one), and released by the kernel when the process dies.
pub(super) fn claim_net() -> Option<(u8, UnixListener)> {
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
pub(super) fn sweep_stale(tools: &Tools) {
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
pub(super) fn ns_owner(ns: &str) -> Option<u32> {
    let mut parts = ns.strip_prefix("sat-")?.split('-');
    parts.next()?.parse().ok()
}

/// `sat-<pid>-<net>-<role>` -> net
pub(super) fn ns_net(ns: &str) -> Option<u8> {
    let mut parts = ns.strip_prefix("sat-")?.split('-');
    parts.next()?.parse::<u32>().ok()?;
    parts.next()?.parse().ok()
}

pub(super) fn list_namespaces(tools: &Tools) -> Vec<String> {
    match ip(tools, &["netns", "list"]) {
        Ok(out) => out
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub(crate) fn ns_pids(tools: &Tools, ns: &str) -> Vec<u32> {
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
pub(crate) fn cleanup_namespace(tools: &Tools, ns: &str, stale: bool) {
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

pub(crate) fn ip(tools: &Tools, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new(&tools.ip);
    cmd.args(args);
    let out = run(&mut cmd, b"", CMD_TIMEOUT).map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("ip {}: {}", args.join(" "), describe(&out)))
    }
}
