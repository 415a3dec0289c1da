//! The NBNS sweep: one UDP socket for the whole run, paced sends, replies matched by source
//! address and transaction ID, adaptive retransmission.
//!
//! Memory is bounded by the queries in flight ([`MAX_IN_FLIGHT`]), never by the size of the
//! target range: targets are pulled from a lazy iterator as the pacer allows.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use smbaudit_probe::nbns::{NbnsReply, classify_reply, response_header};
use smbaudit_wire::nbns::{
    NbName, Packet, QualifiedName, QueryMode, RrType, name_query_request, node_status_request,
};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use super::icmp;
use super::pacer::Pacer;
use super::rtt::RttEstimator;
use super::socket::{self, Broadcast};

/// The NBNS port.
pub const NBNS_PORT: u16 = 137;
/// Most queries awaiting an answer at once; bounds memory whatever the range.
pub const MAX_IN_FLIGHT: usize = 65_536;
/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65_536;
/// Retransmission timeout before any RTT was measured.
const INITIAL_RTO: Duration = Duration::from_millis(250);
/// Shortest retransmission timeout, so a burst of slow answers doesn't double the load.
const MIN_RTO: Duration = Duration::from_millis(100);
/// Shortest wait after a host's last attempt once RTTs are known.
const MIN_FINAL_WAIT: Duration = Duration::from_millis(250);
/// RTT samples needed before the wait after the last attempt adapts to them.
const SAMPLES_TO_ADAPT: u64 = 8;
/// Granularity of tokio's timer wheel.
const TIMER_RESOLUTION: Duration = Duration::from_millis(1);
/// Longest extra wait a WACK can ask for.
const MAX_WACK_WAIT: Duration = Duration::from_secs(10);

/// How long to keep waiting after a WACK asking for `secs` seconds (RFC 1002 §4.2.16),
/// capped so a hostile server can't hold a query open.
pub(crate) fn wack_wait(secs: u32) -> Duration {
    Duration::from_secs(secs.into()).min(MAX_WACK_WAIT)
}

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

/// What is asked of every target.
#[derive(Debug, Clone)]
pub struct Query {
    template: Vec<u8>,
    expect: RrType,
}

impl Query {
    /// A NODE STATUS request for `*`, as `nbtstat -A` sends it.
    pub fn node_status() -> Self {
        Self::from_packet(
            node_status_request(0, QualifiedName::new(NbName::WILDCARD)),
            RrType::NBSTAT,
        )
    }

    /// A NAME QUERY for `name`.
    pub fn name_query(name: QualifiedName, mode: QueryMode) -> Self {
        Self::from_packet(name_query_request(0, name, mode), RrType::NB)
    }

    fn from_packet(packet: Packet, expect: RrType) -> Self {
        Self {
            template: packet.to_bytes(),
            expect,
        }
    }

    /// The request with transaction ID `trn_id`.
    pub fn bytes(&mut self, trn_id: u16) -> &[u8] {
        if let Some(id) = self.template.first_chunk_mut::<2>() {
            *id = trn_id.to_be_bytes();
        }
        &self.template
    }

    /// The record type a positive answer carries.
    pub fn expect(&self) -> RrType {
        self.expect
    }
}

pub use smbaudit_probe::observation::{HostResult, Outcome};

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

#[derive(Debug)]
struct Pending {
    trn_id: u16,
    attempts: u8,
    last_sent: Instant,
    wait_until: Option<Instant>,
}

