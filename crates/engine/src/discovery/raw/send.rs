//! The sending thread: passes over the keyed permutation of pairs, paced, each pass
//! re-sending only to pairs still undecided, then the cooldown.
//!
//! **Retransmission.** Pass 1 sends to every pair. Before each further pass the thread
//! waits [`RETRY_WAIT`] (late answers still count), then sends again to the pairs no
//! answer decided, each from the next source port ([`SynCookie::source_port`]), so a
//! target's SYN queue sees a new connection. It is adaptive twice over:
//! - a big retry pass (at least [`SAMPLE_FROM`] pairs undecided) tells **live** pairs
//!   (another port of the address answered: a lost SYN is likely) from **dark** ones
//!   (nothing of the address answered: most likely filtered or empty). Dark pairs are
//!   **sampled** first: one in [`SAMPLE`] is retried, and only if the sample recovers an
//!   answer are the other dark pairs retried; live pairs are always retried. Silent
//!   space, most of an internet sweep, then costs 1/[`SAMPLE`] of a pass instead of a
//!   whole one, and a busy server that dropped a few SYNs still gets them again. A loss
//!   too rare for the sample to see (a few dark hosts in a /16) goes unretried: `tries` 3
//!   or more makes each of the configured passes whole, as ZMap's `--probes`;
//! - after the last configured pass, one more (up to [`MAX_TRIES`]) whenever the last
//!   pass recovered more than 1 in [`LOSS_HIGH`] of the answers so far: a lossy path gets
//!   more tries without the user asking (these extra passes are sampled like any big one).
//!
//! [`SynCookie::source_port`]: smbaudit_wire::tcpip::cookie::SynCookie::source_port

use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use smbaudit_wire::tcpip::IpPair;
use socket2::Socket;
use tokio_util::sync::CancellationToken;

use super::batch::Batch;
use super::batch::OutOfScope;
use super::nbstat;
use super::pace::{Pacer, wait_until};
use super::plan::{Pairs, Probe, Skip};
use super::{MAX_TRIES, Shared};
use crate::discovery::DiscoveryProgress;
use crate::targets::{Order, Permutation};

/// The pause before a retransmission pass, after the pass before it.
pub(super) const RETRY_WAIT: Duration = Duration::from_millis(250);
/// One dark undecided pair in `SAMPLE` is retried first on a big retry pass.
pub(super) const SAMPLE: u64 = 16;
/// Undecided pairs from which a retry pass samples its dark pairs first.
pub(super) const SAMPLE_FROM: u64 = 16 * 1024;
/// A pass that recovers more than 1 answer in `LOSS_HIGH` earns one more pass.
pub(super) const LOSS_HIGH: u64 = 100;
/// Positions of a pass between two looks at the cancellation token when nothing is sent.
const CANCEL_EVERY: usize = 1 << 16;
/// How often a wait looks at the cancellation token.
const CANCEL_POLL: Duration = Duration::from_millis(10);

/// What the sender did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sent {
    /// Pairs of pass 1 (IPv4 targets × ports).
    pub(super) planned: u64,
    /// Packets sent, retransmissions included.
    pub(super) sent: u64,
    /// Of those, retransmissions.
    pub(super) retransmitted: u64,
    /// Packets the kernel refused (a broadcast address of our link).
    pub(super) unsendable: u64,
    /// IPv6 pairs skipped.
    pub(super) skipped_v6: u64,
    /// Passes begun (a sampled pass and its rest count as one).
    pub(super) passes: u8,
    /// From the first send to the last.
    pub(super) send_time: Duration,
    /// Whether the run was cancelled.
    pub(super) cancelled: bool,
}

/// Which undecided pairs of the permutation a pass visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    All,
    /// Dark pairs (no other pair of the address decided) at positions `p % SAMPLE == 0`.
    DarkSample,
    /// Live pairs, and the dark pairs the sample left out if `dark_rest`.
    AfterSample {
        dark_rest: bool,
    },
}

impl Part {
    /// Whether the pair at `position` is visited; `live` says whether another pair of
    /// its address is decided (asked only when it matters).
    fn keeps(self, position: u64, live: impl FnOnce() -> bool) -> bool {
        let sampled = position % SAMPLE == 0;
        match self {
            Self::All => true,
            Self::DarkSample => sampled && !live(),
            Self::AfterSample { dark_rest } => live() || (dark_rest && !sampled),
        }
    }
}

/// The sender's settings.
#[derive(Debug, Clone, Copy)]
pub(super) struct SendPlan {
    pub(super) rate: u32,
    pub(super) tries: u8,
    pub(super) order: Order,
    pub(super) cooldown: Duration,
}

