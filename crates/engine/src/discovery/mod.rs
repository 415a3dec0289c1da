//! Discovery: which (address, port) pairs answer, found statelessly before any connection.
//!
//! The stage sends one SYN per (address × TCP port) in the keyed order of
//! [`Order`], paced to a rate, with retransmissions to whatever has
//! not answered, and a cooldown after the last send. Replies are matched by their SYN
//! cookie ([`smbaudit_wire::tcpip::cookie`]), never by per-probe state. Without
//! CAP_NET_RAW it falls back to a `connect()` sweep with many sockets in flight.
//!
//! Every reply is handed on as a [`Found`] as soon as it is decided, so the fingerprint
//! stage can start on a responder while discovery goes on. Targets that never answered
//! are not reported one by one: the caller knows the targets and what it was told.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

use crate::targets::Order;

pub mod raw;

/// The settings of one discovery run.
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    /// TCP ports probed on every target (e.g. 139 and 445).
    pub ports: Vec<u16>,
    /// Packets per second, first sends and retransmissions together (at least 1).
    pub rate: u32,
    /// Sends per (address, port) at most, the first included (1: never retransmit).
    pub tries: u8,
    /// How long to keep listening after the last send.
    pub cooldown: Duration,
    /// The order targets are visited in (seed and shard).
    pub order: Order,
    /// Bind the raw sender to this interface (default: the route to each target's).
    pub interface: Option<String>,
    /// How the stage must run: pick raw when permitted, or force one way.
    pub method: MethodChoice,
}

/// Which sender to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MethodChoice {
    /// Raw packets when CAP_NET_RAW allows it, else `connect()`.
    #[default]
    Auto,
    /// Raw packets, or an error.
    Raw,
    /// `connect()` only.
    Connect,
}

/// How the stage really ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Raw SYNs on this interface.
    Raw {
        /// The interface the packets left through.
        interface: String,
    },
    /// A `connect()` sweep, and why (e.g. "no CAP_NET_RAW").
    Connect {
        /// Why raw packets were not used.
        reason: String,
    },
}

/// What one (address, port) probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortState {
    /// A SYN-ACK (or an accepted connection).
    Open,
    /// A RST (or a refused connection).
    Closed,
    /// An ICMP destination unreachable quoting our SYN, with its type and code.
    Unreachable {
        /// ICMP (or ICMPv6) type.
        icmp_type: u8,
        /// ICMP (or ICMPv6) code.
        code: u8,
    },
}

/// A decided (address, port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The target address.
    pub ip: IpAddr,
    /// The target TCP port.
    pub port: u16,
    /// What answered.
    pub state: PortState,
    /// Which send it answered (1: the first), if known.
    pub attempt: u8,
    /// Time from the start of the stage to the reply.
    pub at: Duration,
}

/// Live counts for a progress display.
#[derive(Debug, Default)]
pub struct DiscoveryProgress {
    /// Probes to send in all (targets × ports), set when the stage starts.
    pub planned: AtomicU64,
    /// Packets sent so far (retransmissions included).
    pub sent: AtomicU64,
    /// (address, port) pairs found open.
    pub open: AtomicU64,
    /// Whether the stage is over (cooldown included).
    pub done: AtomicBool,
}

/// Counters of a finished discovery run.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveryStats {
    /// How the stage ran.
    pub method: Method,
    /// (address, port) pairs planned.
    pub planned: u64,
    /// Packets (or connects) sent, retransmissions included.
    pub sent: u64,
    /// Of those, retransmissions.
    pub retransmitted: u64,
    /// Replies received that passed the cookie check.
    pub valid_replies: u64,
    /// Replies dropped: wrong cookie, port or address (forged, stale or not ours).
    pub rejected_replies: u64,
    /// Pairs found open, closed and unreachable.
    pub open: u64,
    /// Pairs that answered RST.
    pub closed: u64,
    /// Pairs answered by ICMP unreachable.
    pub unreachable: u64,
    /// Time from the first send to the last.
    pub send_time: Duration,
    /// Time in all, cooldown included.
    pub elapsed: Duration,
    /// Whether the run was cancelled.
    pub cancelled: bool,
    /// IPv6 (address, port) pairs the raw sweep skipped (the pipeline connects to them).
    pub skipped_ipv6: u64,
    /// Packets the send path's scope assertion refused (always 0 unless there is a bug).
    pub out_of_scope: u64,
    /// Packets the kernel refused to send: a broadcast address of a link the scanner is
    /// on (a /24 target that is also our subnet has one). Not retried.
    pub unsendable: u64,
    /// Targets that answered the raw sweep's UDP 137 NBSTAT query (0 without them).
    pub nbstat_replies: u64,
    /// Passes over the targets begun (the first included; 1 when nothing was retried).
    pub passes: u8,
}

impl DiscoveryStats {
    /// All counts zero, for a stage that ran as `method`.
    pub fn new(method: Method) -> Self {
        Self {
            method,
            planned: 0,
            sent: 0,
            retransmitted: 0,
            valid_replies: 0,
            rejected_replies: 0,
            open: 0,
            closed: 0,
            unreachable: 0,
            send_time: Duration::ZERO,
            elapsed: Duration::ZERO,
            cancelled: false,
            skipped_ipv6: 0,
            out_of_scope: 0,
            unsendable: 0,
            nbstat_replies: 0,
            passes: 0,
        }
    }
}

pub mod connect;
mod pace;
mod sweep;

pub use sweep::{DiscoveryError, Sweep, discover, first_ipv4, open};
