//! Types every part of the audit shares.

use serde::Serialize;

/// An IP family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: std::net::IpAddr) -> Self {
        match addr {
            std::net::IpAddr::V4(_) => Self::Ipv4,
            std::net::IpAddr::V6(_) => Self::Ipv6,
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ipv4 => "IPv4",
            Self::Ipv6 => "IPv6",
        })
    }
}

/// A transport protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// A port the audit judges: one protocol and port number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Service {
    /// The transport.
    pub proto: Proto,
    /// The port number.
    pub port: u16,
}

impl Service {
    /// 135/tcp, the DCE/RPC endpoint mapper.
    pub const EPMAP: Self = Self::tcp(135);
    /// 137/udp, the NetBIOS name service.
    pub const NBNS: Self = Self::udp(137);
    /// 138/udp, the NetBIOS datagram service.
    pub const NBDGM: Self = Self::udp(138);
    /// 139/tcp, the NetBIOS session service.
    pub const NBSS: Self = Self::tcp(139);
    /// 445/tcp, SMB over TCP.
    pub const SMB: Self = Self::tcp(445);
    /// Every service the audit judges, in port order.
    pub const AUDITED: [Self; 5] = [Self::EPMAP, Self::NBNS, Self::NBDGM, Self::NBSS, Self::SMB];

    /// A TCP port.
    pub const fn tcp(port: u16) -> Self {
        Self {
            proto: Proto::Tcp,
            port,
        }
    }

    /// A UDP port.
    pub const fn udp(port: u16) -> Self {
        Self {
            proto: Proto::Udp,
            port,
        }
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let proto = match self.proto {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        };
        write!(f, "{}/{proto}", self.port)
    }
}

/// A fact the audit could not read, and why: shown as a "could not read" line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// What could not be read ("nftables ruleset", "/etc/samba/smb.conf", ...).
    pub what: String,
    /// Why, in words a user can act on ("permission denied: run as root").
    pub why: String,
}

impl Unreadable {
    /// A could-not-read line.
    pub fn new(what: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            why: why.into(),
        }
    }
}
