//! The SMB 3.x key derivation ([MS-SMB2] 3.1.4.2): NIST SP800-108 in counter mode with
//! HMAC-SHA256 as the PRF, r = 32 and L = 128, so one round:
//! `HMAC-SHA256(Ki, i=1 (4 bytes BE) || Label || 0x00 || Context || L=128 (4 bytes BE))`,
//! the first 16 bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use smbaudit_wire::smb2::Dialect;
use zeroize::Zeroizing;

use super::PreauthHash;

/// "SMB2AESCMAC\0", the SigningKey label of 3.0 and 3.0.2.
const LABEL_30: &[u8] = b"SMB2AESCMAC\0";
/// "SmbSign\0", the SigningKey context of 3.0 and 3.0.2.
const CONTEXT_30: &[u8] = b"SmbSign\0";
/// "SMBSigningKey\0", the SigningKey label of 3.1.1 (the context is the preauth hash).
const LABEL_311: &[u8] = b"SMBSigningKey\0";

/// KDF(`key`, `label`, `context`) with L = 128. `label` and `context` include their
/// terminating NULs, as [MS-SMB2] 3.2.5.3.1 spells them.
pub fn smb3_kdf(key: &[u8; 16], label: &[u8], context: &[u8]) -> Zeroizing<[u8; 16]> {
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(&1u32.to_be_bytes());
    mac.update(label);
    mac.update(&[0]);
    mac.update(context);
    mac.update(&128u32.to_be_bytes());
    let mut digest: Zeroizing<[u8; 32]> = Zeroizing::new(mac.finalize().into_bytes().into());
    let mut out = Zeroizing::new([0; 16]);
    out.copy_from_slice(&digest[..16]);
    digest.fill(0);
    out
}

/// Session.SigningKey of a 3.x session ([MS-SMB2] 3.2.5.3.1); `preauth` is used on 3.1.1.
pub fn signing_key(
    dialect: Dialect,
    session_key: &[u8; 16],
    preauth: Option<&PreauthHash>,
) -> Zeroizing<[u8; 16]> {
    if dialect == Dialect::Smb311 {
        let zero = PreauthHash::new();
        let context = preauth.unwrap_or(&zero);
        smb3_kdf(session_key, LABEL_311, context.value())
    } else {
        smb3_kdf(session_key, LABEL_30, CONTEXT_30)
    }
}
