//! Known-answer tests for the signing keys and MACs.
//!
//! Sources, cited at each vector:
//! - [BLOG]: Microsoft Open Specifications blog, "SMB 2 and SMB 3 security in Windows 10:
//!   the anatomy of signing and cryptographic keys" (2017-05-26), Appendix "Key derivation
//!   examples": the SMB 3.0 keys, and the SMB 3.1.1 first channel with every packet of its
//!   NEGOTIATE and SESSION_SETUP exchange, the preauth hash after each, and the signed final
//!   SESSION_SETUP response.
//! - [RFC 4493] section 4: AES-CMAC examples.
//! - [RFC 4231] section 4.2: HMAC-SHA-256 test case 1.
//! - [GCM]: McGrew and Viega, "The Galois/Counter Mode of Operation", appendix B, test
//!   case 1 (K = 0, IV = 0, no plaintext, no AAD): the GMAC of nothing.

use super::cmac::aes_cmac;
use super::gmac::{aes_gmac, nonce};
use super::*;
use smbaudit_wire::smb2::Dialect;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    crate::unhex(&s).expect("hex")
}

fn key16(s: &str) -> [u8; 16] {
    unhex(s).try_into().expect("16 bytes")
}

/// [BLOG] 3.1.1 first channel: NEGOTIATE request.
const NEG_REQ: &str =
    "FE534D4240000100000000000000800000000000000000000100000000000000FFFE000000000000
00000000000000000000000000000000000000000000000024000500000000003F000000ECD86F32
6276024F9F7752B89BB33F3A70000000020000000202100200030203110300000100260000000000
010020000100FA49E6578F1F3A9F4CD3E9CC14A67AA884B3D05844E0E5A118225C15887F32FF0000
0200060000000000020002000100";

/// [BLOG] NEGOTIATE response.
const NEG_RESP: &str =
    "FE534D4240000100000000000000010001000000000000000100000000000000FFFE000000000000
000000000000000000000000000000000000000000000000410001001103020039CBCAF329714942
BDCE5D60F09AB3FB2F000000000080000000800000008000D8DAE5ADCBAED00109094AB095AED001
80004001C00100006082013C06062B0601050502A08201303082012CA01A3018060A2B0601040182
3702021E060A2B06010401823702020AA282010C048201084E45474F455854530100000000000000
60000000700000007C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C4296B26E51
FD370471B235E15A50DAE15BD5489C87000000000000000060000000010000000000000000000000
5C33530DEAF90D4DB2EC4AE3786EC3084E45474F4558545303000000010000004000000098000000
7C7CC0FD06D6362D02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC3084000000058000000
3056A05430523027802530233121301F06035504031318546F6B656E205369676E696E6720507562
6C6963204B65793027802530233121301F06035504031318546F6B656E205369676E696E67205075
626C6963204B6579010026000000000001002000010060A3C3B95C3C7CCD51EC536648D9B3AC74C4
83CA5B65385A251117BEB30712E50000020004000000000001000200";

/// [BLOG] first SESSION_SETUP request (NTLM NEGOTIATE).
const SS_REQ1: &str =
    "FE534D4240000100000000000100800000000000000000000200000000000000FFFE000000000000
00000000000000000000000000000000000000000000000019000001010000000000000058004A00
0000000000000000604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A
04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000
000F";

/// [BLOG] first SESSION_SETUP response (MORE_PROCESSING_REQUIRED, the CHALLENGE).
const SS_RESP1: &str =
    "FE534D4240000100160000C00100010001000000000000000200000000000000FFFE000000000000
190000000010000000000000000000000000000000000000090000004800B300A181B03081ADA003
0A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038
00000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53
005500540033003100310002000C0053005500540033003100310001000C00530055005400330031
00310004000C0053005500540033003100310003000C0053005500540033003100310007000800A1
A1F5ADCBAED00100000000";

/// [BLOG] second SESSION_SETUP request (the AUTHENTICATE).
const SS_REQ2: &str =
    "FE534D4240000100000000000100800000000000000000000300000000000000FFFE000000000000
