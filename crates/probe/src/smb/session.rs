//! Sessions a stranger can open: the anonymous (null) SESSION_SETUP over SMB2, judged by
//! its NT status and SessionFlags ([MS-SMB2] 2.2.6).
//!
//! A session the server maps to guest (`SMB2_SESSION_FLAG_IS_GUEST`) is not an anonymous
//! success: it is reported as refused for the null session, with the guest mapping in the
//! evidence.

use serde::{Deserialize, Serialize};
use smbaudit_wire::ntlm::{Authenticate, Challenge, SCANNER_NEGOTIATE_FLAGS};
use smbaudit_wire::smb2::{self, SessionSetupResponse, TreeConnectResponse, session_flags};
use smbaudit_wire::spnego::ntlm_resp_token;
use smbaudit_wire::{Encode, ResponseError};

use super::ProbeError;
use super::reply::status_text;

/// A yes / no / unknown verdict on a session attempt, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionVerdict {
    /// Whether the session was granted as asked: `None` when the attempt told nothing.
    pub accepted: Option<bool>,
    /// The final leg's NT status, as text ("STATUS_SUCCESS (0x00000000)").
    pub status: Option<String>,
    /// The SessionFlags of a successful leg.
    pub session_flags: Option<u16>,
    /// The server mapped the session to the guest account.
    pub guest: bool,
    /// The anonymous session's TREE_CONNECT to IPC$: "connected" or the NT status.
    #[serde(default)]
    pub ipc: Option<String>,
    /// Why the verdict is what it is.
    pub reason: String,
}

impl SessionVerdict {
    /// A verdict of "unknown", for `reason`.
    pub fn unknown(reason: String) -> Self {
        Self {
            accepted: None,
            status: None,
            session_flags: None,
            guest: false,
            ipc: None,
            reason,
        }
    }

    /// Whether the session was granted, so IPC$ is worth trying.
    pub fn session_granted(&self) -> bool {
        self.accepted == Some(true)
    }

    /// Adds the IPC$ TREE_CONNECT's answer: a null session is one that reaches IPC$ (what
    /// RPC enumeration needs); `restrict anonymous = 2` or its Windows equivalent refuses
    /// the tree connect after granting the session.
    pub fn with_ipc(mut self, reply: Result<Vec<u8>, ProbeError>) -> Self {
        let answer = reply
            .map_err(|e| e.to_string())
            .map(|msg| TreeConnectResponse::decode(&msg));
        match answer {
            Ok(Ok(_)) => {
                self.ipc = Some("connected".into());
                self.reason = format!("{}; IPC$ tree connect succeeded", self.reason);
            }
            Ok(Err(ResponseError::Status(status))) => {
                let text = status_text(status);
                self.accepted = match status {
                    smb2::status::ACCESS_DENIED | smb2::status::BAD_NETWORK_NAME => Some(false),
                    _ => None,
                };
                self.reason = format!("{}, but the IPC$ tree connect answered {text}", self.reason);
                self.ipc = Some(text);
            }
            Ok(Err(e)) => {
                self.accepted = None;
                self.reason = format!("{}; IPC$ tree connect: {e}", self.reason);
            }
            Err(e) => {
                self.accepted = None;
                self.reason = format!("{}; IPC$ tree connect: {e}", self.reason);
            }
        }
        self
    }
}

/// The anonymous session's TREE_CONNECT to `\\netname\IPC$`.
pub fn ipc_connect_request(netname: &str) -> Vec<u8> {
    smb2::TreeConnectRequest {
        message_id: 0,
        session_id: 0,
        path: format!(r"\\{netname}\IPC$"),
    }
    .to_vec()
}

/// The second SESSION_SETUP leg of an anonymous logon: the anonymous AUTHENTICATE in a
/// NegTokenResp. The connection writes its MessageId and the SessionId of the first leg.
pub fn anonymous_setup_request() -> Vec<u8> {
    let auth = Authenticate::anonymous(SCANNER_NEGOTIATE_FLAGS).to_vec();
    smb2::SessionSetupRequest {
        message_id: 0,
        session_id: 0,
        security_blob: &ntlm_resp_token(&auth),
    }
    .to_vec()
}

/// Judges the reply to [`anonymous_setup_request`].
pub fn read_anonymous_setup(reply: Result<Vec<u8>, ProbeError>) -> SessionVerdict {
    if let Err(e) = &reply {
        if e.is_refusal() {
            return SessionVerdict {
                accepted: Some(false),
                reason: format!("the server ended the connection ({e})"),
                ..SessionVerdict::unknown(String::new())
            };
        }
    }
    match final_leg(reply) {
        Ok((status, flags)) => judge(status, flags),
        Err(unknown) => unknown,
    }
}

