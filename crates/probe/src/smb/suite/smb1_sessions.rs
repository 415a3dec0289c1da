//! Connection B of a host that speaks SMB1 only, after its null session: the guest attempt
//! (an unknown user name, unless `--no-null-session`), then the `--user` login, each a new
//! UID on the same connection ([`crate::smb::smb1_login`]), its IPC$ tree connect, and the
//! SMB1 share walk on it. The login signs the rest of the connection when the server
//! requires SMB1 signing ([`crate::smb::signing::Smb1Signer`]).

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::smb::credentials::Credentials;
use crate::smb::login_flow::LOGIN_NEGOTIATE_FLAGS;
use crate::smb::ntlm_auth::{Exchanged, login_authenticate};
use crate::smb::ntlmv2::Key16;
use crate::smb::session::{SessionVerdict, guest_authenticate};
use crate::smb::signing::{FIRST_SIGNED_REQUEST, Smb1Signer};
use crate::smb::smb1_login::{self as login1, Who};
use smbaudit_wire::ntlm::{SCANNER_NEGOTIATE_FLAGS, negotiate_message};
use smbaudit_wire::spnego;
use std::sync::Arc;

/// MIDs of the sessions' legs and tree connect (the null session uses 0 to 4 and 65, the
/// share walks 100 and up).
const MID_NEGOTIATE: u16 = 10;
const MID_AUTHENTICATE: u16 = 11;
const MID_IPC: u16 = 12;

/// Where one SMB1 session stands.
#[derive(Debug)]
pub(super) enum SessionStep {
    /// The NEGOTIATE leg on UID 0 (the user's credentials with it).
    Negotiate(Who, Option<Arc<Credentials>>),
    /// The AUTHENTICATE leg on the server's UID; the login's session key.
    Authenticate {
        who: Who,
        uid: u16,
        request: Vec<u8>,
        key: Option<Key16>,
    },
    /// The granted session's IPC$ tree connect.
    Ipc {
        who: Who,
        uid: u16,
        verdict: SessionVerdict,
    },
}

impl Suite {
    /// After `done` (`None`: the null session and MS17-010), the next SMB1 session of a host
    /// that speaks SMB1 only: the guest attempt, then the login; else connection B concludes.
    pub(super) fn smb1_next_session(&mut self, done: Option<Who>) {
        let smb1_only = self.max.is_none();
        if smb1_only && done.is_none() && self.null_session && self.facts.guest_session.is_none() {
            return self.smb1_session(Who::Guest, None);
        }
        if smb1_only && done != Some(Who::User) {
            if let Some(credentials) = self.user.take_unused() {
                return self.smb1_session(Who::User, Some(credentials));
            }
        }
        self.smb1_concluded(Ok(()));
    }

    /// Starts `who`'s session, or records why it cannot start (a server without extended
    /// security has no NTLMSSP exchange).
    fn smb1_session(&mut self, who: Who, credentials: Option<Arc<Credentials>>) {
        let extended = self
            .facts
            .smb1_mode
            .as_ref()
            .is_some_and(|m| m.extended_security);
        if extended {
            let step = SessionStep::Negotiate(who, credentials);
            self.step = Step::Smb1Session(Box::new(step));
            return;
        }
        let why = "the server negotiated SMB1 without extended security (no NTLMSSP)";
        self.smb1_session_over(who, SessionVerdict::unknown(why.to_owned()));
    }

    /// The request of the session step in progress.
    pub(super) fn smb1_session_request(&self, step: &SessionStep) -> Action {
        let (request, waiting_for) = match step {
            SessionStep::Negotiate(who, _) => (
                login1::negotiate_leg_request(negotiate_flags(*who), MID_NEGOTIATE),
                "SMB1 CHALLENGE",
            ),
            SessionStep::Authenticate { request, .. } => {
                (request.clone(), "final SESSION_SETUP_ANDX response")
            }
            SessionStep::Ipc { uid, .. } => (
                login1::ipc_request(*uid, MID_IPC, &self.netname),
                "TREE_CONNECT_ANDX response",
            ),
        };
        Action::Exchange {
            request,
            waiting_for,
            new_session: false,
        }
    }

    /// The reply to [`Self::smb1_session_request`].
    pub(super) fn smb1_session_reply(
        &mut self,
        step: SessionStep,
        reply: Result<Vec<u8>, ProbeError>,
    ) {
        match step {
            SessionStep::Negotiate(who, credentials) => {
                self.smb1_challenged(who, credentials.as_deref(), reply);
            }
            SessionStep::Authenticate { who, uid, key, .. } => {
                self.smb1_final_leg(who, uid, key, reply);
            }
            SessionStep::Ipc { who, uid, verdict } => {
                let answer = ms17_010::answer(reply, "the SMB1 IPC$ tree connect");
                let status = answer.as_ref().map(|h| h.status).map_err(Clone::clone);
                let verdict = crate::smb::smb1_null::with_ipc(verdict, &status);
                let tid = answer.ok().filter(|h| h.status == 0).map(|h| h.tid);
                let walk = tid.filter(|_| verdict.session_granted() && self.shares);
                self.record_smb1_session(who, verdict);
                match walk {
                    Some(tid) => self.smb1_session_walk(who, uid, tid),
                    None => self.smb1_next_session(Some(who)),
                }
            }
        }
    }

