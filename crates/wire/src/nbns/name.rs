//! NetBIOS names and their first-level encoding (RFC 1001 §14.1, RFC 1002 §4.1).

use crate::{DecodeError, Reader};

/// Bytes in a NetBIOS name: 15 of name and the suffix.
pub const NAME_LEN: usize = 16;
/// The 32-byte label that first-level encoding makes of a NetBIOS name.
const ENCODED_LABEL_LEN: usize = 32;
/// RFC 1002 §4.1: a compressed or full name is at most 255 bytes (as in RFC 1035 §2.3.4).
pub const MAX_ENCODED_NAME_LEN: usize = 255;
/// Label pointers we follow before giving up. Each must point before the start of the run of
/// labels it ends, so the chain moves strictly backwards and can't loop; the cap bounds the
/// work on a 64 KiB message all the same.
const MAX_POINTERS: usize = 16;

/// A NetBIOS name: 15 bytes of name, padded, and the 16th byte, the suffix (service type).
///
/// Kept as raw bytes: names may hold any byte (`\x01\x02__MSBROWSE__\x02`, OEM code pages),
/// so they are never decoded as UTF-8 here.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NbName(pub [u8; NAME_LEN]);

impl NbName {
    /// `*` padded with NULs: the wildcard a NODE STATUS request asks for (RFC 1002 §4.2.17).
    pub const WILDCARD: Self = {
        let mut raw = [0u8; NAME_LEN];
        raw[0] = b'*';
        Self(raw)
    };

    /// A name as Samba's `name_mangle` makes it: upper-cased, at most 15 bytes, padded with
    /// spaces, then the suffix. `None` if `name` is empty, longer than 15 bytes or not ASCII.
    pub fn new(name: &str, suffix: u8) -> Option<Self> {
        if name.is_empty() || name.len() > NAME_LEN - 1 || !name.is_ascii() {
            return None;
        }
        let mut raw = [b' '; NAME_LEN];
        for (slot, byte) in raw.iter_mut().zip(name.bytes()) {
            *slot = byte.to_ascii_uppercase();
        }
        raw[NAME_LEN - 1] = suffix;
        Some(Self(raw))
    }

    /// The 16th byte: what service the name stands for (`0x20` file server, ...).
    pub fn suffix(&self) -> u8 {
        self.0[NAME_LEN - 1]
    }

    /// The first 15 bytes without their padding (trailing spaces and NULs).
    pub fn trimmed(&self) -> &[u8] {
        let body = self.0.split_last().map_or(&[][..], |(_, body)| body);
        let end = body
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        body.get(..end).unwrap_or_default()
    }

    /// The trimmed name for people: printable ASCII as is, any other byte as `\xNN`.
    pub fn display_name(&self) -> String {
        let mut out = String::with_capacity(NAME_LEN);
        for &b in self.trimmed() {
            if b.is_ascii_graphic() || b == b' ' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }

    /// First-level encoding: each byte becomes two letters `'A' + nibble`.
    pub fn encode_label(&self) -> [u8; ENCODED_LABEL_LEN] {
        let mut out = [0u8; ENCODED_LABEL_LEN];
        for (pair, &b) in out.chunks_exact_mut(2).zip(self.0.iter()) {
            pair.copy_from_slice(&[b'A' + (b >> 4), b'A' + (b & 0x0F)]);
        }
        out
    }

    /// Reverses [`Self::encode_label`]; every byte must be a letter `A`-`P`.
    pub fn decode_label(label: &[u8]) -> Result<Self, DecodeError> {
        if label.len() != ENCODED_LABEL_LEN {
            return Err(DecodeError::Unexpected {
                what: "netbios name label length",
                value: label.len() as u32,
            });
        }
        let mut raw = [0u8; NAME_LEN];
        for (slot, pair) in raw.iter_mut().zip(label.chunks_exact(2)) {
            let nibble = |c: u8| match c {
                b'A'..=b'P' => Ok(c - b'A'),
                _ => Err(DecodeError::Unexpected {
                    what: "netbios name letter",
                    value: c.into(),
                }),
            };
            let (hi, lo) = match pair {
                [hi, lo] => (nibble(*hi)?, nibble(*lo)?),
                _ => {
                    return Err(DecodeError::Unexpected {
                        what: "netbios name label",
                        value: 0,
                    });
                }
            };
            *slot = (hi << 4) | lo;
        }
        Ok(Self(raw))
    }
}

impl std::fmt::Debug for NbName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}<{:02x}>", self.display_name(), self.suffix())
    }
}

