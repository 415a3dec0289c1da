//! The credentialed session as a sans-IO sub-machine the suite can delegate to on
//! connection A: a new session's NTLM NEGOTIATE leg, the NTLMv2 AUTHENTICATE
//! ([`super::login`]), then — when signing is needed — the signer (after checking the final
//! SESSION_SETUP response's own signature), and a TREE_CONNECT to IPC$ that proves the
//! signed session works. On 3.1.1 it chains the preauth hash over the legs as actually sent
//! (the caller hands back [`super::connection::Connection::last_sent`]) and received.

use std::sync::Arc;

use smbaudit_wire::ntlm::{SCANNER_NEGOTIATE_FLAGS, flags, negotiate_message};
use smbaudit_wire::smb2::{self, Dialect};
use smbaudit_wire::spnego;

use super::ProbeError;
use super::credentials::Credentials;
use super::login::{login_setup_request, read_user_setup};
use super::session::{SessionVerdict, ipc_connect_request};
use super::signing::{PreauthHash, Signer, signer_for};

/// Our NegotiateFlags for the login: the scanner's, plus signing and key exchange.
pub const LOGIN_NEGOTIATE_FLAGS: u32 = SCANNER_NEGOTIATE_FLAGS | flags::SIGN | flags::KEY_EXCH;

/// Whether the session signs from the final SESSION_SETUP on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginSigning {
    /// The server requires signing, or the dialect is 3.1.1 (which disconnects an unsigned
    /// credentialed TREE_CONNECT, [MS-SMB2] 3.3.5.7).
    Sign,
    /// Neither: the session goes unsigned.
    Unsigned,
}

impl LoginSigning {
    /// The rule for `dialect` and the server's NEGOTIATE SecurityMode.
    pub fn for_server(dialect: Dialect, security_mode: u16) -> Self {
        if dialect == Dialect::Smb311 || security_mode & smb2::SIGNING_REQUIRED != 0 {
            Self::Sign
        } else {
            Self::Unsigned
        }
    }
}

/// What the login wants done next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginAction {
    /// Send `msg` (first installing [`Login::take_signer`]'s signer, if any);
    /// `new_session` asks the connection to start a session (SessionId 0).
    Send {
        /// The request.
        msg: Vec<u8>,
        /// Start a new session first.
        new_session: bool,
        /// What the reply is.
        waiting_for: &'static str,
    },
    /// Finished, with the verdict.
    Done(SessionVerdict),
}

/// Each stage names the request in flight; its reply moves to the next.
enum Stage {
    Negotiate,
    Authenticate(Vec<u8>),
    Tree(SessionVerdict),
    Done(SessionVerdict),
}

/// One login attempt: constructed once per host, so a second port never logs in again.
pub struct Login {
    credentials: Arc<Credentials>,
    dialect: Dialect,
    signing: LoginSigning,
    algorithm: Option<u16>,
    netname: String,
    random: [u8; 32],
    unix_nanos: i128,
    preauth: Option<PreauthHash>,
    pending_key: Option<super::ntlmv2::Key16>,
    pending_signer: Option<Box<dyn Signer>>,
    stage: Stage,
}

impl Login {
    /// A login on a connection that negotiated `dialect`; `preauth` is the connection's
    /// hash after NEGOTIATE (3.1.1), `algorithm` the SIGNING_CAPABILITIES choice.
    #[allow(clippy::too_many_arguments)] // each is one fact of the connection or the run
    pub fn new(
        credentials: Arc<Credentials>,
        dialect: Dialect,
        signing: LoginSigning,
        algorithm: Option<u16>,
        preauth: Option<PreauthHash>,
        netname: &str,
        random: [u8; 32],
        unix_nanos: i128,
    ) -> Self {
        Self {
            credentials,
            dialect,
            signing,
            algorithm,
            netname: netname.to_owned(),
            random,
            unix_nanos,
            preauth: preauth.filter(|_| dialect == Dialect::Smb311),
            pending_key: None,
            pending_signer: None,
            stage: Stage::Negotiate,
        }
    }

