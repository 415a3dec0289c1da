//! SMB2 SESSION_SETUP request ([MS-SMB2] 2.2.5) and response (2.2.6).

use super::header::{HEADER_LEN, Header, command};
use super::status;
use crate::field::put_len16_le;
use crate::reader::slice_at;
use crate::{DecodeError, Encode, Reader};

/// `StructureSize` of the SESSION_SETUP request body.
const REQUEST_STRUCTURE_SIZE: u16 = 25;
/// Bytes of the request body before the security buffer.
const REQUEST_FIXED_LEN: usize = 24;
/// `StructureSize` of the SESSION_SETUP response and of the error response (2.2.2).
const RESPONSE_STRUCTURE_SIZE: u16 = 9;
/// CreditRequest of our SESSION_SETUP: enough for a short conversation after it.
const SESSION_SETUP_CREDITS: u16 = 32;

/// [MS-SMB2] 2.2.6 `SessionFlags`.
pub mod session_flags {
    /// `SMB2_SESSION_FLAG_IS_GUEST`.
    pub const IS_GUEST: u16 = 0x0001;
    /// `SMB2_SESSION_FLAG_IS_NULL`: an anonymous session.
    pub const IS_NULL: u16 = 0x0002;
    /// `SMB2_SESSION_FLAG_ENCRYPT_DATA` (3.x).
    pub const ENCRYPT_DATA: u16 = 0x0004;
}

/// SESSION_SETUP request ([MS-SMB2] 2.2.5): SecurityMode 0x01, Capabilities DFS, no
/// previous session. A blob longer than 65535 bytes is cut (SecurityBufferLength is 16
/// bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupRequest<'a> {
    /// `MessageId` (a connection stamps its own).
    pub message_id: u64,
    /// `SessionId`: 0 for the first leg, then the one the server gave.
    pub session_id: u64,
    /// The security buffer (SPNEGO or raw NTLMSSP).
    pub security_blob: &'a [u8],
}

impl SessionSetupRequest<'_> {
    fn blob(&self) -> &[u8] {
        self.security_blob
            .get(..usize::from(u16::MAX))
            .unwrap_or(self.security_blob)
    }
}

impl Encode for SessionSetupRequest<'_> {
    fn encoded_len(&self) -> usize {
        HEADER_LEN + REQUEST_FIXED_LEN + self.blob().len()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let blob = self.blob();
        Header::request(
            command::SESSION_SETUP,
            self.message_id,
            SESSION_SETUP_CREDITS,
            self.session_id,
        )
        .encode(out);
        out.extend_from_slice(&REQUEST_STRUCTURE_SIZE.to_le_bytes());
        out.push(0); // Flags: not a binding request
        out.push(0x01); // SecurityMode: signing enabled
        out.extend_from_slice(&super::capabilities::DFS.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // Channel
        out.extend_from_slice(&((HEADER_LEN + REQUEST_FIXED_LEN) as u16).to_le_bytes());
        put_len16_le(out, blob.len());
        out.extend_from_slice(&0u64.to_le_bytes()); // PreviousSessionId
        out.extend_from_slice(blob);
    }
}

/// SESSION_SETUP response ([MS-SMB2] 2.2.6). Decodes both success/MORE_PROCESSING_REQUIRED
/// bodies (StructureSize 9 with a buffer) and error bodies (StructureSize 9, empty blob):
/// a failed leg's status and SessionId are the answer ([`crate::ResponseError`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSetupResponse {
    /// The SMB2 header; `header.status` tells success, another leg, or failure, and
    /// `header.session_id` is the id to use in later legs.
    pub header: Header,
    /// `SessionFlags` (see [`session_flags`]); 0 for an error response.
    pub session_flags: u16,
    /// The security buffer (SPNEGO NegTokenResp, raw NTLMSSP, or empty).
    pub security_buffer: Vec<u8>,
}

