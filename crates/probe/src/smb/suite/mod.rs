//! The SMB suite of one port as a sans-IO state machine: at most three connections for a
//! host whose dialects start at 2.0.2 (A: every SMB2 dialect, then an anonymous NTLM session
//! setup; B: SMB1 only, then SESSION_SETUP_ANDX; C: 2.0.2 alone to find the floor), and one
//! more per dialect refused below the highest.
//!
//! The caller asks [`Suite::poll_action`] what to do next, does it over the network (an
//! exchange over a [`super::connection::Connection`], or a new connection), and reports the
//! result with [`Suite::handle_reply`] or [`Suite::handle_connected`]. One connection at a
//! time, so a server answering for many addresses (a NAS, a cluster, the lab's farm) never
//! sees two from one host at once.
//!
//! The steps live beside this file, by connection: `negotiate.rs` (connection A's
//! NEGOTIATE, an SMB1-only host's other port), `sessions.rs` (connection A's null, guest and
//! credentialed sessions and their share walks), `smb1.rs` (connection B: SMB1, MS17-010,
//! DoublePulsar, an SMB1-only host's null-session walk), `smb1_sessions.rs` (its guest and
//! user sessions and SMB1 signing), `floor.rs` (connection C: the lowest dialect).

use smbaudit_wire::smb1::NegotiateResponse as Smb1Negotiate;
use smbaudit_wire::smb2::Dialect;

use super::reply::Refusal;
use super::shares::{Identity, smb1_walk::Smb1ShareWalk, walk::ShareWalk};
use super::smb1::{self as probe1, Smb1Reply};
use super::smb1_login::Who;
use super::smb2 as probe2;
use super::smb2::{
    ClientNonce, FloorProbe, NegotiateReply, dialect_set, floor_candidates, negotiate_request,
    port_summary, read_negotiate, read_session_setup, record_negotiate,
};
use super::{PortNegotiate, ProbeError, SmbFacts};
use super::{ms17_010, session};
use crate::observation::Phase;

/// SMB1 MID of connection B's SESSION_SETUP_ANDX (its NEGOTIATE is 0).
const SMB1_SETUP_MID: u16 = 1;

/// What the suite needs from the outside world: randomness and the wall clock.
#[derive(Debug, Clone, Copy)]
pub struct SuiteEnv {
    /// Fresh random values for each NEGOTIATE.
    pub nonce: fn() -> ClientNonce,
    /// Now, in nanoseconds since the Unix epoch (for the server's clock skew).
    pub unix_nanos: fn() -> i128,
}

/// How much of the suite to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Connections A, B and C.
    Full,
    /// Connection A's NEGOTIATE only: another port already gave the facts, this one only
    /// shows that SMB answers here too.
    NegotiateOnly,
}

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send `request` on the current connection and hand back the reply.
    Exchange {
        /// The SMB message.
        request: Vec<u8>,
        /// What the reply is called in errors.
        waiting_for: &'static str,
        /// The request opens a new session on the connection (SessionId 0).
        new_session: bool,
    },
    /// Close the current connection and open a new one over the same route.
    Reconnect,
    /// Nothing more: take the facts with [`Suite::finish`].
    Done,
}

