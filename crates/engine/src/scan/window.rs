//! How many hosts are probed at once: up to `--concurrency`, halved when handshakes show
//! dropped SYNs, grown back by one host per window of hosts that finish cleanly (AIMD, as
//! TCP and nmap do). It starts small and grows by one host per host finished (slow start,
//! doubling every window) until the first stall or the cap: a scan whose discovery hands on
//! thousands of hosts at once would otherwise open `--concurrency` × 3 connections in one
//! burst, overflow a busy server's accept queue, and spend many halvings and slow regrowth
//! recovering (measured: the 4096-address farm with 50 ms more RTT took 189 s from 256 at
//! once, down to 30, against 148 s at a fixed 48).
//!
//! The signal is a handshake to an open port that took [`SLOW_HANDSHAKE`] longer than the
//! scan's fastest one: the first SYN was lost and the kernel resent it after its 1 s initial
//! RTO (measuring from the fastest keeps long-RTT paths from looking stalled). On a LAN that
//! means a listener's accept queue overflowed (Samba listens with a backlog of 50), so more
//! hosts at once would only add 1 s stalls, not speed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A handshake this much slower than the fastest had its SYN resent (Linux's initial RTO is
/// 1 s).
pub(crate) const SLOW_HANDSHAKE: Duration = Duration::from_millis(900);
/// The window never shrinks below this many hosts.
const FLOOR: usize = 4;
/// The window's size at the start of slow start.
const INITIAL: usize = 16;

/// One stalled handshake in this many hosts of the window is an overload; fewer are a
/// SYN lost now and then, which costs its host 1 s, not the scan half its hosts.
const STALLS_PER_WINDOW: usize = 32;

/// The scan's fastest handshake and its stalled ones, shared by all hosts.
#[derive(Debug)]
pub(crate) struct Congestion {
    base: Instant,
    /// Nanoseconds of the fastest handshake so far.
    fastest: AtomicU64,
    /// Nanoseconds from `base` to the window's last halving, plus one (0: none).
    halved_at: AtomicU64,
    /// Slow handshakes that began after the last halving.
    stalls: AtomicU64,
}

impl Default for Congestion {
    fn default() -> Self {
        Self {
            base: Instant::now(),
            fastest: AtomicU64::new(u64::MAX),
            halved_at: AtomicU64::new(0),
            stalls: AtomicU64::new(0),
        }
    }
}

