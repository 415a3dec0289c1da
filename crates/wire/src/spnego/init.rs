//! NegTokenInit (RFC 4178 4.2.1) and NegTokenInit2 ([MS-SPNG] 2.2.1).
//!
//! ```text
//! InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {      -- RFC 2743 3.1
//!     thisMech OBJECT IDENTIFIER,                                 -- 1.3.6.1.5.5.2
//!     innerContextToken NegotiationToken }
//! NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
//! NegTokenInit2 ::= SEQUENCE {
//!     mechTypes   [0] SEQUENCE OF OBJECT IDENTIFIER OPTIONAL,
//!     reqFlags    [1] ContextFlags OPTIONAL,
//!     mechToken   [2] OCTET STRING OPTIONAL,
//!     negHints    [3] NegHints OPTIONAL,      -- RFC 4178 puts mechListMIC here instead
//!     mechListMIC [4] OCTET STRING OPTIONAL, ... }
//! NegHints ::= SEQUENCE { hintName [0] GeneralString OPTIONAL,
//!                         hintAddress [1] OCTET STRING OPTIONAL }
//! ```

use super::der::{
    Der, TAG_APPLICATION_0, TAG_GENERAL_STRING, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, Tlv,
    context, oid_to_string, push_tlv, tlv,
};
use super::{OID_NTLMSSP_DER, OID_SPNEGO_DER};
use crate::DecodeError;

/// Most mechanism OIDs accepted in one mechTypes list. Windows offers 5, Samba 1 or 3.
pub const MAX_MECH_TYPES: usize = 16;

/// The server's NegTokenInit / NegTokenInit2 ([MS-SPNG] 2.2.1), as found in an SMB2 NEGOTIATE
/// response (or SMB1 extended-security NEGOTIATE response) security buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NegTokenInit {
    /// mechTypes as dotted OIDs, in the server's order of preference (see
    /// [`super::mech_name`]).
    pub mech_types: Vec<String>,
    /// mechToken, the optimistic token (Windows puts NegoEx messages here).
    pub mech_token: Option<Vec<u8>>,
    /// negHints.hintName; Windows and Samba send `not_defined_in_RFC4178@please_ignore`.
    /// Read as ISO-8859-1, the encoding [MS-SPNG] 3.2.5.2 names.
    pub hint_name: Option<String>,
}

/// Decodes a NegTokenInit or NegTokenInit2, with or without the `[APPLICATION 0]` GSS-API
/// wrapper (whose `thisMech` must then be SPNEGO).
///
/// Lenient where servers differ: reqFlags, mechListMIC and unknown context tags are skipped,
/// `[3]` is read as negHints only when it holds a SEQUENCE (an RFC 4178 mechListMIC there is
/// skipped), the first of duplicated fields wins, and bytes after the outermost token are
/// ignored (an SMB1 blob can be padded). Strict where it matters: every element must lie
/// within its parent, every mechType must be an OID, at most [`MAX_MECH_TYPES`] of them.
/// An empty blob (a server that offers no hint) is a [`DecodeError::Truncated`].
pub fn decode_init(blob: &[u8]) -> Result<NegTokenInit, DecodeError> {
    let mut choice = enter_token(blob, context(0), "negTokenInit")?;
    let seq = choice.expect("NegTokenInit SEQUENCE", TAG_SEQUENCE)?;
    choice.finish("negTokenInit")?;
    let mut fields = choice.enter(seq, "NegTokenInit SEQUENCE")?;

    let mut init = NegTokenInit::default();
    let mut seen_mech_types = false;
    while !fields.is_empty() {
        let field = fields.next("NegTokenInit field")?;
        match field.tag {
            t if t == context(0) && !seen_mech_types => {
                seen_mech_types = true;
                init.mech_types = mech_type_list(&fields, field)?;
            }
            t if t == context(2) && init.mech_token.is_none() => {
                let mut inner = fields.enter(field, "mechToken")?;
                let octets = inner.expect("mechToken OCTET STRING", TAG_OCTET_STRING)?;
                inner.finish("mechToken")?;
                init.mech_token = Some(octets.value.to_vec());
            }
            t if t == context(3) && init.hint_name.is_none() => {
                init.hint_name = neg_hints(&fields, field)?;
            }
            _ => {} // reqFlags [1], mechListMIC [4], extensions, duplicates.
        }
    }
    Ok(init)
}