#[derive(Debug)]
enum Step {
    Negotiate,
    /// [`Scope::NegotiateOnly`] on an SMB1-only host: the SMB1 NEGOTIATE instead.
    PortSmb1Negotiate,
    SessionSetup,
    /// The anonymous AUTHENTICATE on connection A's first-leg session.
    AnonymousSetup,
    /// The anonymous session's TREE_CONNECT to IPC$.
    AnonymousIpc(Box<session::SessionVerdict>),
    /// Its TREE_CONNECT to a share name no server has (the request, the name).
    RandomShare(Vec<u8>, String),
    /// The share conversation of the null session or the guest (the walk says which).
    Shares(Box<ShareWalk>),
    /// A second session on connection A: the NTLM NEGOTIATE leg of the guest attempt.
    GuestNegotiate,
    /// Its AUTHENTICATE, for an unknown user name.
    GuestAuthenticate(Vec<u8>),
    /// The credentialed session ([`super::user_login`]), after the guest attempt.
    Login,
    Smb1Connect,
    Smb1Negotiate,
    Smb1SessionSetup(Box<Smb1Negotiate>),
    /// The anonymous AUTHENTICATE on connection B's first-leg UID (extended security).
    Smb1Anonymous(u16),
    /// The SMB1 null session's tree connect to IPC$ (its UID).
    Smb1Ipc(u16),
    /// PeekNamedPipe on FID 0 (UID, TID): the MS17-010 question.
    Smb1Peek(u16, u16),
    /// The DoublePulsar ping on the same tree (UID, TID).
    Smb1DoublePulsar(u16, u16),
    /// An SMB1-only host's share walk: on the null session and the MS17-010 IPC$ tree
    /// (`None`), or on the guest's or the user's session.
    Smb1Shares(Box<Smb1ShareWalk>, Option<Who>),
    /// An SMB1-only host's guest attempt or login ([`smb1_sessions`]).
    Smb1Session(Box<smb1_sessions::SessionStep>),
    FloorConnect(usize),
    FloorNegotiate(usize),
    Done,
}

impl Step {
    /// A request on connection B after its NEGOTIATE ([`Suite::smb1_request`]).
    fn on_connection_b(&self) -> bool {
        matches!(
            self,
            Self::Smb1SessionSetup(_)
                | Self::Smb1Anonymous(_)
                | Self::Smb1Ipc(_)
                | Self::Smb1Peek(..)
                | Self::Smb1DoublePulsar(..)
                | Self::Smb1Shares(..)
                | Self::Smb1Session(_)
        )
    }
}

/// Why connection B learned nothing definite.
#[derive(Debug)]
enum Smb1Failure {
    Off,
    Wire(ProbeError),
    Invalid(String),
}

/// The suite on one port (connection A already open).
#[derive(Debug)]
pub struct Suite {
    port: u16,
    netname: String,
    env: SuiteEnv,
    scope: Scope,
    step: Step,
    facts: SmbFacts,
    errors: Vec<(Phase, String)>,
    max: Option<Dialect>,
    /// Connection A's NEGOTIATE was refused (closed, reset, or an error status): the error
    /// and where it goes in `errors`, unless SMB1 shows an SMB1-only host.
    smb2_refused: Option<(usize, String)>,
    /// The SMB1 null session's granted verdict, until its IPC$ answer completes it.
    smb1_null: Option<session::SessionVerdict>,
    candidates: Vec<Dialect>,
    probes: Vec<(Dialect, FloorProbe)>,
    /// Whether to attempt the anonymous session after the NTLM challenge.
    null_session: bool,
    /// Whether the sessions list shares and check their access.
    shares: bool,
    /// Whether the share checks prove write access with a DELETE_ON_CLOSE file.
    write_check: bool,
    user: super::user_login::UserLogin,
    /// Connection B's SMB1 signer and the sequence number of its next request, once an
    /// SMB1 login on a server that requires signing holds a key.
    smb1_signing: Option<(super::signing::Smb1Signer, u32)>,
}

impl Suite {
    /// A suite on `port` adding to `facts`; `netname` is the server's address as text (the
    /// 3.1.1 NETNAME context).
    pub fn new(port: u16, netname: String, env: SuiteEnv, scope: Scope, facts: SmbFacts) -> Self {
        let mut facts = facts;
        if scope == Scope::Full {
            facts.port = Some(port);
        }
        let step = if scope == Scope::NegotiateOnly && facts.smb1_only() {
            Step::PortSmb1Negotiate
        } else {
            Step::Negotiate
        };
        Self {
            port,
            netname,
            env,
            scope,
            step,
            facts,
            errors: Vec::new(),
            max: None,
            smb2_refused: None,
            candidates: Vec::new(),
            probes: Vec::new(),
            null_session: false,
            shares: false,
            write_check: false,
            user: super::user_login::UserLogin::default(),
            smb1_null: None,
            smb1_signing: None,
        }
    }

