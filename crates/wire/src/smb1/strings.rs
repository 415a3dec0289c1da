//! SMB1 strings in a message's data bytes: NUL-terminated, UTF-16LE when Flags2 has UNICODE
//! (then aligned to 2 bytes from the start of the SMB header where the spec puts a `Pad`),
//! else OEM bytes.

use crate::text::{to_utf16le, utf16le};

/// Reads consecutive strings from the data bytes of one SMB1 message.
pub(crate) struct StringReader<'a> {
    bytes: &'a [u8],
    /// Offset of `bytes[0]` from the start of the SMB header.
    base: usize,
    pos: usize,
    unicode: bool,
}

impl<'a> StringReader<'a> {
    /// Strings in `bytes`, which start `base` bytes after the SMB header's start, from
    /// `bytes[pos]` on.
    pub(crate) fn new(bytes: &'a [u8], base: usize, pos: usize, unicode: bool) -> Self {
        Self {
            bytes,
            base,
            pos,
            unicode,
        }
    }

    /// Skips the pad byte that aligns a Unicode string to 2 bytes from the header.
    pub(crate) fn align(&mut self) {
        if self.unicode && (self.base + self.pos) % 2 == 1 {
            self.pos += 1;
        }
    }

    /// The next string, or `None` if no bytes (or, for Unicode, no whole character) are
    /// left. A last string without its terminator is returned as far as it goes: Windows
    /// ends its SESSION_SETUP_ANDX response with a one-byte NUL after PrimaryDomain.
    pub(crate) fn next_string(&mut self) -> Option<String> {
        let rest = self.bytes.get(self.pos..)?;
        if self.unicode {
            if rest.len() < 2 {
                return None;
            }
            let units = rest.chunks_exact(2).position(|u| u == [0, 0]);
            let text_len = units.map_or(rest.len(), |n| n * 2);
            self.pos += units.map_or(rest.len(), |n| n * 2 + 2);
            Some(utf16le(rest.get(..text_len).unwrap_or(rest)))
        } else {
            if rest.is_empty() {
                return None;
            }
            let end = rest.iter().position(|&b| b == 0);
            let text = rest.get(..end.unwrap_or(rest.len())).unwrap_or(rest);
            self.pos += end.map_or(rest.len(), |n| n + 1);
            Some(String::from_utf8_lossy(text).into_owned())
        }
    }
}

/// Appends `s` NUL-terminated: UTF-16LE when `unicode`, else its bytes (callers pass
/// ASCII).
pub(crate) fn put_string(out: &mut Vec<u8>, s: &str, unicode: bool) {
    if unicode {
        out.extend_from_slice(&to_utf16le(s));
        out.extend_from_slice(&[0, 0]);
    } else {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_aligned_unicode_strings() {
        // bytes start at odd offset 41: one pad byte, then two strings.
        let bytes = b"\0O\0S\0\0\0L\0M\0\0\0";
        let mut r = StringReader::new(bytes, 41, 0, true);
        r.align();
        assert_eq!(r.next_string().as_deref(), Some("OS"));
        r.align();
        assert_eq!(r.next_string().as_deref(), Some("LM"));
        assert_eq!(r.next_string(), None);
    }

    #[test]
    fn keeps_a_last_string_whose_terminator_is_cut() {
        let bytes = b"W\0G\0\0";
        let mut r = StringReader::new(bytes, 0, 0, true);
        assert_eq!(r.next_string().as_deref(), Some("WG"));
        assert_eq!(r.next_string(), None);
        let mut r = StringReader::new(b"\0", 0, 0, true);
        assert_eq!(r.next_string(), None);
    }

    #[test]
    fn reads_oem_strings() {
        let mut r = StringReader::new(b"QTS\0Samba\0NA", 1, 0, false);
        r.align();
        assert_eq!(r.next_string().as_deref(), Some("QTS"));
        assert_eq!(r.next_string().as_deref(), Some("Samba"));
        assert_eq!(r.next_string().as_deref(), Some("NA"));
        assert_eq!(r.next_string(), None);
        let mut r = StringReader::new(b"", 0, 5, false);
        assert_eq!(r.next_string(), None);
    }

    #[test]
    fn writes_terminated_strings() {
        let mut out = Vec::new();
        put_string(&mut out, "Unix", true);
        put_string(&mut out, "x", false);
        assert_eq!(out, b"U\0n\0i\0x\0\0\0x\0");
    }
}