/// A NetBIOS name as it travels in a question or resource record: the encoded name and the
/// NetBIOS scope, the dotted labels that follow it (RFC 1001 §9, empty almost everywhere).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    /// The 16-byte NetBIOS name.
    pub name: NbName,
    /// The scope ID as dotted labels, e.g. `b"corp.example"`; empty for no scope.
    pub scope: Vec<u8>,
}

impl QualifiedName {
    /// A name with no scope.
    pub fn new(name: NbName) -> Self {
        Self {
            name,
            scope: Vec::new(),
        }
    }

    /// Bytes [`Self::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        // length byte + 32 + scope labels with their length bytes + the root byte
        1 + ENCODED_LABEL_LEN
            + if self.scope.is_empty() {
                0
            } else {
                self.scope.len() + 1
            }
            + 1
    }

    /// Writes the full (uncompressed) name. Scope labels longer than 63 bytes are cut at 63,
    /// the longest a length byte can give them.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(ENCODED_LABEL_LEN as u8);
        out.extend_from_slice(&self.name.encode_label());
        if !self.scope.is_empty() {
            for label in self.scope.split(|&b| b == b'.') {
                let label = label.get(..63).unwrap_or(label);
                out.push(label.len() as u8);
                out.extend_from_slice(label);
            }
        }
        out.push(0);
    }

    /// Reads a name at the reader's position within `msg`, following label pointers
    /// (`0xC0`) into `msg`. A pointer must point before the first label of the run it ends, so every
    /// hop moves backwards and decoding ends.
    ///
    /// A scope label that holds a `.` is refused: the dotted [`Self::scope`] could not tell it
    /// from two labels, and [`Self::encode`] would write a different name (an empty label,
    /// which ends the name early, for a leading, trailing or doubled dot).
    pub fn decode<'a>(msg: &'a [u8], r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut labels: Vec<&'a [u8]> = Vec::new();
        let mut total = 0usize;
        let mut pointers = 0usize;
        // The reader of the current position: the caller's until the first pointer, then a
        // fresh one over `msg`. After a pointer the caller's reader does not move again.
        let mut here: Option<Reader<'a>> = None;
        // Offset of the first label since the last pointer (or of the name).
        let mut run_start: Option<usize> = None;
        loop {
            let cur = match here.as_mut() {
                Some(h) => h,
                None => &mut *r,
            };
            let label_offset = cur.offset();
            let floor = *run_start.get_or_insert(label_offset);
            let len = cur.u8("name label length")?;
            match len & 0xC0 {
                0x00 if len == 0 => break,
                0x00 => {
                    let label = cur.take("name label", len.into())?;
                    if !labels.is_empty() && label.contains(&b'.') {
                        return Err(DecodeError::Unexpected {
                            what: "scope label holding a dot",
                            value: b'.'.into(),
                        });
                    }
                    total += 1 + label.len();
                    if total + 1 > MAX_ENCODED_NAME_LEN {
                        return Err(DecodeError::TooLarge {
                            what: "encoded netbios name",
                            value: total + 1,
                            limit: MAX_ENCODED_NAME_LEN,
                        });
                    }
                    labels.push(label);
                }
                0xC0 => {
                    let low = cur.u8("name pointer")?;
                    let target = (usize::from(len & 0x3F) << 8) | usize::from(low);
                    pointers += 1;
                    if target >= floor || pointers > MAX_POINTERS {
                        return Err(DecodeError::Unexpected {
                            what: "name pointer (must point backwards)",
                            value: target as u32,
                        });
                    }
                    let tail = msg.get(target..).ok_or(DecodeError::Truncated {
                        what: "name pointer target",
                        offset: target,
                        needed: 1,
                        available: 0,
                    })?;
                    here = Some(Reader::with_offset(tail, target));
                    run_start = None;
                }
                _ => {
                    return Err(DecodeError::Unexpected {
                        what: "name label type",
                        value: len.into(),
                    });
                }
            }
        }
        let (first, rest) = labels.split_first().ok_or(DecodeError::Unexpected {
            what: "netbios name (empty)",
            value: 0,
        })?;
        let name = NbName::decode_label(first)?;
        let scope = rest.join(&b'.');
        Ok(Self { name, scope })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_wildcard_as_ck_and_as() {
        let mut out = Vec::new();
        QualifiedName::new(NbName::WILDCARD).encode(&mut out);
        assert_eq!(out.len(), 34);
        assert_eq!(&out[..3], b"\x20CK");
        assert!(out[3..33].iter().all(|&b| b == b'A'));
        assert_eq!(out[33], 0);
    }

    #[test]
    fn pads_with_spaces_and_uppercases() {
        let n = NbName::new("filesrv1", 0x20).unwrap();
        assert_eq!(&n.0, b"FILESRV1       \x20");
        assert_eq!(n.trimmed(), b"FILESRV1");
        assert_eq!(n.suffix(), 0x20);
        assert!(NbName::new("SIXTEEN-CHARSXXX", 0).is_none());
        assert!(NbName::new("", 0).is_none());
    }

    #[test]
    fn escapes_unprintable_bytes() {
        let n = NbName(*b"\x01\x02__MSBROWSE__\x02\x01");
        assert_eq!(n.display_name(), "\\x01\\x02__MSBROWSE__\\x02");
        assert_eq!(n.suffix(), 1);
    }

    #[test]
    fn roundtrips_name_with_scope() {
        let q = QualifiedName {
            name: NbName::new("HOST", 0).unwrap(),
            scope: b"corp.lan".to_vec(),
        };
        let mut out = Vec::new();
        q.encode(&mut out);
        assert_eq!(out.len(), q.encoded_len());
        let mut r = Reader::new(&out);
        assert_eq!(QualifiedName::decode(&out, &mut r).unwrap(), q);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn follows_backward_pointer() {
        let mut msg = Vec::new();
        QualifiedName::new(NbName::WILDCARD).encode(&mut msg);
        let at = msg.len();
        msg.extend_from_slice(&[0xC0, 0x00, 0xEE]);
        let mut r = Reader::new(&msg);
        r.take("first", at).unwrap();
        let q = QualifiedName::decode(&msg, &mut r).unwrap();
        assert_eq!(q.name, NbName::WILDCARD);
        assert_eq!(r.peek_rest(), &[0xEE], "reader continues after the pointer");
    }

    #[test]
    fn rejects_pointer_loops_and_forward_pointers() {
        let msg = [0xC0, 0x00];
        let mut r = Reader::new(&msg);
        assert!(matches!(
            QualifiedName::decode(&msg, &mut r),
            Err(DecodeError::Unexpected { .. })
        ));
        let msg = [0xC0, 0x05, 0, 0, 0, 0];
        let mut r = Reader::new(&msg);
        assert!(QualifiedName::decode(&msg, &mut r).is_err());
    }

    /// A label followed by a pointer back to that label would loop; it must point before
    /// the run of labels it ends.
    #[test]
    fn rejects_pointer_back_into_its_own_run() {
        let mut msg = vec![32];
        msg.extend_from_slice(&[b'A'; 32]);
        msg.extend_from_slice(&[0xC0, 0x00]);
        let mut r = Reader::new(&msg);
        assert!(matches!(
            QualifiedName::decode(&msg, &mut r),
            Err(DecodeError::Unexpected {
                what: "name pointer (must point backwards)",
                value: 0
            })
        ));
    }

    #[test]
    fn rejects_bad_letters_and_lengths() {
        let mut msg = vec![32];
        msg.extend_from_slice(&[b'Z'; 32]);
        msg.push(0);
        let mut r = Reader::new(&msg);
        assert!(matches!(
            QualifiedName::decode(&msg, &mut r),
            Err(DecodeError::Unexpected {
                what: "netbios name letter",
                ..
            })
        ));
        let msg = [3, b'A', b'B', b'C', 0];
        let mut r = Reader::new(&msg);
        assert!(QualifiedName::decode(&msg, &mut r).is_err());
    }

    #[test]
    fn rejects_names_over_255_bytes() {
        let mut msg = vec![32];
        msg.extend_from_slice(&[b'A'; 32]);
        for _ in 0..5 {
            msg.push(63);
            msg.extend_from_slice(&[b'x'; 63]);
        }
        msg.push(0);
        let mut r = Reader::new(&msg);
        assert!(matches!(
            QualifiedName::decode(&msg, &mut r),
            Err(DecodeError::TooLarge { .. })
        ));
    }
}