    /// Also lists shares on the sessions granted and checks each one's access; with
    /// `write_check`, proves write access by creating and deleting one file per share.
    pub fn with_shares(mut self, shares: bool, write_check: bool) -> Self {
        self.shares = shares;
        self.write_check = write_check;
        self
    }

    /// Also logs in with `credentials` on connection A, after the guest attempt.
    pub fn with_credentials(
        mut self,
        credentials: Option<std::sync::Arc<super::credentials::Credentials>>,
    ) -> Self {
        self.user = super::user_login::UserLogin::new(credentials);
        self
    }

    /// The last request went out as `sent` (`Connection::last_sent`): the login's preauth
    /// hash covers it.
    pub fn handle_sent(&mut self, sent: &[u8]) {
        match self.step {
            Step::Negotiate => self.user.negotiate_sent(sent),
            Step::Login => self.user.handle_sent(sent),
            _ => {}
        }
    }

    /// A signer to install on the connection before the next request (the login's).
    pub fn take_signer(&mut self) -> Option<Box<dyn super::signing::Signer>> {
        self.user.take_signer()
    }

    /// Also attempts an anonymous (null) session on connection A, after the challenge.
    pub fn with_null_session(mut self, attempt: bool) -> Self {
        self.null_session = attempt;
        self
    }

    /// The next thing to do.
    pub fn poll_action(&self) -> Action {
        let exchange = |request, waiting_for| Action::Exchange {
            request,
            waiting_for,
            new_session: false,
        };
        match &self.step {
            Step::Negotiate => exchange(self.negotiate(&Dialect::ALL), "NEGOTIATE response"),
            Step::Smb1Negotiate | Step::PortSmb1Negotiate => {
                exchange(probe1::negotiate_request(), "SMB1 NEGOTIATE response")
            }
            Step::FloorNegotiate(i) => exchange(
                self.negotiate(&self.candidates[*i..=*i]),
                "NEGOTIATE response",
            ),
            Step::Smb1Connect | Step::FloorConnect(_) => Action::Reconnect,
            Step::Done => Action::Done,
            step if step.on_connection_b() => self.signed(self.smb1_request()),
            _ => self.session_request(),
        }
    }

    /// The reply to the last [`Action::Exchange`], or why there is none.
    pub fn handle_reply(&mut self, reply: Result<Vec<u8>, ProbeError>) {
        match std::mem::replace(&mut self.step, Step::Done) {
            Step::Negotiate => {
                if let Ok(msg) = &reply {
                    self.user.negotiate_reply(msg);
                }
                self.negotiated(reply);
            }
            step if step.on_connection_b() => {
                let reply = self.check_signature(reply);
                self.smb1_reply(step, reply);
            }
            Step::Smb1Negotiate => self.smb1_negotiated(reply),
            Step::PortSmb1Negotiate => self.port_smb1_negotiated(reply),
            Step::FloorNegotiate(i) => self.floor_reply(i, reply),
            step => self.session_reply(step, reply),
        }
    }

    /// The result of the last [`Action::Reconnect`].
    pub fn handle_connected(&mut self, result: Result<(), ProbeError>) {
        match (std::mem::replace(&mut self.step, Step::Done), result) {
            (Step::Smb1Connect, Ok(())) => self.step = Step::Smb1Negotiate,
            (Step::Smb1Connect, Err(e)) => self.smb1_concluded(Err(Smb1Failure::Wire(e))),
            (Step::FloorConnect(i), Ok(())) => self.step = Step::FloorNegotiate(i),
            (Step::FloorConnect(i), Err(e)) => {
                let verdict = self.floor_failed(self.candidates[i], &e);
                self.floor_judged(i, verdict);
            }
            (step, _) => self.step = step,
        }
    }

    /// What the suite found, and the errors of its steps (in the order they happened).
    pub fn finish(self) -> (SmbFacts, Vec<(Phase, String)>) {
        (self.facts, self.errors)
    }

    fn error(&mut self, phase: Phase, message: String) {
        self.errors.push((phase, message));
    }
}

mod floor;
mod negotiate;
mod sessions;
mod smb1;
mod smb1_sessions;

#[cfg(test)]
mod tests;
