//! The raw SYN sweep: stateless discovery with raw IPv4 packets, as ZMap and masscan do.
//!
//! [`open`] checks what the sweep needs before anything is sent (CAP_NET_RAW, a route,
//! the interface and its address) and says why not in a [`RawUnavailable`], so the
//! dispatcher can fall back to `connect()` in one line. [`RawSweep::run`] then runs
//! two OS threads:
//!
//! - **sending** (`send`): SYNs written by the wire layer into a reused batch and sent
//!   by `sendmmsg` on a raw IPv4 socket (`IPPROTO_RAW`, so IP_HDRINCL: we write the IP
//!   header) bound to the interface with SO_BINDTODEVICE; the kernel routes them and
//!   resolves the next hop's MAC. Pairs (address × port) are visited in the keyed
//!   permutation of the configured seed and shard, paced to `rate` (`pace`), with
//!   retransmission passes over the pairs still undecided, then the cooldown. Every
//!   packet passes the scope assertion (`batch::admit`): its destination must be a
//!   target (included, not excluded).
//! - **receiving** (`receive`): an AF_PACKET socket behind a classic BPF filter
//!   (`filter`); every frame is decoded, its cookie checked, its sender checked to be a
//!   target address and port, and its pair decided once in a bitmap (`plan`).
//!
//! IPv6 targets are skipped and counted ([`DiscoveryStats::skipped_ipv6`]): the
//! pipeline connects to them. The kernel of the scanning host answers each SYN-ACK with a
//! RST (no socket owns our source ports), as it does for ZMap; nothing suppresses it.

mod batch;
mod error;
mod filter;
mod nbstat;
mod pace;
mod plan;
mod receive;
mod route;
mod send;

use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use smbaudit_wire::tcpip::cookie::SynCookie;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

pub use batch::OutOfScope;
pub use error::RawUnavailable;
pub use nbstat::{NBNS_PORT, NbstatFound};

use super::{DiscoveryConfig, DiscoveryProgress, DiscoveryStats, Found, Method, PortState};
use crate::targets::TargetList;
use plan::Decided;
use route::Egress;

/// Sends per pair at most, whatever `tries` says (the adaptive extra passes included).
pub const MAX_TRIES: u8 = 8;
/// The `tries` this stage is meant to run with: one first send and one retransmission
/// pass (sampled first when big, see `send`), more when the path is lossy.
pub const DEFAULT_TRIES: u8 = 2;
/// `IPPROTO_RAW`: a raw IPv4 socket that sends the IP header we write (IP_HDRINCL).
const IPPROTO_RAW: i32 = 255;
/// How often `run` copies the threads' counts into the caller's progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(20);

/// A raw sweep ready to run: its sockets are open and its interface known.
#[derive(Debug)]
pub struct RawSweep {
    egress: Egress,
    send: Socket,
    receive: Socket,
    cookie: SynCookie,
    nbstat: Option<nbstat::Nbstat>,
    /// Targets already done (a resumed scan's): never sent to.
    done: Vec<Ipv4Addr>,
}

/// Opens the raw sweep for `cfg`, sending towards `first_target`'s route (or through
/// `cfg.interface`), or says why it cannot run. Sends nothing.
pub fn open(cfg: &DiscoveryConfig, first_target: Ipv4Addr) -> Result<RawSweep, RawUnavailable> {
    if cfg.rate == 0 {
        return Err(RawUnavailable::ZeroRate);
    }
    if cfg.ports.is_empty() {
        return Err(RawUnavailable::NoPorts);
    }
    let egress = route::egress(first_target, cfg.interface.as_deref())?;
    let send = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(IPPROTO_RAW)))
        .map_err(|e| RawUnavailable::from_socket_error("raw IPv4 socket", &e))?;
    send.bind_device(Some(egress.interface.as_bytes()))
        .map_err(|e| RawUnavailable::from_socket_error("binding to the interface", &e))?;
    // Best effort, capped by net.core.wmem_max: room for bursts of batches.
    let _ = send.set_send_buffer_size(4 << 20);
    // Without IP_RECVERR a raw socket swallows ENOBUFS (the device queue or the veth
    // peer's backlog is full) and the packet is lost unseen; with it the batch waits and
    // re-sends. No ICMP error is ever queued on this socket: an IPPROTO_RAW socket only
    // matches errors quoting protocol 255.
    nix::sys::socket::setsockopt(&send, nix::sys::socket::sockopt::Ipv4RecvErr, &true).map_err(
        |e| RawUnavailable::Io {
            what: "setting IP_RECVERR",
            error: e.to_string(),
        },
    )?;
    let receive = receive::open_socket(egress.ifindex)?;
    Ok(RawSweep {
        egress,
        send,
        receive,
        cookie: SynCookie::new(rand::random()),
        nbstat: None,
        done: Vec::new(),
    })
}

