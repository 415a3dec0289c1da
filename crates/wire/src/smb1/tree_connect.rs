//! SMB_COM_TREE_CONNECT_ANDX with `TREE_CONNECT_ANDX_EXTENDED_RESPONSE` ([MS-SMB] 2.2.4.7):
//! the request for a share, and the response whose extended form carries the share's
//! `MaximalShareAccessRights` and `GuestMaximalShareAccessRights`.

use super::body::{Body, bytes_offset, put_request};
use super::header::{Header, command, flags2};
use super::strings::{StringReader, put_string};
use crate::codec::measured_len;
use crate::{Encode, ResponseError};

/// `TREE_CONNECT_ANDX_EXTENDED_RESPONSE` ([MS-SMB] 2.2.4.7.1 Flags).
pub const TREE_CONNECT_ANDX_EXTENDED_RESPONSE: u16 = 0x0008;
/// Flags2 of the share conversation's requests whose strings may be any name: Unicode.
pub(crate) const UNICODE_FLAGS2: u16 = flags2::LONG_NAMES | flags2::NT_STATUS | flags2::UNICODE;

/// TREE_CONNECT_ANDX to `path` (`\\server\share`, Unicode), service `?????`, an empty
/// password, asking for the extended response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeConnectExtendedRequest {
    /// `UID` of the session.
    pub uid: u16,
    /// `MID`.
    pub mid: u16,
    /// `\\server\share`.
    pub path: String,
}

impl Encode for TreeConnectExtendedRequest {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let header = Header::request(
            command::TREE_CONNECT_ANDX,
            UNICODE_FLAGS2,
            self.uid,
            self.mid,
        );
        let mut words = vec![command::NO_ANDX_COMMAND, 0, 0, 0];
        words.extend_from_slice(&TREE_CONNECT_ANDX_EXTENDED_RESPONSE.to_le_bytes());
        words.extend_from_slice(&1u16.to_le_bytes()); // PasswordLength
        // Password (one zero byte) leaves the path at an even offset from the header.
        let mut bytes = vec![0u8];
        debug_assert_eq!((bytes_offset(words.len()) + bytes.len()) % 2, 0);
        put_string(&mut bytes, &self.path, true);
        bytes.extend_from_slice(b"?????\0"); // Service: always OEM
        put_request(out, &header, &words, &bytes);
    }
}

/// A TREE_CONNECT_ANDX response ([MS-CIFS] 2.2.4.55.2, [MS-SMB] 2.2.4.7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeConnectAndxResponse {
    /// The SMB1 header: its `tid` names the tree from now on.
    pub header: Header,
    /// `OptionalSupport`.
    pub optional_support: u16,
    /// `MaximalShareAccessRights` (extended response only, WordCount 7).
    pub maximal_share_access: Option<u32>,
    /// `GuestMaximalShareAccessRights` (extended response only).
    pub guest_maximal_share_access: Option<u32>,
    /// `Service`: "A:" disk, "LPT1:" printer, "IPC", "COMM"; `None` if absent.
    pub service: Option<String>,
}

impl TreeConnectAndxResponse {
    /// Decodes WordCount 3 (plain) and 7 (extended); a non-zero status is
    /// [`ResponseError::Status`].
    pub fn decode(msg: &[u8]) -> Result<Self, ResponseError> {
        let body = Body::decode(
            msg,
            command::TREE_CONNECT_ANDX,
            "SMB1 Command (TREE_CONNECT_ANDX expected)",
            &[],
        )?;
        let extended = match body.word_count {
            3 => false,
            7 => true,
            other => {
                return Err(crate::DecodeError::Unexpected {
                    what: "TREE_CONNECT_ANDX WordCount",
                    value: u32::from(other),
                }
                .into());
            }
        };
        let mut w = body.words.clone();
        w.take("AndX", 4)?;
        let optional_support = w.u16_le("OptionalSupport")?;
        let (maximal_share_access, guest_maximal_share_access) = if extended {
            (
                Some(w.u32_le("MaximalShareAccessRights")?),
                Some(w.u32_le("GuestMaximalShareAccessRights")?),
            )
        } else {
            (None, None)
        };
        let (bytes, offset) = body.bytes()?;
        let service = StringReader::new(bytes, offset, 0, false).next_string();
        Ok(Self {
            header: body.header,
            optional_support,
            maximal_share_access,
            guest_maximal_share_access,
            service,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex;

    #[test]
    fn request_asks_for_the_extended_response_with_a_unicode_path() {
        let msg = TreeConnectExtendedRequest {
            uid: 0x64,
            mid: 7,
            path: r"\\h\pub".into(),
        }
        .to_vec();
        let (h, _) = Header::decode(&msg).unwrap();
        assert_eq!((h.command, h.uid, h.mid, h.tid), (0x75, 0x64, 7, 0xFFFF));
        assert!(h.unicode());
        assert_eq!(msg[32], 4, "WordCount");
        assert_eq!(&msg[37..41], &[8, 0, 1, 0], "Flags, PasswordLength");
        let byte_count = usize::from(u16::from_le_bytes([msg[41], msg[42]]));
        assert_eq!(byte_count, msg.len() - 43);
        assert_eq!(msg[43], 0, "password");
        assert_eq!(&msg[44..46], b"\\\0", "path at an even offset");
        assert!(msg.ends_with(b"p\0u\0b\0\0\0?????\0"));
    }

    /// An extended answer laid out as [MS-SMB] 2.2.4.7.2 gives it (the mask is the one
    /// Samba grants a guest on a read-only share), then the plain one and a refusal.
    #[test]
    fn decodes_the_extended_response() {
        let mut msg = unhex("ff534d4275000000008803c00000000000000000000000000c94feff64000700");
        msg.extend_from_slice(&[7, 0xFF, 0, 0, 0, 1, 0]);
        msg.extend_from_slice(&0x0012_00a9u32.to_le_bytes());
        msg.extend_from_slice(&0u32.to_le_bytes());
        msg.extend_from_slice(&[3, 0]);
        msg.extend_from_slice(b"A:\0");
        let resp = TreeConnectAndxResponse::decode(&msg).unwrap();
        assert_eq!(resp.header.tid, 0x940c);
        assert_eq!(resp.optional_support, 1);
        assert_eq!(resp.maximal_share_access, Some(0x0012_00a9));
        assert_eq!(resp.guest_maximal_share_access, Some(0));
        assert_eq!(resp.service.as_deref(), Some("A:"));
        for len in 0..msg.len() - 3 {
            assert!(
                TreeConnectAndxResponse::decode(&msg[..len]).is_err(),
                "len {len}"
            );
        }
        let mut plain = msg[..32].to_vec();
        plain.extend_from_slice(&[3, 0xFF, 0, 0, 0, 1, 0, 4, 0]);
        plain.extend_from_slice(b"IPC\0");
        let resp = TreeConnectAndxResponse::decode(&plain).unwrap();
        assert_eq!(resp.maximal_share_access, None);
        assert_eq!(resp.service.as_deref(), Some("IPC"));
        let mut refused = msg[..32].to_vec();
        refused[5..9].copy_from_slice(&0xC000_00CCu32.to_le_bytes());
        refused.extend_from_slice(&[0, 0, 0]);
        assert_eq!(
            TreeConnectAndxResponse::decode(&refused),
            Err(ResponseError::Status(0xC000_00CC))
        );
    }
}