1900000000100000000000000000000000000000000000001900000101000000000000005800CF01
0000000000000000A18201CB308201C7A0030A0101A28201AA048201A64E544C4D53535000030000
001800180090000000EE00EE00A80000000C000C00580000001A001A0064000000120012007E0000
001000100096010000158288E2060380250000000FECAC77A5F385A8BF9C38C706EEEDDCD3530055
005400330031003100610064006D0069006E006900730074007200610074006F0072004400520049
0056004500520033003100310000000000000000000000000000000000000000000000000063078E
B639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223CC90F000000
0002000C0053005500540033003100310001000C0053005500540033003100310004000C00530055
00540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED001060004
00020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B
8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A00100000000000000000000000000000000000090016
0063006900660073002F005300550054003300310031000000000000000000000000003B9BDFF38F
5EE8F9663F11A0F4C03A78A31204100100000063775A9A5FD97F0600000000";

/// [BLOG] the final SESSION_SETUP response, signed (signature EBE146DA...1BC1).
const SS_RESP_FINAL: &str =
    "FE534D4240000100000000000100800009000000000000000300000000000000FFFE000000000000
1900000000100000EBE146DA120BA25FC3376A49DFE31BC10900000048001D00A11B3019A0030A01
00A3120410010000003B453CDC3524164200000000";

/// [BLOG] the session's preauth hash after the last SESSION_SETUP request.
const PREAUTH_FINAL: &str =
    "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97
51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01";

/// [BLOG] "Dialect 0x0300": SessionKey 0x7CD4... gives SigningKey 0x0B7E...
#[test]
fn kdf_derives_the_smb_3_0_signing_key_of_the_blog() {
    let session_key = key16("7CD451825D0450D235424E44BA6E78CC");
    let key = signing_key(Dialect::Smb300, &session_key, None);
    assert_eq!(*key, key16("0B7E9C5CAC36C0F6EA9AB275298CEDCE"));
    // [BLOG] ApplicationKey = KDF(SessionKey, "SMB2APP\0", "SmbRpc\0"), the same KDF.
    let app = smb3_kdf(&session_key, b"SMB2APP\0", b"SmbRpc\0");
    assert_eq!(*app, key16("BB23A4575AA26C721AF525AF15A87B4F"));
}

/// [BLOG] 3.1.1 first channel: the hash after each message, then the SigningKey.
#[test]
fn preauth_hash_chains_the_blog_exchange() {
    let mut connection = PreauthHash::new();
    connection.update(&unhex(NEG_REQ));
    assert_eq!(
        connection.value()[..8],
        unhex("DD94EFC5321BB618")[..],
        "after NEGOTIATE request"
    );
    connection.update(&unhex(NEG_RESP));
    assert_eq!(
        connection.value()[..],
        unhex(
            "324BFA92A4F3A190E466EBEA08D9C110DC88BFED758D9846ECC6F541CC1D02AE3C94A79F36011E99
             7E13F841B91B50957AD07B19C8E2539C0B23FDAE09D2C513"
        )[..],
        "after NEGOTIATE response"
    );
    let mut session = connection.clone();
    session.update(&unhex(SS_REQ1));
    assert_eq!(session.value()[..8], unhex("AC0B0F2B99862577")[..]);
    session.update(&unhex(SS_RESP1));
    assert_eq!(session.value()[..8], unhex("2729E3440DFDDD83")[..]);
    session.update(&unhex(SS_REQ2));
    assert_eq!(session.value()[..], unhex(PREAUTH_FINAL)[..]);

    let session_key = key16("270E1BA896585EEB7AF3472D3B4C75A7");
    let key = signing_key(Dialect::Smb311, &session_key, Some(&session));
    assert_eq!(*key, key16("73FE7A9A77BEF0BDE49C650D8CCB5F76"));
}

/// [BLOG] the final SESSION_SETUP response of the 3.1.1 exchange is signed with AES-CMAC
/// under that SigningKey: the signer verifies it, re-signs it to the same bytes, and
/// rejects it with one bit changed.
#[test]
fn cmac_signer_verifies_the_blog_final_session_setup_response() {
    let mut preauth = PreauthHash::new();
    for msg in [NEG_REQ, NEG_RESP, SS_REQ1, SS_RESP1, SS_REQ2] {
        preauth.update(&unhex(msg));
    }
    let session_key = key16("270E1BA896585EEB7AF3472D3B4C75A7");
    let signer = signer_for(Dialect::Smb311, None, &session_key, Some(&preauth));
    let msg = unhex(SS_RESP_FINAL);
    assert!(signer.verify(&msg));
    let mut resigned = msg.clone();
    resigned[48..64].fill(0);
    signer.sign(&mut resigned);
    assert_eq!(resigned, msg);
    let mut tampered = msg;
    tampered[70] ^= 1;
    assert!(!signer.verify(&tampered));
}

