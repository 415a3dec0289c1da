//! listeners::read against real sockets that a python3 child binds in a namespace.

use std::net::IpAddr;
use std::time::Duration;

use smbaudit_hostaudit::interfaces::{self, Interface};
use smbaudit_hostaudit::listeners::{self, Daemon, Listener};
use smbaudit_hostaudit::{Family, Service};

use crate::netns::{Pair, available};

/// Binds every socket of its JSON argument, prints its pid, then waits for stdin
/// to close (the test's end) or 120 s, whichever comes first.
pub(crate) const BINDER: &str = r#"
import json, os, select, socket, sys
for s in json.loads(sys.argv[1]):
    fam = socket.AF_INET6 if ":" in s["addr"] else socket.AF_INET
    typ = socket.SOCK_STREAM if s["proto"] == "tcp" else socket.SOCK_DGRAM
    k = socket.socket(fam, typ)
    if "v6only" in s:
        k.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, s["v6only"])
    if "device" in s:
        k.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, s["device"].encode())
    k.bind((s["addr"], s["port"]))
    if typ == socket.SOCK_STREAM:
        k.listen(4)
    globals().setdefault("keep", []).append(k)
print(os.getpid(), flush=True)
select.select([sys.stdin], [], [], 120)
"#;

/// The sockets, and for each the (interface, family) cells it must be reachable on.
pub(crate) const SOCKETS: &str = r#"[
  {"proto": "tcp", "addr": "::", "port": 445, "v6only": 0},
  {"proto": "tcp", "addr": "::", "port": 139, "v6only": 1},
  {"proto": "tcp", "addr": "0.0.0.0", "port": 139},
  {"proto": "tcp", "addr": "10.77.2.1", "port": 135},
  {"proto": "tcp", "addr": "::", "port": 135, "v6only": 1, "device": "out0"},
  {"proto": "udp", "addr": "0.0.0.0", "port": 137},
  {"proto": "udp", "addr": "fd77:2::1", "port": 138},
  {"proto": "tcp", "addr": "0.0.0.0", "port": 4450},
  {"proto": "udp", "addr": "::", "port": 1370}
]"#;

pub(crate) fn lab() -> Pair {
    let pair = Pair::new();
    pair.link("out0");
    pair.link("in0");
    pair.addr("out0", "10.77.1.1/24");
    pair.addr("out0", "fd77:1::1/64");
    pair.addr("in0", "10.77.2.1/24");
    pair.addr("in0", "fd77:2::1/64");
    pair.host
        .ip(&["route", "add", "default", "via", "10.77.1.2", "dev", "out0"]);
    pair
}

fn find<'a>(
    all: &'a [Listener],
    service: Service,
    addr: &str,
    device: Option<&str>,
) -> &'a Listener {
    let addr: IpAddr = addr.parse().expect("test address");
    all.iter()
        .find(|l| l.service == service && l.addr == addr && l.device.as_deref() == device)
        .unwrap_or_else(|| panic!("no {service} on {addr} (device {device:?}) in {all:#?}"))
}

/// `iface/family` cells where `l` is reachable, e.g. `["in0/IPv4", "lo/IPv4"]`.
fn cells(l: &Listener, ifaces: &[Interface]) -> Vec<String> {
    let mut out = Vec::new();
    for iface in ifaces {
        for family in [Family::Ipv4, Family::Ipv6] {
            if l.reachable_on(iface, family) {
                out.push(format!("{}/{family}", iface.name));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn reports_each_socket_with_address_v6only_device_owner_and_reach() {
    if !available() {
        return;
    }
    let mut pair = lab();
    let pid: u32 = pair
        .host
        .spawn(&["python3", "-c", BINDER, SOCKETS], Duration::from_secs(20))
        .parse()
        .expect("the binder prints its pid");
    let (all, unreadable, ifaces) = pair.host.run(|| {
        let (all, unreadable) = listeners::read(&Service::AUDITED);
        (all, unreadable, interfaces::read().expect("interfaces"))
    });
    assert!(unreadable.is_empty(), "{unreadable:#?}");
    assert_eq!(all.len(), 7, "only the audited ports: {all:#?}");
    for l in &all {
        let p = l
            .process
            .as_ref()
            .unwrap_or_else(|| panic!("no owner: {l:?}"));
        assert_eq!(p.pid, pid);
        assert_eq!(p.daemon, Daemon::Other);
        let exe = p.exe.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(exe.starts_with("python3"), "{exe}");
        assert_eq!(p.cmdline.get(1).map(String::as_str), Some("-c"));
        assert_eq!(p.cmdline.get(3).map(String::as_str), Some(SOCKETS));
    }

    let dual = find(&all, Service::SMB, "::", None);
    assert_eq!(dual.v6only, Some(false));
    assert_eq!(
        cells(dual, &ifaces),
        [
            "in0/IPv4",
            "in0/IPv6",
            "lo/IPv4",
            "lo/IPv6",
            "out0/IPv4",
            "out0/IPv6"
        ]
    );

    let v6only = find(&all, Service::NBSS, "::", None);
    assert_eq!(v6only.v6only, Some(true));
    assert_eq!(cells(v6only, &ifaces), ["in0/IPv6", "lo/IPv6", "out0/IPv6"]);
    let v4 = find(&all, Service::NBSS, "0.0.0.0", None);
    assert_eq!(v4.v6only, None);
    assert_eq!(cells(v4, &ifaces), ["in0/IPv4", "lo/IPv4", "out0/IPv4"]);

    let one_ip = find(&all, Service::EPMAP, "10.77.2.1", None);
    assert_eq!(cells(one_ip, &ifaces), ["in0/IPv4"]);
    let on_device = find(&all, Service::EPMAP, "::", Some("out0"));
    assert_eq!(on_device.v6only, Some(true));
    assert_eq!(cells(on_device, &ifaces), ["out0/IPv6"]);

    let nbns = find(&all, Service::NBNS, "0.0.0.0", None);
    assert_eq!(cells(nbns, &ifaces), ["in0/IPv4", "lo/IPv4", "out0/IPv4"]);
    let nbdgm = find(&all, Service::NBDGM, "fd77:2::1", None);
    // the kernel sets IPV6_V6ONLY itself when a socket binds one (non-mapped) IPv6 address
    assert_eq!(nbdgm.v6only, Some(true));
    assert_eq!(cells(nbdgm, &ifaces), ["in0/IPv6"]);
}

#[test]
fn an_empty_namespace_has_no_listeners_and_nothing_unreadable() {
    if !available() {
        return;
    }
    let pair = lab();
    let (all, unreadable) = pair.host.run(|| listeners::read(&Service::AUDITED));
    assert!(all.is_empty(), "{all:#?}");
    assert!(unreadable.is_empty(), "{unreadable:#?}");
}

#[test]
fn only_the_asked_services_are_reported() {
    if !available() {
        return;
    }
    let mut pair = lab();
    pair.host
        .spawn(&["python3", "-c", BINDER, SOCKETS], Duration::from_secs(20));
    let (all, _) = pair
        .host
        .run(|| listeners::read(&[Service::NBNS, Service::tcp(4450)]));
    let got: Vec<(String, String)> = all
        .iter()
        .map(|l| (l.service.to_string(), l.addr.to_string()))
        .collect();
    assert_eq!(
        got,
        // Service orders by protocol, then port
        [
            ("4450/tcp".to_owned(), "0.0.0.0".to_owned()),
            ("137/udp".to_owned(), "0.0.0.0".to_owned()),
        ]
    );
}
