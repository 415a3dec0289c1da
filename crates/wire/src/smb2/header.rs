//! The SMB2 packet header ([MS-SMB2] 2.2.1), sync and async forms, and the protocol
//! identifier that tells SMB1, SMB2, encrypted and compressed messages apart.

use crate::{DecodeError, Reader};

/// `ProtocolId` of an SMB2 message: 0xFE 'S' 'M' 'B'.
pub const PROTOCOL_ID: [u8; 4] = [0xFE, b'S', b'M', b'B'];
/// `ProtocolId` of an SMB2 TRANSFORM_HEADER (encrypted message, [MS-SMB2] 2.2.41).
const TRANSFORM_PROTOCOL_ID: [u8; 4] = [0xFD, b'S', b'M', b'B'];
/// `ProtocolId` of an SMB2 COMPRESSION_TRANSFORM_HEADER ([MS-SMB2] 2.2.42).
const COMPRESSED_PROTOCOL_ID: [u8; 4] = [0xFC, b'S', b'M', b'B'];

/// Length of the SMB2 header; also its `StructureSize`.
pub const HEADER_LEN: usize = 64;

/// [MS-SMB2] 2.2.1 `Command` codes.
pub mod command {
    /// SMB2 NEGOTIATE.
    pub const NEGOTIATE: u16 = 0x0000;
    /// SMB2 SESSION_SETUP.
    pub const SESSION_SETUP: u16 = 0x0001;
    /// SMB2 LOGOFF.
    pub const LOGOFF: u16 = 0x0002;
    /// SMB2 TREE_CONNECT.
    pub const TREE_CONNECT: u16 = 0x0003;
    /// SMB2 TREE_DISCONNECT.
    pub const TREE_DISCONNECT: u16 = 0x0004;
    /// SMB2 CREATE.
    pub const CREATE: u16 = 0x0005;
    /// SMB2 CLOSE.
    pub const CLOSE: u16 = 0x0006;
    /// SMB2 FLUSH.
    pub const FLUSH: u16 = 0x0007;
    /// SMB2 READ.
    pub const READ: u16 = 0x0008;
    /// SMB2 WRITE.
    pub const WRITE: u16 = 0x0009;
    /// SMB2 LOCK.
    pub const LOCK: u16 = 0x000A;
    /// SMB2 IOCTL.
    pub const IOCTL: u16 = 0x000B;
    /// SMB2 CANCEL.
    pub const CANCEL: u16 = 0x000C;
    /// SMB2 ECHO.
    pub const ECHO: u16 = 0x000D;
    /// SMB2 QUERY_DIRECTORY.
    pub const QUERY_DIRECTORY: u16 = 0x000E;
    /// SMB2 CHANGE_NOTIFY.
    pub const CHANGE_NOTIFY: u16 = 0x000F;
    /// SMB2 QUERY_INFO.
    pub const QUERY_INFO: u16 = 0x0010;
    /// SMB2 SET_INFO.
    pub const SET_INFO: u16 = 0x0011;
    /// SMB2 OPLOCK_BREAK.
    pub const OPLOCK_BREAK: u16 = 0x0012;
}

/// [MS-SMB2] 2.2.1 `Flags` bits.
pub mod flags {
    /// `SMB2_FLAGS_SERVER_TO_REDIR`: the message is a response.
    pub const SERVER_TO_REDIR: u32 = 0x0000_0001;
    /// `SMB2_FLAGS_ASYNC_COMMAND`: the header is the async form (AsyncId, no TreeId).
    pub const ASYNC_COMMAND: u32 = 0x0000_0002;
    /// `SMB2_FLAGS_RELATED_OPERATIONS`: part of a related compound.
    pub const RELATED_OPERATIONS: u32 = 0x0000_0004;
    /// `SMB2_FLAGS_SIGNED`: the message is signed.
    pub const SIGNED: u32 = 0x0000_0008;
    /// `SMB2_FLAGS_PRIORITY_MASK` (3.1.1).
    pub const PRIORITY_MASK: u32 = 0x0000_0070;
    /// `SMB2_FLAGS_DFS_OPERATIONS`.
    pub const DFS_OPERATIONS: u32 = 0x1000_0000;
    /// `SMB2_FLAGS_REPLAY_OPERATION` (3.x).
    pub const REPLAY_OPERATION: u32 = 0x2000_0000;
}

