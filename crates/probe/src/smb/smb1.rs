//! SMB1: a true test (only NT LM 0.12 offered) and the anonymous SESSION_SETUP_ANDX.

use smbaudit_wire::smb1::{
    NegotiateReply, NegotiateRequest, NegotiateResponse, SessionSecurity, SessionSetupRequest,
    SessionSetupResponse, Smb1Security,
};
use smbaudit_wire::smb2::{self, Protocol};
use smbaudit_wire::{Encode, ResponseError};

use super::facts::{Signing, Smb1Mode, SmbFacts};
use super::reply::{Refusal, Reply, check_status};
use super::time::{filetime_rfc3339, skew_secs};

/// The only dialect offered: if `SMB 2.002` were offered too, an SMB2 server would answer
/// in SMB2 and say nothing about SMB1.
pub const NT_LM_012: &str = "NT LM 0.12";

/// The SMB1-only NEGOTIATE.
pub fn negotiate_request() -> Vec<u8> {
    NegotiateRequest {
        dialects: &[NT_LM_012],
    }
    .to_vec()
}

/// How a server answered the SMB1-only NEGOTIATE: it selected NT LM 0.12 (SMB1 is on),
/// refused with DialectIndex 0xFFFF (SMB1 is off) or an error status, or sent something
/// else (SMB1 stays unknown).
pub type Smb1Reply = Reply<Box<NegotiateResponse>>;

/// Judges the reply to [`negotiate_request`].
pub fn read_negotiate(msg: &[u8]) -> Smb1Reply {
    match smb2::protocol_of(msg) {
        Ok(Protocol::Smb1) => {}
        Ok(Protocol::Smb2) => {
            return Smb1Reply::Invalid(
                "server answered an SMB1-only NEGOTIATE with an SMB2 message".into(),
            );
        }
        Ok(other) => {
            return Smb1Reply::Invalid(format!("{other:?} message in reply to SMB1 NEGOTIATE"));
        }
        Err(e) => return Smb1Reply::Invalid(format!("reply to SMB1 NEGOTIATE: {e}")),
    }
    match NegotiateReply::decode(msg) {
        Ok(NegotiateReply::NoCommonDialect { .. }) => Smb1Reply::Refused(Refusal::NoCommonDialect),
        Ok(NegotiateReply::Negotiated(resp)) if resp.dialect_index == 0 => {
            Smb1Reply::Accepted(Box::new(resp))
        }
        Ok(NegotiateReply::Negotiated(resp)) => Smb1Reply::Invalid(format!(
            "server chose dialect index {} of a 1-dialect offer",
            resp.dialect_index
        )),
        Err(ResponseError::Status(status)) => Smb1Reply::Refused(Refusal::Status(status)),
        Err(ResponseError::Decode(e)) => {
            Smb1Reply::Invalid(format!("SMB1 NEGOTIATE response: {e}"))
        }
    }
}

/// Records what an SMB1 NEGOTIATE response reveals; `now_unix_nanos` is our clock when the
/// reply arrived (the skew comes from SMB1 when SMB2 gave none).
pub fn record_negotiate(facts: &mut SmbFacts, resp: &NegotiateResponse, now_unix_nanos: i128) {
    if facts.clock_skew_secs.is_none() {
        facts.clock_skew_secs = resp.system_time.and_then(|t| skew_secs(t, now_unix_nanos));
    }
    facts.signing.smb1 = Some(Signing {
        enabled: resp.signing_enabled(),
        required: resp.signing_required(),
    });
    let (extended_security, domain_name, server_name) = match &resp.security {
        Smb1Security::Extended { .. } => (true, None, None),
        Smb1Security::Challenge {
            domain_name,
            server_name,
            ..
        } => (false, domain_name.clone(), server_name.clone()),
    };
    facts.smb1_mode = Some(Smb1Mode {
        user_level: resp.user_level(),
        challenge_response: resp.challenge_response(),
        extended_security,
        capabilities: resp.capabilities,
        system_time: resp.system_time.and_then(filetime_rfc3339),
        time_zone_minutes: resp.server_time_zone,
        domain_name,
        server_name,
    });
}

/// The SESSION_SETUP_ANDX that follows: NTLMSSP in SPNEGO when extended security was
/// negotiated, else a null session (empty name and passwords).
pub fn session_setup_request(resp: &NegotiateResponse, mid: u16) -> Vec<u8> {
    let blob = super::ntlm::session_setup_blob();
    let security = match resp.security {
        Smb1Security::Extended { .. } => SessionSecurity::Extended(&blob),
        Smb1Security::Challenge { .. } => SessionSecurity::Anonymous,
    };
    SessionSetupRequest {
        uid: 0,
        mid,
        security,
    }
    .to_vec()
}

/// Records NativeOS/NativeLanMan and the NTLM challenge of a SESSION_SETUP_ANDX response;
/// returns why the NTLM facts are missing, if they are and should not be.
pub fn record_session_setup(
    facts: &mut SmbFacts,
    msg: &[u8],
    negotiated: &NegotiateResponse,
) -> Result<(), String> {
    let extended = matches!(negotiated.security, Smb1Security::Extended { .. });
    let resp = SessionSetupResponse::decode(msg)
        .map_err(|e| format!("SESSION_SETUP_ANDX response: {e}"))?;
    facts.native_os = resp.native_os.filter(|s| !s.is_empty());
    facts.native_lanman = resp.native_lanman.filter(|s| !s.is_empty());
    facts.primary_domain = resp.primary_domain.filter(|s| !s.is_empty());
    if extended {
        check_status(
            resp.header.status,
            &[smb2::status::MORE_PROCESSING_REQUIRED],
        )
        .map_err(|refusal| format!("SMB1 SESSION_SETUP_ANDX answered {refusal}"))?;
        facts.smb1_ntlm = Some(super::ntlm::challenge_facts(&resp.security_blob)?);
    }
    Ok(())
}
