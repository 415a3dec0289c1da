//! Why one step of a host's probe failed.

use std::fmt;
use std::time::Duration;

use smbaudit_wire::DecodeError;

/// A failed step: the host gets it as an error, the scan goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeError {
    /// No (complete) reply within the time allowed for it.
    Timeout {
        /// What was being waited for.
        waiting_for: &'static str,
        /// How long.
        after: Duration,
    },
    /// The host's whole time budget ran out.
    HostBudget,
    /// The server closed the connection (FIN) before replying in full.
    Closed {
        /// What was being waited for.
        waiting_for: &'static str,
    },
    /// The server reset the connection.
    Reset {
        /// What was being waited for.
        waiting_for: &'static str,
    },
    /// Another socket error.
    Io(std::io::ErrorKind),
    /// The reply's frame is longer than any honest reply to this request.
    FrameTooLarge {
        /// Length the frame header announced.
        announced: usize,
        /// The cap.
        limit: usize,
    },
    /// The reply could not be decoded.
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// Why.
        error: DecodeError,
    },
    /// The reply decoded but is not what the protocol allows here.
    Protocol(String),
}

impl ProbeError {
    /// Whether the server visibly refused (closed or reset) rather than stayed silent.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Closed { .. } | Self::Reset { .. })
    }
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout { waiting_for, after } => {
                write!(f, "timeout: no {waiting_for} within {after:?}")
            }
            Self::HostBudget => f.write_str("host time budget exhausted"),
            Self::Closed { waiting_for } => {
                write!(
                    f,
                    "connection closed by the server before the {waiting_for}"
                )
            }
            Self::Reset { waiting_for } => {
                write!(f, "connection reset by the server before the {waiting_for}")
            }
            Self::Io(kind) => write!(f, "socket error: {kind}"),
            Self::FrameTooLarge { announced, limit } => {
                write!(
                    f,
                    "reply announces {announced} bytes, over the {limit}-byte cap"
                )
            }
            Self::Malformed { what, error } => write!(f, "malformed {what}: {error}"),
            Self::Protocol(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for ProbeError {}
