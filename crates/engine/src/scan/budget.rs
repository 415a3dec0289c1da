//! Per-phase time limits inside a host's overall budget.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use smbaudit_probe::smb::ProbeError;
use smbaudit_probe::smb::connection::Limits;

use super::window::Congestion;
use crate::tcp::{self, PortState};

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

/// A host's deadline, handing out the time each step may take; it also reports how long
/// the host's handshakes took to the scan's [`Congestion`] record.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub(crate) timeouts: Timeouts,
    deadline: Instant,
    congestion: Arc<Congestion>,
}

impl Budget {
    pub(crate) fn start(timeouts: Timeouts, congestion: Arc<Congestion>) -> Self {
        Self {
            timeouts,
            deadline: Instant::now() + timeouts.host,
            congestion,
        }
    }

    /// The limits of this host's SMB connections.
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            reply: self.timeouts.reply,
            deadline: self.deadline.into_std(),
        }
    }

    /// A TCP handshake (see [`tcp::connect`]) whose duration, when it succeeds, is reported.
    pub(crate) async fn connect(
        &self,
        ip: IpAddr,
        port: u16,
        limit: Duration,
    ) -> Result<TcpStream, PortState> {
        let started = std::time::Instant::now();
        let stream = tcp::connect(ip, port, limit).await?;
        self.congestion
            .handshake(started, std::time::Instant::now());
        Ok(stream)
    }

    /// Another connection to a port already found open: the wait is the reply timeout, as a
    /// busy server that forks per connection drops SYNs when its accept queue is full and the
    /// kernel resends them after 1 s and 3 s.
    pub(crate) async fn reconnect(&self, ip: IpAddr, port: u16) -> Result<TcpStream, ProbeError> {
        let limit = self.timeouts.connect.max(self.timeouts.reply);
        self.run(limit, "TCP handshake", async {
            self.connect(ip, port, limit).await.map_err(|state| {
                ProbeError::Protocol(format!(
                    "reconnect to {}: {} ({})",
                    SocketAddr::new(ip, port),
                    state.as_str(),
                    state.evidence()
                ))
            })
        })
        .await
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
        let budget = Budget::start(
            Timeouts {
                connect: Duration::from_secs(1),
                reply: Duration::from_secs(2),
                host: Duration::from_secs(3),
            },
            Arc::default(),
        );
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
