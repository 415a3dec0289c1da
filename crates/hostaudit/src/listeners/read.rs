//! [`read`] and [`samba_processes`]: the sources put together.

use std::collections::{BTreeMap, BTreeSet};

use super::procs::{self, Blind, ExeSource};
use super::{Daemon, Listener, Process, RawSocket, diag, procnet};
use crate::interfaces::link_names;
use crate::model::{Family, Proto, Service, Unreadable};

/// Every socket listening on `services` (TCP in LISTEN, unconnected UDP), IPv4
/// and IPv6, in the calling thread's network namespace, sorted by service and address.
///
/// Read from NETLINK_SOCK_DIAG, with the bound address, port, IPV6_V6ONLY
/// (`INET_DIAG_SKV6ONLY`) and bound device (`idiag_if`, named through rtnetlink);
/// where sock_diag fails, from `/proc/thread-self/net/{tcp,tcp6,udp,udp6}`
/// (then `v6only` and `device` are `None`, and an [`Unreadable`] says so).
/// The owner is found by socket inode in every `/proc/PID/fd`. What cannot be read
/// (other users' processes when not root, a process that exits meanwhile) leaves
/// `process` `None` and becomes an [`Unreadable`] line, never an error.
pub fn read(services: &[Service]) -> (Vec<Listener>, Vec<Unreadable>) {
    read_via(services, diag::sockets)
}

/// The sock_diag reader's result: sockets and the count of undecodable replies.
pub(super) type DiagResult = Result<(Vec<RawSocket>, usize), String>;

/// [`read`] with the sock_diag reader passed in (tests make it fail).
pub(super) fn read_via(
    services: &[Service],
    diag: impl Fn(Family, Proto) -> DiagResult,
) -> (Vec<Listener>, Vec<Unreadable>) {
    let mut unreadable = Vec::new();
    let mut sockets: Vec<RawSocket> = Vec::new();
    for proto in [Proto::Tcp, Proto::Udp] {
        if !services.iter().any(|s| s.proto == proto) {
            continue;
        }
        for family in [Family::Ipv4, Family::Ipv6] {
            sockets.extend(sockets_of(
                family,
                proto,
                diag(family, proto),
                &mut unreadable,
            ));
        }
    }
    sockets.retain(|s| services.contains(&s.service));
    sockets.sort_by_key(|s| (s.service, s.addr, s.ifindex, s.inode));
    sockets.dedup();

    let devices = device_names(&sockets, &mut unreadable);
    let owners = owners(&sockets, &mut unreadable);
    let listeners = sockets
        .into_iter()
        .map(|s| Listener {
            service: s.service,
            addr: s.addr,
            v6only: s.v6only,
            device: s.ifindex.map(|index| {
                devices
                    .get(&index)
                    .cloned()
                    .unwrap_or_else(|| format!("if{index}"))
            }),
            process: owners.get(&s.inode).cloned(),
        })
        .collect();
    (listeners, unreadable)
}

/// One family's and protocol's sockets: sock_diag, else `/proc/net`.
fn sockets_of(
    family: Family,
    proto: Proto,
    from_diag: DiagResult,
    unreadable: &mut Vec<Unreadable>,
) -> Vec<RawSocket> {
    let what = format!("{family} {} listeners", proto_name(proto));
    let diag_error = match from_diag {
        Ok((sockets, undecodable)) => {
            if undecodable > 0 {
                unreadable.push(Unreadable::new(
                    what,
                    format!("{undecodable} sock_diag replies could not be decoded and are missing"),
                ));
            }
            return sockets;
        }
        Err(e) => e,
    };
    let path = procnet::path(family, proto);
    match procnet::sockets(family, proto) {
        Ok((sockets, bad)) => {
            let unseen = match family {
                Family::Ipv4 => "bound device",
                Family::Ipv6 => "IPV6_V6ONLY and bound device",
            };
            unreadable.push(Unreadable::new(
                format!("{unseen} of {what}"),
                format!(
                    "sock_diag failed ({diag_error}); read {path} instead, which does not show them"
                ),
            ));
            if bad > 0 {
                unreadable.push(Unreadable::new(
                    what,
                    format!("{bad} lines of {path} did not parse"),
                ));
            }
            sockets
        }
        Err(e) => {
            unreadable.push(Unreadable::new(
                what,
                format!("sock_diag: {diag_error}; {e}"),
            ));
            Vec::new()
        }
    }
}

