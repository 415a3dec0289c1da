//! The signing hook of a connection: once a session has keys, every SMB2 request is signed
//! and every signed reply checked ([MS-SMB2] 3.1.4.1). The algorithms (HMAC-SHA256,
//! AES-CMAC, AES-GMAC) come with authenticated sessions.

/// Signs and verifies whole SMB2 messages (header included, `Signature` at bytes 48..64).
pub trait Signer: Send {
    /// Writes the signature of `msg` into its header; the SIGNED flag is already set.
    fn sign(&self, msg: &mut [u8]);
    /// Whether the signature in `msg`'s header is right.
    fn verify(&self, msg: &[u8]) -> bool;
}
