//! [MS-SMB2] 3.2.5.2 / 3.2.5.3.1: the SMB 3.1.1 preauth integrity hash, SHA-512 chained
//! over the messages as sent and received: `H(i) = SHA-512(H(i-1) || message)`, from 64
//! zero bytes. The connection's value covers NEGOTIATE request and response; a session's
//! starts from it and adds each SESSION_SETUP request and response, except the final
//! (STATUS_SUCCESS) response, which is signed with the key derived from it.

use sha2::{Digest, Sha512};

/// A preauth integrity hash value.
#[derive(Clone, PartialEq, Eq)]
pub struct PreauthHash([u8; 64]);

impl std::fmt::Debug for PreauthHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PreauthHash({})", crate::hex(&self.0))
    }
}

impl Default for PreauthHash {
    fn default() -> Self {
        Self::new()
    }
}

impl PreauthHash {
    /// The starting value: 64 zero bytes.
    pub fn new() -> Self {
        Self([0; 64])
    }

    /// Chains one whole SMB2 message (header included) into the hash.
    pub fn update(&mut self, msg: &[u8]) {
        let mut h = Sha512::new();
        h.update(self.0);
        h.update(msg);
        self.0 = h.finalize().into();
    }

    /// The current value.
    pub fn value(&self) -> &[u8; 64] {
        &self.0
    }
}
