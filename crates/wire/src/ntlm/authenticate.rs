//! AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3), the client's answer to the CHALLENGE.
//!
//! ```text
//!  0  Signature "NTLMSSP\0"                 8
//!  8  MessageType = 3                       4
//! 12  LmChallengeResponseFields             8  (len u16, max len u16, offset u32)
//! 20  NtChallengeResponseFields             8
//! 28  DomainNameFields                      8
//! 36  UserNameFields                        8
//! 44  WorkstationFields                     8
//! 52  EncryptedRandomSessionKeyFields       8
//! 60  NegotiateFlags                        4
//! 64  Version                               8  (the VERSION flag set)
//! 72  MIC                                  16  (only when `mic` is set)
//! 72|88  Payload: the fields' bytes, in the order above
//! ```
//!
//! The MIC ([MS-NLMP] 3.1.5.1.2) is HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE ||
//! AUTHENTICATE with the MIC zeroed): encode with [`Authenticate::mic`] set to zeros,
//! compute, then [`write_mic`]. It is sent when the CHALLENGE's AV pairs carry
//! MsvAvTimestamp (and the client's own carry MsvAvFlags bit 0x2, [`TargetInfo::client_copy`]).
//! Strings are UTF-16LE (the UNICODE flag is always set).
//!
//! [`TargetInfo::client_copy`]: super::TargetInfo::client_copy

use super::{MESSAGE_TYPE_AUTHENTICATE, SIGNATURE, flags};
use crate::Encode;

/// Offset of the payload without a MIC: the fixed fields and the Version.
const PAYLOAD_OFFSET: usize = 72;
/// Where the MIC sits when there is one.
pub const MIC_RANGE: std::ops::Range<usize> = 72..88;

/// One AUTHENTICATE_MESSAGE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticate {
    /// NegotiateFlags (UNICODE and VERSION are always added).
    pub flags: u32,
    /// LmChallengeResponse.
    pub lm_response: Vec<u8>,
    /// NtChallengeResponse.
    pub nt_response: Vec<u8>,
    /// DomainName.
    pub domain: String,
    /// UserName.
    pub user: String,
    /// Workstation.
    pub workstation: String,
    /// EncryptedRandomSessionKey (empty without KEY_EXCH).
    pub session_key: Vec<u8>,
    /// The MIC field, present or not (its value is usually written after encoding, see
    /// [`write_mic`]).
    pub mic: Option<[u8; 16]>,
}

impl Authenticate {
    /// The anonymous AUTHENTICATE of [MS-NLMP] 3.1.5.1.2: no user, no domain, an empty
    /// NtChallengeResponse and a one-byte zero LmChallengeResponse, the ANONYMOUS flag set.
    pub fn anonymous(negotiate_flags: u32) -> Self {
        Self {
            flags: (negotiate_flags | flags::ANONYMOUS) & !(flags::SIGN | flags::KEY_EXCH),
            lm_response: vec![0],
            nt_response: Vec::new(),
            domain: String::new(),
            user: String::new(),
            workstation: String::new(),
            session_key: Vec::new(),
            mic: None,
        }
    }

    fn payload_offset(&self) -> usize {
        PAYLOAD_OFFSET + if self.mic.is_some() { 16 } else { 0 }
    }

    fn fields(&self) -> [Vec<u8>; 6] {
        [
            self.lm_response.clone(),
            self.nt_response.clone(),
            utf16le(&self.domain),
            utf16le(&self.user),
            utf16le(&self.workstation),
            self.session_key.clone(),
        ]
    }
}

