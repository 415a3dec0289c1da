//! The null session of a host that speaks SMB1 only, judged from connection B's
//! SESSION_SETUP_ANDX ([MS-CIFS] 2.2.4.53.2: `Action` bit 0, SMB_SETUP_GUEST) and its IPC$
//! TREE_CONNECT_ANDX, as [`super::session`] judges the SMB2 one: a logon the server maps to
//! guest is not an anonymous success.

use smbaudit_wire::smb1::SessionSetupResponse;
use smbaudit_wire::smb2::status;

use super::ProbeError;
use super::reply::status_text;
use super::session::SessionVerdict;

/// The verdict of the null session's final SESSION_SETUP_ANDX answer.
pub fn read_anonymous_setup(reply: &Result<Vec<u8>, ProbeError>) -> SessionVerdict {
    let msg = match reply {
        Ok(msg) => msg,
        Err(e) if e.is_refusal() => {
            return SessionVerdict {
                accepted: Some(false),
                reason: format!("the server ended the SMB1 connection ({e})"),
                ..SessionVerdict::unknown(String::new())
            };
        }
        Err(e) => return SessionVerdict::unknown(e.to_string()),
    };
    let resp = match SessionSetupResponse::decode(msg) {
        Ok(resp) => resp,
        Err(e) => return SessionVerdict::unknown(format!("SESSION_SETUP_ANDX response: {e}")),
    };
    let st = resp.header.status;
    let text = status_text(st);
    let (accepted, guest, reason) = match st {
        status::SUCCESS if resp.guest() => (
            Some(false),
            true,
            "the server mapped the anonymous SMB1 logon to guest (Action SMB_SETUP_GUEST)"
                .to_owned(),
        ),
        status::SUCCESS => (
            Some(true),
            false,
            format!(
                "anonymous SMB1 session granted (Action {:#06x})",
                resp.action
            ),
        ),
        status::LOGON_FAILURE | status::ACCESS_DENIED => (
            Some(false),
            false,
            format!("anonymous SMB1 logon refused: {text}"),
        ),
        _ => (None, false, format!("anonymous SMB1 logon answered {text}")),
    };
    SessionVerdict {
        accepted,
        status: Some(text),
        session_flags: None,
        guest,
        ipc: None,
        reason,
    }
}

/// Adds the IPC$ TREE_CONNECT_ANDX's answer (its status, or why there is none): a null
/// session is one that reaches IPC$.
pub fn with_ipc(mut verdict: SessionVerdict, answer: &Result<u32, String>) -> SessionVerdict {
    match answer {
        Ok(status::SUCCESS) => {
            verdict.ipc = Some("connected".into());
            verdict.reason = format!("{}; IPC$ tree connect succeeded", verdict.reason);
        }
        Ok(st) => {
            let text = status_text(*st);
            if verdict.accepted == Some(true) {
                verdict.accepted = match *st {
                    status::ACCESS_DENIED | status::BAD_NETWORK_NAME => Some(false),
                    _ => None,
                };
            }
            verdict.reason = format!(
                "{}, but the IPC$ tree connect answered {text}",
                verdict.reason
            );
            verdict.ipc = Some(text);
        }
        Err(why) => {
            verdict.accepted = None;
            verdict.reason = format!("{}; {why}", verdict.reason);
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        crate::unhex(s).expect("hex fixture")
    }

    /// Windows 7's answer to WannaCry's null session (frame 4 of the eternalsafety
    /// wannacry-subset capture): Action 0.
    const WIN7_SETUP: &str = "ff534d42730000000098012000000000000000000000000000002f4b0008c55e03ff00760000004d00\
         57696e646f7773203720456e746572707269736520373630312053657276696365205061636b2031\
         0057696e646f7773203720456e746572707269736520362e310054455354444f4d41494e00";

    #[test]
    fn a_granted_null_session_that_reaches_ipc() {
        let verdict = read_anonymous_setup(&Ok(unhex(WIN7_SETUP)));
        assert_eq!(
            (verdict.accepted, verdict.guest),
            (Some(true), false),
            "{verdict:?}"
        );
        let verdict = with_ipc(verdict, &Ok(0));
        assert_eq!(verdict.ipc.as_deref(), Some("connected"));
        assert_eq!(verdict.accepted, Some(true));
    }

    #[test]
    fn guest_mapping_refusals_and_ipc_denied() {
        let mut guest = unhex(WIN7_SETUP);
        guest[37] = 1; // Action (after WordCount and AndX): SMB_SETUP_GUEST
        let verdict = read_anonymous_setup(&Ok(guest));
        assert_eq!((verdict.accepted, verdict.guest), (Some(false), true));
        let mut refused = unhex(WIN7_SETUP)[..32].to_vec();
        refused[5..9].copy_from_slice(&status::LOGON_FAILURE.to_le_bytes());
        refused.extend_from_slice(&[0, 0, 0]);
        assert_eq!(read_anonymous_setup(&Ok(refused)).accepted, Some(false));
        let granted = read_anonymous_setup(&Ok(unhex(WIN7_SETUP)));
        let denied = with_ipc(granted, &Ok(status::ACCESS_DENIED));
        assert_eq!(denied.accepted, Some(false));
        assert!(denied.ipc.unwrap().contains("0xc0000022"));
        assert_eq!(
            read_anonymous_setup(&Err(ProbeError::HostBudget)).accepted,
            None
        );
    }
}
