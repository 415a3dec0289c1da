//! One SMB connection as a sans-IO state machine (quinn-proto style): the caller writes what
//! [`Connection::poll_transmit`] hands out, feeds what the socket read to
//! [`Connection::handle_bytes`], and sleeps until [`Connection::poll_timeout`]; the answer
//! comes out of [`Connection::poll_event`]. Time is always passed in, never read.
//!
//! The connection owns the framing (the fuzzed [`Deframer`] cuts the stream), the SMB2
//! MessageId and credit accounting, the SessionId and TreeId the server handed out, interim
//! STATUS_PENDING responses, keep-alives, and the reply deadlines inside the host's budget.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use smbaudit_wire::nbss::{Deframer, Frame, PacketType, SessionPacket, SessionRequest, Transport};
use smbaudit_wire::smb2::{self, Header};
use smbaudit_wire::{DecodeError, Encode};

use super::ProbeError;
use super::signing::Signer;

/// The largest reply accepted. A NEGOTIATE or SESSION_SETUP answer is a few hundred bytes
/// (Windows with every context and a Kerberos hint stays under 1 KiB); 64 KiB leaves room
/// for odd servers while keeping a hostile length prefix (up to 16 MiB on 445, 128 KiB on
/// 139) from costing memory: the buffer grows only as bytes actually arrive.
pub const MAX_REPLY: usize = 64 * 1024;

/// Keep-alives skipped while waiting for one reply before the server counts as hostile.
const MAX_KEEPALIVES: usize = 8;

/// Interim (STATUS_PENDING) responses accepted for one request ([MS-SMB2] 3.2.5.1.5).
const MAX_INTERIM: usize = 8;

/// [MS-SMB2] 2.2.1: the client starts with one credit.
const INITIAL_CREDITS: u32 = 1;

/// How long each step of a connection may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Each send, and each reply from the request sent to its last byte.
    pub reply: Duration,
    /// When the host's whole budget runs out.
    pub deadline: Instant,
}

/// What a finished exchange produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// One SMB message (the payload of a session-message frame).
    Message(Vec<u8>),
    /// The answer to a NetBIOS SESSION REQUEST.
    Session(SessionPacket),
}

/// What the connection is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Message,
    Session,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The request is handed out but not yet written.
    Sending,
    /// Written; the reply has not fully arrived.
    Replying,
}

#[derive(Debug, Clone, Copy)]
struct Wait {
    waiting_for: &'static str,
    expect: Expect,
    stage: Stage,
    /// When this stage times out, and whether the host budget or the step limit cut it.
    at: Instant,
    cut: Cut,
    /// The SMB2 MessageId of the request, if it was one.
    message_id: Option<u64>,
    keepalives: usize,
    interim: usize,
}

#[derive(Debug, Clone, Copy)]
enum Cut {
    Step(Duration),
    Budget,
}

/// The identifiers an SMB2 server assigned on this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Smb2Ids {
    /// The next MessageId to send.
    pub next_message_id: u64,
    /// Credits granted and not yet spent.
    pub credits: u32,
    /// The SessionId of the last SESSION_SETUP response (0 before).
    pub session_id: u64,
    /// The TreeId of the last TREE_CONNECT response (0 before).
    pub tree_id: u32,
}

