//! SMB2 QUERY_DIRECTORY ([MS-SMB2] 2.2.33, 2.2.34) with FileNamesInformation
//! ([MS-FSCC] 2.4.28).
//!
//! ```text
//! request:  StructureSize = 33 (2), FileInformationClass (1), Flags (1), FileIndex (4),
//!           FileId (16), FileNameOffset (2), FileNameLength (2), OutputBufferLength (4),
//!           Buffer (the search pattern)
//! response: StructureSize = 9 (2), OutputBufferOffset (2), OutputBufferLength (4), Buffer
//! entry:    NextEntryOffset (4), FileIndex (4), FileNameLength (4), FileName
//! ```

use super::create::{FileId, expect_size, response_of};
use super::header::{HEADER_LEN, Header, command};
use crate::{DecodeError, Encode, Reader, ResponseError};

/// FileNamesInformation: just the names.
const FILE_NAMES_INFORMATION: u8 = 0x0C;
/// `Flags` SMB2_RESTART_SCANS.
const RESTART_SCANS: u8 = 0x01;
const FIXED_LEN: usize = 32;
/// Entries counted from one response at most.
pub const MAX_ENTRIES: usize = 4096;

/// One QUERY_DIRECTORY for every name (`*`) in the open directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryDirectoryRequest {
    /// The directory's handle.
    pub file_id: FileId,
    /// The most output bytes accepted.
    pub max_output: u32,
}

impl Encode for QueryDirectoryRequest {
    fn encoded_len(&self) -> usize {
        HEADER_LEN + FIXED_LEN + 2
    }

    fn encode(&self, out: &mut Vec<u8>) {
        Header::request(command::QUERY_DIRECTORY, 0, 8, 0).encode(out);
        out.extend_from_slice(&33u16.to_le_bytes());
        out.push(FILE_NAMES_INFORMATION);
        out.push(RESTART_SCANS);
        out.extend_from_slice(&0u32.to_le_bytes()); // FileIndex
        out.extend_from_slice(&self.file_id);
        out.extend_from_slice(&((HEADER_LEN + FIXED_LEN) as u16).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&self.max_output.to_le_bytes());
        out.extend_from_slice(b"*\0");
    }
}

/// A successful QUERY_DIRECTORY response: the names it listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDirectoryResponse {
    /// The SMB2 header.
    pub header: Header,
    /// The names, in the order given (at most [`MAX_ENTRIES`]).
    pub names: Vec<String>,
}

impl QueryDirectoryResponse {
    /// Decodes a whole SMB2 message; a non-zero status (STATUS_NO_MORE_FILES for an empty
    /// directory) is [`ResponseError::Status`].
    pub fn decode(msg: &[u8]) -> Result<Self, ResponseError> {
        let (header, body) = response_of(msg, command::QUERY_DIRECTORY, "QUERY_DIRECTORY", &[])?;
        let mut r = Reader::with_offset(body, HEADER_LEN);
        expect_size(&mut r, "QUERY_DIRECTORY StructureSize", 9)?;
        let offset = usize::from(r.u16_le("OutputBufferOffset")?);
        let len = r.u32_le("OutputBufferLength")? as usize;
        let start = offset.checked_sub(HEADER_LEN).unwrap_or(usize::MAX);
        let mut whole = Reader::with_offset(body, HEADER_LEN);
        whole.take("before the output buffer", start)?;
        let names = decode_names(whole.take("QUERY_DIRECTORY output", len)?, offset)?;
        Ok(Self { header, names })
    }
}

/// Walks FileNamesInformation entries; each `NextEntryOffset` must move forward.
fn decode_names(bytes: &[u8], base: usize) -> Result<Vec<String>, DecodeError> {
    let mut names = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        if names.len() == MAX_ENTRIES {
            return Err(DecodeError::TooLarge {
                what: "directory entries",
                value: names.len() + 1,
                limit: MAX_ENTRIES,
            });
        }
        let entry = bytes.get(at..).unwrap_or_default();
        let mut r = Reader::with_offset(entry, base + at);
        let next = r.u32_le("NextEntryOffset")? as usize;
        r.u32_le("FileIndex")?;
        let len = r.u32_le("FileNameLength")? as usize;
        if next != 0 && (next < 12 || len > next - 12) {
            // The name ends before the next entry starts: overlapping entries would decode
            // the same bytes again for each, up to MAX_ENTRIES times.
            return Err(DecodeError::Unexpected {
                what: "NextEntryOffset",
                value: next as u32,
            });
        }
        names.push(crate::text::utf16le(r.take("FileName", len)?));
        if next == 0 {
            break;
        }
        at = at.saturating_add(next);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FileNamesInformation entry.
    fn entry(next: u32, name_len: u32, name: &[u8]) -> Vec<u8> {
        let mut out = next.to_le_bytes().to_vec();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(name);
        out
    }

    #[test]
    fn names_are_read_in_order() {
        let mut bytes = entry(16, 2, b"a\0\0\0");
        bytes.extend(entry(0, 4, b"b\0c\0"));
        assert_eq!(decode_names(&bytes, 72), Ok(vec!["a".into(), "bc".into()]));
    }

    #[test]
    fn a_name_running_into_the_next_entry_is_an_error() {
        // NextEntryOffset 12 puts the second entry inside the first one's name: each entry
        // would decode the bytes after it again (quadratic output for a linear input).
        let mut bytes = entry(12, 16, &[]);
        bytes.extend(entry(0, 4, b"b\0c\0"));
        assert_eq!(
            decode_names(&bytes, 72),
            Err(DecodeError::Unexpected {
                what: "NextEntryOffset",
                value: 12
            })
        );
    }
}
