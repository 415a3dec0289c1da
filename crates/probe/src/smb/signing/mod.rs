//! The signing hook of a connection: once a session has keys, every SMB2 request is signed
//! and every signed reply checked ([MS-SMB2] 3.1.4.1), with the algorithm the dialect (and,
//! on 3.1.1, the SIGNING_CAPABILITIES context) selects:
//!
//! | dialect | key | MAC |
//! | --- | --- | --- |
//! | 2.0.2, 2.1 | the session key | HMAC-SHA256, first 16 bytes ([`HmacSha256Signer`]) |
//! | 3.0, 3.0.2 | KDF(session key, "SMB2AESCMAC\0", "SmbSign\0") | AES-128-CMAC ([`CmacSigner`]) |
//! | 3.1.1 | KDF(session key, "SMBSigningKey\0", preauth hash) | AES-128-CMAC, or AES-128-GMAC ([`GmacSigner`]) when negotiated |
//!
//! SMB1 signs with MD5 over the session key and the message ([`Smb1Signer`]).
//!
//! Every key lives in a [`zeroize::Zeroizing`] buffer and is wiped when the signer drops.

mod cmac;
mod gmac;
mod hmac_sha256;
mod kdf;
mod preauth;
mod smb1;
#[cfg(test)]
mod vectors;

pub use cmac::CmacSigner;
pub use gmac::GmacSigner;
pub use hmac_sha256::HmacSha256Signer;
pub use kdf::{signing_key, smb3_kdf};
pub use preauth::PreauthHash;
pub use smb1::{FIRST_SIGNED_REQUEST, SMB1_SIGNATURE, Smb1Signer};

use smbaudit_wire::smb2::{Dialect, signing_algorithm};

/// Where the 16-byte `Signature` sits in an SMB2 header ([MS-SMB2] 2.2.1).
pub const SIGNATURE: std::ops::Range<usize> = 48..64;

/// Signs and verifies whole SMB2 messages (header included, `Signature` at bytes 48..64).
pub trait Signer: Send {
    /// Writes the signature of `msg` into its header; the SIGNED flag is already set.
    fn sign(&self, msg: &mut [u8]);
    /// Whether the signature in `msg`'s header is right.
    fn verify(&self, msg: &[u8]) -> bool;
}

/// The signer a session on `dialect` uses, from its 16-byte session key; `algorithm` is the
/// SigningAlgorithmId the server picked in SIGNING_CAPABILITIES (3.1.1 only) and `preauth`
/// the session's preauth integrity hash (3.1.1 only; zeros stand in when it is missing,
/// which the server's signature then exposes).
pub fn signer_for(
    dialect: Dialect,
    algorithm: Option<u16>,
    session_key: &[u8; 16],
    preauth: Option<&PreauthHash>,
) -> Box<dyn Signer> {
    if dialect < Dialect::Smb300 {
        return Box::new(HmacSha256Signer::new(session_key));
    }
    let key = signing_key(dialect, session_key, preauth);
    match algorithm {
        Some(signing_algorithm::AES_GMAC) if dialect == Dialect::Smb311 => {
            Box::new(GmacSigner::new(&key))
        }
        _ => Box::new(CmacSigner::new(&key)),
    }
}

/// `msg` with its `Signature` field zeroed, as every algorithm MACs it; `None` when `msg`
/// is too short to hold an SMB2 header.
fn zeroed_signature(msg: &[u8]) -> Option<Vec<u8>> {
    let mut copy = msg.to_vec();
    copy.get_mut(SIGNATURE)?.fill(0);
    Some(copy)
}

/// Writes `mac` into `msg`'s `Signature` field (nothing when `msg` is too short).
fn write_signature(msg: &mut [u8], mac: &[u8; 16]) {
    if let Some(field) = msg.get_mut(SIGNATURE) {
        field.copy_from_slice(mac);
    }
}

/// Whether `msg` carries `mac` as its signature.
fn carries(msg: &[u8], mac: &[u8; 16]) -> bool {
    msg.get(SIGNATURE).is_some_and(|sig| sig == mac)
}
