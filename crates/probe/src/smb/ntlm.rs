//! The NTLM CHALLENGE of an anonymous session setup, and what it discloses.

use smbaudit_wire::ntlm::{Challenge, SCANNER_NEGOTIATE_FLAGS, negotiate_message};
use smbaudit_wire::spnego;

use super::facts::NtlmFacts;
use super::time::filetime_rfc3339;

/// The security blob of the first SESSION_SETUP leg: SPNEGO wrapping an NTLMSSP NEGOTIATE
/// that asks for the target info and the version.
pub fn session_setup_blob() -> Vec<u8> {
    spnego::ntlm_init_token(&negotiate_message(SCANNER_NEGOTIATE_FLAGS))
}

/// The CHALLENGE in a SESSION_SETUP response blob (SPNEGO or raw NTLMSSP).
pub fn challenge(blob: &[u8]) -> Result<Challenge, String> {
    let token = spnego::ntlm_token(blob).map_err(|e| format!("SPNEGO response: {e}"))?;
    Challenge::decode(&token).map_err(|e| format!("NTLM CHALLENGE: {e}"))
}

/// Reads the CHALLENGE out of a SESSION_SETUP response blob (SPNEGO or raw NTLMSSP).
pub fn challenge_facts(blob: &[u8]) -> Result<NtlmFacts, String> {
    challenge(blob).map(|c| facts(&c))
}

/// The facts of a decoded CHALLENGE.
pub fn facts(challenge: &Challenge) -> NtlmFacts {
    let info = &challenge.target_info;
    NtlmFacts {
        netbios_computer: info.nb_computer(),
        netbios_domain: info.nb_domain(),
        dns_computer: info.dns_computer(),
        dns_domain: info.dns_domain(),
        dns_tree: info.dns_tree(),
        os_version: challenge.version.as_ref().map(ToString::to_string),
        target_name: challenge.target_name.clone(),
        timestamp: info.timestamp().and_then(filetime_rfc3339),
        negotiate_flags: challenge.flags,
    }
}