/// The status and SessionFlags of a session's final SESSION_SETUP leg, or the unknown
/// verdict of a reply that is missing or does not decode.
pub(super) fn final_leg(reply: Result<Vec<u8>, ProbeError>) -> Result<(u32, u16), SessionVerdict> {
    let msg = reply.map_err(|e| SessionVerdict::unknown(e.to_string()))?;
    let resp = SessionSetupResponse::decode(&msg)
        .map_err(|e| SessionVerdict::unknown(format!("SESSION_SETUP response: {e}")))?;
    Ok((resp.header.status, resp.session_flags))
}

impl SessionVerdict {
    /// The verdict of a final leg that answered `status` with `flags`.
    pub(super) fn of(
        status: u32,
        flags: u16,
        accepted: Option<bool>,
        guest: bool,
        reason: String,
    ) -> Self {
        Self {
            accepted,
            status: Some(status_text(status)),
            session_flags: (status == smb2::status::SUCCESS).then_some(flags),
            guest,
            ipc: None,
            reason,
        }
    }
}

/// The verdict of a final anonymous leg with `status` and `flags`.
fn judge(status: u32, flags: u16) -> SessionVerdict {
    let text = status_text(status);
    let (accepted, guest, reason) = match status {
        smb2::status::SUCCESS if flags & session_flags::IS_GUEST != 0 => (
            Some(false),
            true,
            "the server mapped the anonymous logon to guest (SessionFlags IS_GUEST)".to_owned(),
        ),
        smb2::status::SUCCESS => (
            Some(true),
            false,
            if flags & session_flags::IS_NULL != 0 {
                "anonymous session granted (SessionFlags IS_NULL)".to_owned()
            } else {
                format!("anonymous session granted (SessionFlags {flags:#06x})")
            },
        ),
        smb2::status::LOGON_FAILURE | smb2::status::ACCESS_DENIED => (
            Some(false),
            false,
            format!("anonymous logon refused: {text}"),
        ),
        _ => (None, false, format!("anonymous logon answered {text}")),
    };
    SessionVerdict::of(status, flags, accepted, guest, reason)
}

/// Whether a server accepts a tree connect to any share name, asked on the null session
/// with a name no server has: a server that says yes to everything (some NAS firmware,
/// honeypots, DFS proxies) would make every share look accessible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareNameVerdict {
    /// Accepts any name (true), refuses an unknown one (false), unknown (null).
    pub accepts_any: Option<bool>,
    /// The share name tried.
    pub name: String,
    /// The TREE_CONNECT's NT status, as text.
    pub status: Option<String>,
}

/// A share name no server has, from `random`: `smbaudit-` and 8 hex digits.
pub(crate) fn random_share(random: &[u8; 32]) -> String {
    format!("smbaudit-{}", crate::hex(&random[28..]))
}

/// The TREE_CONNECT to a random share name on the null session.
pub fn random_share_request(netname: &str, random: &[u8; 32]) -> (Vec<u8>, String) {
    let name = random_share(random);
    let request = smb2::TreeConnectRequest {
        message_id: 0,
        session_id: 0,
        path: format!(r"\\{netname}\{name}"),
    }
    .to_vec();
    (request, name)
}

/// Judges the answer to [`random_share_request`].
pub fn read_random_share(reply: Result<Vec<u8>, ProbeError>, name: String) -> ShareNameVerdict {
    let answer = reply.map(|msg| TreeConnectResponse::decode(&msg));
    let (accepts_any, status) = match answer {
        Ok(Ok(_)) => (Some(true), Some(status_text(smb2::status::SUCCESS))),
        Ok(Err(ResponseError::Status(st))) => (
            match st {
                smb2::status::BAD_NETWORK_NAME | smb2::status::ACCESS_DENIED => Some(false),
                _ => None,
            },
            Some(status_text(st)),
        ),
        Ok(Err(e)) => (None, Some(e.to_string())),
        Err(e) => (None, Some(e.to_string())),
    };
    ShareNameVerdict {
        accepts_any,
        name,
        status,
    }
}

/// The user name of the guest attempt: one no server has (`smbaudit-` and 8 random hex
/// digits), so a success means "unknown users become guest" (`map to guest = bad user`).
fn stranger(random: &[u8; 32]) -> String {
    format!("smbaudit-{}", crate::hex(&random[..4]))
}

