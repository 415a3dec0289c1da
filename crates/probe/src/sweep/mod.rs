//! The NBNS sweep as a sans-IO state machine (quinn-proto style): which target to query
//! next, with which transaction ID, when to retransmit and when to give up, how fast to
//! send, and how each target ended.
//!
//! [`Sweep`] owns the pending queries, their timers, the retransmission queue, the
//! round-trip estimate ([`RttEstimator`]) and the pacer ([`Pacer`]). It never reads a clock
//! or touches a socket: the caller hands it datagrams (`handle_*`) with the time they
//! arrived, sends what [`Sweep::poll_transmit`] yields, reports what the socket did with
//! it, wakes it at [`Sweep::poll_timeout`], and collects finished hosts from
//! [`Sweep::poll_event`].

mod machine;
mod pacer;
mod query;
mod rtt;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use machine::{Sweep, Transmit};
pub use pacer::Pacer;
pub use query::Query;
pub use rtt::RttEstimator;

/// The NBNS port.
pub const NBNS_PORT: u16 = 137;
/// Most queries awaiting an answer at once; bounds memory whatever the range.
pub const MAX_IN_FLIGHT: usize = 65_536;
/// Longest extra wait a WACK can ask for.
const MAX_WACK_WAIT: Duration = Duration::from_secs(10);

/// How long to keep waiting after a WACK asking for `secs` seconds (RFC 1002 §4.2.16),
/// capped so a hostile server can't hold a query open.
pub fn wack_wait(secs: u32) -> Duration {
    Duration::from_secs(secs.into()).min(MAX_WACK_WAIT)
}

/// How a sweep paces, waits and retries; the socket's own settings stay with the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Highest send rate in packets per second; 0 for no limit. Loss lowers it.
    pub rate: u32,
    /// The longest wait for a reply after a host's last attempt. Once round trips have been
    /// measured, the wait adapts to them (smoothed RTT + 4 deviations, at least 250 ms) but
    /// never exceeds this.
    pub timeout: Duration,
    /// Retransmissions to a host that has not answered (so `retries + 1` attempts).
    pub retries: u8,
    /// The targets' port: 137, or another for tests against an in-process responder.
    pub port: u16,
}

/// Counters for the whole sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepStats {
    /// Distinct targets queried.
    pub targets: u64,
    /// Datagrams sent, retransmissions included.
    pub sent: u64,
    /// Retransmissions.
    pub retransmitted: u64,
    /// Targets that answered.
    pub replied: u64,
    /// Targets that never answered.
    pub silent: u64,
    /// Targets the kernel would not send to.
    pub send_failed: u64,
    /// Targets answered by ICMP destination unreachable (of them, port unreachable: closed).
    pub unreachable: u64,
    /// Datagrams dropped because they matched no query (wrong source, ID or not a response).
    pub stray: u64,
    /// Targets skipped because they were already in flight (listed twice).
    pub duplicates: u64,
    /// Send rate at the end, after loss adaptation, in packets per second.
    pub final_rate: f64,
    /// Wall time.
    pub elapsed: Duration,
    /// Whether the sweep was cancelled before it finished.
    pub cancelled: bool,
}
