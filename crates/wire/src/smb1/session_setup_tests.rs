//! Unit tests for session_setup.rs.

use super::*;
use crate::smb1::header::flags;
use crate::text::to_utf16le;

fn utf16z(s: &str) -> Vec<u8> {
    let mut v = to_utf16le(s);
    v.extend_from_slice(&[0, 0]);
    v
}

#[test]
fn encodes_extended_request_byte_for_byte() {
    let msg = SessionSetupRequest {
        uid: 0x0800,
        mid: 3,
        security: SessionSecurity::Extended(&[0x60, 0x48, 0x06]),
    }
    .to_vec();
    let (h, _) = Header::decode(&msg).unwrap();
    assert_eq!(h.command, 0x73);
    assert_eq!(h.flags2, 0xC801);
    assert_eq!((h.tid, h.pid, h.uid, h.mid), (0xFFFF, 0xFEFF, 0x0800, 3));
    let mut expected = vec![
        12, // WordCount
        0xFF, 0, 0, 0, // AndX: none
        0x04, 0x41, // MaxBufferSize 16644
        10, 0, // MaxMpxCount
        1, 0, // VcNumber
        0, 0, 0, 0, // SessionKey
        3, 0, // SecurityBlobLength
        0, 0, 0, 0, // Reserved
        0xDC, 0, 0, 0x80, // Capabilities
        0, 0, // ByteCount, patched below
        0x60, 0x48, 0x06, // blob at 59..62
    ];
    // 62 is even: no pad.
    expected.extend_from_slice(&utf16z("Unix"));
    expected.extend_from_slice(&utf16z("smbaudit"));
    let byte_count = (expected.len() - 27) as u16;
    expected[25..27].copy_from_slice(&byte_count.to_le_bytes());
    assert_eq!(msg[32..], expected[..]);
    // An even blob length leaves the strings at an odd offset: one pad byte.
    let msg = SessionSetupRequest {
        uid: 0,
        mid: 1,
        security: SessionSecurity::Extended(&[1, 2]),
    }
    .to_vec();
    assert_eq!(msg[59..62], [1, 2, 0]);
    assert_eq!(msg[62..64], *b"U\0");
}

#[test]
fn encodes_anonymous_request_byte_for_byte() {
    let msg = SessionSetupRequest {
        uid: 0,
        mid: 7,
        security: SessionSecurity::Anonymous,
    }
    .to_vec();
    let (h, _) = Header::decode(&msg).unwrap();
    assert_eq!(h.flags2, 0xC001);
    assert_eq!((h.uid, h.mid), (0, 7));
    let mut expected = vec![
        13, // WordCount
        0xFF, 0, 0, 0, // AndX: none
        0x04, 0x41, // MaxBufferSize
        10, 0, // MaxMpxCount
        1, 0, // VcNumber
        0, 0, 0, 0, // SessionKey
        0, 0, // OEMPasswordLen
        0, 0, // UnicodePasswordLen
        0, 0, 0, 0, // Reserved
        0x44, 0, 0, 0, // Capabilities: NT_STATUS | UNICODE
        0, 0, // ByteCount
        0, // Pad: bytes start at odd offset 61
        0, 0, // AccountName ""
        0, 0, // PrimaryDomain ""
    ];
    expected.extend_from_slice(&utf16z("Unix"));
    expected.extend_from_slice(&utf16z("smbaudit"));
    let byte_count = (expected.len() - 29) as u16;
    expected[27..29].copy_from_slice(&byte_count.to_le_bytes());
    assert_eq!(msg[32..], expected[..]);
}

fn response(status: u32, flags2: u16, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Header {
        command: command::SESSION_SETUP_ANDX,
        status,
        flags: flags::REPLY,
        flags2,
        uid: 0x0800,
        ..Header::default()
    }
    .encode(&mut out);
    out.push((words.len() / 2) as u8);
    out.extend_from_slice(words);
    out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    out.extend_from_slice(bytes);
    out
}

