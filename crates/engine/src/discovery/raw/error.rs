//! Why the raw sweep cannot run: the one line the fallback to `connect()` prints.

use std::io;
use std::net::Ipv4Addr;

/// Why the raw sweep cannot run here. Each reads as the one line the fallback prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RawUnavailable {
    /// Raw sockets need CAP_NET_RAW (EPERM or EACCES).
    #[error("no CAP_NET_RAW ({what}: permission denied)")]
    NoPermission {
        /// What was refused.
        what: &'static str,
    },
    /// No route to the first target.
    #[error("no route to {target}: {error}")]
    NoRoute {
        /// The target routed to.
        target: Ipv4Addr,
        /// The kernel's answer.
        error: String,
    },
    /// The named interface does not exist.
    #[error("no such interface {0:?}")]
    NoSuchInterface(String),
    /// The named interface has no IPv4 address to send from.
    #[error("interface {0:?} has no IPv4 address")]
    NoIpv4Address(String),
    /// The route's source address is on no interface (it should always be).
    #[error("no interface holds the route's source address {0}")]
    NoInterfaceFor(Ipv4Addr),
    /// A rate of 0 packets per second (a configuration error; the CLI refuses it first).
    #[error("a rate of 0 packets per second sends nothing")]
    ZeroRate,
    /// No TCP port to probe.
    #[error("no TCP port to probe")]
    NoPorts,
    /// More (address, port) pairs than one sweep can number.
    #[error("too many targets for one raw sweep")]
    TooManyTargets,
    /// Another system call failed.
    #[error("{what}: {error}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        error: String,
    },
}

impl RawUnavailable {
    /// The error of creating or configuring a socket: no permission, or another.
    pub(super) fn from_socket_error(what: &'static str, error: &io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::PermissionDenied => Self::NoPermission { what },
            _ => Self::Io {
                what,
                error: error.to_string(),
            },
        }
    }

    /// Whether this is a configuration error rather than a missing capability: falling
    /// back to `connect()` would not help.
    pub fn is_config_error(&self) -> bool {
        matches!(self, Self::ZeroRate | Self::NoPorts | Self::TooManyTargets)
    }
}
