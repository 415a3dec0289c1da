//! Send pacing: a token bucket whose rate adapts to loss (AIMD).
//!
//! Written here rather than taken from a crate: the sweep loop asks "how many packets may I
//! send now, and when may I send the next" once per wake-up, not once per packet, which a
//! per-acquire limiter such as leaky-bucket or governor would turn into 100 k awaits a second.

use std::time::{Duration, Instant};

/// Rate used for "unlimited": far above what one socket sends, so never the bottleneck.
pub(crate) const UNLIMITED_PPS: f64 = 10_000_000.0;
/// Lowest rate loss can push the pacer down to.
const MIN_PPS: f64 = 200.0;
/// The most packets sent in one burst.
const MAX_BURST: f64 = 256.0;

/// A token bucket in packets per second.
#[derive(Debug, Clone)]
pub struct Pacer {
    max_rate: f64,
    rate: f64,
    tokens: f64,
    last: Instant,
    last_decrease: Instant,
}

impl Pacer {
    /// A pacer allowing `pps` packets per second (0 = unlimited), starting full.
    pub fn new(pps: u32, now: Instant) -> Self {
        let max_rate = if pps == 0 {
            UNLIMITED_PPS
        } else {
            f64::from(pps)
        };
        Self {
            max_rate,
            rate: max_rate,
            tokens: burst(max_rate),
            last: now,
            last_decrease: now,
        }
    }

    /// The current rate in packets per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Packets that may be sent now.
    pub fn available(&mut self, now: Instant) -> usize {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.rate).min(burst(self.rate));
        self.tokens.max(0.0) as usize
    }

    /// Takes one token for a packet sent.
    pub fn consume(&mut self) {
        self.tokens -= 1.0;
    }

    /// How long until one token is available. Never zero while a token is missing: a
    /// deficit too small for a nanosecond would otherwise leave a caller whose clock only
    /// moves to the times it is given (a test's fake clock) waking at the same instant
    /// forever.
    pub fn next_token_in(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate).max(Duration::from_nanos(1))
        }
    }

    /// When one token is available: [`Pacer::next_token_in`] after the last
    /// [`Pacer::available`].
    pub fn next_token_at(&self) -> Instant {
        self.last + self.next_token_in()
    }

    /// A reply came back to a first attempt: grow the rate a little (additive increase).
    pub fn on_success(&mut self) {
        self.rate = (self.rate + self.rate / 256.0 + 1.0).min(self.max_rate);
    }

    /// A host answered only a retransmission, so a query or its reply was lost: halve the
    /// rate, at most once per `window` (one loss burst is one congestion event).
    pub fn on_loss(&mut self, now: Instant, window: Duration) {
        if now.saturating_duration_since(self.last_decrease) >= window {
            self.rate = (self.rate / 2.0).max(MIN_PPS).min(self.max_rate);
            self.last_decrease = now;
        }
    }
}

fn burst(rate: f64) -> f64 {
    (rate / 100.0).clamp(1.0, MAX_BURST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_to_the_rate() {
        let t0 = Instant::now();
        let mut p = Pacer::new(1000, t0);
        let first = p.available(t0);
        assert_eq!(first, 10, "burst of rate/100");
        for _ in 0..first {
            p.consume();
        }
        assert_eq!(p.available(t0), 0);
        assert!(p.next_token_in() <= Duration::from_millis(1));
        assert_eq!(p.available(t0 + Duration::from_millis(5)), 5);
    }

    #[test]
    fn halves_on_loss_once_per_window() {
        let t0 = Instant::now();
        let mut p = Pacer::new(10_000, t0);
        let w = Duration::from_millis(100);
        p.on_loss(t0 + w, w);
        p.on_loss(t0 + w, w);
        assert_eq!(p.rate(), 5_000.0);
        p.on_loss(t0 + w * 2, w);
        assert_eq!(p.rate(), 2_500.0);
        for _ in 0..10_000 {
            p.on_success();
        }
        assert_eq!(p.rate(), 10_000.0, "never above the configured rate");
    }
}
