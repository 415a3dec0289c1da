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

use smbaudit_wire::smb1::NegotiateResponse as Smb1Negotiate;
use smbaudit_wire::smb2::Dialect;

use super::reply::Refusal;
use super::shares::{Identity, smb1_walk::Smb1ShareWalk, walk::ShareWalk};
use super::smb1::{self as probe1, Smb1Reply};
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
    /// An SMB1-only host's share walk on the same null session and IPC$ tree.
    Smb1Shares(Box<Smb1ShareWalk>),
    FloorConnect(usize),
    FloorNegotiate(usize),
    Done,
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
            Step::SessionSetup => {
                exchange(probe2::session_setup_request(), "SESSION_SETUP response")
            }
            Step::AnonymousSetup => exchange(
                session::anonymous_setup_request(),
                "anonymous SESSION_SETUP response",
            ),
            Step::AnonymousIpc(_) => exchange(
                session::ipc_connect_request(&self.netname),
                "IPC$ TREE_CONNECT response",
            ),
            Step::RandomShare(request, _) => {
                exchange(request.clone(), "random-share TREE_CONNECT response")
            }
            Step::Shares(walk) => match walk.request() {
                Some((request, waiting_for)) => exchange(request, waiting_for),
                None => Action::Done,
            },
            Step::GuestNegotiate => Action::Exchange {
                request: probe2::session_setup_request(),
                waiting_for: "guest SESSION_SETUP response",
                new_session: true,
            },
            Step::GuestAuthenticate(request) => {
                exchange(request.clone(), "guest SESSION_SETUP response")
            }
            Step::Login => match self.user.poll_request() {
                Some((request, waiting_for, new_session)) => Action::Exchange {
                    request,
                    waiting_for,
                    new_session,
                },
                None => Action::Done,
            },
            Step::Smb1Negotiate | Step::PortSmb1Negotiate => {
                exchange(probe1::negotiate_request(), "SMB1 NEGOTIATE response")
            }
            Step::Smb1SessionSetup(resp) => exchange(
                probe1::session_setup_request(resp, SMB1_SETUP_MID),
                "SESSION_SETUP_ANDX response",
            ),
            Step::Smb1Anonymous(uid) => exchange(
                ms17_010::anonymous_leg_request(*uid),
                "anonymous SESSION_SETUP_ANDX response",
            ),
            Step::Smb1Ipc(uid) => exchange(
                ms17_010::ipc_request(*uid, &self.netname),
                "TREE_CONNECT_ANDX response",
            ),
            Step::Smb1Peek(uid, tid) => {
                exchange(ms17_010::peek_request(*uid, *tid), "TRANSACTION response")
            }
            Step::Smb1DoublePulsar(uid, tid) => exchange(
                ms17_010::doublepulsar_request(*uid, *tid),
                "TRANSACTION2 response",
            ),
            Step::Smb1Shares(walk) => match walk.request() {
                Some((request, waiting_for)) => exchange(request, waiting_for),
                None => Action::Done,
            },
            Step::FloorNegotiate(i) => exchange(
                self.negotiate(&self.candidates[*i..=*i]),
                "NEGOTIATE response",
            ),
            Step::Smb1Connect | Step::FloorConnect(_) => Action::Reconnect,
            Step::Done => Action::Done,
        }
    }

    /// After the anonymous and guest sessions: the login (once), else connection B.
    fn after_sessions(&mut self) -> Step {
        let random = (self.env.nonce)().salt;
        if self
            .user
            .start(&self.netname, random, (self.env.unix_nanos)())
        {
            Step::Login
        } else {
            Step::Smb1Connect
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
            Step::SessionSetup => {
                match reply
                    .map_err(|e| e.to_string())
                    .and_then(|m| read_session_setup(&m))
                {
                    Ok(ntlm) => {
                        self.facts.ntlm = Some(ntlm);
                        if self.null_session {
                            self.step = Step::AnonymousSetup;
                            return;
                        }
                    }
                    Err(why) => self.error(Phase::Smb2SessionSetup, why),
                }
                self.step = self.after_sessions();
            }
            Step::AnonymousSetup => {
                let verdict = session::read_anonymous_setup(reply);
                if verdict.session_granted() {
                    self.step = Step::AnonymousIpc(Box::new(verdict));
                    return;
                }
                self.facts.null_session = Some(verdict);
                self.step = Step::GuestNegotiate;
            }
            Step::AnonymousIpc(verdict) => {
                let verdict = verdict.with_ipc(reply);
                self.step = if verdict.ipc.as_deref() == Some("connected") {
                    let (request, name) =
                        session::random_share_request(&self.netname, &(self.env.nonce)().salt);
                    Step::RandomShare(request, name)
                } else {
                    Step::GuestNegotiate
                };
                self.facts.null_session = Some(verdict);
            }
            Step::RandomShare(_, name) => {
                self.facts.any_share_name = Some(session::read_random_share(reply, name));
                self.step = self.share_walk(Identity::Anonymous);
            }
            Step::Shares(mut walk) => {
                walk.handle(reply);
                if !walk.is_done() {
                    self.step = Step::Shares(walk);
                    return;
                }
                let identity = walk.identity();
                self.facts.shares = Some(walk.finish());
                self.step = self.after_walk(identity);
            }
            Step::GuestNegotiate => {
                let random = (self.env.nonce)().salt;
                let request = reply.map_err(|e| e.to_string()).and_then(|m| {
                    session::guest_setup_request(&m, &random, (self.env.unix_nanos)())
                });
                match request {
                    Ok(request) => self.step = Step::GuestAuthenticate(request),
                    Err(why) => {
                        self.facts.guest_session = Some(session::SessionVerdict::unknown(why));
                        self.step = self.after_sessions();
                    }
                }
            }
            Step::GuestAuthenticate(_) => {
                let verdict = session::read_guest_setup(reply);
                let granted = verdict.session_granted();
                self.facts.guest_session = Some(verdict);
                self.step = if granted {
                    self.share_walk(Identity::Guest)
                } else {
                    self.after_walk(Identity::Guest)
                };
            }
            Step::Login => match self.user.handle_reply(reply) {
                Some(verdict) => {
                    let granted = verdict.session_granted();
                    self.facts.user_session = Some(verdict);
                    self.step = if granted {
                        self.share_walk(Identity::User)
                    } else {
                        self.after_walk(Identity::User)
                    };
                }
                None => self.step = Step::Login,
            },
            Step::Smb1Negotiate => self.smb1_negotiated(reply),
            Step::PortSmb1Negotiate => self.port_smb1_negotiated(reply),
            Step::Smb1SessionSetup(resp) => {
                let recorded = reply
                    .as_ref()
                    .map_err(|e| e.to_string())
                    .and_then(|m| probe1::record_session_setup(&mut self.facts, m, &resp));
                if let Err(why) = recorded {
                    self.error(Phase::Smb1SessionSetup, why);
                }
                if self.null_session {
                    self.ms17_after_setup(&resp, reply);
                } else {
                    self.smb1_concluded(Ok(()));
                }
            }
            Step::Smb1Anonymous(_) => {
                self.judge_smb1_null(&reply);
                match ms17_010::answer(reply, "the anonymous SMB1 logon") {
                    Ok(h) if h.status == smbaudit_wire::smb2::status::SUCCESS => {
                        self.step = Step::Smb1Ipc(h.uid);
                    }
                    Ok(h) => self.ms17_unknown(format!(
                        "the anonymous SMB1 logon answered {}",
                        super::reply::status_text(h.status)
                    )),
                    Err(why) => self.ms17_unknown(why),
                }
            }
            Step::Smb1Ipc(uid) => {
                let answer = ms17_010::answer(reply, "the SMB1 IPC$ tree connect");
                if let Some(verdict) = self.smb1_null.take() {
                    let status = answer.as_ref().map(|h| h.status).map_err(Clone::clone);
                    self.facts.null_session = Some(super::smb1_null::with_ipc(verdict, &status));
                }
                match answer {
                    Ok(h) if h.status == smbaudit_wire::smb2::status::SUCCESS => {
                        self.step = Step::Smb1Peek(uid, h.tid);
                    }
                    Ok(h) => self.ms17_unknown(format!(
                        "IPC$ refused the null session: {}",
                        super::reply::status_text(h.status)
                    )),
                    Err(why) => self.ms17_unknown(why),
                }
            }
            Step::Smb1Peek(uid, tid) => {
                let verdict = match ms17_010::answer(reply, "PeekNamedPipe") {
                    Ok(h) => ms17_010::judge_peek(h.status),
                    Err(why) => ms17_010::VulnVerdict::unknown(why),
                };
                self.facts.ms17_010 = Some(verdict);
                self.step = Step::Smb1DoublePulsar(uid, tid);
            }
            Step::Smb1DoublePulsar(uid, tid) => {
                self.facts.doublepulsar = Some(ms17_010::judge_doublepulsar(reply));
                self.smb1_share_walk(uid, tid);
            }
            Step::Smb1Shares(mut walk) => {
                walk.handle(reply);
                if !walk.is_done() {
                    self.step = Step::Smb1Shares(walk);
                    return;
                }
                self.smb1_walked(*walk);
            }
            Step::FloorNegotiate(i) => {
                let dialect = self.candidates[i];
                let verdict = match reply.map(|m| read_negotiate(&m, &[dialect])) {
                    Ok(NegotiateReply::Accepted(_)) => FloorProbe::Accepted,
                    Ok(NegotiateReply::Refused(_)) => FloorProbe::Refused,
                    Ok(NegotiateReply::Invalid(why)) => self.floor_unknown(dialect, &why),
                    Err(e) => self.floor_failed(dialect, &e),
                };
                self.floor_judged(i, verdict);
            }
            step => self.step = step,
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

    /// Where `identity`'s session leads once its shares are walked (or not walked): the
    /// null session to the guest attempt, the guest to the login, the login to connection B.
    fn after_walk(&mut self, identity: Identity) -> Step {
        match identity {
            Identity::Anonymous => Step::GuestNegotiate,
            Identity::Guest => self.after_sessions(),
            Identity::User => Step::Smb1Connect,
        }
    }

    /// The share walk of `identity` on the session just granted (it checks the list an
    /// earlier session obtained, or lists the shares itself), or the next step when shares
    /// are not asked for.
    fn share_walk(&mut self, identity: Identity) -> Step {
        if !self.shares {
            return self.after_walk(identity);
        }
        let write_name = self.write_check.then(|| {
            format!(
                "smbaudit-write-check-{}.tmp",
                &crate::hex(&(self.env.nonce)().salt)[..16]
            )
        });
        let netname = self.netname.clone();
        let walk = match self.facts.shares.take() {
            Some(listing) if listing.listed == Some(true) => {
                ShareWalk::check(identity, netname, listing, write_name)
            }
            earlier => {
                self.facts.shares = earlier;
                ShareWalk::enumerate(identity, netname, write_name)
            }
        };
        if walk.is_done() {
            self.facts.shares = Some(walk.finish());
            return self.after_walk(identity);
        }
        Step::Shares(Box::new(walk))
    }

    fn negotiate(&self, dialects: &[Dialect]) -> Vec<u8> {
        negotiate_request(dialects, (self.env.nonce)(), &self.netname)
    }

    fn error(&mut self, phase: Phase, message: String) {
        self.errors.push((phase, message));
    }

    /// Connection A's NEGOTIATE, recorded in `by_port`; an accepted one starts the rest.
    fn negotiated(&mut self, reply: Result<Vec<u8>, ProbeError>) {
        let (reply, refused) = match reply {
            Ok(msg) => {
                let reply = read_negotiate(&msg, &Dialect::ALL);
                let refused = matches!(reply, NegotiateReply::Refused(_));
                (reply, refused)
            }
            // No answer is recorded like an invalid one: the error, no dialect.
            Err(e) => (NegotiateReply::Invalid(e.to_string()), e.is_refusal()),
        };
        let summary = port_summary(&reply);
        if let Some(why) = &summary.error {
            if refused && self.scope == Scope::Full {
                self.smb2_refused = Some((self.errors.len(), why.clone()));
            } else {
                self.error(Phase::Smb2Negotiate, why.clone());
            }
        }
        self.facts
            .by_port
            .insert(format!("{}/tcp", self.port), summary);
        self.step = match (self.scope, reply) {
            (Scope::NegotiateOnly, _) => Step::Done,
            (Scope::Full, NegotiateReply::Accepted(resp)) => {
                record_negotiate(&mut self.facts, &resp, (self.env.unix_nanos)());
                self.max = Dialect::from_code(resp.dialect);
                Step::SessionSetup
            }
            (Scope::Full, NegotiateReply::Refused(_) | NegotiateReply::Invalid(_)) => {
                Step::Smb1Connect
            }
        };
    }

    /// An SMB1-only host's other port: NT LM 0.12 there too, or why not.
    fn port_smb1_negotiated(&mut self, reply: Result<Vec<u8>, ProbeError>) {
        let error = match reply.map(|msg| probe1::read_negotiate(&msg)) {
            Ok(Smb1Reply::Accepted(_)) => None,
            Ok(Smb1Reply::Refused(refusal)) => Some(format!("SMB1 NEGOTIATE refused: {refusal}")),
            Ok(Smb1Reply::Invalid(why)) => Some(why),
            Err(e) => Some(e.to_string()),
        };
        if let Some(why) = &error {
            self.error(Phase::Smb1Negotiate, why.clone());
        }
        let summary = PortNegotiate {
            max_dialect: error.is_none().then(|| probe1::NT_LM_012.to_owned()),
            signing_required: None,
            error,
        };
        self.facts
            .by_port
            .insert(format!("{}/tcp", self.port), summary);
        self.step = Step::Done;
    }

    fn smb1_negotiated(&mut self, reply: Result<Vec<u8>, ProbeError>) {
        let msg = match reply {
            Ok(msg) => msg,
            Err(e) => return self.smb1_concluded(Err(Smb1Failure::Wire(e))),
        };
        match probe1::read_negotiate(&msg) {
            Smb1Reply::Accepted(resp) => {
                probe1::record_negotiate(&mut self.facts, &resp, (self.env.unix_nanos)());
                self.step = Step::Smb1SessionSetup(resp);
            }
            Smb1Reply::Refused(Refusal::NoCommonDialect) => {
                self.smb1_concluded(Err(Smb1Failure::Off));
            }
            Smb1Reply::Refused(refusal) => self.smb1_concluded(Err(Smb1Failure::Invalid(format!(
                "SMB1 NEGOTIATE refused: {refusal}"
            )))),
            Smb1Reply::Invalid(why) => self.smb1_concluded(Err(Smb1Failure::Invalid(why))),
        }
    }

    /// After connection B's first SESSION_SETUP_ANDX: on to the null session's second leg
    /// (extended security), or straight to IPC$ when the request already was the null
    /// session (a server without extended security) and it was granted.
    fn ms17_after_setup(&mut self, negotiated: &Smb1Negotiate, reply: Result<Vec<u8>, ProbeError>) {
        use smbaudit_wire::smb1::Smb1Security;
        use smbaudit_wire::smb2::status;
        let extended = matches!(negotiated.security, Smb1Security::Extended { .. });
        if !extended {
            // This request already was the null session.
            self.judge_smb1_null(&reply);
        }
        let header = match ms17_010::answer(reply, "SESSION_SETUP_ANDX") {
            Ok(h) => h,
            Err(why) => return self.ms17_unknown(why),
        };
        match (extended, header.status) {
            (true, status::MORE_PROCESSING_REQUIRED) => self.step = Step::Smb1Anonymous(header.uid),
            (false, status::SUCCESS) => self.step = Step::Smb1Ipc(header.uid),
            (_, other) => self.ms17_unknown(format!(
                "no SMB1 null session: SESSION_SETUP_ANDX answered {}",
                super::reply::status_text(other)
            )),
        }
    }

    /// The SMB1 null session's final leg, judged for a host whose null session SMB2 did not
    /// judge (one that speaks SMB1 only): a granted one waits for its IPC$ answer, any other
    /// is the verdict.
    fn judge_smb1_null(&mut self, reply: &Result<Vec<u8>, ProbeError>) {
        if self.max.is_some() || self.facts.null_session.is_some() {
            return;
        }
        let verdict = super::smb1_null::read_anonymous_setup(reply);
        if verdict.session_granted() {
            self.smb1_null = Some(verdict);
        } else {
            self.facts.null_session = Some(verdict);
        }
    }

    /// After MS17-010 on connection B: the share walk on its null session and IPC$ tree
    /// when shares are asked for and SMB2 gave no list (a host that speaks SMB1 only), else
    /// connection B concludes.
    fn smb1_share_walk(&mut self, uid: u16, tid: u16) {
        if !self.shares || self.max.is_some() || self.facts.shares.is_some() {
            return self.smb1_concluded(Ok(()));
        }
        let random = (self.env.nonce)().salt;
        let write_name = self.write_check.then(|| {
            format!(
                "smbaudit-write-check-{}.tmp",
                &crate::hex(&(self.env.nonce)().salt)[..16]
            )
        });
        // A logon the server mapped to guest walks the shares as the guest it is.
        let identity = if self.facts.null_session.as_ref().is_some_and(|v| v.guest) {
            Identity::Guest
        } else {
            Identity::Anonymous
        };
        let walk = Smb1ShareWalk::new(
            identity,
            self.netname.clone(),
            (uid, tid),
            &random,
            write_name,
        );
        self.step = Step::Smb1Shares(Box::new(walk));
    }

    /// The SMB1 share walk's results; then connection B concludes.
    fn smb1_walked(&mut self, walk: Smb1ShareWalk) {
        let (listing, any_share_name) = walk.finish();
        self.facts.shares = Some(listing);
        if self.facts.any_share_name.is_none() {
            self.facts.any_share_name = any_share_name;
        }
        self.smb1_concluded(Ok(()));
    }

    /// The MS17-010 check stopped short: unknown, with `why`; then connection B concludes.
    fn ms17_unknown(&mut self, why: String) {
        self.facts.ms17_010 = Some(ms17_010::VulnVerdict::unknown(why));
        self.smb1_concluded(Ok(()));
    }

    /// Connection B's verdict; then the floor probes.
    fn smb1_concluded(&mut self, outcome: Result<(), Smb1Failure>) {
        let smb2_answered = self.max.is_some();
        let (verdict, reason) = match outcome {
            Ok(()) => (Some(true), "server selected NT LM 0.12".to_owned()),
            Err(Smb1Failure::Off) => (
                Some(false),
                "server answered DialectIndex 0xFFFF (no common dialect) to NT LM 0.12".into(),
            ),
            Err(Smb1Failure::Wire(e)) if e.is_refusal() && smb2_answered => (
                Some(false),
                format!("{e} (an SMB1-only NEGOTIATE; SMB2 answered on this port)"),
            ),
            Err(Smb1Failure::Wire(e)) => (None, e.to_string()),
            Err(Smb1Failure::Invalid(why)) => (None, why),
        };
        if verdict.is_none() {
            self.error(Phase::Smb1Negotiate, reason.clone());
        }
        self.facts.smb1 = verdict;
        self.facts.smb1_reason = Some(reason);
        self.judge_smb2_refusal();
        self.candidates = self
            .max
            .map(|max| floor_candidates(max).collect())
            .unwrap_or_default();
        self.next_floor_probe(0);
    }

    /// A refused SMB2 NEGOTIATE is the expected answer of a host that speaks SMB1 only: its
    /// highest dialect is NT LM 0.12 and its SMB2 set is known to be empty. Anywhere else
    /// the refusal is an error, in the place it happened.
    fn judge_smb2_refusal(&mut self) {
        let Some((at, why)) = self.smb2_refused.take() else {
            return;
        };
        if self.facts.smb1 == Some(true) {
            self.facts.max_dialect = Some(probe1::NT_LM_012.to_owned());
            self.facts.dialects_complete = true;
            if let Some(port) = self.facts.by_port.get_mut(&format!("{}/tcp", self.port)) {
                port.max_dialect = Some(probe1::NT_LM_012.to_owned());
                port.error = None;
            }
        } else {
            self.errors
                .insert(at.min(self.errors.len()), (Phase::Smb2Negotiate, why));
        }
    }

    /// Connection C (and more): single dialects ascending below the highest until one is
    /// accepted. Nothing when the highest is unknown.
    fn next_floor_probe(&mut self, i: usize) {
        let Some(max) = self.max else {
            self.step = Step::Done;
            return;
        };
        if i < self.candidates.len() {
            self.step = Step::FloorConnect(i);
        } else {
            let (dialects, complete) = dialect_set(max, &self.probes);
            self.facts.dialects = dialects;
            self.facts.dialects_complete = complete;
            self.step = Step::Done;
        }
    }

    fn floor_judged(&mut self, i: usize, verdict: FloorProbe) {
        self.probes.push((self.candidates[i], verdict));
        if verdict == FloorProbe::Refused {
            self.next_floor_probe(i + 1);
        } else {
            self.next_floor_probe(self.candidates.len());
        }
    }

    fn floor_failed(&mut self, dialect: Dialect, e: &ProbeError) -> FloorProbe {
        if e.is_refusal() {
            FloorProbe::Refused
        } else {
            self.floor_unknown(dialect, &e.to_string())
        }
    }

    fn floor_unknown(&mut self, dialect: Dialect, why: &str) -> FloorProbe {
        self.error(Phase::DialectProbe, format!("{}: {why}", dialect.as_str()));
        FloorProbe::Unknown
    }
}

#[cfg(test)]
#[path = "suite_tests.rs"]
mod tests;
