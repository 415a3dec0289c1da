//! Unit tests for negotiate.rs.

use super::*;
use crate::smb1::header::flags;
use crate::test_util::unhex;

/// Windows 7 NT LM 0.12 response without extended security (ndpi smbv1.pcap, frame 2).
fn win7_response() -> Vec<u8> {
    unhex(
        "ff534d4272000000009853c0000000000000000000000000 0000fffe00004000
         11 0500 03 3200 0100 04110000 00000100 00000000 fce30100 40f49cd344b5d201 f000 08
         2c00 08ab1c2fe1ece6a9
         57004f0052004b00470052004f0055005000 0000 4a004f0048004e002d0050004300 0000",
    )
}

#[test]
fn encodes_request_byte_for_byte() {
    let msg = NegotiateRequest {
        dialects: &["NT LM 0.12", "SMB 2.002"],
    }
    .to_vec();
    let mut expected = vec![
        0xFF, b'S', b'M', b'B', 0x72, // Protocol, Command
        0, 0, 0, 0,    // Status
        0x18, // Flags: CASE_INSENSITIVE | CANONICALIZED_PATHS
        0x01, 0xC8, // Flags2: UNICODE | NT_STATUS | EXTENDED_SECURITY | LONG_NAMES
        0, 0, // PIDHigh
        0, 0, 0, 0, 0, 0, 0, 0, // SecurityFeatures
        0, 0, // Reserved
        0xFF, 0xFF, // TID
        0xFF, 0xFE, // PIDLow
        0, 0, // UID
        0, 0, // MID
        0, // WordCount
        23, 0, // ByteCount
    ];
    expected.extend_from_slice(b"\x02NT LM 0.12\0\x02SMB 2.002\0");
    assert_eq!(msg, expected);
}

#[test]
fn decodes_windows_7_challenge_response() {
    let NegotiateReply::Negotiated(r) = NegotiateReply::decode(&win7_response()).unwrap() else {
        panic!("expected a dialect");
    };
    assert_eq!(r.dialect_index, 5);
    assert_eq!(r.security_mode, 3);
    assert!(r.user_level() && r.challenge_response());
    assert!(!r.signing_enabled() && !r.signing_required());
    assert_eq!((r.max_mpx_count, r.max_number_vcs), (50, 1));
    assert_eq!((r.max_buffer_size, r.max_raw_size), (4356, 65536));
    assert_eq!(r.session_key, 0);
    assert_eq!(r.capabilities, 0x0001_E3FC);
    assert_eq!(r.system_time, Some(0x01D2_B544_D39C_F440));
    assert_eq!(r.server_time_zone, Some(240));
    assert_eq!(
        r.security,
        Smb1Security::Challenge {
            challenge: unhex("08ab1c2fe1ece6a9"),
            domain_name: Some("WORKGROUP".into()),
            server_name: Some("JOHN-PC".into()),
        }
    );
}

/// An extended-security response: ServerGUID then a blob.
fn extended_response(blob: &[u8], flags2: u16) -> Vec<u8> {
    let mut out = Vec::new();
    Header {
        command: command::NEGOTIATE,
        flags: flags::REPLY,
        flags2,
        ..Header::default()
    }
    .encode(&mut out);
    out.push(17);
    out.extend_from_slice(&0u16.to_le_bytes()); // DialectIndex
    out.push(0x0F); // SecurityMode
    out.extend_from_slice(&50u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&16644u32.to_le_bytes());
    out.extend_from_slice(&65536u32.to_le_bytes());
    out.extend_from_slice(&0x2933u32.to_le_bytes());
    out.extend_from_slice(&0x8000_F3FDu32.to_le_bytes());
    out.extend_from_slice(&0x01D3_BACF_0000_0000u64.to_le_bytes());
    out.extend_from_slice(&(-60i16).to_le_bytes());
    out.push(0); // ChallengeLength
    out.extend_from_slice(&((16 + blob.len()) as u16).to_le_bytes());
    out.extend_from_slice(b"ts41\x32\0\0\0\0\0\0\0\0\0\0\0");
    out.extend_from_slice(blob);
    out
}

#[test]
fn decodes_extended_security_response() {
    let msg = extended_response(&[0x60, 0x01, 0x00], 0xC801);
    let NegotiateReply::Negotiated(r) = NegotiateReply::decode(&msg).unwrap() else {
        panic!("expected a dialect");
    };
    assert!(r.signing_enabled() && r.signing_required());
    assert_eq!(r.server_time_zone, Some(-60));
    assert_eq!(
        r.security,
        Smb1Security::Extended {
            server_guid: *b"ts41\x32\0\0\0\0\0\0\0\0\0\0\0",
            security_blob: vec![0x60, 0x01, 0x00],
        }
    );
    let empty = extended_response(&[], 0xC801);
    assert!(matches!(
        NegotiateReply::decode(&empty),
        Ok(NegotiateReply::Negotiated(NegotiateResponse {
            security: Smb1Security::Extended { .. },
            ..
        }))
    ));
}

#[test]
fn decodes_no_common_dialect() {
    let mut msg = Vec::new();
    Header {
        command: command::NEGOTIATE,
        flags: flags::REPLY,
        ..Header::default()
    }
    .encode(&mut msg);
    msg.extend_from_slice(&[1, 0xFF, 0xFF, 0, 0]);
    assert!(matches!(
        NegotiateReply::decode(&msg),
        Ok(NegotiateReply::NoCommonDialect { header }) if header.command == 0x72
    ));
}

#[test]
fn reads_short_parameter_words_defensively() {
    // WordCount 12: fields up to Capabilities only; no time, no zone, no challenge.
    let mut msg = win7_response();
    msg[32] = 12;
    msg.drain(33 + 24..33 + 34);
    msg.splice(33 + 24..33 + 24, [0, 0]); // ByteCount 0
    msg.truncate(33 + 24 + 2);
    let NegotiateReply::Negotiated(r) = NegotiateReply::decode(&msg).unwrap() else {
        panic!("expected a dialect");
    };
    assert_eq!(r.capabilities, 0x0001_E3FC);
    assert_eq!((r.system_time, r.server_time_zone), (None, None));
    assert_eq!(
        r.security,
        Smb1Security::Challenge {
            challenge: vec![],
            domain_name: None,
            server_name: None
        }
    );
}

#[test]
fn rejects_other_layouts_statuses_and_truncation() {
    let mut lanman = win7_response();
    lanman[32] = 13;
    assert!(matches!(
        NegotiateReply::decode(&lanman),
        Err(ResponseError::Decode(DecodeError::Unexpected {
            value: 13,
            ..
        }))
    ));
    let mut error = win7_response();
    error[5..9].copy_from_slice(&0xC000_0002u32.to_le_bytes());
    assert!(matches!(
        NegotiateReply::decode(&error),
        Err(ResponseError::Status(0xC000_0002))
    ));
    let mut other = win7_response();
    other[4] = 0x73;
    assert!(NegotiateReply::decode(&other).is_err());
    let full = win7_response();
    // Cuts inside the header, words or ByteCount fail; cuts inside the strings only lose
    // the strings (checked by ByteCount first, so they fail too).
    for len in 0..full.len() {
        assert!(NegotiateReply::decode(&full[..len]).is_err(), "len {len}");
    }
    for seed in 0..=255u8 {
        let junk: Vec<u8> = full.iter().map(|b| b.wrapping_add(seed) ^ seed).collect();
        let _ = NegotiateReply::decode(&junk);
    }
}