impl Congestion {
    /// Records a handshake that began at `started` and completed at `done`.
    pub(crate) fn handshake(&self, started: Instant, done: Instant) {
        let took = nanos(done.saturating_duration_since(started));
        let fastest = self.fastest.fetch_min(took, Ordering::Relaxed).min(took);
        if took >= fastest.saturating_add(nanos(SLOW_HANDSHAKE)) {
            let at = self.since_base(started).saturating_add(1);
            if at > self.halved_at.load(Ordering::Relaxed) {
                self.stalls.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The window halved at `now`: only handshakes that begin later count as stalls.
    fn halved(&self, now: Instant) {
        self.halved_at
            .store(self.since_base(now).saturating_add(1), Ordering::Relaxed);
        self.stalls.store(0, Ordering::Relaxed);
    }

    fn since_base(&self, at: Instant) -> u64 {
        nanos(at.saturating_duration_since(self.base))
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The number of hosts allowed in flight.
#[derive(Debug)]
pub(crate) struct Window {
    limit: usize,
    cap: usize,
    lowest: usize,
    /// Hosts finished since the limit last changed.
    since_change: usize,
    /// Growing by one host per host finished, until the first stall.
    slow_start: bool,
}

impl Window {
    /// A window of `cap` hosts (the user's `--concurrency`).
    pub(crate) fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            limit: INITIAL.min(cap),
            cap,
            lowest: cap,
            since_change: 0,
            slow_start: true,
        }
    }

    /// Hosts that may be in flight now.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// The smallest the window has been made by stalls (the cap if never).
    pub(crate) fn lowest(&self) -> usize {
        self.lowest
    }

    /// A host finished. Halves the window when one handshake in [`STALLS_PER_WINDOW`] hosts
    /// of it (at least one) that began after the last halving was slow (the stalls of one
    /// overload arrive together and halve once); otherwise grows it by one host (slow
    /// start) or by one host per window of finished hosts.
    pub(crate) fn host_finished(&mut self, congestion: &Congestion, now: Instant) {
        self.since_change += 1;
        let stalls = congestion.stalls.load(Ordering::Relaxed);
        let overload = (self.limit / STALLS_PER_WINDOW).max(1) as u64;
        if stalls >= overload {
            self.limit = (self.limit / 2).max(FLOOR.min(self.cap));
            self.lowest = self.lowest.min(self.limit);
            // Handshakes already under way when the window shrank do not count again.
            congestion.halved(now);
            self.since_change = 0;
            self.slow_start = false;
        } else if self.slow_start && self.limit < self.cap {
            self.limit += 1;
        } else if self.since_change >= self.limit && self.limit < self.cap {
            self.limit += 1;
            self.since_change = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A scan's clock: the congestion record and instants from its base.
    struct Clock(Congestion);

    impl Clock {
        fn at(&self, ms: u64) -> Instant {
            self.0.base + MS * u32::try_from(ms).unwrap()
        }

        /// A handshake from `from` ms to `to` ms.
        fn handshake(&self, from: u64, to: u64) {
            self.0.handshake(self.at(from), self.at(to));
        }

        fn finish(&self, window: &mut Window, hosts: usize, at: u64) {
            for _ in 0..hosts {
                window.host_finished(&self.0, self.at(at));
            }
        }
    }

    #[test]
    fn starts_small_and_doubles_every_window_until_the_cap() {
        let clock = Clock(Congestion::default());
        let mut w = Window::new(256);
        assert_eq!(w.limit(), INITIAL);
        clock.handshake(0, 3);
        clock.finish(&mut w, INITIAL, 10);
        assert_eq!(w.limit(), 2 * INITIAL, "one window of hosts: doubled");
        clock.finish(&mut w, 1000, 20);
        assert_eq!(w.limit(), 256);
        assert_eq!(w.lowest(), 256, "slow start is no stall");
        assert_eq!(Window::new(8).limit(), 8, "a cap below the start");
    }

    #[test]
    fn the_first_stall_ends_slow_start() {
        let clock = Clock(Congestion::default());
        let mut w = Window::new(256);
        clock.handshake(0, 3);
        clock.finish(&mut w, 16, 10);
        clock.handshake(20, 1030);
        clock.finish(&mut w, 1, 1040);
        assert_eq!(w.limit(), 16, "32 halved");
        clock.finish(&mut w, 15, 1100);
        assert_eq!(w.limit(), 16, "one host per window now");
        clock.finish(&mut w, 1, 1100);
        assert_eq!(w.limit(), 17);
    }

    #[test]
    fn halves_once_per_overload_and_grows_back_one_host_per_window() {
        let clock = Clock(Congestion::default());
        let mut w = Window::new(64);
        clock.handshake(0, 3);
        clock.finish(&mut w, 100, 10);
        assert_eq!(w.limit(), 64, "fast handshakes, no change");

        // One overload: several stalled handshakes complete together; one halving.
        for from in 100..105 {
            clock.handshake(from, from + 1003);
        }
        clock.finish(&mut w, 1, 1110);
        assert_eq!(w.limit(), 32);
        // More stalls of SYNs sent before the halving: no second halving.
        clock.handshake(1000, 2010);
        clock.finish(&mut w, 20, 2020);
        assert_eq!(w.limit(), 32);
        // A SYN sent under the smaller window that still stalled halves again.
        clock.handshake(1200, 2200);
        clock.finish(&mut w, 1, 2210);
        assert_eq!(w.limit(), 16);
        assert_eq!(w.lowest(), 16);

        // Clean windows: one more host each.
        clock.finish(&mut w, 16, 3000);
        assert_eq!(w.limit(), 17);
        clock.finish(&mut w, 17, 3100);
        assert_eq!(w.limit(), 18);
        clock.finish(&mut w, 100_000, 9000);
        assert_eq!(w.limit(), 64, "never above --concurrency");
        assert_eq!(w.lowest(), 16);
    }

    /// On a path with a 1.2 s round trip every handshake takes 1.2 s: not a stall. A resent
    /// SYN there takes 1 s more.
    #[test]
    fn slow_is_measured_from_the_fastest_handshake() {
        let clock = Clock(Congestion::default());
        let mut w = Window::new(64);
        for from in 0..50 {
            clock.handshake(from, from + 1200);
        }
        clock.finish(&mut w, 50, 1300);
        assert_eq!(w.limit(), 64);
        clock.handshake(1400, 1400 + 2200);
        clock.finish(&mut w, 1, 3700);
        assert_eq!(w.limit(), 64, "one stall in 64 hosts: a lost SYN");
        clock.handshake(1500, 1500 + 2200);
        clock.finish(&mut w, 1, 3800);
        assert_eq!(w.limit(), 32, "two: an overload");
    }

    #[test]
    fn never_below_the_floor_or_above_a_small_cap() {
        let clock = Clock(Congestion::default());
        let mut w = Window::new(64);
        let mut one = Window::new(1);
        clock.handshake(0, 1);
        for step in 0..20 {
            // Each stall began after the previous halving.
            let t = 1000 * step;
            clock.handshake(t + 2, t + 910);
            clock.finish(&mut w, 1, t + 950);
            clock.finish(&mut one, 1, t + 950);
        }
        assert_eq!(w.limit(), FLOOR);
        assert_eq!(one.limit(), 1);
        assert_eq!(Window::new(0).limit(), 1);
    }
}
