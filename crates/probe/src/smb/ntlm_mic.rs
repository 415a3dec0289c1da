//! The SPNEGO mechListMIC of an NTLM login ([MS-NLMP] 3.4.4.2 GSS_GetMIC with extended
//! session security, RFC 4178 5): a server that saw the NTLM MIC in our AUTHENTICATE
//! (Samba's "new SPNEGO") also wants the SPNEGO mechTypes signed, or it answers
//! STATUS_MORE_PROCESSING_REQUIRED and waits.
//!
//! - SignKey = MD5(ExportedSessionKey || "session key to client-to-server signing key magic constant\0")
//! - SealKey = MD5(ExportedSessionKey[..n] || "session key to client-to-server sealing key magic constant\0"),
//!   n = 16 with NEGOTIATE_128, 7 with NEGOTIATE_56, else 5 ([MS-NLMP] 3.4.5.3)
//! - signature = Version 1 || HMAC_MD5(SignKey, SeqNum || message)[..8] (RC4 under SealKey
//!   with KEY_EXCH) || SeqNum, SeqNum 0.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};
use smbaudit_wire::ntlm::flags;
use zeroize::Zeroizing;

const CLIENT_SIGNING: &[u8] = b"session key to client-to-server signing key magic constant\0";
const CLIENT_SEALING: &[u8] = b"session key to client-to-server sealing key magic constant\0";

/// The client's signing key.
fn sign_key(exported: &[u8; 16]) -> Zeroizing<[u8; 16]> {
    Zeroizing::new(
        Md5::new()
            .chain_update(exported)
            .chain_update(CLIENT_SIGNING)
            .finalize()
            .into(),
    )
}

/// The client's sealing key for the negotiated `flags`.
fn seal_key(exported: &[u8; 16], negotiated: u32) -> Zeroizing<[u8; 16]> {
    let n = if negotiated & flags::KEY_128 != 0 {
        16
    } else if negotiated & flags::KEY_56 != 0 {
        7
    } else {
        5
    };
    let digest = Md5::new()
        .chain_update(&exported[..n])
        .chain_update(CLIENT_SEALING)
        .finalize();
    Zeroizing::new(digest.into())
}

/// GSS_GetMIC of `message` as the client's first signed message (SeqNum 0), for a session
/// that `negotiated` these NegotiateFlags.
pub fn client_mic(exported: &[u8; 16], negotiated: u32, message: &[u8]) -> [u8; 16] {
    let seq = 0u32.to_le_bytes();
    let key = sign_key(exported);
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(&*key).unwrap_or_else(|_| unreachable!());
    mac.update(&seq);
    mac.update(message);
    let digest = mac.finalize().into_bytes();
    let mut checksum = [0u8; 8];
    checksum.copy_from_slice(&digest[..8]);
    if negotiated & flags::KEY_EXCH != 0 {
        let seal = seal_key(exported, negotiated);
        Rc4::<rc4::consts::U16>::new((&*seal).into()).apply_keystream(&mut checksum);
    }
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&1u32.to_le_bytes());
    out[4..12].copy_from_slice(&checksum);
    out[12..].copy_from_slice(&seq);
    out
}
