//! Connection C (and more): single SMB2 dialects ascending below the highest until one
//! is accepted, which gives the dialect set's floor.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Suite {
    /// The reply to connection C's single-dialect NEGOTIATE of `candidates[i]`.
    pub(super) fn floor_reply(&mut self, i: usize, reply: Result<Vec<u8>, ProbeError>) {
        let dialect = self.candidates[i];
        let verdict = match reply.map(|m| read_negotiate(&m, &[dialect])) {
            Ok(NegotiateReply::Accepted(_)) => FloorProbe::Accepted,
            Ok(NegotiateReply::Refused(_)) => FloorProbe::Refused,
            Ok(NegotiateReply::Invalid(why)) => self.floor_unknown(dialect, &why),
            Err(e) => self.floor_failed(dialect, &e),
        };
        self.floor_judged(i, verdict);
    }

    /// Connection C (and more): single dialects ascending below the highest until one is
    /// accepted. Nothing when the highest is unknown.
    pub(super) fn next_floor_probe(&mut self, i: usize) {
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

    pub(super) fn floor_judged(&mut self, i: usize, verdict: FloorProbe) {
        self.probes.push((self.candidates[i], verdict));
        if verdict == FloorProbe::Refused {
            self.next_floor_probe(i + 1);
        } else {
            self.next_floor_probe(self.candidates.len());
        }
    }

    pub(super) fn floor_failed(&mut self, dialect: Dialect, e: &ProbeError) -> FloorProbe {
        if e.is_refusal() {
            FloorProbe::Refused
        } else {
            self.floor_unknown(dialect, &e.to_string())
        }
    }

    pub(super) fn floor_unknown(&mut self, dialect: Dialect, why: &str) -> FloorProbe {
        self.error(Phase::DialectProbe, format!("{}: {why}", dialect.as_str()));
        FloorProbe::Unknown
    }
}