/// What both threads share: the targets, the cookie, the decisions and the counts.
#[derive(Debug)]
struct Shared {
    targets: TargetList,
    ports: Vec<u16>,
    cookie: SynCookie,
    egress: Egress,
    /// The UDP socket NBSTAT queries leave from and where their outcomes go, when the
    /// sweep carries them.
    nbstat: Option<nbstat::Nbstat>,
    decided: Decided,
    start: Instant,
    counts: Counts,
    /// The threads' own progress, copied into the caller's by `run`.
    progress: DiscoveryProgress,
    /// Raised by the sender after the cooldown (or on an error): the receiver stops.
    stop: AtomicBool,
}

impl Shared {
    /// The pair layout both threads number by.
    fn slots(&self) -> plan::Slots {
        plan::Slots::of(self.nbstat.is_some())
    }
}

/// Counters of the receiving side (and the sender's scope refusals).
#[derive(Debug, Default)]
struct Counts {
    valid: AtomicU64,
    rejected: AtomicU64,
    open: AtomicU64,
    closed: AtomicU64,
    unreachable: AtomicU64,
    /// Pairs decided in all (answers of any kind, and destinations the kernel refused).
    decided: AtomicU64,
    /// Pairs decided by an answer to send `a` (0-based), per `a`.
    by_attempt: [AtomicU64; MAX_TRIES as usize],
    out_of_scope: AtomicU64,
    /// Targets that answered an NBSTAT query.
    nbstat: AtomicU64,
}

