//! Unit tests for negotiate.rs: request layout byte for byte, response decoding.

use super::*;
use crate::smb2::header::flags;

const GUID: [u8; 16] = [
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
];

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

#[test]
fn encodes_request_without_311_byte_for_byte() {
    let req = NegotiateRequest {
        dialects: &[Dialect::Smb202, Dialect::Smb210],
        client_guid: GUID,
        salt: [0; 32],
        netname: "ignored",
    };
    let bytes = req.to_vec();
    let mut expected = vec![
        0xFE, b'S', b'M', b'B', 64, 0, // ProtocolId, StructureSize
        0, 0, // CreditCharge
        0, 0, 0, 0, // ChannelSequence/Reserved
        0, 0, // Command NEGOTIATE
        1, 0, // CreditRequest
        0, 0, 0, 0, // Flags
        0, 0, 0, 0, // NextCommand
        0, 0, 0, 0, 0, 0, 0, 0, // MessageId 0
        0, 0, 0, 0, // Reserved
        0, 0, 0, 0, // TreeId
        0, 0, 0, 0, 0, 0, 0, 0, // SessionId
    ];
    expected.extend_from_slice(&[0; 16]); // Signature
    expected.extend_from_slice(&[
        36, 0, // StructureSize
        2, 0, // DialectCount
        1, 0, // SecurityMode: signing enabled
        0, 0, // Reserved
        0x7F, 0, 0, 0, // Capabilities DFS..ENCRYPTION
    ]);
    expected.extend_from_slice(&GUID);
    expected.extend_from_slice(&[0; 8]); // ClientStartTime
    expected.extend_from_slice(&[0x02, 0x02, 0x10, 0x02]);
    assert_eq!(bytes, expected);
}

