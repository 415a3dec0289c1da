//! The SMB suite of one port: at most three connections for a host whose dialects start at
//! 2.0.2 (A: every SMB2 dialect, then an anonymous NTLM session setup; B: SMB1 only, then
//! SESSION_SETUP_ANDX; C: 2.0.2 alone to find the floor), and one more per dialect refused
//! below the highest.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use smbaudit_probe::smb::smb1::{self as probe1, Smb1Reply};
use smbaudit_probe::smb::smb2::{
    ClientNonce, FloorProbe, NegotiateReply, dialect_set, floor_candidates, negotiate_request,
    port_summary, read_negotiate, read_session_setup, record_negotiate,
};
use smbaudit_probe::smb::{SmbFacts, ntlm};
use smbaudit_wire::smb2::{self, Dialect};

use super::budget::Budget;
use super::conn::Conn;
use super::route::Route;
use super::{HostScan, Phase, ProbeError};

/// MessageId of the SESSION_SETUP on connection A (the NEGOTIATE is 0).
const SESSION_SETUP_MID: u64 = 1;
/// SMB1 MIDs of connection B.
const SMB1_SETUP_MID: u16 = 1;

/// Context shared by the steps of a suite.
pub(crate) struct Suite<'a> {
    pub(crate) ip: IpAddr,
    pub(crate) route: Route,
    pub(crate) budget: &'a Budget,
}

