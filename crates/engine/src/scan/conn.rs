//! A TCP connection carrying framed messages: direct TCP on 445, the NetBIOS session
//! service on 139. The protocol state is the sans-IO [`Connection`]; this only moves its
//! bytes and keeps its clock.

use smbaudit_probe::smb::ProbeError;
use smbaudit_probe::smb::connection::{Connection, Received};
use smbaudit_wire::nbss::{SessionPacket, SessionRequest, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::budget::Budget;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 8 * 1024;

/// One framed connection.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    core: Connection,
}

impl Conn {
    /// A connection whose steps are bounded by `budget`.
    pub(crate) fn new(stream: TcpStream, transport: Transport, budget: &Budget) -> Self {
        Self {
            stream,
            core: Connection::new(transport, budget.limits()),
        }
    }

    /// Sends `request` and waits for one SMB message, skipping keep-alives and interim
    /// responses.
    /// The next SESSION_SETUP starts a new session (see `Connection::begin_new_session`).
    pub(crate) fn begin_new_session(&mut self) {
        self.core.begin_new_session();
    }

    /// Signs every later request and checks signed replies (see `Connection::set_signer`).
    pub(crate) fn set_signer(&mut self, signer: Box<dyn smbaudit_probe::smb::signing::Signer>) {
        self.core.set_signer(signer);
    }

    /// The last SMB message as it went out (see `Connection::last_sent`).
    pub(crate) fn last_sent(&self) -> &[u8] {
        self.core.last_sent()
    }

    pub(crate) async fn exchange(
        &mut self,
        request: &[u8],
        waiting_for: &'static str,
    ) -> Result<Vec<u8>, ProbeError> {
        self.core.send_message(request, waiting_for, now());
        match self.pump().await? {
            Received::Message(msg) => Ok(msg),
            Received::Session(_) => Err(ProbeError::Protocol(format!(
                "a session response instead of the {waiting_for}"
            ))),
        }
    }

    /// Sends a NetBIOS SESSION REQUEST and reads the answer (139 only).
    pub(crate) async fn session_request(
        &mut self,
        request: &SessionRequest,
    ) -> Result<SessionPacket, ProbeError> {
        self.core.send_session_request(request, now());
        match self.pump().await? {
            Received::Session(answer) => Ok(answer),
            Received::Message(_) => Err(ProbeError::Protocol(
                "an SMB message instead of the session response".to_owned(),
            )),
        }
    }

    /// Writes what the core hands out and reads until it has an answer or its deadline.
    async fn pump(&mut self) -> Result<Received, ProbeError> {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            if let Some(event) = self.core.poll_event() {
                return event;
            }
            if let Some(bytes) = self.core.poll_transmit() {
                self.write(&bytes).await;
                continue;
            }
            let Some(at) = self.core.poll_timeout() else {
                return Err(ProbeError::Protocol(
                    "nothing awaited on the connection".into(),
                ));
            };
            tokio::select! {
                read = self.stream.read(&mut buf) => match read {
                    Ok(0) => self.core.handle_eof(),
                    Ok(n) => self.core.handle_bytes(buf.get(..n).unwrap_or_default()),
                    Err(e) => self.core.handle_io_error(e.kind()),
                },
                () = tokio::time::sleep_until(Instant::from_std(at)) => {
                    self.core.handle_timeout(now());
                }
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) {
        let Some(at) = self.core.poll_timeout() else {
            return;
        };
        match tokio::time::timeout_at(Instant::from_std(at), self.stream.write_all(bytes)).await {
            Ok(Ok(())) => self.core.handle_written(now()),
            Ok(Err(e)) => self.core.handle_io_error(e.kind()),
            Err(_) => self.core.handle_timeout(now()),
        }
    }
}

/// The engine's clock (tokio's, so paused-time tests see it too).
fn now() -> std::time::Instant {
    Instant::now().into_std()
}
