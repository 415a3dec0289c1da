//! The NTLM session key ([MS-NLMP] 3.1.5.1.2, 3.4.5.1): what the signing key of an
//! authenticated SMB session derives from.
//!
//! For NTLMv2 the KeyExchangeKey is the SessionBaseKey. With NEGOTIATE_KEY_EXCH the client
//! picks a random ExportedSessionKey and sends it RC4-encrypted under the KeyExchangeKey
//! (EncryptedRandomSessionKey); without it the ExportedSessionKey is the KeyExchangeKey.

use hmac::{Hmac, Mac};
use md5::Md5;
use rc4::{KeyInit, Rc4, StreamCipher};
use zeroize::Zeroizing;

use super::ntlmv2::Key16;

/// The keys one AUTHENTICATE settles.
#[derive(Debug)]
pub struct SessionKeys {
    /// ExportedSessionKey: the SMB session key.
    pub exported: Key16,
    /// EncryptedRandomSessionKey to send (empty without KEY_EXCH).
    pub encrypted: Vec<u8>,
}

/// The session keys from NTLMv2's `session_base_key`; `random` is the client's fresh
/// ExportedSessionKey, used only when `key_exch` (NEGOTIATE_KEY_EXCH was negotiated).
pub fn session_keys(
    session_base_key: &[u8; 16],
    key_exch: KeyExchange,
    random: &[u8; 16],
) -> SessionKeys {
    // [MS-NLMP] 3.4.5.1 KXKEY: for NTLMv2, KeyExchangeKey = SessionBaseKey.
    let key_exchange_key = Zeroizing::new(*session_base_key);
    match key_exch {
        KeyExchange::Negotiated => {
            let mut encrypted = *random;
            // A 16-byte key is within RC4's 1..=256 byte range: the cipher is sized for it.
            let mut rc4 = Rc4::<rc4::consts::U16>::new(key_exchange_key.as_ref().into());
            rc4.apply_keystream(&mut encrypted);
            SessionKeys {
                exported: Zeroizing::new(*random),
                encrypted: encrypted.to_vec(),
            }
        }
        KeyExchange::None => SessionKeys {
            exported: key_exchange_key,
            encrypted: Vec::new(),
        },
    }
}

/// Whether NEGOTIATE_KEY_EXCH is in force for the AUTHENTICATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchange {
    /// Both sides set NEGOTIATE_KEY_EXCH: a random key travels RC4-encrypted.
    Negotiated,
    /// The ExportedSessionKey is the KeyExchangeKey.
    None,
}

/// [MS-NLMP] 3.1.5.1.2: MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE_MESSAGE ||
/// CHALLENGE_MESSAGE || AUTHENTICATE_MESSAGE), the last with its MIC field zeroed.
pub fn mic(
    exported: &[u8; 16],
    negotiate: &[u8],
    challenge: &[u8],
    authenticate: &[u8],
) -> [u8; 16] {
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(exported).unwrap_or_else(|_| unreachable!());
    mac.update(negotiate);
    mac.update(challenge);
    mac.update(authenticate);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smb::ntlmv2::{response_key, v2_response};

    fn unhex(s: &str) -> Vec<u8> {
        crate::unhex(&s.split_whitespace().collect::<String>()).unwrap()
    }

    /// [MS-NLMP] 4.2.4 (NTLMv2 authentication): RandomSessionKey 55*16, and 4.2.4.2.3
    /// "Encrypted Session Key": c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e, RC4 of it
    /// under the KeyExchangeKey (= SessionBaseKey 8d e4 0c ca ..., 4.2.4.1.2).
    #[test]
    fn key_exchange_matches_ms_nlmp_4_2_4() {
        let key = response_key("Password", "User", "Domain");
        let target_info = unhex(
            "02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
             01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00",
        );
        let server_challenge = unhex("0123456789abcdef").try_into().unwrap();
        let r = v2_response(&key, server_challenge, [0xaa; 8], 0, &target_info);
        let keys = session_keys(&r.session_base_key, KeyExchange::Negotiated, &[0x55; 16]);
        assert_eq!(
            keys.encrypted,
            unhex("c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e")
        );
        assert_eq!(*keys.exported, [0x55; 16]);
    }

    #[test]
    fn without_key_exchange_the_session_key_is_the_session_base_key() {
        let keys = session_keys(&[9; 16], KeyExchange::None, &[0x55; 16]);
        assert_eq!(*keys.exported, [9; 16]);
        assert!(keys.encrypted.is_empty());
    }

    #[test]
    fn mic_covers_all_three_messages() {
        let a = mic(&[1; 16], b"neg", b"chal", b"auth");
        assert_ne!(a, mic(&[1; 16], b"neg", b"chal", b"auth!"));
        assert_ne!(a, mic(&[2; 16], b"neg", b"chal", b"auth"));
    }
}
