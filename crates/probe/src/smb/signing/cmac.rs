//! [MS-SMB2] 3.1.4.1 for dialects 3.0, 3.0.2 and 3.1.1 (unless GMAC is negotiated):
//! AES-128-CMAC ([RFC 4493]) under the derived signing key.

use aes::Aes128;
use cmac::{Cmac, Mac};
use zeroize::Zeroizing;

use super::{Signer, carries, write_signature, zeroed_signature};

/// Signs with AES-128-CMAC (3.0, 3.0.2, 3.1.1).
pub struct CmacSigner {
    key: Zeroizing<[u8; 16]>,
}

impl CmacSigner {
    /// A signer keyed by the session's derived SigningKey.
    pub fn new(signing_key: &[u8; 16]) -> Self {
        Self {
            key: Zeroizing::new(*signing_key),
        }
    }

    fn mac(&self, msg: &[u8]) -> Option<[u8; 16]> {
        let msg = zeroed_signature(msg)?;
        Some(aes_cmac(&self.key, &msg))
    }
}

/// AES-128-CMAC of `data` under `key`.
pub(super) fn aes_cmac(key: &[u8; 16], data: &[u8]) -> [u8; 16] {
    // A 16-byte key always fits AES-128: new_from_slice cannot fail.
    let mut mac = <Cmac<Aes128> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl Signer for CmacSigner {
    fn sign(&self, msg: &mut [u8]) {
        if let Some(mac) = self.mac(msg) {
            write_signature(msg, &mac);
        }
    }

    fn verify(&self, msg: &[u8]) -> bool {
        self.mac(msg).is_some_and(|mac| carries(msg, &mac))
    }
}