#[test]
fn decodes_windows_7_null_session_response() {
    // ndpi smbv1.pcap frame 4: WordCount 3, pad, strings, last NUL cut to one byte.
    let mut bytes = vec![0];
    bytes.extend_from_slice(&utf16z("Windows 7 Ultimate 7601 Service Pack 1"));
    bytes.extend_from_slice(&utf16z("Windows 7 Ultimate 6.1"));
    bytes.extend_from_slice(&to_utf16le("WORKGROUP"));
    bytes.push(0);
    let msg = response(0, 0xC007, &[0xFF, 0, 0xB9, 0, 0, 0], &bytes);
    let r = SessionSetupResponse::decode(&msg).unwrap();
    assert_eq!(r.header.uid, 0x0800);
    assert!(!r.guest());
    assert!(r.security_blob.is_empty());
    assert_eq!(
        r.native_os.as_deref(),
        Some("Windows 7 Ultimate 7601 Service Pack 1")
    );
    assert_eq!(r.native_lanman.as_deref(), Some("Windows 7 Ultimate 6.1"));
    assert_eq!(r.primary_domain.as_deref(), Some("WORKGROUP"));
}

#[test]
fn decodes_extended_response_with_and_without_pad() {
    for blob_len in [5usize, 6] {
        let blob: Vec<u8> = (0..blob_len as u8).collect();
        let mut bytes = blob.clone();
        // bytes start at 32 + 1 + 8 + 2 = 43: odd + odd length = even, no pad.
        if (43 + blob_len) % 2 == 1 {
            bytes.push(0);
        }
        bytes.extend_from_slice(&utf16z("QTS"));
        bytes.extend_from_slice(&utf16z("Samba 4.4.16"));
        bytes.extend_from_slice(&utf16z("NAS"));
        let words = [0xFF, 0, 0, 0, 1, 0, blob_len as u8, 0];
        let msg = response(0xC000_0016, 0xC803, &words, &bytes);
        let r = SessionSetupResponse::decode(&msg).unwrap();
        assert!(r.guest());
        assert_eq!(r.security_blob, blob);
        assert_eq!(r.native_os.as_deref(), Some("QTS"));
        assert_eq!(r.native_lanman.as_deref(), Some("Samba 4.4.16"));
        assert_eq!(r.primary_domain.as_deref(), Some("NAS"));
    }
}

#[test]
fn decodes_oem_strings_and_missing_ones() {
    let msg = response(0, 0x4001, &[0xFF, 0, 0, 0, 0, 0], b"Unix\0Samba\0");
    let r = SessionSetupResponse::decode(&msg).unwrap();
    assert_eq!(r.native_os.as_deref(), Some("Unix"));
    assert_eq!(r.native_lanman.as_deref(), Some("Samba"));
    assert_eq!(r.primary_domain, None);
}

#[test]
fn decodes_error_response_without_fields() {
    let msg = response(0xC000_006D, 0xC801, &[], &[]);
    let r = SessionSetupResponse::decode(&msg).unwrap();
    assert_eq!(r.header.status, 0xC000_006D);
    assert_eq!((r.action, r.security_blob.len()), (0, 0));
    assert_eq!(
        (r.native_os, r.native_lanman, r.primary_domain),
        (None, None, None)
    );
}

#[test]
fn rejects_bad_word_counts_truncation_and_hostile_lengths() {
    let msg = response(0, 0xC801, &[0; 10], &[]);
    assert!(matches!(
        SessionSetupResponse::decode(&msg),
        Err(DecodeError::Unexpected { value: 5, .. })
    ));
    // SecurityBlobLength 0xFFFF with 2 bytes present.
    let msg = response(0, 0xC801, &[0xFF, 0, 0, 0, 0, 0, 0xFF, 0xFF], &[1, 2]);
    assert!(matches!(
        SessionSetupResponse::decode(&msg),
        Err(DecodeError::Truncated {
            what: "SecurityBlob",
            ..
        })
    ));
    let good = response(
        0,
        0xC801,
        &[0xFF, 0, 0, 0, 0, 0, 2, 0],
        &[1, 2, 0, b'A', 0, 0, 0],
    );
    assert!(SessionSetupResponse::decode(&good).is_ok());
    for len in 0..good.len() {
        assert!(
            SessionSetupResponse::decode(&good[..len]).is_err(),
            "len {len}"
        );
    }
    let mut negotiate = good.clone();
    negotiate[4] = 0x72;
    assert!(SessionSetupResponse::decode(&negotiate).is_err());
    for seed in 0..=255u8 {
        let junk: Vec<u8> = good.iter().map(|b| b.wrapping_mul(seed) ^ seed).collect();
        let _ = SessionSetupResponse::decode(&junk);
    }
}