/// `s` as UTF-16LE bytes.
pub fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Writes `mic` into an encoded AUTHENTICATE that has a MIC field (nothing when `msg` is
/// too short).
pub fn write_mic(msg: &mut [u8], mic: &[u8; 16]) {
    if let Some(field) = msg.get_mut(MIC_RANGE) {
        field.copy_from_slice(mic);
    }
}

impl Encode for Authenticate {
    fn encoded_len(&self) -> usize {
        self.payload_offset() + self.fields().iter().map(Vec::len).sum::<usize>()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let fields = self.fields();
        out.extend_from_slice(&SIGNATURE);
        out.extend_from_slice(&MESSAGE_TYPE_AUTHENTICATE.to_le_bytes());
        let mut offset = self.payload_offset();
        for field in &fields {
            // A field longer than 64 KiB cannot be described; it is cut to fit (never
            // happens for what a client sends: names and 16-byte-plus-AV-pair responses).
            let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&u32::try_from(offset).unwrap_or(u32::MAX).to_le_bytes());
            offset += usize::from(len);
        }
        let flags = self.flags | flags::UNICODE | flags::VERSION;
        out.extend_from_slice(&flags.to_le_bytes());
        super::SCANNER_VERSION.encode(out);
        if let Some(mic) = &self.mic {
            out.extend_from_slice(mic);
        }
        for field in &fields {
            let cut = field.len().min(usize::from(u16::MAX));
            out.extend_from_slice(field.get(..cut).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(msg: &[u8], at: usize) -> &[u8] {
        let len = usize::from(u16::from_le_bytes([msg[at], msg[at + 1]]));
        let off = u32::from_le_bytes(msg[at + 4..at + 8].try_into().unwrap()) as usize;
        &msg[off..off + len]
    }

    #[test]
    fn anonymous_message_has_the_shape_ms_nlmp_gives_it() {
        let msg = Authenticate::anonymous(super::super::SCANNER_NEGOTIATE_FLAGS).to_vec();
        assert_eq!(&msg[..8], b"NTLMSSP\0");
        assert_eq!(msg[8], 3);
        assert_eq!(field(&msg, 12), [0], "LmChallengeResponse Z(1)");
        assert!(field(&msg, 20).is_empty(), "empty NtChallengeResponse");
        assert!(field(&msg, 36).is_empty(), "no user");
        let flags = u32::from_le_bytes(msg[60..64].try_into().unwrap());
        assert_ne!(flags & flags::ANONYMOUS, 0);
        assert_eq!(flags & flags::KEY_EXCH, 0);
        assert_eq!(msg.len(), 73);
        assert_eq!(msg.len(), Authenticate::anonymous(0).encoded_len());
    }

    #[test]
    fn fields_are_laid_out_in_order_after_the_version() {
        let auth = Authenticate {
            flags: flags::NTLM,
            lm_response: vec![1; 24],
            nt_response: vec![2; 40],
            domain: "Domain".into(),
            user: "User".into(),
            workstation: "COMPUTER".into(),
            session_key: vec![3; 16],
            mic: None,
        };
        let msg = auth.to_vec();
        assert_eq!(msg.len(), auth.encoded_len());
        assert_eq!(field(&msg, 12), [1; 24]);
        assert_eq!(field(&msg, 20), [2; 40]);
        assert_eq!(field(&msg, 28), utf16le("Domain"));
        assert_eq!(field(&msg, 36), utf16le("User"));
        assert_eq!(field(&msg, 44), utf16le("COMPUTER"));
        assert_eq!(field(&msg, 52), [3; 16]);
        assert_eq!(u32::from_le_bytes(msg[16..20].try_into().unwrap()), 72);
    }

    #[test]
    fn a_mic_field_moves_the_payload_by_16() {
        let auth = Authenticate {
            user: "User".into(),
            mic: Some([0; 16]),
            ..Authenticate::anonymous(0)
        };
        let mut msg = auth.to_vec();
        assert_eq!(msg.len(), auth.encoded_len());
        assert_eq!(u32::from_le_bytes(msg[16..20].try_into().unwrap()), 88);
        assert_eq!(field(&msg, 36), utf16le("User"));
        write_mic(&mut msg, &[7; 16]);
        assert_eq!(msg[MIC_RANGE], [7; 16]);
        assert_eq!(field(&msg, 36), utf16le("User"), "the payload is untouched");
    }
}
