//! Connection A after NEGOTIATE: the NTLM challenge, the null session (IPC$, a random share
//! name), the guest attempt and the credentialed login, each granted session's share walk.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Suite {
    /// Connection A's requests after NEGOTIATE: the sessions and their share walks.
    pub(super) fn session_request(&self) -> Action {
        let exchange = |request, waiting_for| Action::Exchange {
            request,
            waiting_for,
            new_session: false,
        };
        match &self.step {
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
            _ => Action::Done,
        }
    }

    /// The reply to one of [`Self::session_request`]'s requests.
    pub(super) fn session_reply(&mut self, step: Step, reply: Result<Vec<u8>, ProbeError>) {
        match step {
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
            step => self.step = step,
        }
    }

    /// After the anonymous and guest sessions: the login (once), else connection B.
    pub(super) fn after_sessions(&mut self) -> Step {
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

    /// Where `identity`'s session leads once its shares are walked (or not walked): the
    /// null session to the guest attempt, the guest to the login, the login to connection B.
    pub(super) fn after_walk(&mut self, identity: Identity) -> Step {
        match identity {
            Identity::Anonymous => Step::GuestNegotiate,
            Identity::Guest => self.after_sessions(),
            Identity::User => Step::Smb1Connect,
        }
    }

    /// The share walk of `identity` on the session just granted (it checks the list an
    /// earlier session obtained, or lists the shares itself), or the next step when shares
    /// are not asked for.
    pub(super) fn share_walk(&mut self, identity: Identity) -> Step {
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
}
