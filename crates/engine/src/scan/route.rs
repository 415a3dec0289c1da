//! How a new SMB connection to a host is opened: direct TCP on 445, or TCP 139 plus a
//! NetBIOS session request with a called name that the server accepted before.

use std::net::{IpAddr, SocketAddr};

use smbaudit_probe::nbss::{CalledName, session_request};
use smbaudit_wire::nbss::{SessionPacket, Transport};
use tokio::net::TcpStream;

use super::ProbeError;
use super::budget::Budget;
use super::conn::Conn;
use crate::tcp;

/// Opens another connection to a port already found open. A busy server that forks per
/// connection drops SYNs when its accept queue is full; the kernel retransmits after 1 s and
/// 3 s, so the wait here is the reply timeout, not the first connect's.
pub(crate) async fn reconnect(
    ip: IpAddr,
    port: u16,
    budget: &Budget,
) -> Result<TcpStream, ProbeError> {
    let limit = budget.timeouts.connect.max(budget.timeouts.reply);
    budget
        .run(limit, "TCP handshake", async {
            tcp::connect(ip, port, limit).await.map_err(|state| {
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

/// Where further connections of an SMB suite go.
#[derive(Debug, Clone)]
pub(crate) enum Route {
    /// SMB directly over TCP (445).
    Direct(u16),
    /// SMB over the NetBIOS session service (139), calling this name.
    Session {
        /// TCP port.
        port: u16,
        /// The called name that got a positive response.
        called: CalledName,
    },
}

impl Route {
    pub(crate) fn port(&self) -> u16 {
        match self {
            Self::Direct(port) | Self::Session { port, .. } => *port,
        }
    }

    /// Opens one more connection; counts it in `connections`.
    pub(crate) async fn open(
        &self,
        ip: IpAddr,
        budget: &Budget,
        connections: &mut u32,
    ) -> Result<Conn, ProbeError> {
        let port = self.port();
        let stream = reconnect(ip, port, budget).await?;
        *connections += 1;
        match self {
            Self::Direct(_) => Ok(Conn::new(stream, Transport::Direct)),
            Self::Session { called, .. } => {
                let mut conn = Conn::new(stream, Transport::Nbss);
                match conn
                    .session_request(&session_request(called), budget)
                    .await?
                {
                    SessionPacket::Positive => Ok(conn),
                    other => Err(ProbeError::Protocol(format!(
                        "session request for {} refused on reconnect: {other:?}",
                        called.label
                    ))),
                }
            }
        }
    }
}
