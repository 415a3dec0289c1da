//! NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1), the client's opening NTLM message.
//!
//! ```text
//!  0  Signature "NTLMSSP\0"        8
//!  8  MessageType = 1              4
//! 12  NegotiateFlags               4
//! 16  DomainNameFields             8  (all zero: no domain)
//! 24  WorkstationFields            8  (all zero: no workstation)
//! 32  Version                      8  (only when the VERSION flag is set)
//! ```

use super::{MESSAGE_TYPE_NEGOTIATE, SIGNATURE, Version, flags};

/// The flags the scanner requests, as [MS-NLMP] 3.1.5.1.1 has a client set them
/// (REQUEST_TARGET, NTLM, ALWAYS_SIGN, UNICODE, EXTENDED_SESSIONSECURITY) plus TARGET_INFO,
/// VERSION, 128 and 56 so the server volunteers its AV pairs and build.
///
/// OEM is set too, as Windows clients do (`0xe2088297`): a server that supports UNICODE
/// picks it and ignores OEM ([MS-NLMP] 3.2.5.1.1), while one that cannot (Windows 9x, some
/// embedded stacks) can still answer in OEM instead of failing; [`super::Challenge`] reads
/// either. SIGN, SEAL and KEY_EXCH are left out: no session key is ever used.
pub const SCANNER_NEGOTIATE_FLAGS: u32 = flags::UNICODE
    | flags::OEM
    | flags::REQUEST_TARGET
    | flags::NTLM
    | flags::ALWAYS_SIGN
    | flags::EXTENDED_SESSIONSECURITY
    | flags::TARGET_INFO
    | flags::VERSION
    | flags::KEY_128
    | flags::KEY_56;

/// The Version the scanner sends: 6.1.7601 (Windows 7 SP1), revision 0x0F, as common
/// clients do; "used for debugging purposes only" ([MS-NLMP] 2.2.2.10).
pub const SCANNER_VERSION: Version = Version {
    major: 6,
    minor: 1,
    build: 7601,
    revision: Version::NTLMSSP_REVISION_W2K3,
};

/// Length of the message without the Version field.
const LEN_WITHOUT_VERSION: usize = 32;

/// A NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1) with `flags`, no domain and no workstation, and
/// (when `flags` has VERSION) [`SCANNER_VERSION`] as its 8-byte Version field, as
/// [MS-NLMP] 3.1.5.1.1 requires. The empty DomainName and Workstation fields are all zero,
/// offsets included, byte-for-byte as Windows sends them.
pub fn negotiate_message(flags: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(LEN_WITHOUT_VERSION + Version::LEN);
    out.extend_from_slice(&SIGNATURE);
    out.extend_from_slice(&MESSAGE_TYPE_NEGOTIATE.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&[0; 8]); // DomainNameFields
    out.extend_from_slice(&[0; 8]); // WorkstationFields
    if flags & flags::VERSION != 0 {
        SCANNER_VERSION.encode(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_flags_value() {
        assert_eq!(SCANNER_NEGOTIATE_FLAGS, 0xa288_8207);
    }

    #[test]
    fn encodes_layout_byte_for_byte() {
        let msg = negotiate_message(SCANNER_NEGOTIATE_FLAGS);
        let expected: [u8; 40] = [
            b'N', b'T', b'L', b'M', b'S', b'S', b'P', 0, // Signature
            1, 0, 0, 0, // MessageType
            0x07, 0x82, 0x88, 0xa2, // NegotiateFlags
            0, 0, 0, 0, 0, 0, 0, 0, // DomainNameFields
            0, 0, 0, 0, 0, 0, 0, 0, // WorkstationFields
            6, 1, 0xb1, 0x1d, 0, 0, 0, 0x0f, // Version 6.1.7601, revision 15
        ];
        assert_eq!(msg, expected);
    }

    #[test]
    fn omits_version_without_the_flag() {
        let msg = negotiate_message(flags::UNICODE | flags::NTLM);
        assert_eq!(msg.len(), 32);
        assert_eq!(&msg[12..16], &[0x01, 0x02, 0, 0]);
        assert!(msg[16..].iter().all(|&b| b == 0));
    }

    #[test]
    fn matches_windows_10_negotiate_apart_from_flags_and_version() {
        // Windows 10 1511's NEGOTIATE, frame 43 of the arkime wireshark-smb-on-windows10 capture.
        let windows: [u8; 40] = [
            0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0x97, 0x82,
            0x08, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x5a, 0x29, 0x00, 0x00, 0x00, 0x0f,
        ];
        let ours = negotiate_message(0xe208_8297);
        assert_eq!(ours[..32], windows[..32]);
        assert_eq!(ours[36..], windows[36..]);
    }
}
