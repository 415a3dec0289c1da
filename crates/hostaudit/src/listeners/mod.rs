//! Sockets listening on the audited ports, their owners, and where they are reachable.

mod diag;
mod procnet;
mod procs;
mod read;
#[cfg(test)]
mod tests;

pub use read::{read, samba_processes};

use std::net::IpAddr;
use std::path::{Path, PathBuf};

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

impl Daemon {
    /// The daemon an executable is, by its file name (`/usr/sbin/smbd` → [`Daemon::Smbd`]).
    pub fn of_exe(exe: &Path) -> Self {
        match exe.file_name().and_then(|n| n.to_str()) {
            Some("smbd") => Self::Smbd,
            Some("nmbd") => Self::Nmbd,
            Some("samba") => Self::Samba,
            Some("winbindd") => Self::Winbindd,
            _ => Self::Other,
        }
    }
}

/// A socket as a source reports it, before device names and owners are looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RawSocket {
    service: Service,
    addr: IpAddr,
    v6only: Option<bool>,
    ifindex: Option<u32>,
    inode: u64,
}

impl RawSocket {
    /// A socket on `port`. An IPv6 socket bound to an IPv4-mapped address
    /// (`::ffff:10.0.0.1`) takes only IPv4 traffic to that address, so it is
    /// recorded as bound to the IPv4 address (with `v6only` `None`).
    fn new(
        proto: crate::model::Proto,
        port: u16,
        addr: IpAddr,
        v6only: Option<bool>,
        ifindex: Option<u32>,
        inode: u64,
    ) -> Self {
        let (addr, v6only) = match addr {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), None),
                None => (addr, v6only),
            },
            IpAddr::V4(_) => (addr, None),
        };
        Self {
            service: Service { proto, port },
            addr,
            v6only,
            ifindex,
            inode,
        }
    }
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