/// A reader over the content of the NegotiationToken choice `tag` in `blob`, unwrapping an
/// optional `[APPLICATION 0] { OID spnego, token }` GSS-API framing first. Bytes after the
/// outermost element are ignored.
pub(super) fn enter_token<'a>(
    blob: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<Der<'a>, DecodeError> {
    let mut top = Der::new(blob);
    let first = top.next("SPNEGO token")?;
    if first.tag == tag {
        return top.enter(first, what);
    }
    if first.tag != TAG_APPLICATION_0 {
        return Err(DecodeError::Unexpected {
            what: "SPNEGO token tag",
            value: u32::from(first.tag),
        });
    }
    let mut gss = top.enter(first, "InitialContextToken")?;
    let this_mech = gss.expect("thisMech", TAG_OID)?;
    if this_mech.value != OID_SPNEGO_DER {
        return Err(DecodeError::Unexpected {
            what: "thisMech (not SPNEGO)",
            value: u32::from(this_mech.value.first().copied().unwrap_or(0)),
        });
    }
    let token = gss.expect(what, tag)?;
    let inner = gss.enter(token, what)?;
    gss.finish("InitialContextToken")?;
    Ok(inner)
}

/// mechTypes `[0] SEQUENCE OF OBJECT IDENTIFIER`.
fn mech_type_list<'a>(parent: &Der<'a>, field: Tlv<'a>) -> Result<Vec<String>, DecodeError> {
    let mut outer = parent.enter(field, "mechTypes")?;
    let seq = outer.expect("mechTypes SEQUENCE", TAG_SEQUENCE)?;
    outer.finish("mechTypes")?;
    let mut list = outer.enter(seq, "mechTypes SEQUENCE")?;
    let mut oids = Vec::new();
    while !list.is_empty() {
        if oids.len() == MAX_MECH_TYPES {
            return Err(DecodeError::TooLarge {
                what: "mechTypes",
                value: oids.len() + 1,
                limit: MAX_MECH_TYPES,
            });
        }
        let oid = list.expect("mechType OID", TAG_OID)?;
        oids.push(oid_to_string(oid.value, "mechType OID")?);
    }
    Ok(oids)
}

/// negHints `[3] SEQUENCE { hintName [0] GeneralString, ... }`, or `None` when `[3]` holds
/// something else (an RFC 4178 mechListMIC OCTET STRING).
fn neg_hints<'a>(parent: &Der<'a>, field: Tlv<'a>) -> Result<Option<String>, DecodeError> {
    let mut outer = parent.enter(field, "negHints")?;
    let inner = outer.next("negHints")?;
    outer.finish("negHints")?;
    if inner.tag != TAG_SEQUENCE {
        return Ok(None);
    }
    let mut hints = outer.enter(inner, "NegHints SEQUENCE")?;
    while !hints.is_empty() {
        let hint = hints.next("NegHints field")?;
        if hint.tag == context(0) {
            let mut name = hints.enter(hint, "hintName")?;
            let string = name.expect("hintName GeneralString", TAG_GENERAL_STRING)?;
            name.finish("hintName")?;
            return Ok(Some(string.value.iter().copied().map(char::from).collect()));
        }
    }
    Ok(None)
}

/// The DER MechTypeList of [`ntlm_init_token`] (`SEQUENCE { OID NTLMSSP }`): what the
/// SPNEGO mechListMIC signs (RFC 4178 5).
pub fn ntlm_mech_type_list() -> Vec<u8> {
    tlv(TAG_SEQUENCE, &tlv(TAG_OID, &OID_NTLMSSP_DER))
}

/// The client's first SESSION_SETUP token, shaped byte-for-byte as Windows sends it:
/// `[APPLICATION 0] { OID spnego, [0] NegTokenInit { [0] mechTypes { NTLMSSP },
/// [2] mechToken <ntlm_negotiate> } }` (RFC 2743 3.1, RFC 4178 4.2.1).
pub fn ntlm_init_token(ntlm_negotiate: &[u8]) -> Vec<u8> {
    let mech_types = tlv(context(0), &ntlm_mech_type_list());
    let mech_token = tlv(context(2), &tlv(TAG_OCTET_STRING, ntlm_negotiate));
    let neg_token_init = tlv(
        context(0),
        &tlv(TAG_SEQUENCE, &[mech_types, mech_token].concat()),
    );
    let mut gss = tlv(TAG_OID, &OID_SPNEGO_DER);
    gss.extend_from_slice(&neg_token_init);
    let mut out = Vec::with_capacity(gss.len() + 6);
    push_tlv(&mut out, TAG_APPLICATION_0, &gss);
    out
}

#[cfg(test)]
mod tests;