impl Suite<'_> {
    fn error(&self, out: &mut HostScan, phase: Phase, message: String) {
        out.error(phase, self.route.port(), message);
    }

    /// Connection A only: NEGOTIATE offering every dialect, recorded in `by_port`. Returns
    /// the reply for the caller to build on.
    pub(crate) async fn negotiate_all(
        &self,
        conn: &mut Conn,
        facts: &mut SmbFacts,
        out: &mut HostScan,
    ) -> Option<Box<smb2::NegotiateResponse>> {
        let request = negotiate_request(&Dialect::ALL, nonce(), &self.ip.to_string());
        let reply = match conn
            .exchange(&request, "NEGOTIATE response", self.budget)
            .await
        {
            Ok(msg) => read_negotiate(&msg, &Dialect::ALL),
            // No answer is recorded like an invalid one: the error, no dialect.
            Err(e) => NegotiateReply::Invalid(e.to_string()),
        };
        let summary = port_summary(&reply);
        if let Some(why) = &summary.error {
            self.error(out, Phase::Smb2Negotiate, why.clone());
        }
        facts
            .by_port
            .insert(format!("{}/tcp", self.route.port()), summary);
        match reply {
            NegotiateReply::Accepted(resp) => Some(resp),
            NegotiateReply::Refused(_) | NegotiateReply::Invalid(_) => None,
        }
    }

    /// The whole suite, with `first` as connection A; errors and connections are counted
    /// in `out`.
    pub(crate) async fn run(&self, mut first: Conn, facts: &mut SmbFacts, out: &mut HostScan) {
        facts.port = Some(self.route.port());
        let max = match self.negotiate_all(&mut first, facts, out).await {
            Some(resp) => {
                record_negotiate(facts, &resp, now_unix_nanos());
                self.session_setup(&mut first, facts, out).await;
                Dialect::from_code(resp.dialect)
            }
            None => None,
        };
        drop(first);
        // B, then C: one connection at a time, so a server answering for many addresses
        // (a NAS, a cluster, the lab's farm) never sees two from one host at once.
        self.smb1(facts, max.is_some(), out).await;
        if let Some((dialects, complete)) = self.floor(max, out).await {
            facts.dialects = dialects;
            facts.dialects_complete = complete;
        }
    }

    /// Anonymous SESSION_SETUP with an NTLMSSP NEGOTIATE: the CHALLENGE's facts.
    async fn session_setup(&self, conn: &mut Conn, facts: &mut SmbFacts, out: &mut HostScan) {
        let request = smb2::session_setup_request(SESSION_SETUP_MID, &ntlm::session_setup_blob());
        let result = match conn
            .exchange(&request, "SESSION_SETUP response", self.budget)
            .await
        {
            Ok(msg) => read_session_setup(&msg),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(ntlm) => facts.ntlm = Some(ntlm),
            Err(why) => self.error(out, Phase::Smb2SessionSetup, why),
        }
    }

    /// Connection B: SMB1 offered alone.
    async fn smb1(&self, facts: &mut SmbFacts, smb2_answered: bool, out: &mut HostScan) {
        let (verdict, reason) = match self.smb1_exchange(facts, out).await {
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
            self.error(out, Phase::Smb1Negotiate, reason.clone());
        }
        facts.smb1 = verdict;
        facts.smb1_reason = Some(reason);
    }

    async fn smb1_exchange(
        &self,
        facts: &mut SmbFacts,
        out: &mut HostScan,
    ) -> Result<(), Smb1Failure> {
        let mut conn = self
            .route
            .open(self.ip, self.budget, &mut out.connections)
            .await
            .map_err(Smb1Failure::Wire)?;
        let msg = conn
            .exchange(
                &probe1::negotiate_request(),
                "SMB1 NEGOTIATE response",
                self.budget,
            )
            .await
            .map_err(Smb1Failure::Wire)?;
        let resp = match probe1::read_negotiate(&msg) {
            Smb1Reply::On(resp) => resp,
            Smb1Reply::Off => return Err(Smb1Failure::Off),
            Smb1Reply::Invalid(why) => return Err(Smb1Failure::Invalid(why)),
        };
        probe1::record_negotiate(facts, &resp);
        let request = probe1::session_setup_request(&resp, SMB1_SETUP_MID);
        match conn
            .exchange(&request, "SESSION_SETUP_ANDX response", self.budget)
            .await
        {
            Ok(msg) => {
                if let Err(why) = probe1::record_session_setup(facts, &msg, &resp) {
                    self.error(out, Phase::Smb1SessionSetup, why);
                }
            }
            Err(e) => self.error(out, Phase::Smb1SessionSetup, e.to_string()),
        }
        Ok(())
    }

    /// Connection C (and more): single dialects ascending below `max` until one is
    /// accepted. `None` when `max` is unknown.
    async fn floor(&self, max: Option<Dialect>, out: &mut HostScan) -> Option<(Vec<String>, bool)> {
        let max = max?;
        let mut probes = Vec::new();
        for dialect in floor_candidates(max) {
            let verdict = self.single_dialect(dialect, out).await;
            probes.push((dialect, verdict));
            if verdict != FloorProbe::Refused {
                break;
            }
        }
        Some(dialect_set(max, &probes))
    }

    async fn single_dialect(&self, dialect: Dialect, out: &mut HostScan) -> FloorProbe {
        let offered = [dialect];
        let result = async {
            let mut conn = self
                .route
                .open(self.ip, self.budget, &mut out.connections)
                .await?;
            let request = negotiate_request(&offered, nonce(), &self.ip.to_string());
            conn.exchange(&request, "NEGOTIATE response", self.budget)
                .await
        }
        .await;
        match result.map(|msg| read_negotiate(&msg, &offered)) {
            Ok(NegotiateReply::Accepted(_)) => FloorProbe::Accepted,
            Ok(NegotiateReply::Refused(_)) => FloorProbe::Refused,
            Err(e) if e.is_refusal() => FloorProbe::Refused,
            Ok(NegotiateReply::Invalid(why)) => {
                self.error(
                    out,
                    Phase::DialectProbe,
                    format!("{}: {why}", dialect.as_str()),
                );
                FloorProbe::Unknown
            }
            Err(e) => {
                self.error(
                    out,
                    Phase::DialectProbe,
                    format!("{}: {e}", dialect.as_str()),
                );
                FloorProbe::Unknown
            }
        }
    }
}

#[derive(Debug)]
enum Smb1Failure {
    Off,
    Wire(ProbeError),
    Invalid(String),
}

fn nonce() -> ClientNonce {
    ClientNonce {
        guid: rand::random(),
        salt: rand::random(),
    }
}

fn now_unix_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(0))
}
