//! SMB2 TREE_CONNECT request ([MS-SMB2] 2.2.9) and response (2.2.10).
//!
//! ```text
//! request:  StructureSize = 9 (2), Flags (2), PathOffset (2), PathLength (2), Path (UTF-16LE)
//! response: StructureSize = 16 (2), ShareType (1), Reserved (1), ShareFlags (4),
//!           Capabilities (4), MaximalAccess (4)
//! ```
//!
//! A failed TREE_CONNECT is the 2.2.2 error response; its status is the answer
//! ([`crate::ResponseError::Status`]).

use super::header::{HEADER_LEN, Header, command};
use super::status;
use crate::{DecodeError, Encode, Reader, ResponseError};

const REQUEST_STRUCTURE_SIZE: u16 = 9;
const REQUEST_FIXED_LEN: usize = 8;
const RESPONSE_STRUCTURE_SIZE: u16 = 16;
/// CreditRequest of a TREE_CONNECT.
const TREE_CONNECT_CREDITS: u16 = 8;

/// [MS-SMB2] 2.2.10 `ShareType`.
pub mod share_type {
    /// A disk share.
    pub const DISK: u8 = 0x01;
    /// A named pipe share (IPC$).
    pub const PIPE: u8 = 0x02;
    /// A printer share.
    pub const PRINT: u8 = 0x03;
}

/// TREE_CONNECT request for `path` (`\\server\share`). A path longer than 32767 UTF-16
/// units is cut (PathLength is 16 bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeConnectRequest {
    /// `MessageId` (a connection stamps its own).
    pub message_id: u64,
    /// `SessionId` (a connection stamps its own).
    pub session_id: u64,
    /// `\\server\share`.
    pub path: String,
}

impl TreeConnectRequest {
    fn path_bytes(&self) -> Vec<u8> {
        let mut bytes = crate::ntlm::utf16le(&self.path);
        bytes.truncate(usize::from(u16::MAX) & !1);
        bytes
    }
}

impl Encode for TreeConnectRequest {
    fn encoded_len(&self) -> usize {
        HEADER_LEN + REQUEST_FIXED_LEN + self.path_bytes().len()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let path = self.path_bytes();
        Header::request(
            command::TREE_CONNECT,
            self.message_id,
            TREE_CONNECT_CREDITS,
            self.session_id,
        )
        .encode(out);
        out.extend_from_slice(&REQUEST_STRUCTURE_SIZE.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // Flags
        out.extend_from_slice(&((HEADER_LEN + REQUEST_FIXED_LEN) as u16).to_le_bytes());
        out.extend_from_slice(&u16::try_from(path.len()).unwrap_or(u16::MAX).to_le_bytes());
        out.extend_from_slice(&path);
    }
}

/// A successful TREE_CONNECT response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConnectResponse {
    /// The SMB2 header; `header.tree_id` is the share's TreeId.
    pub header: Header,
    /// [`share_type`].
    pub share_type: u8,
    /// `ShareFlags`.
    pub share_flags: u32,
    /// `Capabilities`.
    pub capabilities: u32,
    /// `MaximalAccess`: the most the session may do on the share (an access mask).
    pub maximal_access: u32,
}

impl TreeConnectResponse {
    /// Decodes a whole SMB2 message; a non-zero status is [`ResponseError::Status`].
    pub fn decode(msg: &[u8]) -> Result<Self, ResponseError> {
        let (header, body) = Header::decode(msg)?;
        if header.command != command::TREE_CONNECT {
            return Err(DecodeError::Unexpected {
                what: "SMB2 Command (TREE_CONNECT expected)",
                value: u32::from(header.command),
            }
            .into());
        }
        if header.status != status::SUCCESS {
            return Err(ResponseError::Status(header.status));
        }
        let mut r = Reader::with_offset(body, HEADER_LEN);
        let structure_size = r.u16_le("TREE_CONNECT StructureSize")?;
        if structure_size != RESPONSE_STRUCTURE_SIZE {
            return Err(DecodeError::Unexpected {
                what: "TREE_CONNECT StructureSize",
                value: u32::from(structure_size),
            }
            .into());
        }
        let share_type = r.u8("ShareType")?;
        r.u8("Reserved")?;
        Ok(Self {
            header,
            share_type,
            share_flags: r.u32_le("ShareFlags")?,
            capabilities: r.u32_le("Capabilities")?,
            maximal_access: r.u32_le("MaximalAccess")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_carries_the_path_after_the_fixed_part() {
        let msg = TreeConnectRequest {
            message_id: 3,
            session_id: 9,
            path: r"\\10.0.0.1\IPC$".into(),
        }
        .to_vec();
        assert_eq!(msg.len(), 64 + 8 + 2 * 15);
        assert_eq!(
            u16::from_le_bytes([msg[12], msg[13]]),
            command::TREE_CONNECT
        );
        assert_eq!(u16::from_le_bytes([msg[64], msg[65]]), 9);
        assert_eq!(u16::from_le_bytes([msg[68], msg[69]]), 72, "PathOffset");
        assert_eq!(u16::from_le_bytes([msg[70], msg[71]]), 30, "PathLength");
        assert_eq!(&msg[72..76], b"\\\0\\\0");
    }

    fn response(status: u32, body: &[u8]) -> Vec<u8> {
        let mut header = Header::request(command::TREE_CONNECT, 3, 1, 9);
        header.status = status;
        header.flags |= super::super::header::flags::SERVER_TO_REDIR;
        header.tree_id = Some(7);
        let mut msg = Vec::new();
        header.encode(&mut msg);
        msg.extend_from_slice(body);
        msg
    }

    #[test]
    fn decodes_success_and_reports_error_status() {
        let mut body = 16u16.to_le_bytes().to_vec();
        body.extend_from_slice(&[share_type::PIPE, 0]);
        body.extend_from_slice(&0x30u32.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&0x001f_01ffu32.to_le_bytes());
        let r = TreeConnectResponse::decode(&response(status::SUCCESS, &body)).unwrap();
        assert_eq!(
            (r.share_type, r.maximal_access),
            (share_type::PIPE, 0x001f_01ff)
        );
        assert_eq!(r.header.tree_id, Some(7));
        let denied = response(status::ACCESS_DENIED, &[9, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            TreeConnectResponse::decode(&denied),
            Err(ResponseError::Status(status::ACCESS_DENIED))
        );
        for cut in 0..body.len() {
            assert!(TreeConnectResponse::decode(&response(status::SUCCESS, &body[..cut])).is_err());
        }
    }
}