    /// The request to send now, or the verdict.
    pub fn poll_action(&self) -> LoginAction {
        match &self.stage {
            Stage::Negotiate => {
                let blob = spnego::ntlm_init_token(&negotiate_message(LOGIN_NEGOTIATE_FLAGS));
                let msg = smb2::SessionSetupRequest {
                    message_id: 0,
                    session_id: 0,
                    security_blob: &blob,
                };
                send(smbaudit_wire::Encode::to_vec(&msg), true, "login CHALLENGE")
            }
            Stage::Authenticate(msg) => send(msg.clone(), false, "login SESSION_SETUP response"),
            Stage::Tree(_) => send(
                ipc_connect_request(&self.netname),
                false,
                "login IPC$ TREE_CONNECT response",
            ),
            Stage::Done(verdict) => LoginAction::Done(verdict.clone()),
        }
    }

    /// The signer to install on the connection, once, after the final SESSION_SETUP
    /// response verified (before the TREE_CONNECT goes out).
    pub fn take_signer(&mut self) -> Option<Box<dyn Signer>> {
        self.pending_signer.take()
    }

    /// The request just went out as `sent` (the connection's `last_sent`).
    pub fn handle_sent(&mut self, sent: &[u8]) {
        let setup = matches!(self.stage, Stage::Negotiate | Stage::Authenticate(_));
        if let (Some(hash), true) = (&mut self.preauth, setup) {
            hash.update(sent);
        }
    }

    /// The reply to the last request, or why there is none.
    pub fn handle_reply(&mut self, reply: Result<Vec<u8>, ProbeError>) {
        let done = Stage::Done(SessionVerdict::unknown(String::new()));
        self.stage = match std::mem::replace(&mut self.stage, done) {
            Stage::Negotiate => self.after_challenge(reply),
            Stage::Authenticate(_) => self.after_final(reply),
            Stage::Tree(verdict) => Stage::Done(verdict.with_ipc(reply)),
            Stage::Done(verdict) => Stage::Done(verdict),
        };
    }

    fn after_challenge(&mut self, reply: Result<Vec<u8>, ProbeError>) -> Stage {
        let msg = match reply {
            Ok(msg) => msg,
            Err(e) => return Stage::Done(SessionVerdict::unknown(format!("login: {e}"))),
        };
        if let Some(hash) = &mut self.preauth {
            hash.update(&msg);
        }
        let offered = LOGIN_NEGOTIATE_FLAGS;
        let negotiate = negotiate_message(LOGIN_NEGOTIATE_FLAGS);
        let leg = login_setup_request(
            &msg,
            &negotiate,
            &self.credentials,
            offered,
            &self.random,
            self.unix_nanos,
        );
        match leg {
            Ok(leg) => {
                self.pending_key = Some(leg.keys.exported);
                Stage::Authenticate(leg.request)
            }
            Err(e) => Stage::Done(SessionVerdict::unknown(format!("login: {e}"))),
        }
    }

    fn after_final(&mut self, reply: Result<Vec<u8>, ProbeError>) -> Stage {
        let msg = reply.as_ref().ok().cloned();
        let verdict = read_user_setup(reply);
        let (Some(msg), true) = (msg, verdict.session_granted()) else {
            return Stage::Done(verdict);
        };
        if self.signing == LoginSigning::Unsigned {
            return Stage::Tree(verdict);
        }
        let Some(key) = self.pending_key.take() else {
            return Stage::Done(verdict);
        };
        let signer = signer_for(self.dialect, self.algorithm, &key, self.preauth.as_ref());
        // 3.1.1 always signs the final response ([MS-SMB2] 3.3.5.5.3); earlier dialects
        // when the server signs the session.
        let signed =
            self.dialect == Dialect::Smb311 || header_flags(&msg) & smb2::flags::SIGNED != 0;
        if signed && !signer.verify(&msg) {
            let mut unknown = verdict;
            unknown.accepted = None;
            unknown.reason = "the final SESSION_SETUP response's signature does not verify \
                              (wrong session key, or tampered negotiation)"
                .to_owned();
            return Stage::Done(unknown);
        }
        self.pending_signer = Some(signer);
        Stage::Tree(verdict)
    }
}

fn header_flags(msg: &[u8]) -> u32 {
    msg.get(16..20)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn send(msg: Vec<u8>, new_session: bool, waiting_for: &'static str) -> LoginAction {
    LoginAction::Send {
        msg,
        new_session,
        waiting_for,
    }
}

#[cfg(test)]
#[path = "login_flow_tests.rs"]
mod tests;
