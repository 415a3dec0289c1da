//! SPNEGO tokens that carry NTLMSSP in SMB SESSION_SETUP (RFC 4178, [MS-SPNG] 2.2).
//!
//! - [`decode_init`]: the server's NegTokenInit / NegTokenInit2 ([MS-SPNG] 2.2.1) from the
//!   NEGOTIATE response security buffer; its `mech_types` say whether Kerberos is offered.
//! - [`ntlm_init_token`]: the client's first SESSION_SETUP token (RFC 2743 3.1
//!   InitialContextToken around RFC 4178 4.2.1 NegTokenInit) carrying an NTLM NEGOTIATE.
//! - [`decode_resp`] and [`ntlm_token`]: the server's NegTokenResp (RFC 4178 4.2.2) and the
//!   NTLMSSP CHALLENGE inside it, or raw NTLMSSP from servers that skip SPNEGO.
//!
//! All DER is read by the small bounded reader in `der` (see there for why it is not an
//! ASN.1 crate).

mod der;
mod init;
mod resp;

pub use init::{MAX_MECH_TYPES, NegTokenInit, decode_init, ntlm_init_token, ntlm_mech_type_list};
pub use resp::{NegTokenResp, decode_resp, ntlm_resp_token, ntlm_resp_token_with_mic, ntlm_token};

/// SPNEGO itself (RFC 4178), the `thisMech` of the GSS-API framing.
pub const OID_SPNEGO: &str = "1.3.6.1.5.5.2";
/// Microsoft NTLM Security Support Provider ([MS-NLMP]).
pub const OID_NTLMSSP: &str = "1.3.6.1.4.1.311.2.2.10";
/// Kerberos 5 (RFC 4121).
pub const OID_KRB5: &str = "1.2.840.113554.1.2.2";
/// Microsoft's legacy Kerberos 5 OID ([MS-KILE]), listed before [`OID_KRB5`] by Windows.
pub const OID_MS_KRB5: &str = "1.2.840.48018.1.2.2";
/// Kerberos 5 user-to-user.
pub const OID_KRB5_U2U: &str = "1.2.840.113554.1.2.2.3";
/// NegoEx, SPNEGO Extended Negotiation ([MS-NEGOEX]).
pub const OID_NEGOEX: &str = "1.3.6.1.4.1.311.2.2.30";

/// DER content octets of [`OID_SPNEGO`].
const OID_SPNEGO_DER: [u8; 6] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// DER content octets of [`OID_NTLMSSP`].
const OID_NTLMSSP_DER: [u8; 10] = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];

/// A short name for a mechanism OID: "NTLMSSP", "Kerberos", "MS-Kerberos", "Kerberos-U2U",
/// "NegoEx"; `None` for any other OID.
pub fn mech_name(oid: &str) -> Option<&'static str> {
    match oid {
        OID_NTLMSSP => Some("NTLMSSP"),
        OID_KRB5 => Some("Kerberos"),
        OID_MS_KRB5 => Some("MS-Kerberos"),
        OID_KRB5_U2U => Some("Kerberos-U2U"),
        OID_NEGOEX => Some("NegoEx"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_oid_constants_match_their_strings() {
        assert_eq!(
            der::oid_to_string(&OID_SPNEGO_DER, "oid").unwrap(),
            OID_SPNEGO
        );
        assert_eq!(
            der::oid_to_string(&OID_NTLMSSP_DER, "oid").unwrap(),
            OID_NTLMSSP
        );
    }

    #[test]
    fn names_mechanisms() {
        assert_eq!(mech_name(OID_NTLMSSP), Some("NTLMSSP"));
        assert_eq!(mech_name(OID_KRB5), Some("Kerberos"));
        assert_eq!(mech_name(OID_MS_KRB5), Some("MS-Kerberos"));
        assert_eq!(mech_name(OID_KRB5_U2U), Some("Kerberos-U2U"));
        assert_eq!(mech_name(OID_NEGOEX), Some("NegoEx"));
        assert_eq!(mech_name(OID_SPNEGO), None);
        assert_eq!(mech_name("1.2.3"), None);
    }
}
