//! Pacing: packet `k` of a stretch of sending leaves no earlier than `k / rate` after the
//! stretch began, so the rate holds over the run however the batches fall.
//!
//! A token bucket whose tokens are the schedule itself: a late batch (the thread was
//! descheduled) is caught up by the next ones, never by more than one batch at once, and
//! an early one waits, sleeping while the wait is long and spinning for the last
//! [`SPIN`], as `thread::sleep` overshoots by tens of microseconds.

use std::time::{Duration, Instant};

/// The tail of a wait spent spinning (yielding) rather than asleep.
const SPIN: Duration = Duration::from_micros(200);

/// The largest batch: what one `sendmmsg` call carries.
pub(super) const MAX_BATCH: usize = 64;

/// The schedule of one stretch of sending at a fixed rate.
#[derive(Debug)]
pub(super) struct Pacer {
    rate: f64,
    start: Instant,
    released: u64,
}

impl Pacer {
    /// A stretch at `rate` packets per second (at least 1), starting now.
    pub(super) fn new(rate: u32) -> Self {
        Self {
            rate: f64::from(rate.max(1)),
            start: Instant::now(),
            released: 0,
        }
    }

    /// The batch size for this rate: about one batch every half millisecond, so a batch
    /// is never a burst the receiver notices, and at most [`MAX_BATCH`].
    pub(super) fn batch_size(&self) -> usize {
        ((self.rate / 2000.0) as usize).clamp(1, MAX_BATCH)
    }

    /// When the next `n` packets may leave: at the time the first of them is due.
    pub(super) fn due(&self) -> Instant {
        self.start + Duration::from_secs_f64(self.released as f64 / self.rate)
    }

    /// Waits until the next packets are due, then counts `n` of them as released.
    pub(super) fn wait_and_release(&mut self, n: usize) {
        wait_until(self.due());
        self.released += n as u64;
    }

    /// Starts a new stretch now (after a pause, so the pause is not caught up in a burst).
    pub(super) fn restart(&mut self) {
        self.start = Instant::now();
        self.released = 0;
    }
}

/// Sleeps, then spins, until `deadline`.
pub(super) fn wait_until(deadline: Instant) {
    loop {
        let now = Instant::now();
        let Some(left) = deadline
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
        else {
            return;
        };
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::thread::yield_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_packet_k_at_k_over_rate() {
        let mut p = Pacer::new(1000);
        assert_eq!(p.batch_size(), 1);
        p.released = 500;
        assert_eq!(p.due() - p.start, Duration::from_millis(500));
        p.restart();
        assert_eq!(p.released, 0);
        assert_eq!(Pacer::new(100_000).batch_size(), 50);
        assert_eq!(Pacer::new(10_000_000).batch_size(), MAX_BATCH);
        assert_eq!(Pacer::new(0).rate, 1.0);
    }
}