/// The fixed 64-byte SMB2 header ([MS-SMB2] 2.2.1), sync or async form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// `CreditCharge`.
    pub credit_charge: u16,
    /// `Status` in responses; `ChannelSequence`/`Reserved` in requests.
    pub status: u32,
    /// `Command` (see [`command`]).
    pub command: u16,
    /// `CreditRequest` (requests) or `CreditResponse` (responses).
    pub credits: u16,
    /// `Flags` (see [`flags`]).
    pub flags: u32,
    /// `NextCommand`: offset of the next compounded message, 0 if none.
    pub next_command: u32,
    /// `MessageId`.
    pub message_id: u64,
    /// `AsyncId`, present when `flags` has [`flags::ASYNC_COMMAND`].
    pub async_id: Option<u64>,
    /// `TreeId`, present in the sync form (the 4 `Reserved` bytes before it are dropped).
    pub tree_id: Option<u32>,
    /// `SessionId`.
    pub session_id: u64,
    /// `Signature`.
    pub signature: [u8; 16],
}

impl Header {
    /// Decodes the header at the start of `msg` and returns it with the bytes after it
    /// (the body, and any compounded messages that follow).
    pub fn decode(msg: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let mut r = Reader::new(msg);
        let protocol_id = r.array::<4>("SMB2 ProtocolId")?;
        if protocol_id != PROTOCOL_ID {
            return Err(DecodeError::Unexpected {
                what: "SMB2 ProtocolId",
                value: u32::from_be_bytes(protocol_id),
            });
        }
        let structure_size = r.u16_le("SMB2 header StructureSize")?;
        if usize::from(structure_size) != HEADER_LEN {
            return Err(DecodeError::Unexpected {
                what: "SMB2 header StructureSize",
                value: u32::from(structure_size),
            });
        }
        let credit_charge = r.u16_le("SMB2 CreditCharge")?;
        let status = r.u32_le("SMB2 Status")?;
        let command = r.u16_le("SMB2 Command")?;
        let credits = r.u16_le("SMB2 CreditRequest/CreditResponse")?;
        let flags = r.u32_le("SMB2 Flags")?;
        let next_command = r.u32_le("SMB2 NextCommand")?;
        let message_id = r.u64_le("SMB2 MessageId")?;
        let (async_id, tree_id) = if flags & flags::ASYNC_COMMAND != 0 {
            (Some(r.u64_le("SMB2 AsyncId")?), None)
        } else {
            r.u32_le("SMB2 Reserved")?;
            (None, Some(r.u32_le("SMB2 TreeId")?))
        };
        let session_id = r.u64_le("SMB2 SessionId")?;
        let signature = r.array::<16>("SMB2 Signature")?;
        let header = Self {
            credit_charge,
            status,
            command,
            credits,
            flags,
            next_command,
            message_id,
            async_id,
            tree_id,
            session_id,
            signature,
        };
        Ok((header, r.peek_rest()))
    }

    /// Appends the 64 header bytes to `out`. With `async_id` set the async form is written
    /// (set [`flags::ASYNC_COMMAND`] to match); otherwise `Reserved` is 0 and `TreeId` is
    /// `tree_id` or 0.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&PROTOCOL_ID);
        out.extend_from_slice(&64u16.to_le_bytes());
        out.extend_from_slice(&self.credit_charge.to_le_bytes());
        out.extend_from_slice(&self.status.to_le_bytes());
        out.extend_from_slice(&self.command.to_le_bytes());
        out.extend_from_slice(&self.credits.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.next_command.to_le_bytes());
        out.extend_from_slice(&self.message_id.to_le_bytes());
        match self.async_id {
            Some(async_id) => out.extend_from_slice(&async_id.to_le_bytes()),
            None => {
                out.extend_from_slice(&0u32.to_le_bytes());
                out.extend_from_slice(&self.tree_id.unwrap_or(0).to_le_bytes());
            }
        }
        out.extend_from_slice(&self.session_id.to_le_bytes());
        out.extend_from_slice(&self.signature);
    }

    /// A sync request header for `command` with `message_id`: no flags, TreeId 0,
    /// CreditCharge 0 (valid for every dialect: [MS-SMB2] 3.3.5.2.5 treats 0 as 1 on
    /// multi-credit connections, and 2.0.2 requires 0).
    pub(crate) fn request(command: u16, message_id: u64, credits: u16, session_id: u64) -> Self {
        Self {
            command,
            credits,
            message_id,
            tree_id: Some(0),
            session_id,
            ..Self::default()
        }
    }
}

/// What kind of message a received SMB message is, from its first 4 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// 0xFF 'SMB': SMB1.
    Smb1,
    /// 0xFE 'SMB': SMB2/3.
    Smb2,
    /// 0xFD 'SMB': an encrypted SMB2 message (TRANSFORM_HEADER).
    Transform,
    /// 0xFC 'SMB': a compressed SMB2 message (COMPRESSION_TRANSFORM_HEADER).
    Compressed,
    /// Anything else, kept verbatim.
    Unknown([u8; 4]),
}

