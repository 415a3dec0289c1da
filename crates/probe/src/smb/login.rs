//! The credentialed session's messages and verdict (issue 9, item 2): an NTLMv2
//! AUTHENTICATE for the given user, the session key it settles, and the judging of the
//! final SESSION_SETUP leg. A guest-mapped session is never a credential success.
//!
//! The suite's sub-machine that sends these on connection A (once per host) is still to
//! come; these pieces are what it calls.

use smbaudit_wire::Encode;
use smbaudit_wire::ntlm::{Authenticate, flags};
use smbaudit_wire::smb2::{self, session_flags};
use smbaudit_wire::spnego::ntlm_resp_token;

use super::ProbeError;
use super::credentials::Credentials;
use super::ntlm_keys::{KeyExchange, SessionKeys, session_keys};
use super::ntlmv2::{response_key, v2_response};
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

/// The login's AUTHENTICATE to the CHALLENGE in `challenge_reply`. `offered` are the
/// NegotiateFlags of our NEGOTIATE; `random` gives the client challenge (bytes 0..8) and
/// the ExportedSessionKey under KEY_EXCH (8..24); `unix_nanos` the NTLMv2 timestamp.
pub fn login_setup_request(
    challenge_reply: &[u8],
    credentials: &Credentials,
    offered: u32,
    random: &[u8; 32],
    unix_nanos: i128,
) -> Result<LoginLeg, String> {
    let challenge = super::smb2::read_challenge(challenge_reply)?;
    let mut target_info = Vec::new();
    challenge.target_info.encode(&mut target_info);
    target_info.extend_from_slice(&[0, 0, 0, 0]); // MsvAvEOL
    let key = response_key(
        credentials.password(),
        credentials.user(),
        credentials.domain(),
    );
    let client_challenge: [u8; 8] = random[..8].try_into().unwrap_or_default();
    // FILETIME: 100 ns ticks since 1601.
    let filetime = u64::try_from(unix_nanos / 100 + 116_444_736_000_000_000).unwrap_or(0);
    let v2 = v2_response(
        &key,
        challenge.server_challenge,
        client_challenge,
        filetime,
        &target_info,
    );
    let negotiated = offered & challenge.flags;
    let exchange = if negotiated & flags::KEY_EXCH != 0 {
        KeyExchange::Negotiated
    } else {
        KeyExchange::None
    };
    let exported: [u8; 16] = random[8..24].try_into().unwrap_or_default();
    let keys = session_keys(&v2.session_base_key, exchange, &exported);
    let auth = Authenticate {
        flags: negotiated | flags::NTLM,
        lm_response: v2.lm_response,
        nt_response: v2.nt_response,
        domain: credentials.domain().to_owned(),
        user: credentials.user().to_owned(),
        workstation: String::new(),
        session_key: keys.encrypted.clone(),
    }
    .to_vec();
    let request = smb2::SessionSetupRequest {
        message_id: 0,
        session_id: 0,
        security_blob: &ntlm_resp_token(&auth),
    }
    .to_vec();
    Ok(LoginLeg { request, keys })
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
