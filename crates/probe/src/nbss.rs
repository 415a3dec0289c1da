//! The NetBIOS session service on 139: which called names to try, and what the answers
//! mean.

use serde::{Deserialize, Serialize};
use smbaudit_wire::nbns::{NAME_LEN, NbName, QualifiedName};
use smbaudit_wire::nbss::{SessionPacket, SessionRequest};

use crate::nbstat::{NameEntry, NbstatReport};

/// The name every Windows and Samba server answers to on 139 (with suffix 0x20).
pub const SMBSERVER: &str = "*SMBSERVER";
/// Suffix of the file server service.
const SERVER_SUFFIX: u8 = 0x20;
/// Called names tried at most (each refusal costs a connection).
pub const MAX_CALLED_NAMES: usize = 3;
/// The calling name we present.
pub const CALLING_NAME: &str = "SMBAUDIT";

/// `*SMBSERVER<20>` as sent.
const SMBSERVER_WIRE: NbName = NbName(*b"*SMBSERVER     \x20");
/// [`CALLING_NAME`]`<00>` as sent.
const CALLING_WIRE: NbName = NbName(*b"SMBAUDIT       \x00");

/// A name to call on 139: the 16 bytes sent, and how reports show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalledName {
    /// The name as reports show it (non-printable bytes as `\xNN`).
    pub label: String,
    /// The name on the wire, suffix `<20>`.
    pub wire: NbName,
}

impl CalledName {
    /// `*SMBSERVER<20>`.
    pub fn smbserver() -> Self {
        Self {
            label: SMBSERVER.to_owned(),
            wire: SMBSERVER_WIRE,
        }
    }

    /// The server name behind a name table row: its bytes exactly as the host registered
    /// them (OEM code page bytes included), with suffix `<20>`.
    fn from_entry(entry: &NameEntry) -> Option<Self> {
        let mut wire = entry.wire_name()?;
        wire.0[NAME_LEN - 1] = SERVER_SUFFIX;
        Some(Self {
            label: entry.name.clone(),
            wire,
        })
    }
}

/// Called names to try, in order: the file server name from NBSTAT (`<20>`), then
/// `*SMBSERVER`, then the computer name if it differs; at most [`MAX_CALLED_NAMES`].
pub fn called_names(nbstat: Option<&NbstatReport>) -> Vec<CalledName> {
    let mut names = Vec::new();
    let Some(report) = nbstat else {
        return vec![CalledName::smbserver()];
    };
    let unique = |suffix: u8, name: Option<&String>| {
        report
            .names
            .iter()
            .find(|n| n.suffix == suffix && !n.group && name.is_none_or(|want| n.name == *want))
    };
    names.extend(unique(SERVER_SUFFIX, None).and_then(CalledName::from_entry));
    names.push(CalledName::smbserver());
    // The computer name is its first unique <00>, else its unique <20>.
    let computer = report.computer.as_ref();
    let entry = unique(0x00, computer).or_else(|| unique(SERVER_SUFFIX, computer));
    if let Some(computer) = entry.and_then(CalledName::from_entry) {
        if !names.iter().any(|n| n.wire == computer.wire) {
            names.push(computer);
        }
    }
    names.truncate(MAX_CALLED_NAMES);
    names
}

/// The SESSION REQUEST calling `called` from [`CALLING_NAME`].
pub fn session_request(called: &CalledName) -> SessionRequest {
    SessionRequest {
        called: QualifiedName::new(called.wire),
        calling: QualifiedName::new(CALLING_WIRE),
    }
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

    /// A name table row whose name bytes are `raw` (padded with spaces).
    fn entry_raw(raw: &[u8], suffix: u8, group: bool) -> NameEntry {
        let mut bytes = [b' '; NAME_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        bytes[NAME_LEN - 1] = suffix;
        NameEntry {
            name: NbName(bytes).display_name(),
            suffix,
            group,
            flags: 0,
            node_type: 'B',
            active: true,
            permanent: false,
            conflict: false,
            deregistering: false,
            service: String::new(),
            raw_hex: crate::hex(&bytes),
        }
    }

    fn entry(name: &str, suffix: u8, group: bool) -> NameEntry {
        entry_raw(name.as_bytes(), suffix, group)
    }

    fn labels(names: &[CalledName]) -> Vec<&str> {
        names.iter().map(|n| n.label.as_str()).collect()
    }

    #[test]
    fn called_names_start_with_the_file_server_name() {
        assert_eq!(labels(&called_names(None)), [SMBSERVER]);
        let report = NbstatReport {
            names: vec![
                entry("LABWG", 0x20, true),
                entry("WS01", 0x00, false),
                entry("FILESRV", 0x20, false),
            ],
            computer: Some("WS01".into()),
            ..NbstatReport::default()
        };
        let called = called_names(Some(&report));
        assert_eq!(labels(&called), ["FILESRV", SMBSERVER, "WS01"]);
        assert_eq!(called[2].wire.0, *b"WS01           \x20");
        let same = NbstatReport {
            names: vec![entry("WS01", 0x20, false)],
            computer: Some("WS01".into()),
            ..NbstatReport::default()
        };
        assert_eq!(labels(&called_names(Some(&same))), ["WS01", SMBSERVER]);
    }

    /// A name in an OEM code page (nmbd registers "BÄRO" as `B\x8ERO`, CP850) is called with
    /// the bytes the host registered, not with the `\xNN` text reports show. Samba answers
    /// any called name; Windows refuses one it has not registered.
    #[test]
    fn called_names_keep_the_registered_bytes() {
        let report = NbstatReport {
            names: vec![
                entry_raw(b"B\x8eRO", 0x00, false),
                entry_raw(b"b\x8ero", 0x20, false),
            ],
            computer: Some("B\\x8ERO".into()),
            ..NbstatReport::default()
        };
        let called = called_names(Some(&report));
        assert_eq!(labels(&called), ["b\\x8Ero", SMBSERVER, "B\\x8ERO"]);
        assert_eq!(called[0].wire.0, *b"b\x8ero           \x20");
        assert_eq!(called[2].wire.0, *b"B\x8eRO           \x20");
        let request = session_request(&called[2]);
        assert_eq!(request.called.name, called[2].wire);
        assert_eq!(request.calling.name.0, *b"SMBAUDIT       \x00");
        // A row whose hex was damaged by hand is skipped, not guessed.
        let mut damaged = report.clone();
        damaged.names[0].raw_hex = "zz".into();
        damaged.names[1].raw_hex.pop();
        assert_eq!(labels(&called_names(Some(&damaged))), [SMBSERVER]);
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
