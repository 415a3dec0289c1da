//! Discovery without CAP_NET_RAW: a `connect()` sweep over (address × port).
//!
//! Targets are visited in the keyed order of [`DiscoveryConfig::order`], each address's
//! ports one after another, paced at [`DiscoveryConfig::rate`] connects per second, with
//! as many handshakes in flight as the open-file limit allows ([`ConnectSweep::new`]).
//! The kernel sends the SYNs: its retransmissions (after 1 s, then 3 s, 7 s ...) are the
//! tries, so each connect waits for the last of [`DiscoveryConfig::tries`] SYNs plus the
//! cooldown. A connection that completes is closed at once (the fingerprint opens its
//! own); a refusal is [`PortState::Closed`], an unreachable error
//! [`PortState::Unreachable`]. Running out of descriptors or local ports backs off and
//! retries, as [`crate::tcp::connect`] does.

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::pace::Pacer;
use super::{DiscoveryConfig, DiscoveryProgress, DiscoveryStats, Found, Method, PortState};
use crate::scan::{hosts_for_limit, raise_nofile_limit};
use crate::targets::TargetList;

/// Handshakes in flight at most, whatever the descriptor limit.
pub const MAX_IN_FLIGHT: usize = 8192;

/// The kernel's initial SYN retransmission timeout (Linux `TCP_TIMEOUT_INIT`).
const SYN_RTO: Duration = Duration::from_secs(1);

/// The `connect()` sweep: how many handshakes at once, and why raw packets were not used.
#[derive(Debug)]
pub struct ConnectSweep {
    reason: String,
    in_flight: usize,
    silent: Option<UnboundedSender<(Ipv4Addr, u16)>>,
    /// Targets already done (a resumed scan's): never connected to.
    done: HashSet<Ipv4Addr>,
}

/// What one handshake showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Decided: open, closed or unreachable.
    State(PortState),
    /// No answer to any SYN within the wait.
    Silent,
}

impl ConnectSweep {
    /// A sweep that says `reason` is why it is not raw. It holds at most half the
    /// descriptors RLIMIT_NOFILE allows (raised to its hard limit first; the other half is
    /// the fingerprint stage's, which runs at the same time), and at most
    /// [`MAX_IN_FLIGHT`].
    pub fn new(reason: impl Into<String>) -> Self {
        let nofile = raise_nofile_limit().unwrap_or(1024);
        Self::with_in_flight(reason, hosts_for_limit(nofile, 2).min(MAX_IN_FLIGHT))
    }

    /// As [`Self::new`] with an explicit number of handshakes in flight (at least 1).
    pub fn with_in_flight(reason: impl Into<String>, in_flight: usize) -> Self {
        Self {
            reason: reason.into(),
            in_flight: in_flight.max(1),
            silent: None,
            done: HashSet::new(),
        }
    }

    /// Also reports every (address, port) that stayed silent, as soon as its wait is
    /// over, on `silent` (the raw sweep cannot: its silence is known at the end only).
    pub fn report_silence(&mut self, silent: UnboundedSender<(Ipv4Addr, u16)>) {
        self.silent = Some(silent);
    }

    /// Leaves out `done` (a resumed scan's finished targets).
    pub fn skipping(mut self, done: impl IntoIterator<Item = Ipv4Addr>) -> Self {
        self.done.extend(done);
        self
    }

    /// Handshakes in flight at most.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// How the stage runs: `connect()`, and why.
    pub fn method(&self) -> Method {
        Method::Connect {
            reason: self.reason.clone(),
        }
    }

