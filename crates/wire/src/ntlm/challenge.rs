//! CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2), the server's answer to a NEGOTIATE.
//!
//! ```text
//!  0  Signature "NTLMSSP\0"        8
//!  8  MessageType = 2              4
//! 12  TargetNameFields             8  (Len 2, MaxLen 2, BufferOffset 4)
//! 20  NegotiateFlags               4
//! 24  ServerChallenge              8
//! 32  Reserved                     8  \
//! 40  TargetInfoFields             8   } absent from old servers' shorter headers
//! 48  Version                      8  /
//! 56  Payload: TargetName, TargetInfo (anywhere, found by their offsets)
//! ```

use super::{MESSAGE_TYPE_CHALLENGE, SIGNATURE, TargetInfo, Version, flags};
use crate::reader::slice_at;
use crate::text::utf16le;
use crate::{DecodeError, Reader};

/// Signature through ServerChallenge: the part every CHALLENGE_MESSAGE has.
const MIN_HEADER_LEN: usize = 32;
/// End of TargetInfoFields.
const TARGET_INFO_FIELDS_END: usize = 48;
/// End of Version, and of the header of a current message.
const VERSION_END: usize = 56;

/// [MS-NLMP] 2.2.1.2 CHALLENGE_MESSAGE: what an anonymous NTLM exchange tells about the
/// server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// NegotiateFlags, raw (see [`flags`]).
    pub flags: u32,
    /// TargetName: UTF-16LE when the UNICODE flag is set, else OEM bytes read as ISO-8859-1
    /// (the code page is unknown, and this loses nothing). A terminating NUL is dropped;
    /// `None` when the field is empty or absent.
    pub target_name: Option<String>,
    /// ServerChallenge, the 8-byte nonce.
    pub server_challenge: [u8; 8],
    /// TargetInfo AV pairs; empty when the server sent none.
    pub target_info: TargetInfo,
    /// Present only when `flags` has VERSION, the header is long enough to hold it, and the
    /// revision byte is 0x0F ([MS-NLMP] 2.2.2.10), as nmap and zgrab2 check.
    pub version: Option<Version>,
}

/// A (Len, MaxLen, BufferOffset) triple ([MS-NLMP] 2.2.1.2 "...Fields").
#[derive(Debug, Clone, Copy)]
struct BufferFields {
    len: usize,
    offset: usize,
}

impl BufferFields {
    fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Self, DecodeError> {
        let len = r.u16_le(what)?;
        let _max_len = r.u16_le(what)?;
        let offset = r.u32_le(what)?;
        Ok(Self {
            len: usize::from(len),
            offset: usize::try_from(offset).unwrap_or(usize::MAX),
        })
    }

    /// Where the buffer starts, if it has any bytes.
    fn start(self) -> Option<usize> {
        (self.len > 0).then_some(self.offset)
    }

    /// The buffer's bytes in `msg`. The offset must lie past the header part it may not
    /// overlap (`header_end`), and the buffer must end within the message.
    fn slice<'a>(
        self,
        msg: &'a [u8],
        header_end: usize,
        what: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        if self.offset < header_end {
            return Err(DecodeError::Unexpected {
                what,
                value: u32::try_from(self.offset).unwrap_or(u32::MAX),
            });
        }
        slice_at(msg, what, self.offset, self.len)
    }
}

impl Challenge {
    /// Decodes a CHALLENGE_MESSAGE. Does not assume the 56-byte header of current servers:
    /// the optional Reserved/TargetInfoFields/Version part is read only when it lies before
    /// the payload (the first non-empty buffer) and within the message. TargetName and
    /// TargetInfo are taken at their offsets, bounds-checked; one pointing outside the
    /// message (or into the fixed header) is an error.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(msg);
        let signature = r.array::<8>("NTLMSSP Signature")?;
        if signature != SIGNATURE {
            let [a, b, c, d, ..] = signature;
            return Err(DecodeError::Unexpected {
                what: "NTLMSSP Signature",
                value: u32::from_be_bytes([a, b, c, d]),
            });
        }
        let message_type = r.u32_le("MessageType")?;
        if message_type != MESSAGE_TYPE_CHALLENGE {
            return Err(DecodeError::Unexpected {
                what: "MessageType",
                value: message_type,
            });
        }
        let target_name_fields = BufferFields::read(&mut r, "TargetNameFields")?;
        let flags = r.u32_le("NegotiateFlags")?;
        let server_challenge = r.array::<8>("ServerChallenge")?;

        // The payload starts at the lowest buffer offset; the header cannot run past it.
        let mut header_end = target_name_fields
            .start()
            .map_or(msg.len(), |start| start.min(msg.len()));

        let mut target_info_fields = None;
        if header_end >= TARGET_INFO_FIELDS_END {
            r.take("Reserved", 8)?;
            let fields = BufferFields::read(&mut r, "TargetInfoFields")?;
            if let Some(start) = fields.start() {
                header_end = header_end.min(start);
            }
            target_info_fields = Some(fields);
        }

        let mut version = None;
        if flags & flags::VERSION != 0 && header_end >= VERSION_END {
            let v = Version::read(&mut r)?;
            version = (v.revision == Version::NTLMSSP_REVISION_W2K3).then_some(v);
        }

        let target_name = match target_name_fields.start() {
            None => None,
            Some(_) => {
                let bytes = target_name_fields.slice(msg, MIN_HEADER_LEN, "TargetName")?;
                let mut name = if flags & flags::UNICODE != 0 {
                    utf16le(bytes)
                } else {
                    bytes.iter().copied().map(char::from).collect()
                };
                name.truncate(name.trim_end_matches('\0').len());
                (!name.is_empty()).then_some(name)
            }
        };

        let target_info = match target_info_fields {
            Some(fields) if fields.start().is_some() => {
                let bytes = fields.slice(msg, TARGET_INFO_FIELDS_END, "TargetInfo")?;
                TargetInfo::decode_at(bytes, fields.offset)?
            }
            _ => TargetInfo::default(),
        };

        Ok(Self {
            flags,
            target_name,
            server_challenge,
            target_info,
            version,
        })
    }
}

#[cfg(test)]
mod tests;