#[test]
fn encodes_311_request_with_aligned_contexts() {
    let salt: [u8; 32] = std::array::from_fn(|i| i as u8);
    let req = NegotiateRequest {
        dialects: &Dialect::ALL,
        client_guid: GUID,
        salt,
        netname: "10.0.0.1",
    };
    let b = req.to_vec();
    assert_eq!(le16(&b, 64), 36);
    assert_eq!(le16(&b, 66), 5);
    // Dialects end at 64 + 36 + 10 = 110; contexts start at 112.
    assert_eq!(le32(&b, 100 - 8), 112, "NegotiateContextOffset");
    assert_eq!(le16(&b, 96), 7, "NegotiateContextCount");
    assert_eq!(le16(&b, 98), 0, "Reserved2");
    assert_eq!(b[100..110], [2, 2, 0x10, 2, 0, 3, 2, 3, 0x11, 3]);
    assert_eq!(b[110..112], [0, 0]);
    // PREAUTH at 112: type 1, length 38, reserved, count 1, salt length 32, SHA-512, salt.
    assert_eq!(b[112..126], [1, 0, 38, 0, 0, 0, 0, 0, 1, 0, 32, 0, 1, 0]);
    assert_eq!(b[126..158], salt);
    // 158 -> pad to 160: ENCRYPTION, length 10, 4 ciphers GCM, CCM, 256-GCM, 256-CCM.
    assert_eq!(b[158..160], [0, 0]);
    assert_eq!(
        b[160..178],
        [2, 0, 10, 0, 0, 0, 0, 0, 4, 0, 2, 0, 1, 0, 4, 0, 3, 0]
    );
    // 178 -> 184: COMPRESSION, length 18: count 5, padding, flags 0, 1..5.
    assert_eq!(
        b[184..210],
        [
            3, 0, 18, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0
        ]
    );
    // 210 -> 216: NETNAME, UTF-16 without terminator.
    assert_eq!(b[216..224], [5, 0, 16, 0, 0, 0, 0, 0]);
    assert_eq!(&b[224..240], b"1\x000\x00.\x000\x00.\x000\x00.\x001\x00");
    // 240: TRANSPORT flags 0.
    assert_eq!(b[240..252], [6, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // 252 -> 256: RDMA_TRANSFORM: count 2, reserved1, reserved2, encryption, signing.
    assert_eq!(
        b[256..276],
        [7, 0, 12, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0]
    );
    // 276 -> 280: SIGNING: count 3, GMAC, CMAC, HMAC-SHA256; nothing after it.
    assert_eq!(
        b[280..296],
        [8, 0, 8, 0, 0, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0]
    );
    assert_eq!(b.len(), 296);
}

#[test]
fn context_offset_follows_the_dialect_count() {
    for n in 1..=5 {
        let req = NegotiateRequest {
            dialects: &Dialect::ALL[5 - n..],
            client_guid: GUID,
            salt: [0; 32],
            netname: "",
        };
        let b = req.to_vec();
        let offset = le32(&b, 92) as usize;
        assert_eq!(offset % 8, 0);
        assert_eq!(offset, (100 + 2 * n).next_multiple_of(8));
        assert_eq!(le16(&b, offset), 1, "PREAUTH first");
        // An empty netname still yields a (zero-length) NETNAME context.
        let contexts = decode_context_list(&b, offset, le16(&b, 96)).unwrap();
        assert_eq!(contexts.len(), 7);
        assert_eq!(contexts[3].data, b"");
    }
}

/// A response body in the 2.2.4 layout, with `blob` at 128 and `contexts` after it.
fn response(status: u32, dialect: u16, blob: &[u8], contexts: &[NegotiateContext]) -> Vec<u8> {
    let mut out = Vec::new();
    Header {
        status,
        command: command::NEGOTIATE,
        credits: 1,
        flags: flags::SERVER_TO_REDIR,
        tree_id: Some(0),
        ..Header::default()
    }
    .encode(&mut out);
    out.extend_from_slice(&65u16.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes());
    out.extend_from_slice(&dialect.to_le_bytes());
    out.extend_from_slice(&(contexts.len() as u16).to_le_bytes());
    out.extend_from_slice(&GUID);
    out.extend_from_slice(&0x2Fu32.to_le_bytes());
    out.extend_from_slice(&0x80_0000u32.to_le_bytes());
    out.extend_from_slice(&0x80_0001u32.to_le_bytes());
    out.extend_from_slice(&0x80_0002u32.to_le_bytes());
    out.extend_from_slice(&0x01D5_F7B4_1234_5678u64.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&128u16.to_le_bytes());
    out.extend_from_slice(&(blob.len() as u16).to_le_bytes());
    let ctx_offset = (128 + blob.len()).next_multiple_of(8);
    let ctx_offset = if contexts.is_empty() { 0 } else { ctx_offset };
    out.extend_from_slice(&(ctx_offset as u32).to_le_bytes());
    out.extend_from_slice(blob);
    encode_context_list(contexts, &mut out);
    out
}

fn preauth() -> NegotiateContext {
    ContextData::PreauthIntegrity {
        hash_algorithms: vec![1],
        salt: vec![0x55; 32],
    }
    .to_context()
    .unwrap()
}

fn encryption(c: u16) -> NegotiateContext {
    ContextData::Encryption { ciphers: vec![c] }
        .to_context()
        .unwrap()
}

#[test]
fn decodes_311_response() {
    let blob = [0x60, 0x03, 0x01, 0x02, 0x03];
    let msg = response(0, 0x0311, &blob, &[preauth(), encryption(2)]);
    let r = NegotiateResponse::decode(&msg).unwrap();
    assert_eq!(r.header.credits, 1);
    assert_eq!(r.security_mode, 3);
    assert!(r.signing_enabled() && r.signing_required());
    assert_eq!(r.dialect, 0x0311);
    assert_eq!(r.server_guid, GUID);
    assert_eq!(r.capabilities, 0x2F);
    assert_eq!(
        (r.max_transact_size, r.max_read_size, r.max_write_size),
        (0x80_0000, 0x80_0001, 0x80_0002)
    );
    assert_eq!(r.system_time, 0x01D5_F7B4_1234_5678);
    assert_eq!(r.server_start_time, 0);
    assert_eq!(r.security_buffer, blob);
    assert_eq!(r.contexts, [preauth(), encryption(2)]);
    assert_eq!(r.cipher(), Some(2));
}

#[test]
fn ignores_contexts_below_311() {
    // A 3.0.2 response whose Reserved fields happen to be non-zero: no contexts read.
    let mut msg = response(0, 0x0302, &[], &[]);
    msg[64 + 6] = 5; // NegotiateContextCount/Reserved
    msg[64 + 60] = 0xFF; // NegotiateContextOffset/Reserved2
    let r = NegotiateResponse::decode(&msg).unwrap();
    assert!(r.contexts.is_empty());
    assert!(r.security_buffer.is_empty());
    assert_eq!(r.cipher(), None);
}

#[test]
fn reports_error_status() {
    // [MS-SMB2] 2.2.2 error response: StructureSize 9, ErrorContextCount, Reserved,
    // ByteCount 0, one byte of ErrorData.
    let mut msg = Vec::new();
    Header {
        status: 0xC000_00BB,
        flags: flags::SERVER_TO_REDIR,
        tree_id: Some(0),
        ..Header::default()
    }
    .encode(&mut msg);
    msg.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        NegotiateResponse::decode(&msg),
        Err(ResponseError::Status(0xC000_00BB))
    );
    assert_eq!(
        ResponseError::Status(0xC000_00BB).to_string(),
        "server answered status 0xc00000bb"
    );
}

#[test]
fn rejects_wrong_command_and_structure_size() {
    let mut msg = response(0, 0x0202, &[], &[]);
    msg[12] = 1;
    assert!(matches!(
        NegotiateResponse::decode(&msg),
        Err(ResponseError::Decode(DecodeError::Unexpected {
            value: 1,
            ..
        }))
    ));
    let mut msg = response(0, 0x0202, &[], &[]);
    msg[64] = 64;
    assert!(matches!(
        NegotiateResponse::decode(&msg),
        Err(ResponseError::Decode(DecodeError::Unexpected {
            value: 64,
            ..
        }))
    ));
}

#[test]
fn rejects_every_truncation() {
    let msg = response(
        0,
        0x0311,
        &[1, 2, 3, 4, 5, 6, 7, 8, 9],
        &[preauth(), encryption(1)],
    );
    assert!(NegotiateResponse::decode(&msg).is_ok());
    for len in 0..msg.len() {
        assert!(
            matches!(
                NegotiateResponse::decode(&msg[..len]),
                Err(ResponseError::Decode(DecodeError::Truncated { .. }))
            ),
            "len {len}"
        );
    }
}

#[test]
fn rejects_hostile_offsets_and_counts() {
    let base = response(0, 0x0311, &[1, 2], &[preauth()]);
    // SecurityBuffer past the end.
    let mut m = base.clone();
    m[64 + 56..64 + 58].copy_from_slice(&0xFFF0u16.to_le_bytes());
    assert!(NegotiateResponse::decode(&m).is_err());
    // SecurityBufferLength larger than the message.
    let mut m = base.clone();
    m[64 + 58..64 + 60].copy_from_slice(&0xFFFFu16.to_le_bytes());
    assert!(NegotiateResponse::decode(&m).is_err());
    // Context offset at u32::MAX.
    let mut m = base.clone();
    m[64 + 60..64 + 64].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(NegotiateResponse::decode(&m).is_err());
    // Context count 65535 with one context present.
    let mut m = base.clone();
    m[64 + 6..64 + 8].copy_from_slice(&u16::MAX.to_le_bytes());
    assert!(NegotiateResponse::decode(&m).is_err());
    // Garbage never panics.
    for seed in 0..=255u8 {
        let junk: Vec<u8> = base.iter().map(|b| b.wrapping_mul(seed) ^ seed).collect();
        let _ = NegotiateResponse::decode(&junk);
    }
}