/// The whole sending side of a sweep, cooldown included (then it raises `shared.stop`).
pub(super) fn send_all(
    shared: &Shared,
    socket: &Socket,
    plan: SendPlan,
    cancel: &CancellationToken,
    progress: &DiscoveryProgress,
) -> io::Result<Sent> {
    let result = Sweep::new(shared, socket, plan, cancel, progress)
        .and_then(|mut s| s.run().map(|sent| (sent, s.last_send)));
    let result = result.map(|(sent, last_send)| {
        // The retry pause after the last pass already counts towards the cooldown.
        pause(last_send + plan.cooldown, cancel);
        Sent {
            cancelled: sent.cancelled || cancel.is_cancelled(),
            ..sent
        }
    });
    shared.stop.store(true, Ordering::Release);
    result
}

struct Sweep<'a> {
    shared: &'a Shared,
    socket: &'a Socket,
    plan: SendPlan,
    cancel: &'a CancellationToken,
    progress: &'a DiscoveryProgress,
    pairs: Pairs<'a>,
    batch: Batch,
    pacer: Pacer,
    sent: Sent,
    first_send: Option<Instant>,
    last_send: Instant,
    /// The NBSTAT query, its transaction ID rewritten per target.
    query: Vec<u8>,
}

impl<'a> Sweep<'a> {
    fn new(
        shared: &'a Shared,
        socket: &'a Socket,
        plan: SendPlan,
        cancel: &'a CancellationToken,
        progress: &'a DiscoveryProgress,
    ) -> io::Result<Self> {
        let pairs = Pairs::new(&shared.targets, &shared.ports, shared.slots())
            .ok_or_else(|| io::Error::other(super::RawUnavailable::TooManyTargets))?;
        Ok(Self {
            pairs,
            shared,
            socket,
            plan,
            cancel,
            progress,
            batch: Batch::new(),
            pacer: Pacer::new(plan.rate),
            sent: Sent::default(),
            first_send: None,
            last_send: Instant::now(),
            query: nbstat::query_template(),
        })
    }

    fn run(&mut self) -> io::Result<Sent> {
        let tries = self.plan.tries.clamp(1, MAX_TRIES);
        self.pass(0, Part::All)?;
        let mut attempt = 1;
        while attempt < MAX_TRIES && tries > 1 && !self.sent.cancelled && self.undecided() > 0 {
            self.retry_pause();
            if attempt >= tries && !self.lossy(attempt - 1) {
                break;
            }
            // The configured passes of `tries` 3 or more are whole, as asked.
            let whole = tries >= 3 && attempt < tries;
            if !whole && self.undecided() >= SAMPLE_FROM {
                self.pass(attempt, Part::DarkSample)?;
                self.retry_pause();
                let dark_rest = self.shared.counts.recovered(attempt) > 0;
                self.pass(attempt, Part::AfterSample { dark_rest })?;
            } else {
                self.pass(attempt, Part::All)?;
            }
            attempt += 1;
        }
        self.sent.send_time = self
            .first_send
            .map(|f| self.last_send.saturating_duration_since(f))
            .unwrap_or_default();
        Ok(self.sent)
    }

    /// Whether the answers to `attempt` (0-based) were more than 1 in [`LOSS_HIGH`] of
    /// all answers so far.
    fn lossy(&self, attempt: u8) -> bool {
        let counts = &self.shared.counts;
        let all: u64 = (0..=attempt).map(|a| counts.recovered(a)).sum();
        attempt > 0 && counts.recovered(attempt) * LOSS_HIGH > all
    }

    fn undecided(&self) -> u64 {
        self.sent
            .planned
            .saturating_sub(self.shared.counts.decided.load(Ordering::Relaxed))
    }

    fn retry_pause(&mut self) {
        pause(Instant::now() + RETRY_WAIT, self.cancel);
        self.sent.cancelled |= self.cancel.is_cancelled();
        self.pacer.restart();
    }

