//! SMB1 message signing ([MS-CIFS] 3.1.4.1, [MS-SMB] 3.1.4.1): once a session with a key
//! is set up, every message carries in its header's SecuritySignature the first 8 bytes of
//! MD5(key || message), computed with the SecuritySignature field holding the message's
//! sequence number (little-endian, zero-padded). The final SESSION_SETUP_ANDX response is
//! number 1; the client's next request 2, its response 3, and so on. With NTLMSSP the key
//! is the 16-byte session key alone.

use md5::{Digest, Md5};
use smbaudit_wire::smb1::flags2;
use zeroize::Zeroizing;

/// Where SecuritySignature sits in an SMB1 header.
pub const SMB1_SIGNATURE: std::ops::Range<usize> = 14..22;
/// Where Flags2 sits.
const FLAGS2: std::ops::Range<usize> = 10..12;

/// The sequence number of the first request after the final SESSION_SETUP_ANDX.
pub const FIRST_SIGNED_REQUEST: u32 = 2;

/// Signs and verifies SMB1 messages under one connection's signing key.
pub struct Smb1Signer {
    key: Zeroizing<[u8; 16]>,
}

impl std::fmt::Debug for Smb1Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Smb1Signer")
    }
}

impl Smb1Signer {
    /// A signer under the session key `key`.
    pub fn new(key: &[u8; 16]) -> Self {
        Self {
            key: Zeroizing::new(*key),
        }
    }

    /// The 8-byte MAC of `msg` as number `seq` (its SecuritySignature ignored); `None`
    /// when `msg` is shorter than an SMB1 header.
    fn mac(&self, msg: &[u8], seq: u32) -> Option<[u8; 8]> {
        let mut copy = msg.to_vec();
        let field = copy.get_mut(SMB1_SIGNATURE)?;
        field.fill(0);
        field[..4].copy_from_slice(&seq.to_le_bytes());
        let digest = Md5::new_with_prefix(*self.key)
            .chain_update(&copy)
            .finalize();
        let mut mac = [0; 8];
        mac.copy_from_slice(&digest[..8]);
        Some(mac)
    }

    /// Sets Flags2 SECURITY_SIGNATURE in `msg` and writes its signature as number `seq`.
    pub fn sign(&self, msg: &mut [u8], seq: u32) {
        if let Some(field) = msg.get_mut(FLAGS2) {
            let value = u16::from_le_bytes([field[0], field[1]]) | flags2::SIGNATURES;
            field.copy_from_slice(&value.to_le_bytes());
        }
        if let Some(mac) = self.mac(msg, seq) {
            msg[SMB1_SIGNATURE].copy_from_slice(&mac);
        }
    }

    /// Whether `msg` carries the signature of number `seq`.
    pub fn verify(&self, msg: &[u8], seq: u32) -> bool {
        self.mac(msg, seq)
            .is_some_and(|mac| msg.get(SMB1_SIGNATURE) == Some(&mac[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The MAC is MD5 over the key, then the message with its number in the signature
    /// field; another number or key does not verify. (Real Samba checks it in the lab:
    /// tests/it/smb1_auth.rs.)
    #[test]
    fn sign_then_verify_and_the_sequence_number_matters() {
        let signer = Smb1Signer::new(&[7; 16]);
        let mut msg = vec![0u8; 40];
        msg[..4].copy_from_slice(b"\xffSMB");
        signer.sign(&mut msg, 2);
        assert_ne!(msg[10] & 0x04, 0, "Flags2 SECURITY_SIGNATURE");
        assert!(signer.verify(&msg, 2));
        assert!(!signer.verify(&msg, 3), "another number");
        assert!(!Smb1Signer::new(&[8; 16]).verify(&msg, 2), "another key");
        let mut expected = msg.clone();
        expected[14..22].copy_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0]);
        let digest = Md5::new_with_prefix([7u8; 16])
            .chain_update(&expected)
            .finalize();
        assert_eq!(msg[14..22], digest[..8]);
        assert!(!signer.verify(&msg[..10], 2), "too short");
    }
}
