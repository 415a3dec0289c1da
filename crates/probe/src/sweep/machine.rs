//! [`Sweep`]: the sweep's whole state, driven by datagrams, socket results and `now`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::io;
use std::iter::Fuse;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::{MAX_IN_FLIGHT, Pacer, Query, RttEstimator, Settings, SweepStats, wack_wait};
use crate::nbns::{NbnsReply, classify_reply, response_header};
use crate::observation::{HostResult, Outcome, Unreachable};

/// Retransmission timeout before any RTT was measured.
const INITIAL_RTO: Duration = Duration::from_millis(250);
/// Shortest retransmission timeout, so a burst of slow answers doesn't double the load.
const MIN_RTO: Duration = Duration::from_millis(100);
/// Shortest wait after a host's last attempt once RTTs are known.
const MIN_FINAL_WAIT: Duration = Duration::from_millis(250);
/// RTT samples needed before the wait after the last attempt adapts to them.
const SAMPLES_TO_ADAPT: u64 = 8;

/// One datagram to send. The sweep keeps offering it until the caller reports what became
/// of it ([`Sweep::handle_sent`], [`Sweep::handle_send_error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// Where it goes.
    pub dst: SocketAddrV4,
    /// The datagram.
    pub bytes: &'a [u8],
}

/// A query awaiting its answer.
#[derive(Debug)]
struct Pending {
    trn_id: u16,
    attempts: u8,
    last_sent: Instant,
    wait_until: Option<Instant>,
}

/// A datagram that matched a query in flight.
enum Matched {
    Done(HostResult),
    Wait(Ipv4Addr, u32),
}

/// The sweep of one target list with one query: a sans-IO state machine.
///
/// Per wake-up the caller feeds every datagram ([`Sweep::handle_datagram`]) and ICMP error
/// ([`Sweep::handle_unreachable`]) that arrived, then [`Sweep::handle_timeout`], then sends
/// while [`Sweep::poll_transmit`] yields, answering each with [`Sweep::handle_sent`] or
/// [`Sweep::handle_send_error`]; it sleeps until [`Sweep::poll_timeout`] and stops once
/// [`Sweep::is_finished`]. Finished hosts come out of [`Sweep::poll_event`] in the order
/// they finished. Targets are pulled lazily, so memory is bounded by [`MAX_IN_FLIGHT`].
pub struct Sweep<I> {
    targets: Fuse<I>,
    query: Query,
    settings: Settings,
    trn_ids: Box<dyn FnMut() -> u16 + Send>,
    start: Instant,
    stats: SweepStats,
    pacer: Pacer,
    rtt: RttEstimator,
    pending: HashMap<Ipv4Addr, Pending>,
    timers: BinaryHeap<Reverse<(Instant, Ipv4Addr, u8)>>,
    queue: VecDeque<Ipv4Addr>,
    events: VecDeque<HostResult>,
    /// The target of the last [`Transmit`], until the caller says what became of it.
    offered: Option<Ipv4Addr>,
    exhausted: bool,
    send_blocked: bool,
    cancelled: bool,
}

impl<I: Iterator<Item = Ipv4Addr>> Sweep<I> {
    /// A sweep of `targets` with `query`, started at `now`. Each new target's transaction ID
    /// comes from `trn_ids` (random in production, so an off-path spoofer must guess it).
    pub fn new(
        targets: I,
        query: Query,
        settings: Settings,
        trn_ids: Box<dyn FnMut() -> u16 + Send>,
        now: Instant,
    ) -> Self {
        Self {
            targets: targets.fuse(),
            query,
            settings,
            trn_ids,
            start: now,
            stats: SweepStats::default(),
            pacer: Pacer::new(settings.rate, now),
            rtt: RttEstimator::new(),
            pending: HashMap::new(),
            timers: BinaryHeap::new(),
            queue: VecDeque::new(),
            events: VecDeque::new(),
            offered: None,
            exhausted: false,
            send_blocked: false,
            cancelled: false,
        }
    }

    /// A datagram from `src` that arrived at `now`. Only one from a queried address, with
    /// that query's transaction ID and the response bit, counts; anything else is stray.
    pub fn handle_datagram(&mut self, src: SocketAddr, datagram: &[u8], now: Instant) {
        if self.cancelled {
            return;
        }
        let Some(matched) = self.match_reply(datagram, src, now) else {
            self.stats.stray += 1;
            return;
        };
        match matched {
            Matched::Wait(ip, secs) => {
                // The attempt's timer finds `wait_until` and reschedules itself.
                if let Some(p) = self.pending.get_mut(&ip) {
                    p.wait_until = Some(now + wack_wait(secs));
                }
            }
            Matched::Done(host) => {
                let rto = self.rto();
                match (host.attempts, host.rtt) {
                    (1, Some(sample)) => {
                        self.rtt.sample(sample);
                        self.pacer.on_success();
                    }
                    _ => self.pacer.on_loss(now, rto),
                }
                self.stats.replied += 1;
                self.events.push_back(host);
            }
        }
    }