    /// One pass: `part` of the permutation, undecided pairs only, as send `attempt`.
    fn pass(&mut self, attempt: u8, part: Part) -> io::Result<()> {
        if self.sent.cancelled {
            return Ok(());
        }
        if !matches!(part, Part::AfterSample { .. }) {
            self.sent.passes += 1;
        }
        let permutation = Permutation::new(self.pairs.len(), self.plan.order.seed);
        let batch_size = self.pacer.batch_size();
        let slots = self.pairs.slots();
        for (position, j) in self.plan.order.shard.indices(permutation).enumerate() {
            // A pass over mostly decided or excluded space sends little: look at the
            // token now and then all the same.
            if position % CANCEL_EVERY == 0 && self.cancel.is_cancelled() {
                self.sent.cancelled = true;
                return Ok(());
            }
            let decided = &self.shared.decided;
            if decided.is_decided(j)
                || !part.keeps(position as u64, || decided.sibling_decided(j, slots))
            {
                continue;
            }
            let (dst, probe) = match self.pairs.pair(j) {
                Ok(pair) => pair,
                Err(skip) => {
                    if attempt == 0 && skip == Skip::Ipv6 {
                        self.sent.skipped_v6 += 1;
                    }
                    continue;
                }
            };
            if attempt == 0 {
                self.sent.planned += 1;
            }
            let port = match probe {
                Probe::Tcp(port) => port,
                Probe::Nbstat => {
                    self.query(dst, attempt)?;
                    continue;
                }
            };
            let ips = IpPair::V4 {
                src: self.shared.egress.source,
                dst,
            };
            let syn = self.shared.cookie.syn(ips, port, u32::from(attempt));
            if let Err(refused) = self.batch.push(j, &syn, dst, self.pairs.lookup()) {
                self.shared
                    .counts
                    .out_of_scope
                    .fetch_add(1, Ordering::Relaxed);
                return Err(io::Error::other(refused));
            }
            if self.batch.len() >= batch_size {
                self.flush(attempt)?;
                if self.cancel.is_cancelled() {
                    self.sent.cancelled = true;
                    return Ok(());
                }
            }
        }
        self.flush(attempt)?;
        if attempt == 0 {
            self.progress
                .planned
                .store(self.sent.planned, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Sends the NBSTAT query to `dst`, paced as one packet, after the scope check.
    fn query(&mut self, dst: std::net::Ipv4Addr, attempt: u8) -> io::Result<()> {
        let Some(side) = &self.shared.nbstat else {
            return Ok(());
        };
        let admitted = self.pairs.lookup().contains(dst.into());
        debug_assert!(admitted, "scope assertion: NBSTAT to {dst}");
        if !admitted {
            self.shared
                .counts
                .out_of_scope
                .fetch_add(1, Ordering::Relaxed);
            return Err(io::Error::other(OutOfScope { dst }));
        }
        self.pacer.wait_and_release(1);
        match nbstat::send_query(&side.socket, &mut self.query, &self.shared.cookie, dst) {
            Ok(()) => self.count_sent(1, attempt),
            Err(refused) => self.refused_query(dst, refused.kind()),
        }
        Ok(())
    }

    /// The kernel refused the query to `dst`: its 137 is decided as not sendable, never
    /// asked again.
    fn refused_query(&mut self, dst: std::net::Ipv4Addr, kind: io::ErrorKind) {
        let outcome = smbaudit_probe::observation::Outcome::SendFailed(kind);
        if nbstat::decide(self.shared, &self.pairs, dst, outcome) {
            self.sent.unsendable += 1;
        }
    }

    fn count_sent(&mut self, sent: u64, attempt: u8) {
        let now = Instant::now();
        self.first_send.get_or_insert(now);
        self.last_send = now;
        self.sent.sent += sent;
        if attempt > 0 {
            self.sent.retransmitted += sent;
        }
        self.progress.sent.fetch_add(sent, Ordering::Relaxed);
    }

    fn flush(&mut self, attempt: u8) -> io::Result<()> {
        let n = self.batch.len();
        if n == 0 {
            return Ok(());
        }
        self.pacer.wait_and_release(n);
        // A refused destination is never sent to again: its pair is marked decided
        // (without a report, as nothing answered).
        let decided = &self.shared.decided;
        let counts = &self.shared.counts;
        let refused = self.batch.flush(self.socket, |pair| {
            if decided.decide(pair) {
                counts.decided.fetch_add(1, Ordering::Relaxed);
            }
        })?;
        self.sent.unsendable += refused;
        self.count_sent(n as u64 - refused, attempt);
        Ok(())
    }
}

/// Waits until `deadline` or a cancellation, whichever comes first.
fn pause(deadline: Instant, cancel: &CancellationToken) {
    while !cancel.is_cancelled() {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        wait_until(deadline.min(now + CANCEL_POLL));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sampled_pass_retries_live_pairs_and_only_sampled_dark_ones() {
        let (sampled, other) = (SAMPLE * 3, SAMPLE * 3 + 1);
        assert!(Part::DarkSample.keeps(sampled, || false));
        assert!(
            !Part::DarkSample.keeps(sampled, || true),
            "live: the rest has it"
        );
        assert!(!Part::DarkSample.keeps(other, || false));
        let without_dark = Part::AfterSample { dark_rest: false };
        assert!(without_dark.keeps(other, || true) && without_dark.keeps(sampled, || true));
        assert!(!without_dark.keeps(other, || false));
        let with_dark = Part::AfterSample { dark_rest: true };
        assert!(with_dark.keeps(other, || false));
        assert!(
            !with_dark.keeps(sampled, || false),
            "sent in the sample already"
        );
        assert!(Part::All.keeps(other, || false));
    }
}
