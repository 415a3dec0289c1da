//! Scripted SMB2 server messages for the socket-free tests of the connection and the suite.

use smbaudit_wire::nbss::{PacketType, Transport, encode_frame};
use smbaudit_wire::smb2::{Header, command, flags};

/// A response header for `command` with `status`, granting `credits`.
pub(crate) fn header(command: u16, status: u32, message_id: u64, credits: u16) -> Vec<u8> {
    let mut m = Vec::new();
    Header {
        status,
        command,
        credits,
        flags: flags::SERVER_TO_REDIR,
        message_id,
        tree_id: Some(0),
        ..Header::default()
    }
    .encode(&mut m);
    m
}

/// [MS-SMB2] 2.2.4: a NEGOTIATE response choosing `dialect`, no security buffer, no contexts.
pub(crate) fn negotiate_response(message_id: u64, dialect: u16) -> Vec<u8> {
    let mut m = header(command::NEGOTIATE, 0, message_id, 1);
    m.extend_from_slice(&65u16.to_le_bytes());
    m.extend_from_slice(&1u16.to_le_bytes()); // SecurityMode: SIGNING_ENABLED
    m.extend_from_slice(&dialect.to_le_bytes());
    m.extend_from_slice(&0u16.to_le_bytes()); // NegotiateContextCount
    m.extend_from_slice(&[0x5A; 16]); // ServerGuid
    m.extend_from_slice(&7u32.to_le_bytes()); // Capabilities
    for max in [8u32 << 20; 3] {
        m.extend_from_slice(&max.to_le_bytes());
    }
    m.extend_from_slice(&133_485_408_000_000_000u64.to_le_bytes()); // SystemTime
    m.extend_from_slice(&0u64.to_le_bytes()); // ServerStartTime
    m.extend_from_slice(&128u16.to_le_bytes()); // SecurityBufferOffset
    m.extend_from_slice(&0u16.to_le_bytes()); // SecurityBufferLength
    m.extend_from_slice(&0u32.to_le_bytes()); // NegotiateContextOffset
    m.push(0);
    m
}

/// [MS-SMB2] 2.2.2: an ERROR response with `status`.
pub(crate) fn error_response(command: u16, message_id: u64, status: u32) -> Vec<u8> {
    let mut m = header(command, status, message_id, 1);
    m.extend_from_slice(&9u16.to_le_bytes());
    m.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0]);
    m
}

/// `msg` in a session-message frame of `transport`.
pub(crate) fn framed(transport: Transport, msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(transport, PacketType::SESSION_MESSAGE, msg, &mut out).expect("small frame");
    out
}

/// A Windows 7 SMB1 NEGOTIATE response (non-extended security), its DialectIndex set to 0:
/// NT LM 0.12 of a one-dialect offer.
pub(crate) fn smb1_negotiate_response() -> Vec<u8> {
    let hex: String = "ff534d4272000000009853c0000000000000000000000000 0000fffe00004000
         11 0000 03 3200 0100 04110000 00000100 00000000 fce30100 40f49cd344b5d201 f000 08
         2c00 08ab1c2fe1ece6a9
         57004f0052004b00470052004f0055005000 0000 4a004f0048004e002d0050004300 0000"
        .split_whitespace()
        .collect();
    crate::unhex(&hex).expect("hex")
}

/// [MS-SMB2] 2.2.6 SESSION_SETUP response with `status`, `session_flags`, SessionId 0x11
/// and `blob` as its security buffer.
pub(crate) fn session_setup_response(
    message_id: u64,
    status: u32,
    session_flags: u16,
    blob: &[u8],
) -> Vec<u8> {
    let mut m = header(command::SESSION_SETUP, status, message_id, 1);
    m[40..48].copy_from_slice(&0x11u64.to_le_bytes()); // SessionId
    m.extend_from_slice(&9u16.to_le_bytes());
    m.extend_from_slice(&session_flags.to_le_bytes());
    m.extend_from_slice(&72u16.to_le_bytes()); // SecurityBufferOffset
    m.extend_from_slice(&u16::try_from(blob.len()).unwrap().to_le_bytes());
    m.extend_from_slice(blob);
    m
}

/// A raw NTLMSSP CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2) with no target name and no AV pairs
/// beyond MsvAvEOL.
pub(crate) fn ntlm_challenge() -> Vec<u8> {
    let mut c = b"NTLMSSP\0".to_vec();
    c.extend_from_slice(&2u32.to_le_bytes());
    c.extend_from_slice(&[0, 0, 0, 0, 48, 0, 0, 0]); // TargetNameFields: empty at 48
    c.extend_from_slice(&0x0080_8201u32.to_le_bytes()); // UNICODE, NTLM, TARGET_INFO
    c.extend_from_slice(&[0x11; 8]); // ServerChallenge
    c.extend_from_slice(&[0; 8]); // Reserved
    c.extend_from_slice(&[4, 0, 4, 0, 48, 0, 0, 0]); // TargetInfoFields
    c.extend_from_slice(&[0, 0, 0, 0]); // MsvAvEOL
    c
}

/// [MS-SMB2] 2.2.10 TREE_CONNECT response for a pipe share, or the error response.
pub(crate) fn tree_connect_response(message_id: u64, status: u32) -> Vec<u8> {
    if status != 0 {
        return error_response(command::TREE_CONNECT, message_id, status);
    }
    let mut m = header(command::TREE_CONNECT, 0, message_id, 1);
    m.extend_from_slice(&16u16.to_le_bytes());
    m.extend_from_slice(&[2, 0]); // ShareType PIPE
    m.extend_from_slice(&[0; 8]); // ShareFlags, Capabilities
    m.extend_from_slice(&0x001f_01ffu32.to_le_bytes()); // MaximalAccess
    m
}