    /// An ICMP destination unreachable for a datagram sent to `dst`, seen at `now`: that
    /// target ends at once. Ignored when no query to `dst` is in flight, and for host
    /// unreachable (see [`Unreachable::is_neighbour_failure`]): whether one arrives within
    /// the wait depends on the order of the targets, not on the target.
    pub fn handle_unreachable(&mut self, dst: Ipv4Addr, why: Unreachable, now: Instant) {
        if self.cancelled || why.is_neighbour_failure() {
            return;
        }
        let Some(p) = self.pending.remove(&dst) else {
            return;
        };
        self.stats.unreachable += 1;
        self.events.push_back(HostResult {
            ip: dst,
            outcome: Outcome::Unreachable(why),
            rtt: Some(now.saturating_duration_since(p.last_sent)),
            attempts: p.attempts,
        });
    }

    /// Fires the timers due at `now`: queues a retransmission, or gives a host up as silent
    /// after its last attempt.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.cancelled {
            return;
        }
        let max_attempts = self.max_attempts();
        while let Some(Reverse((deadline, ip, attempt))) = self.timers.peek().copied() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            let Some(p) = self.pending.get_mut(&ip) else {
                continue;
            };
            if p.attempts != attempt {
                continue;
            }
            if let Some(until) = p.wait_until.filter(|u| *u > now) {
                self.timers.push(Reverse((until, ip, attempt)));
                continue;
            }
            if p.attempts < max_attempts {
                self.queue.push_back(ip);
            } else {
                let attempts = p.attempts;
                self.pending.remove(&ip);
                self.stats.silent += 1;
                self.events.push_back(HostResult::silent(ip, attempts));
            }
        }
    }

    /// The next datagram the pacer allows at `now`: retransmissions first, then a new
    /// target. It stays next until [`Sweep::handle_sent`] or [`Sweep::handle_send_error`]
    /// says what became of it. `None` when the pacer or the in-flight cap says wait, when
    /// every target is queried, or once cancelled.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit<'_>> {
        self.offered = None;
        if self.cancelled || self.pacer.available(now) == 0 {
            return None;
        }
        let ip = self.next_to_send(now)?;
        let trn_id = self.pending.get(&ip)?.trn_id;
        self.offered = Some(ip);
        Some(Transmit {
            dst: SocketAddrV4::new(ip, self.settings.port),
            bytes: self.query.bytes(trn_id),
        })
    }

    /// The last [`Transmit`] went out at `now`: arm its timer and take a pacing token.
    pub fn handle_sent(&mut self, now: Instant) {
        let Some(ip) = self.take_offered() else {
            return;
        };
        let (max_attempts, samples) = (self.max_attempts(), self.rtt.samples());
        let (rto, final_wait) = (self.rto(), self.final_wait());
        let Some(p) = self.pending.get_mut(&ip) else {
            return;
        };
        if p.attempts > 0 {
            self.stats.retransmitted += 1;
        }
        p.attempts += 1;
        p.last_sent = now;
        let wait = if p.attempts < max_attempts {
            rto
        } else if samples >= SAMPLES_TO_ADAPT {
            final_wait
        } else {
            self.settings.timeout
        };
        self.timers.push(Reverse((now + wait, ip, p.attempts)));
        self.stats.sent += 1;
        self.pacer.consume();
    }

    /// The socket refused the last [`Transmit`]. `WouldBlock` keeps it next and holds
    /// pacing wake-ups until [`Sweep::handle_writable`]; any other error ends that target
    /// as [`Outcome::SendFailed`] (the caller has already retried it, see the engine).
    pub fn handle_send_error(&mut self, kind: io::ErrorKind) {
        if kind == io::ErrorKind::WouldBlock {
            self.offered = None;
            self.send_blocked = true;
            return;
        }
        let Some(ip) = self.take_offered() else {
            return;
        };
        let Some(p) = self.pending.remove(&ip) else {
            return;
        };
        self.stats.send_failed += 1;
        self.events.push_back(HostResult {
            ip,
            outcome: Outcome::SendFailed(kind),
            rtt: None,
            attempts: p.attempts,
        });
    }

    /// The socket is writable again after a `WouldBlock`.
    pub fn handle_writable(&mut self) {
        self.send_blocked = false;
    }

    /// Whether a `WouldBlock` is waiting for [`Sweep::handle_writable`].
    pub fn is_send_blocked(&self) -> bool {
        self.send_blocked
    }

    /// Stops issuing queries: nothing more is transmitted, later input is ignored and the
    /// sweep is finished. Hosts already finished still come out of [`Sweep::poll_event`];
    /// queries in flight end without a result, as the engine's sweep always did.
    pub fn cancel(&mut self) {
        self.cancelled = true;
        self.stats.cancelled = true;
        self.offered = None;
    }

    /// The next finished host.
    pub fn poll_event(&mut self) -> Option<HostResult> {
        self.events.pop_front()
    }

    /// When the sweep next needs [`Sweep::handle_timeout`] or [`Sweep::poll_transmit`]:
    /// the earliest timer, or the next pacing token while there is something to send and
    /// the socket is not blocked. `None` when nothing is scheduled.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.cancelled {
            return None;
        }
        let timer = self.timers.peek().map(|Reverse((t, _, _))| *t);
        match (timer, self.next_send()) {
            (Some(t), Some(s)) => Some(t.min(s)),
            (t, s) => t.or(s),
        }
    }

    /// When the pacer next allows a datagram, if there is something to send and the socket
    /// is not blocked. A caller whose timers are coarse can poll instead of sleeping when
    /// this is closer than its timer resolution.
    pub fn next_send(&self) -> Option<Instant> {
        let wants_send =
            !self.queue.is_empty() || (!self.exhausted && self.pending.len() < MAX_IN_FLIGHT);
        (wants_send && !self.send_blocked && !self.cancelled).then(|| self.pacer.next_token_at())
    }

    /// Whether every target has ended (or the sweep was cancelled).
    pub fn is_finished(&self) -> bool {
        self.cancelled || (self.exhausted && self.pending.is_empty() && self.queue.is_empty())
    }

    /// The counters so far, with the final rate and the time since the start at `now`.
    pub fn stats(&self, now: Instant) -> SweepStats {
        SweepStats {
            final_rate: self.pacer.rate(),
            elapsed: now.saturating_duration_since(self.start),
            ..self.stats.clone()
        }
    }
}