    /// The CHALLENGE arrived: the AUTHENTICATE leg, or the verdict of why not.
    fn smb1_challenged(
        &mut self,
        who: Who,
        credentials: Option<&Credentials>,
        reply: Result<Vec<u8>, ProbeError>,
    ) {
        let (uid, token, challenge) = match login1::read_challenge_leg(reply) {
            Ok(leg) => leg,
            Err(why) => return self.smb1_session_over(who, SessionVerdict::unknown(why)),
        };
        let random = (self.env.nonce)().salt;
        let now = (self.env.unix_nanos)();
        let (token_out, key) = match credentials {
            None => {
                let auth = guest_authenticate(&challenge, &random, now);
                (spnego::ntlm_resp_token(&auth), None)
            }
            Some(credentials) => {
                let negotiate = negotiate_message(LOGIN_NEGOTIATE_FLAGS);
                let exchanged = Exchanged {
                    negotiate: &negotiate,
                    challenge: &token,
                };
                match login_authenticate(
                    exchanged,
                    credentials,
                    LOGIN_NEGOTIATE_FLAGS,
                    &random,
                    now,
                ) {
                    Ok(leg) => (leg.spnego_token(), Some(leg.keys.exported)),
                    Err(why) => {
                        return self.smb1_session_over(who, SessionVerdict::unknown(why));
                    }
                }
            }
        };
        let request = login1::authenticate_leg_request(&token_out, uid, MID_AUTHENTICATE);
        let step = SessionStep::Authenticate {
            who,
            uid,
            request,
            key,
        };
        self.step = Step::Smb1Session(Box::new(step));
    }

    /// The final leg's verdict; a granted session goes on to IPC$, a login on a server that
    /// requires signing signs from here on (after its final answer's signature verifies).
    fn smb1_final_leg(
        &mut self,
        who: Who,
        uid: u16,
        key: Option<Key16>,
        reply: Result<Vec<u8>, ProbeError>,
    ) {
        let signed_answer = reply.as_ref().ok().cloned();
        let mut verdict = login1::read_final_leg(who, reply);
        if !verdict.session_granted() {
            return self.smb1_session_over(who, verdict);
        }
        let required = self.facts.signing.smb1.as_ref().is_some_and(|s| s.required);
        if let (Some(key), true, Some(answer)) = (key, required, signed_answer) {
            let signer = Smb1Signer::new(&key);
            if !signer.verify(&answer, FIRST_SIGNED_REQUEST - 1) {
                verdict.accepted = None;
                verdict.reason = "the final SESSION_SETUP_ANDX response's signature does not \
                                  verify (wrong session key, or tampered negotiation)"
                    .to_owned();
                return self.smb1_session_over(who, verdict);
            }
            verdict.reason.push_str("; SMB1 signing on");
            self.smb1_signing = Some((signer, FIRST_SIGNED_REQUEST));
        }
        let step = SessionStep::Ipc { who, uid, verdict };
        self.step = Step::Smb1Session(Box::new(step));
    }

    /// Records `who`'s verdict and moves on to the next session.
    fn smb1_session_over(&mut self, who: Who, verdict: SessionVerdict) {
        self.record_smb1_session(who, verdict);
        self.smb1_next_session(Some(who));
    }

    fn record_smb1_session(&mut self, who: Who, verdict: SessionVerdict) {
        match who {
            Who::Guest => self.facts.guest_session = Some(verdict),
            Who::User => self.facts.user_session = Some(verdict),
        }
    }

    /// The SMB1 share walk on `who`'s session `uid` and its IPC$ tree `tid`: it checks the
    /// list an earlier session obtained, or lists the shares itself.
    fn smb1_session_walk(&mut self, who: Who, uid: u16, tid: u16) {
        let identity = match who {
            Who::Guest => Identity::Guest,
            Who::User => Identity::User,
        };
        let random = (self.env.nonce)().salt;
        let write_name = self.write_check.then(|| {
            format!(
                "smbaudit-write-check-{}.tmp",
                &crate::hex(&(self.env.nonce)().salt)[..16]
            )
        });
        let netname = self.netname.clone();
        let walk = match self.facts.shares.take() {
            Some(listing) if listing.listed == Some(true) => {
                Smb1ShareWalk::check(identity, netname, (uid, tid), listing, write_name)
            }
            earlier => {
                self.facts.shares = earlier;
                Smb1ShareWalk::new(identity, netname, (uid, tid), &random, write_name)
            }
        };
        if walk.is_done() {
            return self.smb1_walked(walk, Some(who));
        }
        self.step = Step::Smb1Shares(Box::new(walk), Some(who));
    }

    /// `action` signed, when connection B signs.
    pub(super) fn signed(&self, action: Action) -> Action {
        match (action, &self.smb1_signing) {
            (
                Action::Exchange {
                    mut request,
                    waiting_for,
                    new_session,
                },
                Some((signer, seq)),
            ) => {
                signer.sign(&mut request, *seq);
                Action::Exchange {
                    request,
                    waiting_for,
                    new_session,
                }
            }
            (action, _) => action,
        }
    }

    /// `reply`, or an error when connection B signs and its signature does not verify;
    /// the sequence numbers move on.
    pub(super) fn check_signature(
        &mut self,
        reply: Result<Vec<u8>, ProbeError>,
    ) -> Result<Vec<u8>, ProbeError> {
        let Some((signer, seq)) = &mut self.smb1_signing else {
            return reply;
        };
        let answer_seq = *seq + 1;
        *seq += 2;
        let msg = reply?;
        if signer.verify(&msg, answer_seq) {
            Ok(msg)
        } else {
            Err(ProbeError::Protocol(
                "SMB1 reply signature does not verify".to_owned(),
            ))
        }
    }
}

/// The NEGOTIATE flags of `who`'s first leg: the login asks for signing and key exchange.
fn negotiate_flags(who: Who) -> u32 {
    match who {
        Who::Guest => SCANNER_NEGOTIATE_FLAGS,
        Who::User => LOGIN_NEGOTIATE_FLAGS,
    }
}

#[cfg(test)]
#[path = "smb1_sessions_tests.rs"]
mod tests;
