//! The MS17-010 check over SMB1 (connection B): a null session, a tree connect to IPC$,
//! then SMB_COM_TRANSACTION PeekNamedPipe on FID 0. An unpatched server answers
//! STATUS_INSUFF_SERVER_RESOURCES (0xC0000205); a patched one STATUS_ACCESS_DENIED or
//! STATUS_INVALID_HANDLE. Anything else, or no null session, or IPC$ refused, is unknown
//! with the reason: never "not vulnerable" for an unknown.

use serde::{Deserialize, Serialize};
use smbaudit_wire::Encode;
use smbaudit_wire::ntlm::{Authenticate, SCANNER_NEGOTIATE_FLAGS};
use smbaudit_wire::smb1::{
    Header, PeekNamedPipeRequest, SessionSecurity, SessionSetupRequest, TreeConnectAndxRequest,
};
use smbaudit_wire::smb2::status;
use smbaudit_wire::spnego::ntlm_resp_token;

use super::ProbeError;
use super::reply::status_text;

/// MIDs of connection B's later requests (NEGOTIATE is 0, the first SESSION_SETUP 1).
const MID_ANONYMOUS: u16 = 2;
const MID_TREE: u16 = 3;
const MID_PEEK: u16 = 4;

/// The tri-state MS17-010 verdict and its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnVerdict {
    /// Vulnerable (true), patched (false), or unknown (null).
    pub vulnerable: Option<bool>,
    /// The deciding NT status, as text.
    pub status: Option<String>,
    /// Why.
    pub reason: String,
}

impl VulnVerdict {
    /// Unknown, for `reason`.
    pub fn unknown(reason: String) -> Self {
        Self {
            vulnerable: None,
            status: None,
            reason,
        }
    }
}

/// The second SESSION_SETUP_ANDX leg of an extended-security null session: the anonymous
/// AUTHENTICATE on the first leg's `uid`.
pub fn anonymous_leg_request(uid: u16) -> Vec<u8> {
    let auth = Authenticate::anonymous(SCANNER_NEGOTIATE_FLAGS).to_vec();
    let blob = ntlm_resp_token(&auth);
    SessionSetupRequest {
        uid,
        mid: MID_ANONYMOUS,
        security: SessionSecurity::Extended(&blob),
    }
    .to_vec()
}

/// The tree connect to `\\netname\IPC$` on the session `uid`.
pub fn ipc_request(uid: u16, netname: &str) -> Vec<u8> {
    TreeConnectAndxRequest {
        uid,
        mid: MID_TREE,
        path: format!(r"\\{netname}\IPC$"),
    }
    .to_vec()
}

/// PeekNamedPipe on FID 0 of the IPC$ tree `tid`.
pub fn peek_request(uid: u16, tid: u16) -> Vec<u8> {
    PeekNamedPipeRequest {
        uid,
        tid,
        mid: MID_PEEK,
    }
    .to_vec()
}

/// The header of an SMB1 answer, or why there is none.
pub fn answer(reply: Result<Vec<u8>, ProbeError>, what: &str) -> Result<Header, String> {
    let msg = reply.map_err(|e| format!("{what}: {e}"))?;
    Header::decode(&msg)
        .map(|(header, _)| header)
        .map_err(|e| format!("{what}: {e}"))
}

/// The verdict of the PeekNamedPipe answer's `status`.
pub fn judge_peek(nt_status: u32) -> VulnVerdict {
    let text = status_text(nt_status);
    let (vulnerable, reason) = match nt_status {
        status::INSUFF_SERVER_RESOURCES => (
            Some(true),
            "PeekNamedPipe on FID 0 answered STATUS_INSUFF_SERVER_RESOURCES: MS17-010 is not patched".to_owned(),
        ),
        status::ACCESS_DENIED | status::INVALID_HANDLE => (
            Some(false),
            format!("PeekNamedPipe on FID 0 answered {text}, as a patched server does"),
        ),
        _ => (None, format!("PeekNamedPipe on FID 0 answered {text}")),
    };
    VulnVerdict {
        vulnerable,
        status: Some(text),
        reason,
    }
}

