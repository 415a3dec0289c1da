//! The credentialed session's messages and verdict (issue 9, item 2): an NTLMv2
//! AUTHENTICATE for the given user, the session key it settles, and the judging of the
//! final SESSION_SETUP leg. A guest-mapped session is never a credential success.
//! [`super::login_flow::Login`] sends them on connection A, once per host.

use smbaudit_wire::Encode;
use smbaudit_wire::smb2::{self, session_flags};

use super::ProbeError;
use super::credentials::Credentials;
use super::ntlm_auth::{Exchanged, login_authenticate};
use super::ntlm_keys::SessionKeys;
use super::reply::status_text;
use super::session::{SessionVerdict, final_leg};

/// The AUTHENTICATE leg of a login, and the session key it settles.
#[derive(Debug)]
pub struct LoginLeg {
    /// The SESSION_SETUP request (MessageId and SessionId stamped by the connection).
    pub request: Vec<u8>,
    /// ExportedSessionKey and what was sent of it.
    pub keys: SessionKeys,
}

/// The login's AUTHENTICATE to the CHALLENGE in `challenge_reply`, answering our
/// `negotiate` (the NEGOTIATE_MESSAGE the first leg carried: the MIC covers it). `offered`
/// are its NegotiateFlags; `random` gives the client challenge (bytes 0..8) and the
/// ExportedSessionKey under KEY_EXCH (8..24); `unix_nanos` the NTLMv2 timestamp.
pub fn login_setup_request(
    challenge_reply: &[u8],
    negotiate: &[u8],
    credentials: &Credentials,
    offered: u32,
    random: &[u8; 32],
    unix_nanos: i128,
) -> Result<LoginLeg, String> {
    let challenge = super::smb2::challenge_token(challenge_reply)?;
    let exchanged = Exchanged {
        negotiate,
        challenge: &challenge,
    };
    let leg = login_authenticate(exchanged, credentials, offered, random, unix_nanos)?;
    let request = smb2::SessionSetupRequest {
        message_id: 0,
        session_id: 0,
        security_blob: &leg.spnego_token(),
    }
    .to_vec();
    Ok(LoginLeg {
        request,
        keys: leg.keys,
    })
}

/// Judges the login's final leg: accepted only for STATUS_SUCCESS without IS_GUEST (or
/// IS_NULL); STATUS_LOGON_FAILURE is the "logon failure" verdict.
pub fn read_user_setup(reply: Result<Vec<u8>, ProbeError>) -> SessionVerdict {
    let (status, flags) = match final_leg(reply) {
        Ok(leg) => leg,
        Err(unknown) => return unknown,
    };
    let text = status_text(status);
    let mapped = session_flags::IS_GUEST | session_flags::IS_NULL;
    let (accepted, guest, reason) = match status {
        smb2::status::SUCCESS if flags & mapped != 0 => (
            Some(false),
            flags & session_flags::IS_GUEST != 0,
            format!(
                "the user was mapped to guest or anonymous, not logged on (SessionFlags {flags:#06x})"
            ),
        ),
        smb2::status::SUCCESS => (Some(true), false, "the user was logged on".to_owned()),
        smb2::status::LOGON_FAILURE => (Some(false), false, "logon failure".to_owned()),
        smb2::status::ACCESS_DENIED => (Some(false), false, format!("refused: {text}")),
        _ => (None, false, format!("the login answered {text}")),
    };
    SessionVerdict::of(status, flags, accepted, guest, reason)
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