/// The guest attempt's AUTHENTICATE (NTLMv2 for a user name no server has: `smbaudit-`
/// and 8 random hex digits, with a random password) to
/// the CHALLENGE in `challenge_reply`, in a SESSION_SETUP on the new session.
/// `random` supplies the client challenge, the user name and the password; `unix_nanos`
/// the NTLMv2 timestamp.
pub fn guest_setup_request(
    challenge_reply: &[u8],
    random: &[u8; 32],
    unix_nanos: i128,
) -> Result<Vec<u8>, String> {
    let challenge = super::smb2::read_challenge(challenge_reply)?;
    let auth = guest_authenticate(&challenge, random, unix_nanos);
    Ok(smb2::SessionSetupRequest {
        message_id: 0,
        session_id: 0,
        security_blob: &ntlm_resp_token(&auth),
    }
    .to_vec())
}

/// The guest attempt's AUTHENTICATE_MESSAGE to `challenge`, whichever dialect carries it
/// (no MIC: the random password cannot settle a key the server shares).
pub fn guest_authenticate(challenge: &Challenge, random: &[u8; 32], unix_nanos: i128) -> Vec<u8> {
    use smbaudit_wire::ntlm::flags;
    let user = stranger(random);
    let password = zeroize::Zeroizing::new(crate::hex(&random[4..20]));
    let key = super::ntlmv2::response_key(&password, &user, "");
    let client_challenge: [u8; 8] = random[20..28].try_into().unwrap_or_default();
    let v2 = super::ntlmv2::v2_response(
        &key,
        challenge.server_challenge,
        client_challenge,
        super::ntlm_auth::filetime(unix_nanos),
        &challenge.target_info.client_copy(false),
    );
    Authenticate {
        flags: (SCANNER_NEGOTIATE_FLAGS & challenge.flags) | flags::NTLM,
        lm_response: v2.lm_response,
        nt_response: v2.nt_response,
        domain: String::new(),
        user,
        workstation: String::new(),
        session_key: Vec::new(),
        mic: None,
    }
    .to_vec()
}

/// Judges the guest attempt's final leg: `accepted` says whether an unknown user is let in
/// (as guest: SessionFlags IS_GUEST; without the flag it is still let in, and said so).
pub fn read_guest_setup(reply: Result<Vec<u8>, ProbeError>) -> SessionVerdict {
    let (status, flags) = match final_leg(reply) {
        Ok(leg) => leg,
        Err(unknown) => return unknown,
    };
    let text = status_text(status);
    let (accepted, guest, reason) = match status {
        smb2::status::SUCCESS if flags & session_flags::IS_GUEST != 0 => (
            Some(true),
            true,
            "an unknown user name was logged on as guest (SessionFlags IS_GUEST)".to_owned(),
        ),
        smb2::status::SUCCESS => (
            Some(true),
            false,
            format!(
                "an unknown user name with a random password was logged on (SessionFlags {flags:#06x})"
            ),
        ),
        smb2::status::LOGON_FAILURE | smb2::status::ACCESS_DENIED => (
            Some(false),
            false,
            format!("an unknown user name was refused: {text}"),
        ),
        _ => (None, false, format!("the guest attempt answered {text}")),
    };
    SessionVerdict::of(status, flags, accepted, guest, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_flags_give_yes_no_unknown() {
        let granted = judge(smb2::status::SUCCESS, session_flags::IS_NULL);
        assert_eq!((granted.accepted, granted.guest), (Some(true), false));
        let guest = judge(smb2::status::SUCCESS, session_flags::IS_GUEST);
        assert_eq!(
            (guest.accepted, guest.guest),
            (Some(false), true),
            "guest is not anonymous"
        );
        let refused = judge(smb2::status::ACCESS_DENIED, 0);
        assert_eq!(refused.accepted, Some(false));
        assert!(refused.status.unwrap().contains("0xc0000022"));
        let odd = judge(smb2::status::INVALID_PARAMETER, 0);
        assert_eq!(odd.accepted, None);
        let lost = read_anonymous_setup(Err(ProbeError::HostBudget));
        assert_eq!(lost.accepted, None);
        assert!(
            read_anonymous_setup(Ok(vec![0xfe, b'S']))
                .accepted
                .is_none()
        );
    }

    #[test]
    fn the_request_carries_an_anonymous_authenticate() {
        let req = anonymous_setup_request();
        let at = req.windows(8).position(|w| w == b"NTLMSSP\0").unwrap();
        assert_eq!(req[at + 8], 3, "AUTHENTICATE_MESSAGE");
    }
}