impl<I: Iterator<Item = Ipv4Addr>> Sweep<I> {
    /// The target to send to next, left at the front of the queue: a queued
    /// retransmission, else a new target (registered as pending at `now`). Skips queued
    /// targets that ended meanwhile and targets listed twice while in flight.
    fn next_to_send(&mut self, now: Instant) -> Option<Ipv4Addr> {
        loop {
            if let Some(&ip) = self.queue.front() {
                if self.pending.contains_key(&ip) {
                    return Some(ip);
                }
                self.queue.pop_front();
                continue;
            }
            if self.exhausted || self.pending.len() >= MAX_IN_FLIGHT {
                return None;
            }
            let Some(ip) = self.targets.next() else {
                self.exhausted = true;
                return None;
            };
            if self.pending.contains_key(&ip) {
                self.stats.duplicates += 1;
                continue;
            }
            self.stats.targets += 1;
            let trn_id = (self.trn_ids)();
            self.pending.insert(
                ip,
                Pending {
                    trn_id,
                    attempts: 0,
                    last_sent: now,
                    wait_until: None,
                },
            );
            self.queue.push_front(ip);
            return Some(ip);
        }
    }

    /// The target of the last [`Transmit`], taken off the front of the queue.
    fn take_offered(&mut self) -> Option<Ipv4Addr> {
        let ip = self.offered.take()?;
        if self.queue.front() == Some(&ip) {
            self.queue.pop_front();
        }
        Some(ip)
    }

    /// Matches a datagram to a query in flight: same source address, same transaction ID,
    /// the response bit set, the query already sent. Anything else is `None`.
    fn match_reply(&mut self, datagram: &[u8], src: SocketAddr, now: Instant) -> Option<Matched> {
        let header = response_header(datagram)?;
        let SocketAddr::V4(src) = src else {
            return None;
        };
        let ip = *src.ip();
        self.pending
            .get(&ip)
            .filter(|p| p.trn_id == header.trn_id && p.attempts > 0)?;
        let reply = classify_reply(datagram, self.query.expect());
        if let NbnsReply::Wait(secs) = reply {
            return Some(Matched::Wait(ip, secs));
        }
        let p = self.pending.remove(&ip)?;
        Some(Matched::Done(HostResult {
            ip,
            outcome: Outcome::Reply(reply),
            rtt: Some(now.saturating_duration_since(p.last_sent)),
            attempts: p.attempts,
        }))
    }

    fn max_attempts(&self) -> u8 {
        self.settings.retries.saturating_add(1)
    }

    /// The wait after an attempt that is not the last.
    fn rto(&self) -> Duration {
        self.rtt.rto(INITIAL_RTO, MIN_RTO, self.settings.timeout)
    }

    /// The wait after the last attempt, once enough round trips were measured.
    fn final_wait(&self) -> Duration {
        self.rtt
            .rto(INITIAL_RTO, MIN_FINAL_WAIT, self.settings.timeout)
    }
}

impl<I> std::fmt::Debug for Sweep<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweep")
            .field("settings", &self.settings)
            .field("stats", &self.stats)
            .field("in_flight", &self.pending.len())
            .field("queued", &self.queue.len())
            .field("exhausted", &self.exhausted)
            .field("cancelled", &self.cancelled)
            .finish_non_exhaustive()
    }
}
