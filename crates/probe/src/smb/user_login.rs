//! The suite's side of the credentialed session: it remembers what connection A's
//! NEGOTIATE settled (dialect, SecurityMode, the SIGNING_CAPABILITIES choice, the 3.1.1
//! preauth hash over the request as sent and the response), starts one [`Login`] when the
//! suite reaches it, and hands the verdict back. Kept out of `suite.rs` so the suite only
//! forwards to it.

use std::sync::Arc;

use smbaudit_wire::smb2::{ContextData, Dialect, NegotiateResponse};

use super::credentials::Credentials;
use super::login_flow::{Login, LoginAction, LoginSigning};
use super::session::SessionVerdict;
use super::signing::{PreauthHash, Signer};

/// What NEGOTIATE settled for the login.
#[derive(Debug, Clone)]
struct Negotiated {
    dialect: Dialect,
    security_mode: u16,
    algorithm: Option<u16>,
}

/// The credentialed session of one suite: nothing without credentials.
#[derive(Default)]
pub struct UserLogin {
    credentials: Option<Arc<Credentials>>,
    preauth: PreauthHash,
    negotiated: Option<Negotiated>,
    login: Option<Login>,
}

impl std::fmt::Debug for UserLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserLogin")
            .field("credentials", &self.credentials)
            .field("negotiated", &self.negotiated)
            .field("started", &self.login.is_some())
            .finish_non_exhaustive()
    }
}

impl UserLogin {
    /// A login for `credentials` (none: no login).
    pub fn new(credentials: Option<Arc<Credentials>>) -> Self {
        Self {
            credentials,
            ..Self::default()
        }
    }

    /// Connection A's NEGOTIATE request went out as `sent`.
    pub fn negotiate_sent(&mut self, sent: &[u8]) {
        self.preauth = PreauthHash::new();
        self.preauth.update(sent);
    }

    /// Connection A's NEGOTIATE response.
    pub fn negotiate_reply(&mut self, reply: &[u8]) {
        self.preauth.update(reply);
        let Ok(resp) = NegotiateResponse::decode(reply) else {
            return;
        };
        let Some(dialect) = Dialect::from_code(resp.dialect) else {
            return;
        };
        let algorithm = resp.contexts.iter().find_map(|c| match c.decode_data() {
            Ok(ContextData::Signing { algorithms }) => algorithms.first().copied(),
            _ => None,
        });
        self.negotiated = Some(Negotiated {
            dialect,
            security_mode: resp.security_mode,
            algorithm,
        });
    }

    /// Starts the login if there are credentials and an SMB2 dialect; false otherwise (and
    /// always after the first call: one attempt).
    pub fn start(&mut self, netname: &str, random: [u8; 32], unix_nanos: i128) -> bool {
        let (Some(credentials), Some(n)) = (self.credentials.take(), self.negotiated.clone())
        else {
            return false;
        };
        let signing = LoginSigning::for_server(n.dialect, n.security_mode);
        let preauth = Some(self.preauth.clone());
        self.login = Some(Login::new(
            credentials,
            n.dialect,
            signing,
            n.algorithm,
            preauth,
            netname,
            random,
            unix_nanos,
        ));
        true
    }

    /// The credentials, when no login has started with them (a host that speaks SMB1 only
    /// logs in over SMB1 instead); taken, so a host gets one attempt whichever dialect
    /// carries it.
    pub fn take_unused(&mut self) -> Option<Arc<Credentials>> {
        if self.login.is_some() {
            return None;
        }
        self.credentials.take()
    }

    /// The login's request to send (`None` once it has its verdict).
    pub fn poll_request(&self) -> Option<(Vec<u8>, &'static str, bool)> {
        match self.login.as_ref()?.poll_action() {
            LoginAction::Send {
                msg,
                new_session,
                waiting_for,
            } => Some((msg, waiting_for, new_session)),
            LoginAction::Done(_) => None,
        }
    }

    /// The login's request went out as `sent`.
    pub fn handle_sent(&mut self, sent: &[u8]) {
        if let Some(login) = &mut self.login {
            login.handle_sent(sent);
        }
    }

    /// The reply to the login's request; the verdict once the login is over.
    pub fn handle_reply(
        &mut self,
        reply: Result<Vec<u8>, super::ProbeError>,
    ) -> Option<SessionVerdict> {
        let login = self.login.as_mut()?;
        login.handle_reply(reply);
        match login.poll_action() {
            LoginAction::Done(verdict) => Some(verdict),
            LoginAction::Send { .. } => None,
        }
    }

    /// The signer to install before the next request, once.
    pub fn take_signer(&mut self) -> Option<Box<dyn Signer>> {
        self.login.as_mut()?.take_signer()
    }
}