    /// Sweeps the IPv4 targets of `targets` on `cfg.ports`, sending each decided pair on
    /// `found` as soon as it is known. Fails only if the targets cannot be walked.
    pub async fn run(
        self,
        targets: &TargetList,
        cfg: &DiscoveryConfig,
        cancel: &CancellationToken,
        progress: &DiscoveryProgress,
        found: UnboundedSender<Found>,
    ) -> io::Result<DiscoveryStats> {
        let walk = targets
            .walk(cfg.order)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mut pairs = walk
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            })
            .filter(|ip| !self.done.contains(ip))
            .flat_map(|ip| cfg.ports.iter().map(move |&port| (ip, port)));
        let wait = connect_wait(cfg.tries, cfg.cooldown);
        let started = Instant::now();
        let mut stats = DiscoveryStats::new(self.method());
        let mut pacer = Pacer::new(cfg.rate, started);
        let mut running: JoinSet<(Ipv4Addr, u16, Answer, Duration)> = JoinSet::new();
        let mut exhausted = false;
        let mut last_send = started;
        loop {
            let mut pause = None;
            while !exhausted && !cancel.is_cancelled() && running.len() < self.in_flight {
                let now = Instant::now();
                let due = pacer.wait(now);
                if !due.is_zero() {
                    pause = Some(due);
                    break;
                }
                let Some((ip, port)) = pairs.next() else {
                    exhausted = true;
                    break;
                };
                pacer.sent(now);
                last_send = now;
                stats.sent += 1;
                progress.sent.fetch_add(1, Ordering::Relaxed);
                running.spawn(async move {
                    let answer = handshake(SocketAddr::new(ip.into(), port), wait).await;
                    (ip, port, answer, started.elapsed())
                });
            }
            if running.is_empty() && (exhausted || cancel.is_cancelled()) {
                break;
            }
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    running.abort_all();
                    stats.cancelled = true;
                    break;
                }
                Some(done) = running.join_next() => {
                    if let Ok((ip, port, answer, at)) = done {
                        self.record(&mut stats, progress, &found, (ip, port, answer, at));
                    }
                }
                () = tokio::time::sleep(pause.unwrap_or_default()), if pause.is_some() => {}
            }
        }
        stats.planned = stats.sent;
        progress.planned.fetch_max(stats.planned, Ordering::Relaxed);
        stats.send_time = last_send.saturating_duration_since(started);
        stats.elapsed = started.elapsed();
        progress.done.store(true, Ordering::Relaxed);
        Ok(stats)
    }

    /// Counts one finished handshake and hands it on.
    fn record(
        &self,
        stats: &mut DiscoveryStats,
        progress: &DiscoveryProgress,
        found: &UnboundedSender<Found>,
        (ip, port, answer, at): (Ipv4Addr, u16, Answer, Duration),
    ) {
        let state = match answer {
            Answer::State(state) => state,
            Answer::Silent => {
                if let Some(silent) = &self.silent {
                    let _ = silent.send((ip, port));
                }
                return;
            }
        };
        stats.valid_replies += 1;
        match state {
            PortState::Open => {
                stats.open += 1;
                progress.open.fetch_add(1, Ordering::Relaxed);
            }
            PortState::Closed => stats.closed += 1,
            PortState::Unreachable { .. } => stats.unreachable += 1,
        }
        // A receiver gone (the scan cancelled) is not an error of the sweep.
        let _ = found.send(Found {
            ip: ip.into(),
            port,
            state,
            attempt: 1,
            at,
        });
    }
}

/// How long a connect waits: until the kernel has sent `tries` SYNs (at 0, 1, 3, 7 ... s)
/// and the cooldown after the last has passed.
pub fn connect_wait(tries: u8, cooldown: Duration) -> Duration {
    let retransmissions = u32::from(tries.clamp(1, 7)) - 1;
    SYN_RTO * ((1u32 << retransmissions) - 1) + cooldown
}

/// One handshake to `addr` within `wait`; backs off (10 ms doubling to 500 ms) while the
/// process is out of descriptors or local ports.
async fn handshake(addr: SocketAddr, wait: Duration) -> Answer {
    let attempt = async {
        let mut backoff = Duration::from_millis(10);
        loop {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    drop(stream);
                    return Answer::State(PortState::Open);
                }
                Err(e) if must_wait(&e) => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
                Err(e) => return classify(&e),
            }
        }
    };
    tokio::time::timeout(wait, attempt)
        .await
        .unwrap_or(Answer::Silent)
}

/// Errors that say nothing about the target: no descriptor or no local port free.
fn must_wait(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error().map(Errno::from_raw),
        Some(Errno::EMFILE | Errno::ENFILE | Errno::EADDRNOTAVAIL | Errno::ENOBUFS)
    )
}

/// A failed connect's verdict: the ICMP type and code the kernel's errno stands for
/// (RFC 792: 3/0 net, 3/1 host, 3/13 administratively prohibited).
fn classify(e: &io::Error) -> Answer {
    let unreachable = |code| Answer::State(PortState::Unreachable { icmp_type: 3, code });
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ECONNREFUSED | Errno::ECONNRESET) => Answer::State(PortState::Closed),
        Some(Errno::ENETUNREACH) => unreachable(0),
        Some(Errno::EHOSTUNREACH | Errno::EHOSTDOWN) => unreachable(1),
        Some(Errno::EACCES | Errno::EPERM) => unreachable(13),
        _ => Answer::Silent,
    }
}

#[cfg(test)]
mod tests;
