//! Connection B: the SMB1-only NEGOTIATE, SESSION_SETUP_ANDX, the null session, MS17-010
//! and DoublePulsar on its IPC$ tree, an SMB1-only host's share walk; then its verdict.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Suite {
    /// Connection B's requests after its NEGOTIATE: the session setup, MS17-010,
    /// DoublePulsar and the share walk.
    pub(super) fn smb1_request(&self) -> Action {
        let exchange = |request, waiting_for| Action::Exchange {
            request,
            waiting_for,
            new_session: false,
        };
        match &self.step {
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
            Step::Smb1Shares(walk, _) => match walk.request() {
                Some((request, waiting_for)) => exchange(request, waiting_for),
                None => Action::Done,
            },
            Step::Smb1Session(session) => self.smb1_session_request(session),
            _ => Action::Done,
        }
    }

    /// The reply to one of [`Self::smb1_request`]'s requests.
    pub(super) fn smb1_reply(&mut self, step: Step, reply: Result<Vec<u8>, ProbeError>) {
        match step {
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
                    self.smb1_next_session(None);
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
                        crate::smb::reply::status_text(h.status)
                    )),
                    Err(why) => self.ms17_unknown(why),
                }
            }
            Step::Smb1Ipc(uid) => {
                let answer = ms17_010::answer(reply, "the SMB1 IPC$ tree connect");
                if let Some(verdict) = self.smb1_null.take() {
                    let status = answer.as_ref().map(|h| h.status).map_err(Clone::clone);
                    self.facts.null_session =
                        Some(crate::smb::smb1_null::with_ipc(verdict, &status));
                }
                match answer {
                    Ok(h) if h.status == smbaudit_wire::smb2::status::SUCCESS => {
                        self.step = Step::Smb1Peek(uid, h.tid);
                    }
                    Ok(h) => self.ms17_unknown(format!(
                        "IPC$ refused the null session: {}",
                        crate::smb::reply::status_text(h.status)
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
            Step::Smb1Shares(mut walk, who) => {
                walk.handle(reply);
                if !walk.is_done() {
                    self.step = Step::Smb1Shares(walk, who);
                    return;
                }
                self.smb1_walked(*walk, who);
            }
            Step::Smb1Session(session) => self.smb1_session_reply(*session, reply),
            step => self.step = step,
        }
    }

    pub(super) fn smb1_negotiated(&mut self, reply: Result<Vec<u8>, ProbeError>) {
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
    pub(super) fn ms17_after_setup(
        &mut self,
        negotiated: &Smb1Negotiate,
        reply: Result<Vec<u8>, ProbeError>,
    ) {
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
                crate::smb::reply::status_text(other)
            )),
        }
    }

    /// The SMB1 null session's final leg, judged for a host whose null session SMB2 did not
    /// judge (one that speaks SMB1 only): a granted one waits for its IPC$ answer, any other
    /// is the verdict.
    pub(super) fn judge_smb1_null(&mut self, reply: &Result<Vec<u8>, ProbeError>) {
        if self.max.is_some() || self.facts.null_session.is_some() {
            return;
        }
        let verdict = crate::smb::smb1_null::read_anonymous_setup(reply);
        if verdict.session_granted() {
            self.smb1_null = Some(verdict);
        } else {
            self.facts.null_session = Some(verdict);
        }
    }

    /// After MS17-010 on connection B: the share walk on its null session and IPC$ tree
    /// when shares are asked for and SMB2 gave no list (a host that speaks SMB1 only), else
    /// connection B concludes.
    pub(super) fn smb1_share_walk(&mut self, uid: u16, tid: u16) {
        if !self.shares || self.max.is_some() || self.facts.shares.is_some() {
            return self.smb1_next_session(None);
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
        self.step = Step::Smb1Shares(Box::new(walk), None);
    }

    /// The SMB1 share walk's results (of the null session, or of `who`'s session); then
    /// the next SMB1 session.
    pub(super) fn smb1_walked(&mut self, walk: Smb1ShareWalk, who: Option<Who>) {
        let (listing, any_share_name) = walk.finish();
        self.facts.shares = Some(listing);
        if self.facts.any_share_name.is_none() {
            self.facts.any_share_name = any_share_name;
        }
        self.smb1_next_session(who);
    }

    /// The MS17-010 check stopped short: unknown, with `why`; then the next SMB1 session.
    pub(super) fn ms17_unknown(&mut self, why: String) {
        self.facts.ms17_010 = Some(ms17_010::VulnVerdict::unknown(why));
        self.smb1_next_session(None);
    }

    /// Connection B's verdict; then the floor probes.
    pub(super) fn smb1_concluded(&mut self, outcome: Result<(), Smb1Failure>) {
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
    pub(super) fn judge_smb2_refusal(&mut self) {
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
}