fn proto_name(proto: Proto) -> &'static str {
    match proto {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
    }
}

/// Names of the devices sockets are bound to.
fn device_names(sockets: &[RawSocket], unreadable: &mut Vec<Unreadable>) -> BTreeMap<u32, String> {
    if sockets.iter().all(|s| s.ifindex.is_none()) {
        return BTreeMap::new();
    }
    link_names().unwrap_or_else(|e| {
        unreadable.push(Unreadable::new(
            "names of the devices listeners are bound to",
            format!("{}: {}; shown as if<index>", e.what, e.why),
        ));
        BTreeMap::new()
    })
}

/// The owning process of each socket inode that has one readable.
fn owners(sockets: &[RawSocket], unreadable: &mut Vec<Unreadable>) -> BTreeMap<u64, Process> {
    let wanted: BTreeSet<u64> = sockets
        .iter()
        .map(|s| s.inode)
        .filter(|&i| i != 0)
        .collect();
    let mut blind = Blind::default();
    let holders = match procs::socket_holders(&wanted, &mut blind) {
        Ok(holders) => holders,
        Err(e) => {
            unreadable.push(Unreadable::new(
                "owners of the listeners",
                format!("/proc: {e}"),
            ));
            return BTreeMap::new();
        }
    };
    let mut owners = BTreeMap::new();
    let mut cache: BTreeMap<u32, Option<Process>> = BTreeMap::new();
    for (inode, pids) in &holders {
        let Some(pid) = procs::owner_of(pids) else {
            continue;
        };
        let process = cache
            .entry(pid)
            .or_insert_with(|| procs::process(pid).ok().map(|(p, _)| p));
        if let Some(process) = process {
            owners.insert(*inode, process.clone());
        }
    }
    for s in sockets.iter().filter(|s| !owners.contains_key(&s.inode)) {
        let why = if blind.denied > 0 {
            format!(
                "the open files of {} processes could not be read (permission denied: run as root)",
                blind.denied
            )
        } else if let Some(other) = &blind.other {
            format!("no readable process holds it ({other})")
        } else {
            "no process holds it (it exited while the audit ran, or the kernel owns it)".to_owned()
        };
        unreadable.push(Unreadable::new(
            format!("owner of {} on {}", s.service, s.addr),
            why,
        ));
    }
    owners
}

/// Every process whose executable is smbd, nmbd, samba or winbindd, in the
/// calling thread's network namespace (whether or not it listens: nmbd with
/// `disable netbios`, smbd on other `smb ports`), sorted by pid.
///
/// A process whose namespace cannot be read is kept. Without root, executables
/// of other users' processes are named from their command line's first word,
/// and an [`Unreadable`] line says so.
pub fn samba_processes() -> (Vec<Process>, Vec<Unreadable>) {
    let mut unreadable = Vec::new();
    let pids = match procs::pids() {
        Ok(pids) => pids,
        Err(e) => {
            unreadable.push(Unreadable::new("Samba processes", format!("/proc: {e}")));
            return (Vec::new(), unreadable);
        }
    };
    let own_netns = procs::netns_of("thread-self");
    let mut out = Vec::new();
    let mut from_argv0 = Vec::new();
    for pid in pids {
        let Ok((process, source)) = procs::process(pid) else {
            continue;
        };
        if process.daemon == Daemon::Other {
            continue;
        }
        let netns = procs::netns_of(&pid.to_string());
        if own_netns.is_some() && netns.is_some() && netns != own_netns {
            continue;
        }
        if matches!(source, ExeSource::Argv0) {
            from_argv0.push(pid.to_string());
        }
        out.push(process);
    }
    if !from_argv0.is_empty() {
        unreadable.push(Unreadable::new(
            format!("executables of pids {}", from_argv0.join(", ")),
            "permission denied (run as root); named from their command lines, which a process can set freely",
        ));
    }
    (out, unreadable)
}
