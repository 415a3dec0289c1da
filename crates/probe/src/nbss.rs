//! The NetBIOS session service on 139: which called names to try, and what the answers
//! mean.

use serde::{Deserialize, Serialize};
use smbaudit_wire::nbns::{NbName, QualifiedName};
use smbaudit_wire::nbss::{SessionPacket, SessionRequest};

use crate::nbstat::NbstatReport;

/// The name every Windows and Samba server answers to on 139 (with suffix 0x20).
pub const SMBSERVER: &str = "*SMBSERVER";
/// Suffix of the file server service.
const SERVER_SUFFIX: u8 = 0x20;
/// Called names tried at most (each refusal costs a connection).
pub const MAX_CALLED_NAMES: usize = 3;
/// The calling name we present.
pub const CALLING_NAME: &str = "SMBAUDIT";

/// Called names to try, in order: the file server name from NBSTAT (`<20>`), then
/// `*SMBSERVER`, then the computer name if it differs; at most [`MAX_CALLED_NAMES`].
pub fn called_names(nbstat: Option<&NbstatReport>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if let Some(report) = nbstat {
        if let Some(server) = report
            .names
            .iter()
            .find(|n| n.suffix == SERVER_SUFFIX && !n.group)
        {
            names.push(server.name.clone());
        }
    }
    names.push(SMBSERVER.to_owned());
    if let Some(computer) = nbstat.and_then(|r| r.computer.as_ref()) {
        if !names.contains(computer) {
            names.push(computer.clone());
        }
    }
    names.truncate(MAX_CALLED_NAMES);
    names
}

/// The SESSION REQUEST calling `called<20>` from [`CALLING_NAME`]; `None` if `called` is
/// not a valid NetBIOS name.
pub fn session_request(called: &str) -> Option<SessionRequest> {
    Some(SessionRequest {
        called: QualifiedName::new(NbName::new(called, SERVER_SUFFIX)?),
        calling: QualifiedName::new(NbName::new(CALLING_NAME, 0x00)?),
    })
}

/// One session request and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAttempt {
    /// The called name (suffix 0x20).
    pub called: String,
    /// `positive`, `negative`, `retarget` or `error`.
    pub result: String,
    /// The negative response's error code.
    pub code: Option<u8>,
    /// What the code or the error means.
    pub detail: Option<String>,
}

impl SessionAttempt {
    /// Judges the server's answer to a session request.
    pub fn from_answer(called: &str, answer: &SessionPacket) -> Self {
        let (result, code, detail) = match answer {
            SessionPacket::Positive => ("positive", None, None),
            SessionPacket::Negative(code) => {
                ("negative", Some(code.0), Some(code.meaning().to_owned()))
            }
            SessionPacket::Retarget { address, port } => (
                "retarget",
                None,
                Some(format!(
                    "retarget to {}:{port} (not followed)",
                    std::net::Ipv4Addr::from(*address)
                )),
            ),
            SessionPacket::Message(msg) => (
                "error",
                None,
                Some(format!(
                    "a session message ({} bytes) instead of a session response",
                    msg.len()
                )),
            ),
            SessionPacket::KeepAlive => (
                "error",
                None,
                Some("a keep-alive instead of a session response".to_owned()),
            ),
            SessionPacket::Request(_) => (
                "error",
                None,
                Some("a session request instead of a session response".to_owned()),
            ),
        };
        Self {
            called: called.to_owned(),
            result: result.to_owned(),
            code,
            detail,
        }
    }

    /// The attempt failed on the wire.
    pub fn failed(called: &str, why: String) -> Self {
        Self {
            called: called.to_owned(),
            result: "error".to_owned(),
            code: None,
            detail: Some(why),
        }
    }
}

/// What the session service on 139 did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NbssFacts {
    /// The called name that got a positive response, if one did.
    pub accepted_name: Option<String>,
    /// Whether `*SMBSERVER` was accepted (null: not tried).
    pub smbserver_accepted: Option<bool>,
    /// Every attempt, in order.
    pub attempts: Vec<SessionAttempt>,
}

impl NbssFacts {
    /// Adds an attempt and updates the summary fields.
    pub fn record(&mut self, attempt: SessionAttempt) {
        let positive = attempt.result == "positive";
        if positive && self.accepted_name.is_none() {
            self.accepted_name = Some(attempt.called.clone());
        }
        if attempt.called == SMBSERVER && attempt.result != "error" {
            self.smbserver_accepted = Some(positive);
        }
        self.attempts.push(attempt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nbstat::NameEntry;
    use smbaudit_wire::nbss::NegativeCode;

    fn entry(name: &str, suffix: u8, group: bool) -> NameEntry {
        NameEntry {
            name: name.into(),
            suffix,
            group,
            flags: 0,
            node_type: 'B',
            active: true,
            permanent: false,
            conflict: false,
            deregistering: false,
            service: String::new(),
            raw_hex: String::new(),
        }
    }

    #[test]
    fn called_names_start_with_the_file_server_name() {
        assert_eq!(called_names(None), [SMBSERVER]);
        let report = NbstatReport {
            names: vec![
                entry("LABWG", 0x20, true),
                entry("WS01", 0x00, false),
                entry("FILESRV", 0x20, false),
            ],
            computer: Some("WS01".into()),
            ..NbstatReport::default()
        };
        assert_eq!(called_names(Some(&report)), ["FILESRV", SMBSERVER, "WS01"]);
        let same = NbstatReport {
            names: vec![entry("WS01", 0x20, false)],
            computer: Some("WS01".into()),
            ..NbstatReport::default()
        };
        assert_eq!(called_names(Some(&same)), ["WS01", SMBSERVER]);
    }

    #[test]
    fn records_outcomes_and_the_smbserver_verdict() {
        let mut facts = NbssFacts::default();
        facts.record(SessionAttempt::from_answer(
            "FILESRV",
            &SessionPacket::Negative(NegativeCode::CALLED_NAME_NOT_PRESENT),
        ));
        facts.record(SessionAttempt::from_answer(
            SMBSERVER,
            &SessionPacket::Positive,
        ));
        assert_eq!(facts.accepted_name.as_deref(), Some(SMBSERVER));
        assert_eq!(facts.smbserver_accepted, Some(true));
        assert_eq!(facts.attempts[0].result, "negative");
        assert_eq!(facts.attempts[0].code, Some(0x82));
        let retarget = SessionAttempt::from_answer(
            "X",
            &SessionPacket::Retarget {
                address: [192, 0, 2, 7],
                port: 139,
            },
        );
        assert_eq!(retarget.result, "retarget");
        assert_eq!(
            retarget.detail.as_deref(),
            Some("retarget to 192.0.2.7:139 (not followed)")
        );
        let mut untried = NbssFacts::default();
        untried.record(SessionAttempt::failed(SMBSERVER, "timeout".into()));
        assert_eq!(untried.smbserver_accepted, None, "an error is no verdict");
    }
}