/// One framed connection, direct TCP (445) or the NetBIOS session service (139).
pub struct Connection {
    deframer: Deframer,
    transport: Transport,
    limits: Limits,
    transmit: VecDeque<Vec<u8>>,
    wait: Option<Wait>,
    event: Option<Result<Received, ProbeError>>,
    ids: Smb2Ids,
    signer: Option<Box<dyn Signer>>,
    /// The last SMB message as it went out.
    last_sent: Vec<u8>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("transport", &self.transport)
            .field("wait", &self.wait)
            .field("ids", &self.ids)
            .field("signed", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection over `transport` whose steps are bounded by `limits`.
    pub fn new(transport: Transport, limits: Limits) -> Self {
        Self {
            deframer: Deframer::new(transport, MAX_REPLY),
            transport,
            limits,
            transmit: VecDeque::new(),
            wait: None,
            event: None,
            ids: Smb2Ids {
                credits: INITIAL_CREDITS,
                ..Smb2Ids::default()
            },
            signer: None,
            last_sent: Vec::new(),
        }
    }

    /// The SMB2 identifiers so far.
    pub fn smb2_ids(&self) -> Smb2Ids {
        self.ids
    }

    /// Starts a new session on this connection: the next SESSION_SETUP carries SessionId 0
    /// (and no TreeId), as a second user's first leg must ([MS-SMB2] 3.2.4.2.3).
    pub fn begin_new_session(&mut self) {
        self.ids.session_id = 0;
        self.ids.tree_id = 0;
    }

    /// Signs every later SMB2 request and checks every signed reply (a session with keys).
    pub fn set_signer(&mut self, signer: Box<dyn Signer>) {
        self.signer = Some(signer);
    }

    /// The last SMB message as it went out, after [`Self::send_message`] stamped (and
    /// signed) it: what the 3.1.1 preauth integrity hash must cover ([MS-SMB2] 3.2.5.2),
    /// not the bytes handed in.
    pub fn last_sent(&self) -> &[u8] {
        &self.last_sent
    }

    /// Queues one SMB message and waits for the next one. An SMB2 request gets this
    /// connection's MessageId, SessionId and TreeId written into its header (and is signed
    /// when a signer is set); any other message goes out as given.
    pub fn send_message(&mut self, msg: &[u8], waiting_for: &'static str, now: Instant) {
        let (msg, message_id) = match self.stamp(msg) {
            Ok(stamped) => stamped,
            Err(e) => return self.fail(e),
        };
        self.last_sent.clone_from(&msg);
        let mut frame = Vec::with_capacity(msg.len() + 4);
        if let Err(error) = smbaudit_wire::nbss::encode_frame(
            self.transport,
            PacketType::SESSION_MESSAGE,
            &msg,
            &mut frame,
        ) {
            let what = "outgoing frame";
            return self.fail(ProbeError::Malformed { what, error });
        }
        self.start(frame, waiting_for, Expect::Message, message_id, now);
    }

    /// Queues a NetBIOS SESSION REQUEST (139) and waits for its answer.
    pub fn send_session_request(&mut self, request: &SessionRequest, now: Instant) {
        let frame = request.to_vec();
        self.start(frame, "session response", Expect::Session, None, now);
    }

    /// The next bytes to write, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// Everything handed out by [`Self::poll_transmit`] was written: the reply's own time
    /// starts.
    pub fn handle_written(&mut self, now: Instant) {
        let Some(wait) = self.wait else { return };
        if wait.stage == Stage::Sending && self.transmit.is_empty() {
            self.restart_clock(wait.waiting_for, Stage::Replying, now);
            self.drain();
        }
    }

    /// Bytes read from the socket, in pieces of any size.
    pub fn handle_bytes(&mut self, bytes: &[u8]) {
        self.deframer.push(bytes);
        self.drain();
    }

    /// Takes whole frames off the stream while a reply is awaited.
    fn drain(&mut self) {
        while self.wait.is_some_and(|w| w.stage == Stage::Replying) {
            match self.deframer.next_frame() {
                Ok(Some(frame)) => self.handle_frame(frame),
                Ok(None) => break,
                Err(error) => self.fail(frame_error(error)),
            }
        }
    }

    /// The server closed its side (read returned 0 bytes).
    pub fn handle_eof(&mut self) {
        if let Some(wait) = self.wait {
            self.fail(ProbeError::Closed {
                waiting_for: wait.waiting_for,
            });
        }
    }

    /// A read or write failed.
    pub fn handle_io_error(&mut self, kind: ErrorKind) {
        let Some(wait) = self.wait else { return };
        let waiting_for = match wait.stage {
            Stage::Sending => "request to be sent",
            Stage::Replying => wait.waiting_for,
        };
        self.fail(match kind {
            ErrorKind::UnexpectedEof => ProbeError::Closed { waiting_for },
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
                ProbeError::Reset { waiting_for }
            }
            kind => ProbeError::Io(kind),
        });
    }

