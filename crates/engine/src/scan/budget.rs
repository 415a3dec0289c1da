//! Per-phase time limits inside a host's overall budget.

use std::time::Duration;

use tokio::time::Instant;

use super::ProbeError;

/// The timeouts of a scan: each phase has its own, and all of a host's phases share one
/// deadline, so a server that answers one byte per second cannot hold a slot for long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP handshake.
    pub connect: Duration,
    /// Each reply, from the request sent to the last byte of the answer.
    pub reply: Duration,
    /// Everything done for one host.
    pub host: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(4),
            reply: Duration::from_secs(10),
            host: Duration::from_secs(30),
        }
    }
}

/// A host's deadline, handing out the time each step may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) timeouts: Timeouts,
    deadline: Instant,
}

impl Budget {
    pub(crate) fn start(timeouts: Timeouts) -> Self {
        Self {
            timeouts,
            deadline: Instant::now() + timeouts.host,
        }
    }

    /// Runs `fut` for at most `limit`, cut short by the host deadline.
    pub(crate) async fn run<T>(
        &self,
        limit: Duration,
        waiting_for: &'static str,
        fut: impl Future<Output = Result<T, ProbeError>>,
    ) -> Result<T, ProbeError> {
        let now = Instant::now();
        let left = self.deadline.saturating_duration_since(now);
        if left.is_zero() {
            return Err(ProbeError::HostBudget);
        }
        let (limit, by_budget) = if left < limit {
            (left, true)
        } else {
            (limit, false)
        };
        match tokio::time::timeout(limit, fut).await {
            Ok(result) => result,
            Err(_) if by_budget => Err(ProbeError::HostBudget),
            Err(_) => Err(ProbeError::Timeout {
                waiting_for,
                after: limit,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_step_is_cut_by_its_own_limit_then_by_the_host_deadline() {
        let budget = Budget::start(Timeouts {
            connect: Duration::from_secs(1),
            reply: Duration::from_secs(2),
            host: Duration::from_secs(3),
        });
        let never = std::future::pending::<Result<(), ProbeError>>;
        let first = budget.run(budget.timeouts.reply, "reply", never()).await;
        assert!(
            matches!(first, Err(ProbeError::Timeout { after, .. }) if after == Duration::from_secs(2))
        );
        let second = budget.run(budget.timeouts.reply, "reply", never()).await;
        assert_eq!(second, Err(ProbeError::HostBudget));
        let third = budget
            .run(budget.timeouts.reply, "reply", async { Ok(7) })
            .await;
        assert_eq!(third, Err(ProbeError::HostBudget));
    }
}
