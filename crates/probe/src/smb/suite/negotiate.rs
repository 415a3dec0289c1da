//! Connection A's every-dialect NEGOTIATE, recorded per port, and the SMB1 NEGOTIATE an
//! SMB1-only host's other port gets instead.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Suite {
    pub(super) fn negotiate(&self, dialects: &[Dialect]) -> Vec<u8> {
        negotiate_request(dialects, (self.env.nonce)(), &self.netname)
    }

    /// Connection A's NEGOTIATE, recorded in `by_port`; an accepted one starts the rest.
    pub(super) fn negotiated(&mut self, reply: Result<Vec<u8>, ProbeError>) {
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
    pub(super) fn port_smb1_negotiated(&mut self, reply: Result<Vec<u8>, ProbeError>) {
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
}
