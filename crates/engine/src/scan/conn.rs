//! A TCP connection carrying framed messages: direct TCP on 445, the NetBIOS session
//! service on 139.

use std::io::ErrorKind;

use smbaudit_wire::nbss::{
    FRAME_HEADER_LEN, Frame, FrameHeader, PacketType, SessionPacket, SessionRequest, Transport,
    encode_frame,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::ProbeError;
use super::budget::Budget;

/// The largest reply accepted. A NEGOTIATE or SESSION_SETUP answer is a few hundred bytes
/// (Windows with every context and a Kerberos hint stays under 1 KiB); 64 KiB leaves room
/// for odd servers while keeping a hostile length prefix (up to 16 MiB on 445, 128 KiB on
/// 139) from costing memory: the buffer grows only as bytes actually arrive.
pub const MAX_REPLY: usize = 64 * 1024;

/// Keep-alives skipped while waiting for one reply before the server counts as hostile.
const MAX_KEEPALIVES: usize = 8;

/// One framed connection.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    transport: Transport,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream, transport: Transport) -> Self {
        Self { stream, transport }
    }

    /// Sends one SMB message in a session-message frame.
    async fn send(&mut self, msg: &[u8], budget: &Budget) -> Result<(), ProbeError> {
        let mut out = Vec::with_capacity(msg.len() + FRAME_HEADER_LEN);
        encode_frame(self.transport, PacketType::SESSION_MESSAGE, msg, &mut out).map_err(
            |error| ProbeError::Malformed {
                what: "outgoing frame",
                error,
            },
        )?;
        self.write(&out, budget).await
    }

    async fn write(&mut self, bytes: &[u8], budget: &Budget) -> Result<(), ProbeError> {
        let stream = &mut self.stream;
        budget
            .run(budget.timeouts.reply, "send window", async move {
                stream
                    .write_all(bytes)
                    .await
                    .map_err(|e| io_error(&e, "request to be sent"))
            })
            .await
    }

    /// Sends `request` and waits for one SMB message, skipping keep-alives.
    pub(crate) async fn exchange(
        &mut self,
        request: &[u8],
        waiting_for: &'static str,
        budget: &Budget,
    ) -> Result<Vec<u8>, ProbeError> {
        self.send(request, budget).await?;
        self.recv_message(waiting_for, budget).await
    }

    /// Waits for the next SMB message, skipping up to [`MAX_KEEPALIVES`] keep-alives; the
    /// keep-alives count against the same reply timeout.
    async fn recv_message(
        &mut self,
        waiting_for: &'static str,
        budget: &Budget,
    ) -> Result<Vec<u8>, ProbeError> {
        let transport = self.transport;
        let stream = &mut self.stream;
        budget
            .run(budget.timeouts.reply, waiting_for, async move {
                for _ in 0..=MAX_KEEPALIVES {
                    let frame = read_frame(stream, transport, waiting_for).await?;
                    match frame.kind {
                        PacketType::SESSION_MESSAGE => return Ok(frame.payload),
                        PacketType::KEEP_ALIVE => continue,
                        other => {
                            return Err(ProbeError::Protocol(format!(
                                "NBSS packet type {:#04x} where an SMB message was expected",
                                other.0
                            )));
                        }
                    }
                }
                Err(ProbeError::Protocol(format!(
                    "more than {MAX_KEEPALIVES} keep-alives instead of the {waiting_for}"
                )))
            })
            .await
    }

    /// Sends a NetBIOS SESSION REQUEST and reads the answer (139 only).
    pub(crate) async fn session_request(
        &mut self,
        request: &SessionRequest,
        budget: &Budget,
    ) -> Result<SessionPacket, ProbeError> {
        self.write(&request.to_frame(), budget).await?;
        let transport = self.transport;
        let stream = &mut self.stream;
        let waiting_for = "session response";
        let frame = budget
            .run(budget.timeouts.reply, waiting_for, async move {
                read_frame(stream, transport, waiting_for).await
            })
            .await?;
        SessionPacket::decode(&frame).map_err(|error| ProbeError::Malformed {
            what: "session response",
            error,
        })
    }
}

/// Reads one whole frame; the caller bounds the time.
async fn read_frame(
    stream: &mut TcpStream,
    transport: Transport,
    waiting_for: &'static str,
) -> Result<Frame, ProbeError> {
    let mut head = [0u8; FRAME_HEADER_LEN];
    stream
        .read_exact(&mut head)
        .await
        .map_err(|e| io_error(&e, waiting_for))?;
    let header = FrameHeader::decode(transport, head).map_err(|error| ProbeError::Malformed {
        what: "frame header",
        error,
    })?;
    if header.length > MAX_REPLY {
        return Err(ProbeError::FrameTooLarge {
            announced: header.length,
            limit: MAX_REPLY,
        });
    }
    let mut payload = Vec::new();
    let mut limited = (&mut *stream).take(header.length as u64);
    limited
        .read_to_end(&mut payload)
        .await
        .map_err(|e| io_error(&e, waiting_for))?;
    if payload.len() < header.length {
        return Err(ProbeError::Closed { waiting_for });
    }
    Ok(Frame {
        kind: header.kind,
        payload,
    })
}

fn io_error(e: &std::io::Error, waiting_for: &'static str) -> ProbeError {
    match e.kind() {
        ErrorKind::UnexpectedEof => ProbeError::Closed { waiting_for },
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            ProbeError::Reset { waiting_for }
        }
        kind => ProbeError::Io(kind),
    }
}
