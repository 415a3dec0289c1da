//! NegTokenResp (RFC 4178 4.2.2), the server's answer in SESSION_SETUP responses.
//!
//! ```text
//! negTokenResp [1] SEQUENCE {
//!     negState      [0] ENUMERATED { accept-completed(0), accept-incomplete(1),
//!                                    reject(2), request-mic(3) } OPTIONAL,
//!     supportedMech [1] OBJECT IDENTIFIER OPTIONAL,
//!     responseToken [2] OCTET STRING OPTIONAL,
//!     mechListMIC   [3] OCTET STRING OPTIONAL, ... }
//! ```

use super::der::{
    Der, TAG_ENUMERATED, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, Tlv, context, oid_to_string, tlv,
};
use super::init::enter_token;
use crate::DecodeError;
use crate::ntlm::SIGNATURE;

/// [RFC 4178] 4.2.2 NegTokenResp.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NegTokenResp {
    /// negState: 0 accept-completed, 1 accept-incomplete (a CHALLENGE follows), 2 reject,
    /// 3 request-mic. Kept raw.
    pub neg_state: Option<u8>,
    /// supportedMech as a dotted OID.
    pub supported_mech: Option<String>,
    /// responseToken: the mechanism's token (the NTLMSSP CHALLENGE).
    pub response_token: Option<Vec<u8>>,
    /// mechListMIC.
    pub mech_list_mic: Option<Vec<u8>>,
}

impl NegTokenResp {
    /// negState accept-completed.
    pub const ACCEPT_COMPLETED: u8 = 0;
    /// negState accept-incomplete.
    pub const ACCEPT_INCOMPLETE: u8 = 1;
    /// negState reject.
    pub const REJECT: u8 = 2;
    /// negState request-mic.
    pub const REQUEST_MIC: u8 = 3;
}

/// Decodes a NegTokenResp (`[1]`, also accepted inside an `[APPLICATION 0]` wrapper).
/// Unknown context tags are skipped and the first of duplicated fields wins; negState must
/// be a one-octet ENUMERATED.
pub fn decode_resp(blob: &[u8]) -> Result<NegTokenResp, DecodeError> {
    let mut choice = enter_token(blob, context(1), "negTokenResp")?;
    let seq = choice.expect("NegTokenResp SEQUENCE", TAG_SEQUENCE)?;
    choice.finish("negTokenResp")?;
    let mut fields = choice.enter(seq, "NegTokenResp SEQUENCE")?;

    let mut resp = NegTokenResp::default();
    while !fields.is_empty() {
        let field = fields.next("NegTokenResp field")?;
        match field.tag {
            t if t == context(0) && resp.neg_state.is_none() => {
                let value = inner(&fields, field, "negState", TAG_ENUMERATED)?;
                let [state] = value else {
                    return Err(DecodeError::TooLarge {
                        what: "negState ENUMERATED",
                        value: value.len(),
                        limit: 1,
                    });
                };
                resp.neg_state = Some(*state);
            }
            t if t == context(1) && resp.supported_mech.is_none() => {
                let value = inner(&fields, field, "supportedMech", TAG_OID)?;
                resp.supported_mech = Some(oid_to_string(value, "supportedMech OID")?);
            }
            t if t == context(2) && resp.response_token.is_none() => {
                let value = inner(&fields, field, "responseToken", TAG_OCTET_STRING)?;
                resp.response_token = Some(value.to_vec());
            }
            t if t == context(3) && resp.mech_list_mic.is_none() => {
                let value = inner(&fields, field, "mechListMIC", TAG_OCTET_STRING)?;
                resp.mech_list_mic = Some(value.to_vec());
            }
            _ => {}
        }
    }
    Ok(resp)
}

/// The content of the single element of type `tag` inside the context field `field`.
fn inner<'a>(
    parent: &Der<'a>,
    field: Tlv<'a>,
    what: &'static str,
    tag: u8,
) -> Result<&'a [u8], DecodeError> {
    let mut explicit = parent.enter(field, what)?;
    let value = explicit.expect(what, tag)?;
    explicit.finish(what)?;
    Ok(value.value)
}