/// [RFC 4493] section 4, examples 1, 2 and 4.
#[test]
fn aes_cmac_matches_rfc_4493() {
    let key = key16("2b7e151628aed2a6abf7158809cf4f3c");
    assert_eq!(
        aes_cmac(&key, &[]),
        key16("bb1d6929e95937287fa37d129b756746")
    );
    let m = unhex(
        "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
         30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
    );
    assert_eq!(
        aes_cmac(&key, &m[..16]),
        key16("070a16b46b4d4144f79bdd9dd04a287c")
    );
    assert_eq!(
        aes_cmac(&key, &m),
        key16("51f0bebf7e3b9d92fc49741779363cfe")
    );
}

/// [RFC 4231] 4.2 test case 1 (key 0x0b * 20, "Hi There"): the HMAC-SHA256 signer keys
/// with 16 bytes, so this checks the primitive through the signer's own framing instead:
/// the signature is the first half of HMAC-SHA256(key, message with a zero signature).
#[test]
fn hmac_sha256_signer_signs_the_first_16_bytes_of_the_digest() {
    use hmac::{Hmac, Mac};
    let key = [0x0b; 16];
    let mut msg = unhex(SS_RESP_FINAL);
    let mut zeroed = msg.clone();
    zeroed[48..64].fill(0);
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(&zeroed);
    let digest = mac.finalize().into_bytes();
    let signer = signer_for(Dialect::Smb210, None, &key, None);
    signer.sign(&mut msg);
    assert_eq!(msg[48..64], digest[..16]);
    assert!(signer.verify(&msg));
    msg[64] ^= 0x80;
    assert!(!signer.verify(&msg));

    // [RFC 4231] 4.2 itself, for the HMAC-SHA256 primitive the signer is built on.
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&[0x0b; 20]).unwrap();
    mac.update(b"Hi There");
    assert_eq!(
        mac.finalize().into_bytes()[..],
        unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")[..]
    );
}

/// [GCM] test case 1: K = 0^128, IV = 0^96, no plaintext, no AAD: T = 58e2fcce...455a.
#[test]
fn aes_gmac_matches_the_gcm_spec_empty_vector() {
    assert_eq!(
        aes_gmac(&[0; 16], &[0; 12], &[]),
        key16("58e2fccefa7e3061367f1d57a4e7455a")
    );
}

/// [MS-SMB2] 3.1.4.1: the GMAC nonce is MessageId then the role and cancel bits; a request
/// and its response (same MessageId) get different nonces, hence different signatures.
#[test]
fn gmac_nonce_carries_message_id_role_and_cancel() {
    let mut msg = unhex(SS_RESP_FINAL); // MessageId 3, a response
    assert_eq!(nonce(&msg).unwrap(), *b"\x03\0\0\0\0\0\0\0\x01\0\0\0");
    msg[16] &= !1; // as a request
    assert_eq!(nonce(&msg).unwrap()[8..], [0, 0, 0, 0]);
    msg[12] = 0x0C; // CANCEL request
    assert_eq!(nonce(&msg).unwrap()[8..], [2, 0, 0, 0]);

    let key = [7; 16];
    let signer = signer_for(Dialect::Smb311, Some(2), &key, None);
    let mut request = unhex(SS_RESP_FINAL);
    request[16] &= !1;
    let mut response = unhex(SS_RESP_FINAL);
    signer.sign(&mut request);
    signer.sign(&mut response);
    assert!(signer.verify(&request) && signer.verify(&response));
    assert_ne!(request[48..64], response[48..64]);
}

#[test]
fn short_messages_are_neither_signed_nor_verified() {
    for signer in [
        signer_for(Dialect::Smb202, None, &[1; 16], None),
        signer_for(Dialect::Smb302, None, &[1; 16], None),
        signer_for(Dialect::Smb311, Some(2), &[1; 16], None),
    ] {
        let mut short = vec![0xFE; 40];
        signer.sign(&mut short);
        assert_eq!(short, vec![0xFE; 40]);
        assert!(!signer.verify(&short));
        assert!(!signer.verify(&[]));
    }
}
