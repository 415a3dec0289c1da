//! The login's NTLMv2 AUTHENTICATE_MESSAGE, whichever dialect carries it: the responses to
//! the CHALLENGE, the session key it settles, and the MIC ([MS-NLMP] 3.1.5.1.2) when the
//! CHALLENGE's AV pairs carry MsvAvTimestamp.
//!
//! With a MIC the client also follows the rest of 3.1.5.1.2: its blob's AV pairs carry
//! MsvAvFlags bit 0x2, its time is the server's MsvAvTimestamp, and the LmChallengeResponse
//! is Z(24); and the SPNEGO token carries a mechListMIC ([`super::ntlm_mic`]).

use smbaudit_wire::Encode;
use smbaudit_wire::ntlm::{Authenticate, Challenge, flags, write_mic};
use smbaudit_wire::spnego;

use super::credentials::Credentials;
use super::ntlm_keys::{KeyExchange, SessionKeys, mic, session_keys};
use super::ntlmv2::{response_key, v2_response};

/// One AUTHENTICATE and the keys it settles.
#[derive(Debug)]
pub struct AuthenticateLeg {
    /// The AUTHENTICATE_MESSAGE (raw NTLMSSP, not yet in SPNEGO).
    pub message: Vec<u8>,
    /// ExportedSessionKey and what was sent of it.
    pub keys: SessionKeys,
    /// The SPNEGO mechListMIC that goes with a MIC (see [`super::ntlm_mic`]).
    pub mech_list_mic: Option<[u8; 16]>,
}

impl AuthenticateLeg {
    /// The message in its SPNEGO NegTokenResp, with the mechListMIC when there is one.
    pub fn spnego_token(&self) -> Vec<u8> {
        match &self.mech_list_mic {
            Some(mic) => spnego::ntlm_resp_token_with_mic(&self.message, mic),
            None => spnego::ntlm_resp_token(&self.message),
        }
    }
}

/// The NTLM messages the AUTHENTICATE answers, as they travelled (the MIC covers them).
#[derive(Debug, Clone, Copy)]
pub struct Exchanged<'a> {
    /// Our NEGOTIATE_MESSAGE.
    pub negotiate: &'a [u8],
    /// The server's CHALLENGE_MESSAGE (raw NTLMSSP, out of its SPNEGO wrapping).
    pub challenge: &'a [u8],
}

/// FILETIME (100 ns ticks since 1601) of `unix_nanos`.
pub fn filetime(unix_nanos: i128) -> u64 {
    u64::try_from(unix_nanos / 100 + 116_444_736_000_000_000).unwrap_or(0)
}

/// The login's AUTHENTICATE to `exchanged.challenge`. `offered` are the NegotiateFlags of
/// our NEGOTIATE; `random` gives the client challenge (bytes 0..8) and the
/// ExportedSessionKey under KEY_EXCH (8..24); `unix_nanos` the NTLMv2 time when the server
/// sent none.
pub fn login_authenticate(
    exchanged: Exchanged<'_>,
    credentials: &Credentials,
    offered: u32,
    random: &[u8; 32],
    unix_nanos: i128,
) -> Result<AuthenticateLeg, String> {
    let challenge =
        Challenge::decode(exchanged.challenge).map_err(|e| format!("NTLM CHALLENGE: {e}"))?;
    let server_time = challenge.target_info.timestamp();
    let with_mic = server_time.is_some();
    let key = response_key(
        credentials.password(),
        credentials.user(),
        credentials.domain(),
    );
    let client_challenge: [u8; 8] = random[..8].try_into().unwrap_or_default();
    let v2 = v2_response(
        &key,
        challenge.server_challenge,
        client_challenge,
        server_time.unwrap_or_else(|| filetime(unix_nanos)),
        &challenge.target_info.client_copy(with_mic),
    );
    let negotiated = offered & challenge.flags;
    let exchange = if negotiated & flags::KEY_EXCH != 0 {
        KeyExchange::Negotiated
    } else {
        KeyExchange::None
    };
    let exported: [u8; 16] = random[8..24].try_into().unwrap_or_default();
    let keys = session_keys(&v2.session_base_key, exchange, &exported);
    let mut message = Authenticate {
        flags: negotiated | flags::NTLM,
        lm_response: if with_mic {
            vec![0; 24]
        } else {
            v2.lm_response
        },
        nt_response: v2.nt_response,
        domain: credentials.domain().to_owned(),
        user: credentials.user().to_owned(),
        workstation: String::new(),
        session_key: keys.encrypted.clone(),
        mic: with_mic.then_some([0; 16]),
    }
    .to_vec();
    if with_mic {
        let code = mic(
            &keys.exported,
            exchanged.negotiate,
            exchanged.challenge,
            &message,
        );
        write_mic(&mut message, &code);
    }
    let mech_list_mic = with_mic.then(|| {
        super::ntlm_mic::client_mic(
            &keys.exported,
            negotiated | flags::NTLM,
            &spnego::ntlm_mech_type_list(),
        )
    });
    Ok(AuthenticateLeg {
        message,
        keys,
        mech_list_mic,
    })
}

#[cfg(test)]
#[path = "ntlm_auth_tests.rs"]
mod tests;
