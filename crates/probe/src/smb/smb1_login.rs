//! The guest attempt and the credentialed login of a host that speaks SMB1 only, over
//! SESSION_SETUP_ANDX with extended security ([MS-SMB] 2.2.4.6): each is a new UID on
//! connection B (UID 0 on the first leg, the server's UID on the second), judged like the
//! SMB2 ones but by the `Action` guest bit ([MS-CIFS] 2.2.4.53.2, SMB_SETUP_GUEST).

use smbaudit_wire::Encode;
use smbaudit_wire::ntlm::{Challenge, negotiate_message};
use smbaudit_wire::smb1::{
    SessionSecurity, SessionSetupRequest, SessionSetupResponse, TreeConnectAndxRequest,
};
use smbaudit_wire::smb2::status;
use smbaudit_wire::spnego;

use super::ProbeError;
use super::reply::status_text;
use super::session::SessionVerdict;

/// Who a session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// An unknown user name (does the server map it to guest?).
    Guest,
    /// The `--user` credentials.
    User,
}

/// The first leg: a NEGOTIATE_MESSAGE with `flags` on a new UID.
pub fn negotiate_leg_request(flags: u32, mid: u16) -> Vec<u8> {
    let blob = spnego::ntlm_init_token(&negotiate_message(flags));
    SessionSetupRequest {
        uid: 0,
        mid,
        security: SessionSecurity::Extended(&blob),
    }
    .to_vec()
}

/// The second leg: `blob` (the AUTHENTICATE in its SPNEGO NegTokenResp) on the first
/// leg's `uid`.
pub fn authenticate_leg_request(blob: &[u8], uid: u16, mid: u16) -> Vec<u8> {
    SessionSetupRequest {
        uid,
        mid,
        security: SessionSecurity::Extended(blob),
    }
    .to_vec()
}

/// The first leg's answer: the UID the server gave and its raw CHALLENGE_MESSAGE, decoded
/// too; or why there is none.
pub fn read_challenge_leg(
    reply: Result<Vec<u8>, ProbeError>,
) -> Result<(u16, Vec<u8>, Challenge), String> {
    let msg = reply.map_err(|e| e.to_string())?;
    let resp = SessionSetupResponse::decode(&msg)
        .map_err(|e| format!("SESSION_SETUP_ANDX response: {e}"))?;
    if resp.header.status != status::MORE_PROCESSING_REQUIRED {
        return Err(format!(
            "SESSION_SETUP_ANDX answered {} instead of an NTLM challenge",
            status_text(resp.header.status)
        ));
    }
    let token =
        spnego::ntlm_token(&resp.security_blob).map_err(|e| format!("SPNEGO response: {e}"))?;
    let challenge = Challenge::decode(&token).map_err(|e| format!("NTLM CHALLENGE: {e}"))?;
    Ok((resp.header.uid, token, challenge))
}

/// The tree connect to `\\netname\IPC$` on the session `uid`.
pub fn ipc_request(uid: u16, mid: u16, netname: &str) -> Vec<u8> {
    TreeConnectAndxRequest {
        uid,
        mid,
        path: format!(r"\\{netname}\IPC$"),
    }
    .to_vec()
}

/// The final leg's verdict for `who`.
pub fn read_final_leg(who: Who, reply: Result<Vec<u8>, ProbeError>) -> SessionVerdict {
    let msg = match reply {
        Ok(msg) => msg,
        Err(e) => return SessionVerdict::unknown(e.to_string()),
    };
    let resp = match SessionSetupResponse::decode(&msg) {
        Ok(resp) => resp,
        Err(e) => return SessionVerdict::unknown(format!("SESSION_SETUP_ANDX response: {e}")),
    };
    let st = resp.header.status;
    let (accepted, guest, reason) = judge(who, st, resp.guest());
    SessionVerdict {
        accepted,
        status: Some(status_text(st)),
        session_flags: None,
        guest,
        ipc: None,
        reason,
    }
}

/// Yes / no / unknown, the guest mapping, and the reason, for `who`'s final `status` and
/// Action guest bit.
fn judge(who: Who, st: u32, guest: bool) -> (Option<bool>, bool, String) {
    let text = status_text(st);
    match (who, st) {
        (Who::Guest, status::SUCCESS) if guest => (
            Some(true),
            true,
            "an unknown user name was logged on as guest over SMB1 (Action SMB_SETUP_GUEST)"
                .to_owned(),
        ),
        (Who::Guest, status::SUCCESS) => (
            Some(true),
            false,
            "an unknown user name with a random password was logged on over SMB1 (Action 0)"
                .to_owned(),
        ),
        (Who::Guest, status::LOGON_FAILURE | status::ACCESS_DENIED) => (
            Some(false),
            false,
            format!("an unknown user name was refused over SMB1: {text}"),
        ),
        (Who::Guest, _) => (
            None,
            false,
            format!("the SMB1 guest attempt answered {text}"),
        ),
        (Who::User, status::SUCCESS) if guest => (
            Some(false),
            true,
            "the user was mapped to guest, not logged on (Action SMB_SETUP_GUEST)".to_owned(),
        ),
        (Who::User, status::SUCCESS) => (Some(true), false, "the user was logged on".to_owned()),
        (Who::User, status::LOGON_FAILURE) => (Some(false), false, "logon failure".to_owned()),
        (Who::User, status::ACCESS_DENIED) => (Some(false), false, format!("refused: {text}")),
        (Who::User, _) => (None, false, format!("the SMB1 login answered {text}")),
    }
}

#[cfg(test)]
#[path = "smb1_login_tests.rs"]
mod tests;
