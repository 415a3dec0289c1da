//! Round-trip estimation (Jacobson/Karels, RFC 6298) for retransmission timing.

use std::time::Duration;

/// Smoothed RTT and its variation, from replies to first attempts only (Karn's rule: a reply
/// to a retransmitted query can't tell which copy it answers).
#[derive(Debug, Clone, Copy)]
pub struct RttEstimator {
    srtt: Duration,
    rttvar: Duration,
    samples: u64,
}

impl RttEstimator {
    /// An estimator with no samples yet.
    pub fn new() -> Self {
        Self {
            srtt: Duration::ZERO,
            rttvar: Duration::ZERO,
            samples: 0,
        }
    }

    /// Adds a sample.
    pub fn sample(&mut self, rtt: Duration) {
        if self.samples == 0 {
            self.srtt = rtt;
            self.rttvar = rtt / 2;
        } else {
            let err = self.srtt.abs_diff(rtt);
            self.rttvar = (self.rttvar * 3 + err) / 4;
            self.srtt = (self.srtt * 7 + rtt) / 8;
        }
        self.samples += 1;
    }

    /// How many samples were taken.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// `srtt + 4 * rttvar` clamped to `[floor, ceiling]`, or `initial` before any sample.
    pub fn rto(&self, initial: Duration, floor: Duration, ceiling: Duration) -> Duration {
        if self.samples == 0 {
            return initial.min(ceiling);
        }
        (self.srtt + self.rttvar * 4).clamp(floor, ceiling.max(floor))
    }
}

impl Default for RttEstimator {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn converges_and_clamps() {
        let mut e = RttEstimator::new();
        assert_eq!(e.rto(250 * MS, 100 * MS, 1000 * MS), 250 * MS);
        for _ in 0..50 {
            e.sample(2 * MS);
        }
        assert_eq!(e.rto(250 * MS, 100 * MS, 1000 * MS), 100 * MS, "floor");
        for _ in 0..50 {
            e.sample(600 * MS);
            e.sample(10 * MS);
        }
        assert_eq!(e.rto(250 * MS, 100 * MS, 1000 * MS), 1000 * MS, "ceiling");
        assert_eq!(e.samples(), 150);
    }
}
