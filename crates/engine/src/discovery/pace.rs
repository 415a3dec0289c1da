//! Pacing: sends spread evenly at a rate, with a small burst allowance so that a timer
//! that fires late does not lose the budget, and a stall never turns into a flood.

use std::time::{Duration, Instant};

/// How far behind schedule the pacer may fall before it forgets the missed sends (a stall
/// of the caller is not made up for by a burst).
const MAX_DEBT: Duration = Duration::from_millis(10);

/// A send schedule at `rate` per second.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    interval: Duration,
    next: Instant,
}

impl Pacer {
    /// A pacer at `rate` sends per second (at least 1), whose first send is due at `now`.
    pub(crate) fn new(rate: u32, now: Instant) -> Self {
        Self {
            interval: Duration::from_secs(1) / rate.max(1),
            next: now,
        }
    }

    /// How long to wait before the next send is due (zero: now).
    pub(crate) fn wait(&self, now: Instant) -> Duration {
        self.next.saturating_duration_since(now)
    }

    /// Records one send at `now`.
    pub(crate) fn sent(&mut self, now: Instant) {
        let floor = now.checked_sub(MAX_DEBT).unwrap_or(now);
        self.next = self.next.max(floor) + self.interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_sends_and_forgets_a_stall() {
        let t0 = Instant::now();
        let mut p = Pacer::new(1000, t0);
        assert_eq!(p.wait(t0), Duration::ZERO);
        p.sent(t0);
        assert_eq!(p.wait(t0), Duration::from_millis(1));
        // On time for 100 sends in 100 ms.
        let mut sent = 1;
        for ms in 1..100u64 {
            let now = t0 + Duration::from_millis(ms);
            while p.wait(now).is_zero() {
                p.sent(now);
                sent += 1;
            }
        }
        assert_eq!(sent, 100);
        // A one-second stall allows a burst of at most 10 ms worth, not 1000 sends.
        let late = t0 + Duration::from_millis(1100);
        let mut burst = 0;
        while p.wait(late).is_zero() {
            p.sent(late);
            burst += 1;
        }
        assert_eq!(burst, 11);
        assert_eq!(Pacer::new(0, t0).interval, Duration::from_secs(1));
    }
}