/// What kind of message `msg` is, from its first 4 bytes.
pub fn protocol_of(msg: &[u8]) -> Result<Protocol, DecodeError> {
    let id = Reader::new(msg).array::<4>("SMB ProtocolId")?;
    Ok(match id {
        crate::smb1::PROTOCOL_ID => Protocol::Smb1,
        PROTOCOL_ID => Protocol::Smb2,
        TRANSFORM_PROTOCOL_ID => Protocol::Transform,
        COMPRESSED_PROTOCOL_ID => Protocol::Compressed,
        other => Protocol::Unknown(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [MS-SMB2] 2.2.1.2 sync header, field by field.
    const SYNC: [u8; 64] = [
        0xFE, b'S', b'M', b'B', // ProtocolId
        0x40, 0x00, // StructureSize 64
        0x01, 0x00, // CreditCharge 1
        0x16, 0x00, 0x00, 0xC0, // Status MORE_PROCESSING_REQUIRED
        0x01, 0x00, // Command SESSION_SETUP
        0x21, 0x00, // CreditResponse 33
        0x01, 0x00, 0x00, 0x00, // Flags SERVER_TO_REDIR
        0x00, 0x00, 0x00, 0x00, // NextCommand
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // MessageId 2
        0x00, 0x00, 0x00, 0x00, // Reserved
        0x05, 0x00, 0x00, 0x00, // TreeId 5
        0x15, 0x00, 0x00, 0x08, 0x00, 0xD4, 0x00, 0x00, // SessionId
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, // Signature
    ];

    fn sync_header() -> Header {
        Header {
            credit_charge: 1,
            status: 0xC000_0016,
            command: command::SESSION_SETUP,
            credits: 33,
            flags: flags::SERVER_TO_REDIR,
            next_command: 0,
            message_id: 2,
            async_id: None,
            tree_id: Some(5),
            session_id: 0x0000_D400_0800_0015,
            signature: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
        }
    }

    #[test]
    fn decodes_sync_header_and_returns_body() {
        let mut msg = SYNC.to_vec();
        msg.extend_from_slice(&[9, 0]);
        let (h, body) = Header::decode(&msg).unwrap();
        assert_eq!(h, sync_header());
        assert_eq!(body, [9, 0]);
    }

    #[test]
    fn encodes_sync_header_byte_for_byte() {
        let mut out = Vec::new();
        sync_header().encode(&mut out);
        assert_eq!(out, SYNC);
    }

    #[test]
    fn roundtrips_async_header() {
        let h = Header {
            flags: flags::SERVER_TO_REDIR | flags::ASYNC_COMMAND,
            status: 0x103,
            async_id: Some(0x1122_3344_5566_7788),
            tree_id: None,
            ..sync_header()
        };
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(out.len(), HEADER_LEN);
        assert_eq!(out[32..40], 0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(Header::decode(&out).unwrap(), (h, &[][..]));
    }

    #[test]
    fn rejects_truncated_and_foreign_headers() {
        for len in 0..HEADER_LEN {
            assert!(
                matches!(
                    Header::decode(&SYNC[..len]),
                    Err(DecodeError::Truncated { .. })
                ),
                "len {len}"
            );
        }
        let mut smb1 = SYNC;
        smb1[0] = 0xFF;
        assert_eq!(
            Header::decode(&smb1).unwrap_err(),
            DecodeError::Unexpected {
                what: "SMB2 ProtocolId",
                value: 0xFF53_4D42
            }
        );
        let mut bad_size = SYNC;
        bad_size[4] = 65;
        assert!(matches!(
            Header::decode(&bad_size),
            Err(DecodeError::Unexpected { value: 65, .. })
        ));
    }

    #[test]
    fn tells_protocols_apart() {
        assert_eq!(protocol_of(b"\xFFSMBr").unwrap(), Protocol::Smb1);
        assert_eq!(protocol_of(&SYNC).unwrap(), Protocol::Smb2);
        assert_eq!(protocol_of(b"\xFDSMB").unwrap(), Protocol::Transform);
        assert_eq!(protocol_of(b"\xFCSMB").unwrap(), Protocol::Compressed);
        assert_eq!(
            protocol_of(b"HTTP/1.1").unwrap(),
            Protocol::Unknown(*b"HTTP")
        );
        assert!(protocol_of(b"\xFESM").is_err());
    }
}
