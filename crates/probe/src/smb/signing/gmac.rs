//! [MS-SMB2] 3.1.4.1 for 3.1.1 when SIGNING_CAPABILITIES selects AES-GMAC: AES-128-GCM with
//! the whole message as additional data and no plaintext. The 12-byte nonce is the
//! MessageId (8 bytes, little-endian) followed by a 4-byte little-endian field whose bit 0
//! is the role (1: the message is a server's response) and bit 1 is set on a CANCEL
//! request, so a request and its reply never share a nonce.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Key, Nonce};
use smbaudit_wire::smb2::{command, flags};
use zeroize::Zeroizing;

use super::{Signer, carries, write_signature, zeroed_signature};

/// Signs with AES-128-GMAC (3.1.1, negotiated).
pub struct GmacSigner {
    key: Zeroizing<[u8; 16]>,
}

impl GmacSigner {
    /// A signer keyed by the session's derived SigningKey.
    pub fn new(signing_key: &[u8; 16]) -> Self {
        Self {
            key: Zeroizing::new(*signing_key),
        }
    }

    fn mac(&self, msg: &[u8]) -> Option<[u8; 16]> {
        let nonce = nonce(msg)?;
        let msg = zeroed_signature(msg)?;
        Some(aes_gmac(&self.key, &nonce, &msg))
    }
}

/// The GMAC nonce of an SMB2 message: MessageId, then the role and cancel bits.
pub(super) fn nonce(msg: &[u8]) -> Option<[u8; 12]> {
    let message_id = msg.get(24..32)?;
    let header_flags = u32::from_le_bytes(msg.get(16..20)?.try_into().ok()?);
    let cmd = u16::from_le_bytes(msg.get(12..14)?.try_into().ok()?);
    let is_response = header_flags & flags::SERVER_TO_REDIR != 0;
    let mut bits = u32::from(is_response);
    if cmd == command::CANCEL && !is_response {
        bits |= 2;
    }
    let mut nonce = [0; 12];
    nonce[..8].copy_from_slice(message_id);
    nonce[8..].copy_from_slice(&bits.to_le_bytes());
    Some(nonce)
}

/// AES-128-GMAC: the GCM tag of `aad` with an empty plaintext.
pub(super) fn aes_gmac(key: &[u8; 16], nonce: &[u8; 12], aad: &[u8]) -> [u8; 16] {
    let cipher = Aes128Gcm::new(Key::<Aes128Gcm>::from_slice(key));
    // Encrypting nothing cannot exceed GCM's length limits (2^36 bytes); the AAD is one
    // SMB message, bounded by the connection's frame cap.
    cipher
        .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, &mut [])
        .map(Into::into)
        .unwrap_or([0; 16])
}

impl Signer for GmacSigner {
    fn sign(&self, msg: &mut [u8]) {
        if let Some(mac) = self.mac(msg) {
            write_signature(msg, &mac);
        }
    }

    fn verify(&self, msg: &[u8]) -> bool {
        self.mac(msg).is_some_and(|mac| carries(msg, &mac))
    }
}
