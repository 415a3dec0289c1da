//! TRANS2_FIND_FIRST2 ([MS-CIFS] 2.2.6.2) at SMB_FIND_FILE_NAMES_INFO ([MS-CIFS]
//! 2.2.8.1.6): one listing of a share's root, its search closed by the same request.

use super::header::Header;
use crate::{DecodeError, Reader};

/// How the names of an answer are encoded: Flags2 UNICODE of its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameEncoding {
    /// OEM bytes (read as UTF-8, lossily).
    Oem,
    /// UTF-16LE.
    Unicode,
}

impl NameEncoding {
    /// The encoding of the strings in the message with `header`.
    pub fn of(header: &Header) -> Self {
        if header.unicode() {
            Self::Unicode
        } else {
            Self::Oem
        }
    }
}

/// `SMB_FIND_FILE_NAMES_INFO`.
pub const SMB_FIND_FILE_NAMES_INFO: u16 = 0x0103;
/// `SMB_FIND_CLOSE_AFTER_REQUEST | SMB_FIND_CLOSE_AT_EOS`: no search handle stays open.
const CLOSE_FLAGS: u16 = 0x0003;
/// `SMB_FILE_ATTRIBUTE_HIDDEN | SYSTEM | DIRECTORY`: list those too.
const SEARCH_ATTRIBUTES: u16 = 0x0016;
/// Names read from one answer at most.
pub const MAX_FIND_ENTRIES: usize = 4096;
/// Bytes of an entry before its name.
const ENTRY_HEADER: usize = 12;

/// The TRANS2 parameters of FIND_FIRST2 for `pattern` (OEM, e.g. `\*`), at most
/// `search_count` entries.
pub fn find_first2_parameters(pattern: &str, search_count: u16) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + pattern.len() + 1);
    for v in [
        SEARCH_ATTRIBUTES,
        search_count,
        CLOSE_FLAGS,
        SMB_FIND_FILE_NAMES_INFO,
    ] {
        p.extend_from_slice(&v.to_le_bytes());
    }
    p.extend_from_slice(&0u32.to_le_bytes()); // SearchStorageType
    p.extend(pattern.bytes().map(|b| if b.is_ascii() { b } else { b'?' }));
    p.push(0);
    p
}

/// A FIND_FIRST2 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindFirst2Response {
    /// `SID`.
    pub sid: u16,
    /// `SearchCount`: entries in the data.
    pub search_count: u16,
    /// `EndOfSearch` is non-zero.
    pub end_of_search: bool,
    /// The names (OEM or UTF-16LE, as the [`NameEncoding`] says), at most `SearchCount` and
    /// [`MAX_FIND_ENTRIES`].
    pub names: Vec<String>,
}

impl FindFirst2Response {
    /// Decodes the TRANSACTION2 response's parameters and SMB_FIND_FILE_NAMES_INFO data.
    /// Entries follow `NextEntryOffset`, which must move forward past an entry's header and
    /// name (a loop cannot come back, and entries cannot overlap); 0 ends the list.
    pub fn decode(
        parameters: &[u8],
        data: &[u8],
        encoding: NameEncoding,
    ) -> Result<Self, DecodeError> {
        let mut r = Reader::new(parameters);
        let sid = r.u16_le("FIND_FIRST2 SID")?;
        let search_count = r.u16_le("FIND_FIRST2 SearchCount")?;
        let end_of_search = r.u16_le("FIND_FIRST2 EndOfSearch")? != 0;
        let count = usize::from(search_count).min(MAX_FIND_ENTRIES);
        // Grown as names come, not reserved from the count: a 24-byte String per 12-byte
        // entry header would double what the data holds before any name is read.
        let mut names = Vec::new();
        let mut at = 0usize;
        for _ in 0..count {
            let mut e = Reader::with_offset(data.get(at..).unwrap_or_default(), at);
            let next = e.u32_le("NextEntryOffset")? as usize;
            e.u32_le("FileIndex")?;
            let len = e.u32_le("FileNameLength")? as usize;
            let name = e.take("FileName", len)?;
            let mut name = match encoding {
                NameEncoding::Unicode => crate::text::utf16le(name),
                NameEncoding::Oem => String::from_utf8_lossy(name).into_owned(),
            };
            // Samba counts an OEM name's terminator in FileNameLength.
            name.truncate(name.trim_end_matches('\0').len());
            names.push(name);
            if next == 0 {
                break;
            }
            // The next entry starts after this one's name: no byte is decoded twice.
            if next < ENTRY_HEADER.saturating_add(len) {
                return Err(DecodeError::Unexpected {
                    what: "NextEntryOffset",
                    value: u32::try_from(next).unwrap_or(u32::MAX),
                });
            }
            at = at.saturating_add(next);
        }
        Ok(Self {
            sid,
            search_count,
            end_of_search,
            names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, last: bool) -> Vec<u8> {
        let mut e = Vec::new();
        let len = (ENTRY_HEADER + name.len()).next_multiple_of(4);
        e.extend_from_slice(&(if last { 0 } else { len as u32 }).to_le_bytes());
        e.extend_from_slice(&0u32.to_le_bytes());
        e.extend_from_slice(&(name.len() as u32).to_le_bytes());
        e.extend_from_slice(name.as_bytes());
        e.resize(len, 0);
        e
    }

    #[test]
    fn parameters_close_the_search_and_ask_for_names() {
        let p = find_first2_parameters(r"\*", 100);
        assert_eq!(p, b"\x16\0\x64\0\x03\0\x03\x01\0\0\0\0\\*\0".to_vec());
    }

    #[test]
    fn decodes_names_along_next_entry_offsets() {
        let mut data = entry(".", false);
        data.extend(entry("..", false));
        data.extend(entry("readme.txt\0", true));
        let params = [1, 0, 3, 0, 1, 0, 0, 0, 0, 0];
        let resp = FindFirst2Response::decode(&params, &data, NameEncoding::Oem).unwrap();
        assert_eq!(resp.names, [".", "..", "readme.txt"]);
        assert!(resp.end_of_search);
        // SearchCount beyond the entries: the chain's end still ends it.
        let params = [1, 0, 9, 0, 1, 0, 0, 0, 0, 0];
        assert_eq!(
            FindFirst2Response::decode(&params, &data, NameEncoding::Oem)
                .unwrap()
                .names
                .len(),
            3
        );
    }

    #[test]
    fn rejects_backward_offsets_and_cut_names() {
        let mut data = entry("a", false);
        data[0] = 4; // NextEntryOffset inside the header
        let params = [1, 0, 5, 0, 1, 0];
        assert!(FindFirst2Response::decode(&params, &data, NameEncoding::Oem).is_err());
        // A name running over the next entry.
        let mut over = entry("a", false);
        over[8] = 40; // FileNameLength 40 in a 16-byte entry
        over.extend(entry("b", true));
        over.resize(64, 0);
        assert!(FindFirst2Response::decode(&params, &over, NameEncoding::Oem).is_err());
        let cut = entry("abcdef", true);
        assert!(FindFirst2Response::decode(&params, &cut[..14], NameEncoding::Oem).is_err());
        assert!(FindFirst2Response::decode(&[1, 0], &[], NameEncoding::Oem).is_err());
        let empty =
            FindFirst2Response::decode(&[1, 0, 0, 0, 1, 0], &[], NameEncoding::Oem).unwrap();
        assert!(empty.names.is_empty());
    }
}