/// The NTLMSSP message inside a SESSION_SETUP response security blob: the blob itself when
/// it starts with `"NTLMSSP\0"` (raw NTLMSSP, e.g. Windows XP over SMB1), else the
/// NegTokenResp's responseToken. A NegTokenResp without one (a reject) is
/// [`DecodeError::Unexpected`] with the negState as its value (0xFF when absent).
pub fn ntlm_token(blob: &[u8]) -> Result<Vec<u8>, DecodeError> {
    if blob.starts_with(&SIGNATURE) {
        return Ok(blob.to_vec());
    }
    let resp = decode_resp(blob)?;
    let neg_state = resp.neg_state;
    resp.response_token.ok_or_else(|| DecodeError::Unexpected {
        what: "NegTokenResp without responseToken (negState)",
        value: u32::from(neg_state.unwrap_or(0xFF)),
    })
}

/// The client's second SESSION_SETUP token: `[1] NegTokenResp { [2] responseToken
/// <ntlm_authenticate> }` (RFC 4178 4.2.2), as Windows and Samba clients send the
/// AUTHENTICATE_MESSAGE (no negState, no mechListMIC: NTLM without a MIC).
pub fn ntlm_resp_token(ntlm_authenticate: &[u8]) -> Vec<u8> {
    let response_token = tlv(context(2), &tlv(TAG_OCTET_STRING, ntlm_authenticate));
    tlv(context(1), &tlv(TAG_SEQUENCE, &response_token))
}