/// Sweeps `targets` with `query`, calling `on_result` once per target as it finishes.
pub async fn sweep(
    targets: impl Iterator<Item = Ipv4Addr>,
    mut query: Query,
    cfg: &SweepConfig,
    cancel: &CancellationToken,
    mut on_result: impl FnMut(HostResult),
) -> io::Result<SweepStats> {
    let sock = socket::open(cfg.source_port, Broadcast::Deny)?;
    // Without it the sweep cannot tell a closed 137 (ICMP port unreachable) from silence;
    // a kernel that refuses it leaves those targets silent.
    let _ = icmp::enable(&sock);
    let start = Instant::now();
    let max_attempts = cfg.retries.saturating_add(1);
    let mut targets = targets.fuse();
    let mut stats = SweepStats::default();
    let mut pacer = Pacer::new(cfg.rate, start);
    let mut rtt = RttEstimator::new();
    let mut pending: HashMap<Ipv4Addr, Pending> = HashMap::new();
    let mut timers: BinaryHeap<Reverse<(Instant, Ipv4Addr, u8)>> = BinaryHeap::new();
    let mut queue: VecDeque<Ipv4Addr> = VecDeque::new();
    let mut exhausted = false;
    let mut write_blocked = false;
    let mut buf = vec![0u8; MAX_DATAGRAM];

    loop {
        // 1. Take every datagram that is ready.
        loop {
            match sock.try_recv_from(&mut buf) {
                Ok((n, src)) => {
                    let now = Instant::now();
                    let datagram = buf.get(..n).unwrap_or_default();
                    let Some(result) = match_reply(datagram, src, &query, &mut pending, now) else {
                        stats.stray += 1;
                        continue;
                    };
                    match result {
                        Matched::Wait(ip, secs) => {
                            // The attempt's timer finds `wait_until` and reschedules itself.
                            if let Some(p) = pending.get_mut(&ip) {
                                p.wait_until = Some(now + wack_wait(secs));
                            }
                        }
                        Matched::Done(host) => {
                            let rto = rtt.rto(INITIAL_RTO, MIN_RTO, cfg.timeout);
                            match (host.attempts, host.rtt) {
                                (1, Some(sample)) => {
                                    rtt.sample(sample);
                                    pacer.on_success();
                                }
                                _ => pacer.on_loss(now, rto),
                            }
                            stats.replied += 1;
                            on_result(host);
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // A pending ICMP error (ECONNREFUSED, ...): the error queue below says whose.
                Err(_) => {}
            }
        }
        // 1b. ICMP errors: whose query failed, and why.
        loop {
            match sock.try_io(Interest::ERROR, || icmp::take(&sock)) {
                Ok(Some((ip, why))) => {
                    let Some(p) = pending.remove(&ip) else {
                        continue;
                    };
                    stats.unreachable += 1;
                    on_result(HostResult {
                        ip,
                        outcome: Outcome::Unreachable(why),
                        rtt: Some(Instant::now().saturating_duration_since(p.last_sent)),
                        attempts: p.attempts,
                    });
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
        if cancel.is_cancelled() {
            stats.cancelled = true;
            break;
        }

        // 2. Fire due timers: retransmit, or give up after the last attempt.
        let now = Instant::now();
        while let Some(Reverse((deadline, ip, attempt))) = timers.peek().copied() {
            if deadline > now {
                break;
            }
            timers.pop();
            let Some(p) = pending.get_mut(&ip) else {
                continue;
            };
            if p.attempts != attempt {
                continue;
            }
            if let Some(until) = p.wait_until.filter(|u| *u > now) {
                timers.push(Reverse((until, ip, attempt)));
                continue;
            }
            if p.attempts < max_attempts {
                queue.push_back(ip);
            } else {
                let attempts = p.attempts;
                pending.remove(&ip);
                stats.silent += 1;
                on_result(HostResult {
                    ip,
                    outcome: Outcome::NoReply,
                    rtt: None,
                    attempts,
                });
            }
        }

        // 3. Send what the pacer allows: retransmissions first, then new targets.
        let mut budget = pacer.available(now);
        while budget > 0 {
            let ip = match queue.pop_front() {
                Some(ip) => ip,
                None if !exhausted && pending.len() < MAX_IN_FLIGHT => match targets.next() {
                    Some(ip) if pending.contains_key(&ip) => {
                        stats.duplicates += 1;
                        continue;
                    }
                    Some(ip) => {
                        stats.targets += 1;
                        let trn_id = rand::random();
                        pending.insert(
                            ip,
                            Pending {
                                trn_id,
                                attempts: 0,
                                last_sent: now,
                                wait_until: None,
                            },
                        );
                        ip
                    }
                    None => {
                        exhausted = true;
                        break;
                    }
                },
                None => break,
            };
            let Some(p) = pending.get_mut(&ip) else {
                continue;
            };
            match send(
                &sock,
                query.bytes(p.trn_id),
                SocketAddr::new(IpAddr::V4(ip), cfg.port),
            ) {
                Ok(_) => {
                    if p.attempts > 0 {
                        stats.retransmitted += 1;
                    }
                    p.attempts += 1;
                    p.last_sent = now;
                    let wait = if p.attempts < max_attempts {
                        rtt.rto(INITIAL_RTO, MIN_RTO, cfg.timeout)
                    } else if rtt.samples() >= SAMPLES_TO_ADAPT {
                        rtt.rto(INITIAL_RTO, MIN_FINAL_WAIT, cfg.timeout)
                    } else {
                        cfg.timeout
                    };
                    timers.push(Reverse((now + wait, ip, p.attempts)));
                    stats.sent += 1;
                    pacer.consume();
                    budget -= 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    queue.push_front(ip);
                    write_blocked = true;
                    break;
                }
                Err(e) => {
                    let attempts = p.attempts;
                    pending.remove(&ip);
                    stats.send_failed += 1;
                    on_result(HostResult {
                        ip,
                        outcome: Outcome::SendFailed(e.kind()),
                        rtt: None,
                        attempts,
                    });
                }
            }
        }

        if exhausted && pending.is_empty() && queue.is_empty() {
            break;
        }

        // 4. Sleep until a datagram, the next timer, or the next send token. Tokio's timers
        // tick in milliseconds, so when the next token is due sooner than that, yield instead
        // of sleeping: at high rates a 1 ms nap per burst would halve the send rate.
        let wants_send = !queue.is_empty() || (!exhausted && pending.len() < MAX_IN_FLIGHT);
        if wants_send && !write_blocked && pacer.next_token_in() < TIMER_RESOLUTION {
            tokio::task::yield_now().await;
            continue;
        }
        let mut wake = timers.peek().map(|Reverse((t, _, _))| *t);
        if wants_send && !write_blocked {
            let t = Instant::now() + pacer.next_token_in();
            wake = Some(wake.map_or(t, |w| w.min(t)));
        }
        let sleep =
            tokio::time::sleep_until(wake.unwrap_or_else(|| Instant::now() + cfg.timeout).into());
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {}
            r = sock.ready(Interest::READABLE | Interest::ERROR) => { r?; }
            w = sock.writable(), if write_blocked => { w?; write_blocked = false; }
            _ = sleep => {}
        }
    }
    stats.final_rate = pacer.rate();
    stats.elapsed = start.elapsed();
    Ok(stats)
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

enum Matched {
    Done(HostResult),
    Wait(Ipv4Addr, u32),
}

/// Matches a datagram to a query in flight: same source address, same transaction ID, the
/// response bit set. Anything else is `None` and never reported.
fn match_reply(
    datagram: &[u8],
    src: SocketAddr,
    query: &Query,
    pending: &mut HashMap<Ipv4Addr, Pending>,
    now: Instant,
) -> Option<Matched> {
    let header = response_header(datagram)?;
    let SocketAddr::V4(src) = src else {
        return None;
    };
    let ip = *src.ip();
    pending
        .get(&ip)
        .filter(|p| p.trn_id == header.trn_id && p.attempts > 0)?;
    let reply = classify_reply(datagram, query.expect());
    if let NbnsReply::Wait(secs) = reply {
        return Some(Matched::Wait(ip, secs));
    }
    let p = pending.remove(&ip)?;
    Some(Matched::Done(HostResult {
        ip,
        outcome: Outcome::Reply(reply),
        rtt: Some(now.saturating_duration_since(p.last_sent)),
        attempts: p.attempts,
    }))
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