    /// When the step in progress times out, if one is.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.wait.map(|w| w.at)
    }

    /// Time has passed: a step past its deadline fails.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(wait) = self.wait else { return };
        if now < wait.at {
            return;
        }
        let waiting_for = match wait.stage {
            Stage::Sending => "send window",
            Stage::Replying => wait.waiting_for,
        };
        self.fail(match wait.cut {
            Cut::Budget => ProbeError::HostBudget,
            Cut::Step(after) => ProbeError::Timeout { waiting_for, after },
        });
    }

    /// The answer to the last request, once: the reply or why there is none.
    pub fn poll_event(&mut self) -> Option<Result<Received, ProbeError>> {
        self.event.take()
    }

    fn start(
        &mut self,
        frame: Vec<u8>,
        waiting_for: &'static str,
        expect: Expect,
        message_id: Option<u64>,
        now: Instant,
    ) {
        self.event = None;
        self.transmit.push_back(frame);
        self.wait = Some(Wait {
            waiting_for,
            expect,
            stage: Stage::Sending,
            at: now,
            cut: Cut::Budget,
            message_id,
            keepalives: 0,
            interim: 0,
        });
        self.restart_clock(waiting_for, Stage::Sending, now);
    }

    /// Gives the current stage `limits.reply`, cut short by the host deadline (an
    /// exhausted budget fails at once).
    fn restart_clock(&mut self, waiting_for: &'static str, stage: Stage, now: Instant) {
        let left = self.limits.deadline.saturating_duration_since(now);
        if left.is_zero() {
            return self.fail(ProbeError::HostBudget);
        }
        let (limit, cut) = if left < self.limits.reply {
            (left, Cut::Budget)
        } else {
            (self.limits.reply, Cut::Step(self.limits.reply))
        };
        if let Some(wait) = &mut self.wait {
            wait.waiting_for = waiting_for;
            wait.stage = stage;
            wait.at = now + limit;
            wait.cut = cut;
        }
    }

    fn fail(&mut self, error: ProbeError) {
        self.finish(Err(error));
    }

    fn finish(&mut self, result: Result<Received, ProbeError>) {
        self.wait = None;
        self.transmit.clear();
        self.event = Some(result);
    }

    fn handle_frame(&mut self, frame: Frame) {
        let Some(wait) = &mut self.wait else { return };
        if wait.expect == Expect::Session {
            let answer = SessionPacket::decode(&frame).map_err(|error| ProbeError::Malformed {
                what: "session response",
                error,
            });
            return self.finish(answer.map(Received::Session));
        }
        match frame.kind {
            PacketType::SESSION_MESSAGE => self.handle_message(frame.payload),
            PacketType::KEEP_ALIVE if wait.keepalives < MAX_KEEPALIVES => wait.keepalives += 1,
            PacketType::KEEP_ALIVE => {
                let waiting_for = wait.waiting_for;
                self.fail(ProbeError::Protocol(format!(
                    "more than {MAX_KEEPALIVES} keep-alives instead of the {waiting_for}"
                )));
            }
            other => self.fail(ProbeError::Protocol(format!(
                "NBSS packet type {:#04x} where an SMB message was expected",
                other.0
            ))),
        }
    }

    /// An SMB message: SMB2 replies are matched to the request, interim responses skipped,
    /// credits and identifiers recorded; anything else is the reply as it came.
    fn handle_message(&mut self, msg: Vec<u8>) {
        let Some(wait) = &mut self.wait else { return };
        let Some(expected) = wait.message_id else {
            return self.finish(Ok(Received::Message(msg)));
        };
        let Ok((header, _)) = Header::decode(&msg) else {
            // Not an SMB2 header: the probe judges it (an SMB1 answer, garbage).
            return self.finish(Ok(Received::Message(msg)));
        };
        if header.message_id != expected {
            return self.fail(ProbeError::Protocol(format!(
                "reply carries MessageId {}, the request was {expected}",
                header.message_id
            )));
        }
        self.ids.credits = self.ids.credits.saturating_add(u32::from(header.credits));
        if is_interim(&header) {
            wait.interim += 1;
            if wait.interim > MAX_INTERIM {
                let waiting_for = wait.waiting_for;
                self.fail(ProbeError::Protocol(format!(
                    "more than {MAX_INTERIM} STATUS_PENDING answers instead of the {waiting_for}"
                )));
            }
            return;
        }
        if let Err(e) = self.verify(&header, &msg) {
            return self.fail(e);
        }
        self.record_ids(&header);
        self.finish(Ok(Received::Message(msg)));
    }

    fn record_ids(&mut self, header: &Header) {
        match header.command {
            smb2::command::SESSION_SETUP if header.session_id != 0 => {
                self.ids.session_id = header.session_id;
            }
            smb2::command::TREE_CONNECT if header.status == 0 => {
                self.ids.tree_id = header.tree_id.unwrap_or(0);
            }
            _ => {}
        }
    }

    fn verify(&self, header: &Header, msg: &[u8]) -> Result<(), ProbeError> {
        match &self.signer {
            Some(signer) if header.flags & smb2::flags::SIGNED != 0 && !signer.verify(msg) => Err(
                ProbeError::Protocol("reply signature does not verify".to_owned()),
            ),
            _ => Ok(()),
        }
    }

    /// Writes MessageId, SessionId and TreeId into an SMB2 request and spends its credit.
    fn stamp(&mut self, msg: &[u8]) -> Result<(Vec<u8>, Option<u64>), ProbeError> {
        let Ok((mut header, body)) = Header::decode(msg) else {
            return Ok((msg.to_vec(), None));
        };
        let charge = u32::from(header.credit_charge.max(1));
        if self.ids.credits < charge {
            return Err(ProbeError::Protocol(format!(
                "no SMB2 credit left for the next request ({} granted)",
                self.ids.credits
            )));
        }
        self.ids.credits -= charge;
        header.message_id = self.ids.next_message_id;
        header.session_id = self.ids.session_id;
        header.tree_id = Some(self.ids.tree_id);
        self.ids.next_message_id += u64::from(charge);
        if self.signer.is_some() {
            header.flags |= smb2::flags::SIGNED;
        }
        let mut out = Vec::with_capacity(msg.len());
        header.encode(&mut out);
        out.extend_from_slice(body);
        if let Some(signer) = &self.signer {
            signer.sign(&mut out);
        }
        Ok((out, Some(header.message_id)))
    }
}

/// [MS-SMB2] 3.2.5.1.5: "If the Status field of the SMB2 header of the response is
/// STATUS_PENDING and the SMB2_FLAGS_ASYNC_COMMAND bit is set, the client MUST ... wait for
/// the final response."
fn is_interim(header: &Header) -> bool {
    header.status == smb2::status::PENDING && header.flags & smb2::flags::ASYNC_COMMAND != 0
}

fn frame_error(error: DecodeError) -> ProbeError {
    match error {
        DecodeError::TooLarge { value, limit, .. } => ProbeError::FrameTooLarge {
            announced: value,
            limit,
        },
        error => ProbeError::Malformed {
            what: "frame header",
            error,
        },
    }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;
