//! Sockets listening on the audited ports, their owners, and where they are reachable.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::Serialize;

use crate::interfaces::Interface;
use crate::model::{Family, Service};

/// One listening socket (TCP in LISTEN, or a bound UDP socket).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listener {
    /// The port and transport.
    pub service: Service,
    /// The bound address (0.0.0.0 or :: for every address).
    pub addr: IpAddr,
    /// For an IPv6 socket: whether IPV6_V6ONLY is set (`false` means a `::`
    /// listener also takes IPv4). `None` for IPv4 sockets or when unknown.
    pub v6only: Option<bool>,
    /// The device the socket is bound to (SO_BINDTODEVICE), if any.
    pub device: Option<String>,
    /// The process that owns it, when it could be read.
    pub process: Option<Process>,
}

/// A process that owns a listener.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Process {
    /// Its pid.
    pub pid: u32,
    /// Its executable (`/proc/PID/exe`).
    pub exe: PathBuf,
    /// Which daemon it is.
    pub daemon: Daemon,
    /// Its command line.
    pub cmdline: Vec<String>,
}

/// The daemons the audit knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Daemon {
    /// Samba's file server.
    Smbd,
    /// Samba's NetBIOS name server.
    Nmbd,
    /// Samba's AD DC (`samba`).
    Samba,
    /// Samba's winbindd.
    Winbindd,
    /// Anything else.
    Other,
}

impl Listener {
    /// Whether a packet of `family` that arrives on `iface` for one of the
    /// interface's own addresses reaches this socket: the bound address is the
    /// wildcard of that family (or `::` without v6only for IPv4) or one of the
    /// interface's addresses, and no other device is bound.
    pub fn reachable_on(&self, iface: &Interface, family: Family) -> bool {
        if self.device.as_deref().is_some_and(|dev| dev != iface.name) || !iface.has_family(family)
        {
            return false;
        }
        match (self.addr, family) {
            (IpAddr::V4(v4), Family::Ipv4) => v4.is_unspecified() || iface.holds(self.addr),
            (IpAddr::V6(v6), Family::Ipv6) => v6.is_unspecified() || iface.holds(self.addr),
            (IpAddr::V6(v6), Family::Ipv4) => v6.is_unspecified() && self.v6only == Some(false),
            (IpAddr::V4(_), Family::Ipv6) => false,
        }
    }
}
