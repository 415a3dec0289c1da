//! Why one step of a host's probe failed.

use std::time::Duration;

use smbaudit_wire::DecodeError;

/// A failed step: the host gets it as an error, the scan goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// No (complete) reply within the time allowed for it.
    #[error("timeout: no {waiting_for} within {after:?}")]
    Timeout {
        /// What was being waited for.
        waiting_for: &'static str,
        /// How long.
        after: Duration,
    },
    /// The host's whole time budget ran out.
    #[error("host time budget exhausted")]
    HostBudget,
    /// The server closed the connection (FIN) before replying in full.
    #[error("connection closed by the server before the {waiting_for}")]
    Closed {
        /// What was being waited for.
        waiting_for: &'static str,
    },
    /// The server reset the connection.
    #[error("connection reset by the server before the {waiting_for}")]
    Reset {
        /// What was being waited for.
        waiting_for: &'static str,
    },
    /// Another socket error.
    #[error("socket error: {0}")]
    Io(std::io::ErrorKind),
    /// The reply's frame is longer than any honest reply to this request.
    #[error("reply announces {announced} bytes, over the {limit}-byte cap")]
    FrameTooLarge {
        /// Length the frame header announced.
        announced: usize,
        /// The cap.
        limit: usize,
    },
    /// The reply could not be decoded.
    #[error("malformed {what}: {error}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// Why.
        error: DecodeError,
    },
    /// The reply decoded but is not what the protocol allows here.
    #[error("{0}")]
    Protocol(String),
}

impl ProbeError {
    /// Whether the server visibly refused (closed or reset) rather than stayed silent.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Closed { .. } | Self::Reset { .. })
    }
}
