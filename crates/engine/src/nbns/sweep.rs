//! The NBNS sweep: one UDP socket for the whole run, paced sends, replies matched by source
//! address and transaction ID, adaptive retransmission.
//!
//! The state (pending queries, timers, RTO, pacing, results) is the sans-IO
//! [`smbaudit_probe::sweep::Sweep`]; this module only pumps the socket and the clock.
//! Memory is bounded by the queries in flight ([`MAX_IN_FLIGHT`]), never by the size of the
//! target range: the core pulls targets from a lazy iterator as the pacer allows.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use smbaudit_probe::sweep::{Settings, Sweep};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use super::icmp;
use super::socket::{self, Broadcast};

pub use smbaudit_probe::observation::{HostResult, Outcome};
pub use smbaudit_probe::sweep::{MAX_IN_FLIGHT, NBNS_PORT, Query, SweepStats};

/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65_536;
/// Granularity of tokio's timer wheel.
const TIMER_RESOLUTION: Duration = Duration::from_millis(1);

/// How a sweep sends and waits.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Highest send rate in packets per second; 0 for no limit. Loss lowers it.
    pub rate: u32,
    /// The longest wait for a reply after a host's last attempt. Once round trips have been
    /// measured, the wait adapts to them (smoothed RTT + 4 deviations, at least 250 ms) but
    /// never exceeds this.
    pub timeout: Duration,
    /// Retransmissions to a host that has not answered (so `retries + 1` attempts).
    pub retries: u8,
    /// Local UDP port (0: any; 137 for old stacks that answer only to 137).
    pub source_port: u16,
    /// The targets' port: 137, or another for tests against an in-process responder.
    pub port: u16,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            rate: 0,
            timeout: Duration::from_millis(1000),
            retries: 1,
            source_port: 0,
            port: NBNS_PORT,
        }
    }
}

impl SweepConfig {
    /// What the sans-IO core needs: everything but the socket's own port.
    fn settings(&self) -> Settings {
        Settings {
            rate: self.rate,
            timeout: self.timeout,
            retries: self.retries,
            port: self.port,
        }
    }
}

/// Sweeps `targets` with `query`, calling `on_result` once per target as it finishes.
pub async fn sweep(
    targets: impl Iterator<Item = Ipv4Addr>,
    query: Query,
    cfg: &SweepConfig,
    cancel: &CancellationToken,
    mut on_result: impl FnMut(HostResult),
) -> io::Result<SweepStats> {
    let sock = socket::open(cfg.source_port, Broadcast::Deny)?;
    // Without it the sweep cannot tell a closed 137 (ICMP port unreachable) from silence;
    // a kernel that refuses it leaves those targets silent.
    let _ = icmp::enable(&sock);
    let trn_ids = Box::new(rand::random::<u16>);
    let mut core = Sweep::new(targets, query, cfg.settings(), trn_ids, Instant::now());
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        receive(&sock, &mut core, &mut buf);
        take_icmp_errors(&sock, &mut core);
        emit(&mut core, &mut on_result);
        if cancel.is_cancelled() {
            core.cancel();
            break;
        }
        let now = Instant::now();
        core.handle_timeout(now);
        send_allowed(&sock, &mut core, now);
        emit(&mut core, &mut on_result);
        if core.is_finished() {
            break;
        }
        // Tokio's timers tick in milliseconds, so when the next token is due sooner than
        // that, yield instead of sleeping: at high rates a 1 ms nap per burst would halve
        // the send rate.
        if core
            .next_send()
            .is_some_and(|at| at < now + TIMER_RESOLUTION)
        {
            tokio::task::yield_now().await;
            continue;
        }
        let wake = core
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + cfg.timeout);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {}
            r = sock.ready(Interest::READABLE | Interest::ERROR) => { r?; }
            w = sock.writable(), if core.is_send_blocked() => { w?; core.handle_writable(); }
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
    }
    Ok(core.stats(Instant::now()))
}

/// Hands the core every datagram that is ready, each stamped with the time it was read.
fn receive<I: Iterator<Item = Ipv4Addr>>(sock: &UdpSocket, core: &mut Sweep<I>, buf: &mut [u8]) {
    loop {
        match sock.try_recv_from(buf) {
            Ok((n, src)) => {
                let datagram = buf.get(..n).unwrap_or_default();
                core.handle_datagram(src, datagram, Instant::now());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            // A pending ICMP error (ECONNREFUSED, ...): the error queue says whose.
            Err(_) => {}
        }
    }
}

/// Tells the core of every ICMP destination unreachable in the socket's error queue.
fn take_icmp_errors<I: Iterator<Item = Ipv4Addr>>(sock: &UdpSocket, core: &mut Sweep<I>) {
    loop {
        match sock.try_io(Interest::ERROR, || icmp::take(sock)) {
            Ok(Some((ip, why))) => core.handle_unreachable(ip, why, Instant::now()),
            Ok(None) => {}
            Err(_) => break,
        }
    }
}

/// Sends what the pacer allows at `now` (retransmissions first, then new targets) until
/// the core has nothing more or the socket would block.
fn send_allowed<I: Iterator<Item = Ipv4Addr>>(sock: &UdpSocket, core: &mut Sweep<I>, now: Instant) {
    while let Some(t) = core.poll_transmit(now) {
        match send(sock, t.bytes, SocketAddr::V4(t.dst)) {
            Ok(_) => core.handle_sent(now),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                core.handle_send_error(e.kind());
                break;
            }
            Err(e) => core.handle_send_error(e.kind()),
        }
    }
}

/// Passes every finished host to `on_result`, in the order they finished.
fn emit<I: Iterator<Item = Ipv4Addr>>(core: &mut Sweep<I>, on_result: &mut impl FnMut(HostResult)) {
    while let Some(host) = core.poll_event() {
        on_result(host);
    }
}

/// Sends one datagram. With `IP_RECVERR` an ICMP error for an earlier datagram is also
/// reported by the next call on the socket (the kernel's pending socket error), so a send
/// that fails is tried again: only a failure that repeats belongs to this destination.
fn send(sock: &UdpSocket, datagram: &[u8], dest: SocketAddr) -> io::Result<usize> {
    let mut result = sock.try_send_to(datagram, dest);
    for _ in 0..2 {
        match &result {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => {
                result = sock.try_send_to(datagram, dest);
            }
            _ => break,
        }
    }
    result
}

/// Builds every query a sweep of `targets` would send, sending nothing: for `--dry-run` and
/// for measuring the memory a huge range costs. Returns (targets, bytes).
pub fn dry_run(targets: impl Iterator<Item = Ipv4Addr>, mut query: Query) -> (u64, u64) {
    let (mut count, mut bytes) = (0u64, 0u64);
    for _ in targets {
        count += 1;
        bytes += query.bytes(rand::random()).len() as u64;
    }
    (count, bytes)
}