impl SessionSetupResponse {
    /// Decodes a whole SMB2 message. For STATUS_SUCCESS and
    /// STATUS_MORE_PROCESSING_REQUIRED the body is read as 2.2.6; for any other status as
    /// the 2.2.2 error response (`ErrorContextCount`, `Reserved`, `ByteCount`), which
    /// carries no session fields.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let (header, body) = Header::decode(msg)?;
        if header.command != command::SESSION_SETUP {
            return Err(DecodeError::Unexpected {
                what: "SMB2 Command (SESSION_SETUP expected)",
                value: u32::from(header.command),
            });
        }
        let mut r = Reader::with_offset(body, HEADER_LEN);
        let structure_size = r.u16_le("SESSION_SETUP StructureSize")?;
        if structure_size != RESPONSE_STRUCTURE_SIZE {
            return Err(DecodeError::Unexpected {
                what: "SESSION_SETUP StructureSize",
                value: u32::from(structure_size),
            });
        }
        if header.status != status::SUCCESS && header.status != status::MORE_PROCESSING_REQUIRED {
            r.u8("ErrorContextCount")?;
            r.u8("Reserved")?;
            r.u32_le("ByteCount")?;
            return Ok(Self {
                header,
                session_flags: 0,
                security_buffer: Vec::new(),
            });
        }
        let session_flags = r.u16_le("SessionFlags")?;
        let offset = usize::from(r.u16_le("SecurityBufferOffset")?);
        let len = usize::from(r.u16_le("SecurityBufferLength")?);
        let security_buffer = if len == 0 {
            Vec::new()
        } else {
            slice_at(msg, "SecurityBuffer", offset, len)?.to_vec()
        };
        Ok(Self {
            header,
            session_flags,
            security_buffer,
        })
    }

    /// The server made this a guest session.
    pub fn guest(&self) -> bool {
        self.session_flags & session_flags::IS_GUEST != 0
    }

    /// The server made this an anonymous (null) session.
    pub fn null_session(&self) -> bool {
        self.session_flags & session_flags::IS_NULL != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smb2::header::flags;

    #[test]
    fn encodes_request_byte_for_byte() {
        let msg = SessionSetupRequest {
            message_id: 1,
            session_id: 0,
            security_blob: &[0xA0, 0xA1, 0xA2],
        }
        .to_vec();
        assert_eq!(
            msg.len(),
            SessionSetupRequest {
                message_id: 1,
                session_id: 0,
                security_blob: &[0; 3]
            }
            .encoded_len()
        );
        assert_eq!(msg.len(), 64 + 24 + 3);
        let (h, body) = Header::decode(&msg).unwrap();
        assert_eq!(h.command, command::SESSION_SETUP);
        assert_eq!(h.message_id, 1);
        assert_eq!(h.session_id, 0);
        assert_eq!(h.credits, 32);
        assert_eq!(h.flags, 0);
        assert_eq!(
            body,
            [
                25, 0, // StructureSize
                0, // Flags
                1, // SecurityMode
                1, 0, 0, 0, // Capabilities DFS
                0, 0, 0, 0, // Channel
                88, 0, // SecurityBufferOffset
                3, 0, // SecurityBufferLength
                0, 0, 0, 0, 0, 0, 0, 0, // PreviousSessionId
                0xA0, 0xA1, 0xA2
            ]
        );
        let later = SessionSetupRequest {
            message_id: 2,
            session_id: 0x1234,
            security_blob: &[],
        }
        .to_vec();
        assert_eq!(Header::decode(&later).unwrap().0.session_id, 0x1234);
    }

    fn response(status: u32, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Header {
            status,
            command: command::SESSION_SETUP,
            flags: flags::SERVER_TO_REDIR,
            message_id: 1,
            tree_id: Some(0),
            session_id: 0x55,
            ..Header::default()
        }
        .encode(&mut out);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn decodes_more_processing_and_success() {
        let msg = response(0xC000_0016, &[9, 0, 0, 0, 72, 0, 2, 0, 0xA1, 0x05]);
        let r = SessionSetupResponse::decode(&msg).unwrap();
        assert_eq!(r.header.status, status::MORE_PROCESSING_REQUIRED);
        assert_eq!(r.header.session_id, 0x55);
        assert_eq!(r.security_buffer, [0xA1, 0x05]);
        assert!(!r.guest());
        let msg = response(0, &[9, 0, 1, 0, 0, 0, 0, 0]);
        let r = SessionSetupResponse::decode(&msg).unwrap();
        assert!(r.guest() && !r.null_session());
        assert!(r.security_buffer.is_empty());
    }

    #[test]
    fn decodes_error_body() {
        let msg = response(0xC000_006D, &[9, 0, 0, 0, 0, 0, 0, 0, 0]);
        let r = SessionSetupResponse::decode(&msg).unwrap();
        assert_eq!(r.header.status, status::LOGON_FAILURE);
        assert_eq!((r.session_flags, r.security_buffer.len()), (0, 0));
    }

    #[test]
    fn rejects_truncated_and_hostile_responses() {
        let msg = response(0xC000_0016, &[9, 0, 0, 0, 72, 0, 2, 0, 0xA1, 0x05]);
        for len in 0..msg.len() {
            assert!(
                SessionSetupResponse::decode(&msg[..len]).is_err(),
                "len {len}"
            );
        }
        let hostile = response(0, &[9, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(matches!(
            SessionSetupResponse::decode(&hostile),
            Err(DecodeError::Truncated {
                what: "SecurityBuffer",
                ..
            })
        ));
        let wrong_size = response(0, &[8, 0, 0, 0, 0, 0, 0, 0]);
        assert!(SessionSetupResponse::decode(&wrong_size).is_err());
        let mut wrong_cmd = msg.clone();
        wrong_cmd[12] = 0;
        assert!(SessionSetupResponse::decode(&wrong_cmd).is_err());
    }
}
