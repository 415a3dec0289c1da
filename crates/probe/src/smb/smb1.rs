//! SMB1: a true test (only NT LM 0.12 offered) and the anonymous SESSION_SETUP_ANDX.

use smbaudit_wire::smb1::{
    self, NegotiateReply, NegotiateResponse, SessionSetupResponse, Smb1Security,
};
use smbaudit_wire::smb2::{self, Protocol};

use super::facts::{Signing, Smb1Mode, SmbFacts};
use super::time::filetime_rfc3339;

/// The only dialect offered: if `SMB 2.002` were offered too, an SMB2 server would answer
/// in SMB2 and say nothing about SMB1.
pub const NT_LM_012: &str = "NT LM 0.12";

/// The SMB1-only NEGOTIATE.
pub fn negotiate_request() -> Vec<u8> {
    smb1::negotiate_request(&[NT_LM_012])
}

/// How a server answered the SMB1-only NEGOTIATE.
#[derive(Debug)]
pub enum Smb1Reply {
    /// It selected NT LM 0.12: SMB1 is on.
    On(Box<NegotiateResponse>),
    /// DialectIndex 0xFFFF: SMB1 is off.
    Off,
    /// Something else; SMB1 stays unknown.
    Invalid(String),
}

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
        Ok(NegotiateReply::NoCommonDialect { .. }) => Smb1Reply::Off,
        Ok(NegotiateReply::Negotiated(resp)) if resp.dialect_index == 0 => {
            Smb1Reply::On(Box::new(resp))
        }
        Ok(NegotiateReply::Negotiated(resp)) => Smb1Reply::Invalid(format!(
            "server chose dialect index {} of a 1-dialect offer",
            resp.dialect_index
        )),
        Err(e) => Smb1Reply::Invalid(format!("SMB1 NEGOTIATE response: {e}")),
    }
}

/// Records what an SMB1 NEGOTIATE response reveals.
pub fn record_negotiate(facts: &mut SmbFacts, resp: &NegotiateResponse) {
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
    match resp.security {
        Smb1Security::Extended { .. } => {
            smb1::session_setup_request(0, mid, &super::ntlm::session_setup_blob())
        }
        Smb1Security::Challenge { .. } => smb1::session_setup_anonymous_request(mid),
    }
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
        if resp.header.status != smb2::status::MORE_PROCESSING_REQUIRED {
            return Err(format!(
                "SMB1 SESSION_SETUP_ANDX answered {}",
                super::smb2::status_text(resp.header.status)
            ));
        }
        facts.smb1_ntlm = Some(super::ntlm::challenge_facts(&resp.security_blob)?);
    }
    Ok(())
}
