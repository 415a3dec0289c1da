//! NTLMv2 responses ([MS-NLMP] 3.3.2) on RustCrypto's MD4, MD5 and HMAC.
//!
//! Secrets (the NT hash, the response key, the session base key) live in [`Zeroizing`]
//! buffers, wiped when dropped; the password itself is the caller's to wipe.

use hmac::{Hmac, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use smbaudit_wire::ntlm::utf16le;
use zeroize::Zeroizing;

type HmacMd5 = Hmac<Md5>;

/// A 16-byte secret.
pub type Key16 = Zeroizing<[u8; 16]>;

/// NTOWFv1: MD4 of the UTF-16LE password, the "NT hash".
pub fn nt_hash(password: &str) -> Key16 {
    let bytes = Zeroizing::new(utf16le(password));
    Zeroizing::new(Md4::digest(&*bytes).into())
}

/// HMAC-MD5 of the concatenated `parts` under `key`.
fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let mut mac = <HmacMd5 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// NTOWFv2 = ResponseKeyNT = ResponseKeyLM: HMAC-MD5 under the NT hash of the upper-cased
/// user name and the domain, both UTF-16LE ([MS-NLMP] 3.3.2).
pub fn response_key(password: &str, user: &str, domain: &str) -> Key16 {
    let hash = nt_hash(password);
    let identity = utf16le(&(user.to_uppercase() + domain));
    Zeroizing::new(hmac_md5(&*hash, &[&identity]))
}

/// What an NTLMv2 AUTHENTICATE carries, and the key both sides derive.
#[derive(Debug)]
pub struct V2Response {
    /// NtChallengeResponse: NTProofStr followed by the client's blob.
    pub nt_response: Vec<u8>,
    /// LmChallengeResponse: LMv2 (HMAC over both challenges) and the client challenge.
    pub lm_response: Vec<u8>,
    /// SessionBaseKey: HMAC-MD5 of NTProofStr under the response key.
    pub session_base_key: Key16,
}

/// The NTLMv2 responses to `server_challenge` with the client's `client_challenge`,
/// `time` (FILETIME) and the server's `target_info` AV pairs as received.
pub fn v2_response(
    key: &[u8; 16],
    server_challenge: [u8; 8],
    client_challenge: [u8; 8],
    time: u64,
    target_info: &[u8],
) -> V2Response {
    // temp = Responserversion, HiResponserversion, Z(6), Time, ClientChallenge, Z(4),
    // ServerName (the AV pairs), Z(4).
    let mut temp = Vec::with_capacity(28 + target_info.len() + 4);
    temp.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    temp.extend_from_slice(&time.to_le_bytes());
    temp.extend_from_slice(&client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(target_info);
    temp.extend_from_slice(&[0; 4]);
    let proof = hmac_md5(key, &[&server_challenge, &temp]);
    let mut nt_response = proof.to_vec();
    nt_response.extend_from_slice(&temp);
    let lm = hmac_md5(key, &[&server_challenge, &client_challenge]);
    let mut lm_response = lm.to_vec();
    lm_response.extend_from_slice(&client_challenge);
    V2Response {
        nt_response,
        lm_response,
        session_base_key: Zeroizing::new(hmac_md5(key, &[&proof])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// [MS-NLMP] 4.2.2.1.2: NTOWFv1("Password").
    #[test]
    fn nt_hash_of_the_ms_nlmp_password() {
        assert_eq!(
            nt_hash("Password").to_vec(),
            hex("a4 f4 9c 40 65 10 bd ca b6 82 4e e7 c3 0f d8 52")
        );
    }

    /// [MS-NLMP] 4.2.4: User "User", domain "Domain", password "Password", server
    /// challenge 0123456789abcdef, client challenge aa*8, time 0, AV pairs NetBIOS domain
    /// "Domain" and NetBIOS computer "Server".
    #[test]
    fn ntlmv2_matches_the_ms_nlmp_example() {
        let key = response_key("Password", "User", "Domain");
        assert_eq!(
            key.to_vec(),
            hex("0c 86 8a 40 3b fd 7a 93 a3 00 1e f2 2e f0 2e 3f"),
            "4.2.4.1.1 NTOWFv2"
        );
        let target_info = hex("02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
             01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00
             00 00 00 00");
        let r = v2_response(
            &key,
            hex("0123456789abcdef").try_into().unwrap(),
            [0xaa; 8],
            0,
            &target_info,
        );
        assert_eq!(
            r.lm_response,
            hex("86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa aa aa aa aa"),
            "4.2.4.2.1 LMv2"
        );
        assert_eq!(
            r.nt_response[..16],
            hex("68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c")[..],
            "4.2.4.2.2 NTProofStr"
        );
        assert_eq!(
            r.session_base_key.to_vec(),
            hex("8d e4 0c ca db c1 4a 82 f1 5c b0 ad 0d e9 5c a3"),
            "4.2.4.1.2 SessionBaseKey"
        );
    }
}