/// Whether the DoublePulsar implant answered, and what it gave away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoublePulsarVerdict {
    /// Present (true), absent (false), or unknown (null).
    pub present: Option<bool>,
    /// The answer's MID (81 from the implant, 65 from a clean host).
    pub mid: Option<u16>,
    /// The implant's XOR key (hex), from the answer's Signature field.
    pub xor_key: Option<String>,
    /// The implanted kernel's architecture ("x86", "x64").
    pub arch: Option<String>,
    /// Why.
    pub reason: String,
}

/// The DoublePulsar ping on the IPC$ tree (MID 65).
pub fn doublepulsar_request(uid: u16, tid: u16) -> Vec<u8> {
    smbaudit_wire::smb1::DoublePulsarPing { uid, tid }.to_vec()
}

/// Judges the answer to [`doublepulsar_request`] by its MID.
pub fn judge_doublepulsar(reply: Result<Vec<u8>, ProbeError>) -> DoublePulsarVerdict {
    use smbaudit_wire::smb1::{
        DOUBLEPULSAR_ANSWER_MID, DOUBLEPULSAR_PING_MID, doublepulsar_arch, doublepulsar_xor_key,
    };
    let unknown = |reason: String| DoublePulsarVerdict {
        present: None,
        mid: None,
        xor_key: None,
        arch: None,
        reason,
    };
    let header = match answer(reply, "the DoublePulsar ping") {
        Ok(h) => h,
        Err(why) => return unknown(why),
    };
    match header.mid {
        DOUBLEPULSAR_ANSWER_MID => DoublePulsarVerdict {
            present: Some(true),
            mid: Some(header.mid),
            xor_key: Some(format!("{:#010x}", doublepulsar_xor_key(header.signature))),
            arch: Some(doublepulsar_arch(header.signature).to_owned()),
            reason: "the ping was answered with MID 81: the DoublePulsar implant is present".into(),
        },
        DOUBLEPULSAR_PING_MID => DoublePulsarVerdict {
            present: Some(false),
            mid: Some(header.mid),
            reason: format!(
                "the ping was answered with MID 65 ({}): no implant",
                status_text(header.status)
            ),
            ..unknown(String::new())
        },
        other => DoublePulsarVerdict {
            mid: Some(other),
            ..unknown(format!("the ping was answered with MID {other}"))
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        crate::unhex(s).expect("hex fixture")
    }

    /// Frame 8 of the eternalsafety wannacry-subset capture (crates/wire/tests/data):
    /// Windows 7 SP1's answer to WannaCry's PeekNamedPipe.
    const WIN7_PEEK_ANSWER: &str =
        "ff534d4225050200c0980168000000000000000000000000000800080008c55e000000";

    #[test]
    fn the_real_unpatched_answer_is_vulnerable() {
        let header = answer(Ok(unhex(WIN7_PEEK_ANSWER)), "peek").unwrap();
        let verdict = judge_peek(header.status);
        assert_eq!(verdict.vulnerable, Some(true), "{verdict:?}");
        assert!(verdict.status.unwrap().contains("0xc0000205"));
    }

    /// Frames 58 and 29 of the wannacry-subset capture: an implanted and a clean host.
    #[test]
    fn doublepulsar_answers_from_the_capture() {
        let infected = judge_doublepulsar(Ok(unhex(
            "ff534d4232020000c09807c000003a10e0360100000000000008fffe00085100000000",
        )));
        assert_eq!(infected.present, Some(true), "{infected:?}");
        assert_eq!(infected.xor_key.as_deref(), Some("0x57d0c042"));
        assert_eq!(infected.arch.as_deref(), Some("x64"));
        let clean = judge_doublepulsar(Ok(unhex(
            "ff534d4232020000c09807c00000000000000000000000000008fffe00084100000000",
        )));
        assert_eq!(
            (clean.present, clean.mid),
            (Some(false), Some(65)),
            "{clean:?}"
        );
        assert_eq!(
            judge_doublepulsar(Err(ProbeError::HostBudget)).present,
            None
        );
    }

    #[test]
    fn patched_and_other_answers() {
        assert_eq!(judge_peek(status::INVALID_HANDLE).vulnerable, Some(false));
        assert_eq!(judge_peek(status::ACCESS_DENIED).vulnerable, Some(false));
        assert_eq!(judge_peek(status::NOT_IMPLEMENTED).vulnerable, None);
        assert!(answer(Ok(vec![0xff, b'S']), "peek").is_err());
    }
}
