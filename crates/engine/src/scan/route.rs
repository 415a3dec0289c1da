//! How a new SMB connection to a host is opened: direct TCP on 445, or TCP 139 plus a
//! NetBIOS session request with a called name that the server accepted before.

use std::net::IpAddr;

use smbaudit_probe::nbss::{CalledName, session_request};
use smbaudit_wire::nbss::{SessionPacket, Transport};

use super::budget::Budget;
use super::conn::Conn;
use smbaudit_probe::smb::ProbeError;

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
        let stream = budget.reconnect(ip, port).await?;
        *connections += 1;
        match self {
            Self::Direct(_) => Ok(Conn::new(stream, Transport::Direct, budget)),
            Self::Session { called, .. } => {
                let mut conn = Conn::new(stream, Transport::Nbss, budget);
                match conn.session_request(&session_request(called)).await? {
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