/// [`ntlm_resp_token`] with a `[3] mechListMIC`: what a client sends when its NTLM
/// AUTHENTICATE carries a MIC (the server then requires the SPNEGO MIC too, RFC 4178 5).
pub fn ntlm_resp_token_with_mic(ntlm_authenticate: &[u8], mech_list_mic: &[u8]) -> Vec<u8> {
    let response_token = tlv(context(2), &tlv(TAG_OCTET_STRING, ntlm_authenticate));
    let mic = tlv(context(3), &tlv(TAG_OCTET_STRING, mech_list_mic));
    tlv(
        context(1),
        &tlv(TAG_SEQUENCE, &[response_token, mic].concat()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spnego::OID_NTLMSSP;

    #[test]
    fn the_mech_list_mic_decodes_back() {
        let token = ntlm_resp_token_with_mic(b"NTLMSSP\0\x03", &[9; 16]);
        let resp = decode_resp(&token).unwrap();
        assert_eq!(resp.response_token.as_deref(), Some(&b"NTLMSSP\0\x03"[..]));
        assert_eq!(resp.mech_list_mic, Some(vec![9; 16]));
    }
    use crate::test_util::unhex;

    /// Samba 4.4.16's SESSION_SETUP_ANDX blob (frame 44 of suricata-verify smb1_osx.pcap),
    /// with the CHALLENGE shortened to its first 16 bytes and the lengths adjusted.
    fn samba_like(token: &[u8]) -> Vec<u8> {
        let fields = [
            tlv(0xa0, &[0x0a, 0x01, 0x01]),
            tlv(0xa1, &unhex("060a2b06010401823702020a")),
            tlv(0xa2, &tlv(0x04, token)),
        ]
        .concat();
        tlv(0xa1, &tlv(0x30, &fields))
    }

    #[test]
    fn the_authenticate_token_decodes_back_to_its_ntlm_message() {
        let ntlm = b"NTLMSSP\0\x03\0\0\0 and the rest".to_vec();
        let token = ntlm_resp_token(&ntlm);
        assert_eq!(token[0], 0xa1);
        let resp = decode_resp(&token).unwrap();
        assert_eq!(resp.response_token.as_deref(), Some(&ntlm[..]));
        assert_eq!(resp.neg_state, None);
        // Long enough for multi-byte DER lengths too.
        let long = vec![7u8; 700];
        assert_eq!(
            decode_resp(&ntlm_resp_token(&long)).unwrap().response_token,
            Some(long)
        );
    }

    #[test]
    fn decodes_captured_samba_prefix() {
        // The first bytes of the capture, as sent: a1 81 9e 30 81 9b a0 03 0a 01 01 a1 0c ...
        let blob = samba_like(&[0x4e; 0x82]);
        assert_eq!(blob[..16], unhex("a1819e30819ba0030a0101a10c060a2b")[..]);
        let resp = decode_resp(&blob).unwrap();
        assert_eq!(resp.neg_state, Some(NegTokenResp::ACCEPT_INCOMPLETE));
        assert_eq!(resp.supported_mech.as_deref(), Some(OID_NTLMSSP));
        assert_eq!(resp.response_token.as_deref(), Some(&[0x4e; 0x82][..]));
        assert_eq!(resp.mech_list_mic, None);
    }

    #[test]
    fn extracts_ntlm_from_spnego_or_raw() {
        let challenge = b"NTLMSSP\0\x02\0\0\0rest".to_vec();
        assert_eq!(ntlm_token(&samba_like(&challenge)).unwrap(), challenge);
        assert_eq!(ntlm_token(&challenge).unwrap(), challenge);
    }

    #[test]
    fn reject_without_token_is_an_error() {
        let blob = tlv(0xa1, &tlv(0x30, &tlv(0xa0, &[0x0a, 0x01, 0x02])));
        assert_eq!(
            decode_resp(&blob).unwrap().neg_state,
            Some(NegTokenResp::REJECT)
        );
        assert_eq!(
            ntlm_token(&blob),
            Err(DecodeError::Unexpected {
                what: "NegTokenResp without responseToken (negState)",
                value: 2
            })
        );
    }

    #[test]
    fn reads_mic_skips_unknown_fields_and_accepts_a_wrapper() {
        let fields = [
            tlv(0xa5, &[0x05, 0x00]),
            tlv(0xa3, &tlv(0x04, &[9, 9])),
            tlv(0xa0, &[0x0a, 0x01, 0x00]),
        ]
        .concat();
        let resp_tlv = tlv(0xa1, &tlv(0x30, &fields));
        let wrapped = tlv(
            0x60,
            &[unhex("06062b0601050502"), resp_tlv.clone()].concat(),
        );
        for blob in [resp_tlv, wrapped] {
            let resp = decode_resp(&blob).unwrap();
            assert_eq!(resp.neg_state, Some(0));
            assert_eq!(resp.mech_list_mic.as_deref(), Some(&[9, 9][..]));
        }
    }

    #[test]
    fn rejects_malformed_tokens() {
        // negState of two octets.
        let blob = tlv(0xa1, &tlv(0x30, &tlv(0xa0, &[0x0a, 0x02, 0x00, 0x01])));
        assert!(matches!(
            decode_resp(&blob),
            Err(DecodeError::TooLarge { .. })
        ));
        // responseToken that is not an OCTET STRING.
        let blob = tlv(0xa1, &tlv(0x30, &tlv(0xa2, &[0x05, 0x00])));
        assert!(matches!(
            decode_resp(&blob),
            Err(DecodeError::Unexpected { .. })
        ));
        // A NegTokenInit where a NegTokenResp belongs, and nothing at all.
        assert!(matches!(
            decode_resp(&[0xa0, 0x02, 0x30, 0x00]),
            Err(DecodeError::Unexpected {
                what: "SPNEGO token tag",
                value: 0xa0
            })
        ));
        assert!(matches!(
            decode_resp(&[]),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(ntlm_token(b"NTLMSSP").is_err());
    }

    #[test]
    fn every_truncation_fails_cleanly() {
        let blob = samba_like(b"NTLMSSP\0\x02\0\0\0");
        for cut in 0..blob.len() {
            assert!(decode_resp(&blob[..cut]).is_err(), "cut {cut}");
        }
    }
}
