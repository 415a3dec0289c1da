//! Ports as the observation model names them: a number, a transport, and the service role
//! the scan gave it (so that a moved port is still read as SMB).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The transport of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }
}

/// A port: number and transport. Displays (and serialises) as `445/tcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port {
    /// The port number.
    pub number: u16,
    /// The transport.
    pub proto: Proto,
}

impl Port {
    /// A TCP port.
    pub const fn tcp(number: u16) -> Self {
        Self {
            number,
            proto: Proto::Tcp,
        }
    }

    /// A UDP port.
    pub const fn udp(number: u16) -> Self {
        Self {
            number,
            proto: Proto::Udp,
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}/{}", self.number, self.proto.as_str()))
    }
}

/// Why a port key did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPort(pub String);

impl fmt::Display for BadPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a port such as 445/tcp", self.0)
    }
}

impl std::error::Error for BadPort {}

impl FromStr for Port {
    type Err = BadPort;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadPort(s.to_owned());
        let (number, proto) = s.split_once('/').ok_or_else(bad)?;
        let number = number.parse().map_err(|_| bad())?;
        match proto {
            "tcp" => Ok(Self::tcp(number)),
            "udp" => Ok(Self::udp(number)),
            _ => Err(bad()),
        }
    }
}

impl Serialize for Port {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The service a scanned port was probed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The RPC endpoint mapper (135/tcp): reachability only.
    EndpointMapper,
    /// The NetBIOS name service (137/udp): NODE STATUS.
    NetbiosName,
    /// The NetBIOS session service (139/tcp): session request, then SMB.
    NetbiosSession,
    /// SMB over TCP (445/tcp).
    Smb,
}

impl Role {
    /// Every role, in report order.
    pub const ALL: [Self; 4] = [
        Self::EndpointMapper,
        Self::NetbiosName,
        Self::NetbiosSession,
        Self::Smb,
    ];

    /// The port the role has by default.
    pub const fn well_known_port(self) -> Port {
        match self {
            Self::EndpointMapper => Port::tcp(135),
            Self::NetbiosName => Port::udp(137),
            Self::NetbiosSession => Port::tcp(139),
            Self::Smb => Port::tcp(445),
        }
    }

    /// The role of a well-known port, if it has one.
    pub fn of_well_known(port: Port) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|role| role.well_known_port() == port)
    }
}

/// A port's state, as nmap names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PortState {
    /// Something answered: a TCP handshake completed, or an NBSTAT reply came back.
    #[serde(rename = "open")]
    Open,
    /// A TCP reset, or ICMP port unreachable: nothing listens.
    #[serde(rename = "closed")]
    Closed,
    /// No answer to TCP, or an ICMP error other than port unreachable.
    #[serde(rename = "filtered")]
    Filtered,
    /// UDP silence: open and not answering, or dropped on the way.
    #[serde(rename = "open|filtered")]
    OpenFiltered,
}

impl PortState {
    /// The state as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Filtered => "filtered",
            Self::OpenFiltered => "open|filtered",
        }
    }
}

impl fmt::Display for PortState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_round_trip_through_their_text() {
        for port in [Port::tcp(445), Port::udp(137), Port::tcp(8445)] {
            assert_eq!(port.to_string().parse::<Port>(), Ok(port));
        }
        assert_eq!(Port::tcp(139).to_string(), "139/tcp");
        for bad in ["445", "445/sctp", "x/tcp", "70000/tcp", ""] {
            assert!(bad.parse::<Port>().is_err(), "{bad}");
        }
    }

    #[test]
    fn well_known_ports_have_their_roles() {
        for role in Role::ALL {
            assert_eq!(Role::of_well_known(role.well_known_port()), Some(role));
        }
        assert_eq!(Role::of_well_known(Port::udp(445)), None);
    }
}
