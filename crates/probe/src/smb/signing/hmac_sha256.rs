//! [MS-SMB2] 3.1.4.1 for dialects 2.0.2 and 2.1: HMAC-SHA256 under the session key, the
//! first 16 bytes of the digest.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{Signer, carries, write_signature, zeroed_signature};

/// Signs with HMAC-SHA256 (2.0.2 / 2.1).
pub struct HmacSha256Signer {
    key: Zeroizing<[u8; 16]>,
}

impl HmacSha256Signer {
    /// A signer keyed by the session key.
    pub fn new(session_key: &[u8; 16]) -> Self {
        Self {
            key: Zeroizing::new(*session_key),
        }
    }

    /// The signature of `msg` (its `Signature` field taken as zero); `None` if it is
    /// shorter than a header.
    fn mac(&self, msg: &[u8]) -> Option<[u8; 16]> {
        let msg = zeroed_signature(msg)?;
        // HMAC takes keys of any length: new_from_slice cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&*self.key).unwrap_or_else(|_| unreachable!());
        mac.update(&msg);
        let digest = mac.finalize().into_bytes();
        let mut out = [0; 16];
        out.copy_from_slice(digest.get(..16)?);
        Some(out)
    }
}

impl Signer for HmacSha256Signer {
    fn sign(&self, msg: &mut [u8]) {
        if let Some(mac) = self.mac(msg) {
            write_signature(msg, &mac);
        }
    }

    fn verify(&self, msg: &[u8]) -> bool {
        self.mac(msg).is_some_and(|mac| carries(msg, &mac))
    }
}