impl Counts {
    /// Counts a first decision.
    fn record(&self, found: &Found) {
        let state = match found.state {
            PortState::Open => &self.open,
            PortState::Closed => &self.closed,
            PortState::Unreachable { .. } => &self.unreachable,
        };
        state.fetch_add(1, Ordering::Relaxed);
        self.decided.fetch_add(1, Ordering::Relaxed);
        let attempt = usize::from(found.attempt.saturating_sub(1));
        if let Some(c) = self.by_attempt.get(attempt) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Pairs decided by answers to send `attempt` (0-based).
    fn recovered(&self, attempt: u8) -> u64 {
        self.by_attempt
            .get(usize::from(attempt))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

impl RawSweep {
    /// The interface the sweep sends on.
    pub fn interface(&self) -> &str {
        &self.egress.interface
    }

    /// The address its SYNs come from.
    pub fn source(&self) -> Ipv4Addr {
        self.egress.source
    }

    /// Adds a UDP 137 NBSTAT query per IPv4 target to the sweep, in the same
    /// permutation, rate budget and retransmission passes as the SYNs; each target's
    /// first answer goes to `found`. Fails only if the UDP socket cannot be opened.
    pub fn with_nbstat(
        &mut self,
        found: UnboundedSender<NbstatFound>,
    ) -> Result<(), RawUnavailable> {
        let socket = nbstat::open_socket(self.egress.source, &self.egress.interface)?;
        self.nbstat = Some(nbstat::Nbstat { socket, found });
        Ok(())
    }

    /// Leaves out `done` (a resumed scan's finished targets): their pairs count as decided
    /// before the first send, so none is sent to or planned.
    pub fn skipping(mut self, done: impl IntoIterator<Item = Ipv4Addr>) -> Self {
        self.done.extend(done);
        self
    }

    /// Sweeps `targets` × `cfg.ports`, handing each decided pair to `found` as it comes,
    /// until the cooldown after the last send is over or `cancel` fires. Errors are I/O
    /// failures of the sockets, and a scope refusal ([`OutOfScope`]).
    pub async fn run(
        self,
        targets: &TargetList,
        cfg: &DiscoveryConfig,
        cancel: &CancellationToken,
        progress: &DiscoveryProgress,
        found: UnboundedSender<Found>,
    ) -> io::Result<DiscoveryStats> {
        let mut ports = cfg.ports.clone();
        ports.sort_unstable();
        ports.dedup();
        let index = targets.index().map_err(io::Error::other)?;
        let slots = ports.len() as u64 + u64::from(self.nbstat.is_some());
        let pairs = index.len().saturating_mul(slots);
        let decided =
            Decided::new(pairs).ok_or_else(|| io::Error::other(RawUnavailable::TooManyTargets))?;
        decide_done(&decided, targets, &ports, self.nbstat.is_some(), &self.done)?;
        let shared = Arc::new(Shared {
            targets: targets.clone(),
            ports,
            cookie: self.cookie,
            egress: self.egress.clone(),
            nbstat: self.nbstat,
            decided,
            start: Instant::now(),
            counts: Counts::default(),
            progress: DiscoveryProgress::default(),
            stop: AtomicBool::new(false),
        });
        let plan = send::SendPlan {
            rate: cfg.rate,
            tries: cfg.tries,
            order: cfg.order,
            cooldown: cfg.cooldown,
        };
        progress.planned.store(pairs, Ordering::Relaxed);
        let receiver = {
            let shared = Arc::clone(&shared);
            let socket = self.receive;
            std::thread::Builder::new()
                .name("synraw-receive".into())
                .spawn(move || receive::receive_all(&shared, &socket, &shared.progress, &found))?
        };
        let nbstat_receiver = if shared.nbstat.is_some() {
            let shared = Arc::clone(&shared);
            Some(
                std::thread::Builder::new()
                    .name("synraw-nbstat".into())
                    .spawn(move || nbstat::receive_all(&shared))?,
            )
        } else {
            None
        };
        let sender = {
            let shared = Arc::clone(&shared);
            let socket = self.send;
            let cancel = cancel.clone();
            std::thread::Builder::new()
                .name("synraw-send".into())
                .spawn(move || {
                    let _stop = StopOnDrop(&shared.stop);
                    send::send_all(&shared, &socket, plan, &cancel, &shared.progress)
                })?
        };
        let udp_done = |n: &Option<std::thread::JoinHandle<io::Result<()>>>| {
            n.as_ref().is_none_or(|h| h.is_finished())
        };
        while !(sender.is_finished() && receiver.is_finished() && udp_done(&nbstat_receiver)) {
            tokio::time::sleep(PROGRESS_EVERY).await;
            copy_progress(&shared.progress, progress);
        }
        let sent = join(sender)??;
        join(receiver)??;
        if let Some(n) = nbstat_receiver {
            join(n)??;
        }
        copy_progress(&shared.progress, progress);
        progress.planned.store(sent.planned, Ordering::Relaxed);
        progress.done.store(true, Ordering::Release);
        Ok(stats(&shared, &sent))
    }
}

/// Marks every pair of the `done` addresses decided (without counting it: nothing answered).
fn decide_done(
    decided: &Decided,
    targets: &TargetList,
    ports: &[u16],
    nbstat: bool,
    done: &[Ipv4Addr],
) -> io::Result<()> {
    if done.is_empty() {
        return Ok(());
    }
    let pairs = plan::Pairs::new(targets, ports, plan::Slots::of(nbstat))
        .ok_or_else(|| io::Error::other(RawUnavailable::TooManyTargets))?;
    for &ip in done {
        for j in pairs.numbers_of(ip.into()) {
            decided.decide(j);
        }
    }
    Ok(())
}

/// Raises the stop flag when the sender ends, however it ends (a panic included), so
/// the receiver never waits for it forever.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

fn join<T>(handle: std::thread::JoinHandle<T>) -> io::Result<T> {
    handle
        .join()
        .map_err(|_| io::Error::other("a raw sweep thread panicked"))
}

fn copy_progress(from: &DiscoveryProgress, to: &DiscoveryProgress) {
    to.sent
        .store(from.sent.load(Ordering::Relaxed), Ordering::Relaxed);
    to.open
        .store(from.open.load(Ordering::Relaxed), Ordering::Relaxed);
}

fn stats(shared: &Shared, sent: &send::Sent) -> DiscoveryStats {
    let c = &shared.counts;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    DiscoveryStats {
        method: Method::Raw {
            interface: shared.egress.interface.clone(),
        },
        planned: sent.planned,
        sent: sent.sent,
        retransmitted: sent.retransmitted,
        valid_replies: load(&c.valid),
        rejected_replies: load(&c.rejected),
        open: load(&c.open),
        closed: load(&c.closed),
        unreachable: load(&c.unreachable),
        send_time: sent.send_time,
        elapsed: shared.start.elapsed(),
        cancelled: sent.cancelled,
        skipped_ipv6: sent.skipped_v6,
        out_of_scope: load(&c.out_of_scope),
        unsendable: sent.unsendable,
        nbstat_replies: load(&c.nbstat),
        passes: sent.passes,
    }
}
