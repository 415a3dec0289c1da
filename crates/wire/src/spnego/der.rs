//! A minimal, bounded DER reader and writer for the few SPNEGO shapes SMB uses ([X690]).
//!
//! Hand-written rather than an ASN.1 crate on purpose: what we decode comes from hostile or
//! merely odd servers (a NegTokenInit2 whose `negHints` carries
//! `not_defined_in_RFC4178@please_ignore`, an RFC 4178 `mechListMIC` in the same `[3]` slot,
//! raw NTLMSSP with no SPNEGO at all), and the reader must accept those while never
//! allocating from a length field. So it reads definite lengths only (no indefinite form),
//! at most [`MAX_LEN_BYTES`] length octets, single-octet tags only, and nests at most
//! [`MAX_DEPTH`] deep. Values are borrowed slices of the input; nothing is copied here.

use crate::{DecodeError, Reader};

/// Most octets a long-form length may have (lengths up to 4 GiB, far beyond any token).
pub(super) const MAX_LEN_BYTES: usize = 4;
/// Deepest nesting the reader enters. The deepest SPNEGO path SMB needs is 6
/// (APPLICATION 0 / [0] / SEQUENCE / [3] / SEQUENCE / [0] GeneralString).
pub(super) const MAX_DEPTH: usize = 8;
/// Longest OID content accepted; real mechanism OIDs are 6 to 10 octets.
pub(super) const MAX_OID_LEN: usize = 32;

/// `[APPLICATION 0]` constructed: the GSS-API InitialContextToken framing (RFC 2743 3.1).
pub(super) const TAG_APPLICATION_0: u8 = 0x60;
/// Universal ENUMERATED.
pub(super) const TAG_ENUMERATED: u8 = 0x0A;
/// Universal OCTET STRING.
pub(super) const TAG_OCTET_STRING: u8 = 0x04;
/// Universal OBJECT IDENTIFIER.
pub(super) const TAG_OID: u8 = 0x06;
/// Universal SEQUENCE (constructed).
pub(super) const TAG_SEQUENCE: u8 = 0x30;
/// Universal GeneralString.
pub(super) const TAG_GENERAL_STRING: u8 = 0x1B;

/// Context-specific constructed tag `[n]` (n below 31).
pub(super) const fn context(n: u8) -> u8 {
    0xA0 | n
}

/// One element: its tag octet and its content, with the content's offset in the input.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tlv<'a> {
    pub(super) tag: u8,
    pub(super) value: &'a [u8],
    pub(super) offset: usize,
}

/// A cursor over a run of DER elements at some nesting depth.
#[derive(Debug, Clone)]
pub(super) struct Der<'a> {
    r: Reader<'a>,
    depth: usize,
}

impl<'a> Der<'a> {
    /// A reader over a whole token (depth 0).
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self {
            r: Reader::new(bytes),
            depth: 0,
        }
    }

    /// Whether every element has been read.
    pub(super) fn is_empty(&self) -> bool {
        self.r.remaining() == 0
    }

    /// Reads the next element.
    pub(super) fn next(&mut self, what: &'static str) -> Result<Tlv<'a>, DecodeError> {
        let tag = self.r.u8(what)?;
        if tag & 0x1F == 0x1F {
            return Err(DecodeError::Unexpected {
                what: "DER tag (multi-octet tag numbers are not used by SPNEGO)",
                value: u32::from(tag),
            });
        }
        let first = self.r.u8(what)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else if first == 0x80 {
            return Err(DecodeError::Unexpected {
                what: "DER length (indefinite form)",
                value: 0x80,
            });
        } else {
            let count = usize::from(first & 0x7F);
            if count > MAX_LEN_BYTES {
                return Err(DecodeError::TooLarge {
                    what: "DER length octets",
                    value: count,
                    limit: MAX_LEN_BYTES,
                });
            }
            self.r
                .take(what, count)?
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b))
        };
        let offset = self.r.offset();
        let value = self.r.take(what, len)?;
        Ok(Tlv { tag, value, offset })
    }

    /// Reads the next element and checks its tag.
    pub(super) fn expect(&mut self, what: &'static str, tag: u8) -> Result<Tlv<'a>, DecodeError> {
        let tlv = self.next(what)?;
        if tlv.tag == tag {
            Ok(tlv)
        } else {
            Err(DecodeError::Unexpected {
                what,
                value: u32::from(tlv.tag),
            })
        }
    }

    /// A reader over the content of `tlv`, one level deeper.
    pub(super) fn enter(&self, tlv: Tlv<'a>, what: &'static str) -> Result<Self, DecodeError> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooLarge {
                what,
                value: depth,
                limit: MAX_DEPTH,
            });
        }
        Ok(Self {
            r: Reader::with_offset(tlv.value, tlv.offset),
            depth,
        })
    }

    /// Fails unless every element was read.
    pub(super) fn finish(&self, what: &'static str) -> Result<(), DecodeError> {
        match self.r.remaining() {
            0 => Ok(()),
            len => Err(DecodeError::TrailingBytes { what, len }),
        }
    }
}

/// The dotted form of an OID's content octets ([X690] 8.19). Arcs must fit a `u32` and be
/// minimally encoded; the content is at most [`MAX_OID_LEN`] octets, so the string is small.
pub(super) fn oid_to_string(content: &[u8], what: &'static str) -> Result<String, DecodeError> {
    if content.len() > MAX_OID_LEN {
        return Err(DecodeError::TooLarge {
            what,
            value: content.len(),
            limit: MAX_OID_LEN,
        });
    }
    let mut out = String::new();
    let mut arc: u64 = 0;
    let mut arc_start = true;
    let mut first = true;
    for &byte in content {
        if arc_start && byte == 0x80 {
            return Err(DecodeError::Unexpected {
                what: "OID arc (leading 0x80 is not minimal)",
                value: 0x80,
            });
        }
        arc = (arc << 7) | u64::from(byte & 0x7F);
        if arc > u64::from(u32::MAX) {
            return Err(DecodeError::TooLarge {
                what: "OID arc",
                value: usize::try_from(arc).unwrap_or(usize::MAX),
                limit: usize::try_from(u32::MAX).unwrap_or(usize::MAX),
            });
        }
        arc_start = byte & 0x80 == 0;
        if arc_start {
            if first {
                let (x, y) = match arc {
                    0..40 => (0, arc),
                    40..80 => (1, arc - 40),
                    _ => (2, arc - 80),
                };
                out.push_str(&format!("{x}.{y}"));
                first = false;
            } else {
                out.push_str(&format!(".{arc}"));
            }
            arc = 0;
        }
    }
    if first || !arc_start {
        return Err(DecodeError::Truncated {
            what,
            offset: 0,
            needed: content.len() + 1,
            available: content.len(),
        });
    }
    Ok(out)
}

/// Appends `tag`, the DER length of `content` (short or minimal long form), and `content`.
pub(super) fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
}

/// `push_tlv` into a fresh vector.
pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    push_tlv(&mut out, tag, content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut d = Der::new(&[0x04, 0x02, 0xAA, 0xBB, 0x04, 0x81, 0x01, 0xCC]);
        let a = d.expect("a", TAG_OCTET_STRING).unwrap();
        assert_eq!((a.value, a.offset), (&[0xAA, 0xBB][..], 2));
        let b = d.next("b").unwrap();
        assert_eq!((b.tag, b.value, b.offset), (0x04, &[0xCC][..], 7));
        assert!(d.is_empty());
    }

    #[test]
    fn rejects_indefinite_long_and_multi_octet_tags() {
        assert!(matches!(
            Der::new(&[0x30, 0x80, 0, 0]).next("x"),
            Err(DecodeError::Unexpected { value: 0x80, .. })
        ));
        assert_eq!(
            Der::new(&[0x04, 0x85, 0, 0, 0, 0, 1])
                .next("x")
                .unwrap_err(),
            DecodeError::TooLarge {
                what: "DER length octets",
                value: 5,
                limit: MAX_LEN_BYTES
            }
        );
        assert!(matches!(
            Der::new(&[0x1F, 0x01, 0x00]).next("x"),
            Err(DecodeError::Unexpected { value: 0x1F, .. })
        ));
    }

    #[test]
    fn hostile_length_is_truncated_without_allocating() {
        assert_eq!(
            Der::new(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])
                .next("blob")
                .unwrap_err(),
            DecodeError::Truncated {
                what: "blob",
                offset: 6,
                needed: 0xFFFF_FFFF,
                available: 1
            }
        );
    }

    #[test]
    fn limits_depth_exactly() {
        let mut bytes = vec![0x04, 0x00];
        for _ in 0..MAX_DEPTH {
            bytes = tlv(TAG_SEQUENCE, &bytes);
        }
        let mut d = Der::new(&bytes);
        for _ in 0..MAX_DEPTH {
            let t = d.next("seq").unwrap();
            d = d.enter(t, "seq").unwrap();
        }
        let leaf = d.next("leaf").unwrap();
        assert_eq!(
            d.enter(leaf, "too deep").unwrap_err(),
            DecodeError::TooLarge {
                what: "too deep",
                value: MAX_DEPTH + 1,
                limit: MAX_DEPTH
            }
        );
    }

    #[test]
    fn converts_oids() {
        let ntlm = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
        assert_eq!(
            oid_to_string(&ntlm, "oid").unwrap(),
            "1.3.6.1.4.1.311.2.2.10"
        );
        let krb5 = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
        assert_eq!(oid_to_string(&krb5, "oid").unwrap(), "1.2.840.113554.1.2.2");
        assert_eq!(
            oid_to_string(&[0x88, 0x37, 0x03], "oid").unwrap(),
            "2.999.3"
        );
        assert_eq!(
            oid_to_string(&[0x8f, 0xff, 0xff, 0xff, 0x7f], "oid").unwrap(),
            "2.4294967215"
        );
    }

    #[test]
    fn rejects_bad_oids() {
        assert!(matches!(
            oid_to_string(&[], "oid"),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            oid_to_string(&[0x2b, 0x86], "oid"),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            oid_to_string(&[0x2b, 0x80, 0x01], "oid"),
            Err(DecodeError::Unexpected { .. })
        ));
        // Arc 2^32 does not fit a u32.
        assert!(matches!(
            oid_to_string(&[0x2b, 0x90, 0x80, 0x80, 0x80, 0x00], "oid"),
            Err(DecodeError::TooLarge {
                what: "OID arc",
                ..
            })
        ));
        assert!(oid_to_string(&[0x2b; MAX_OID_LEN], "oid").is_ok());
        assert_eq!(
            oid_to_string(&[0x2b; MAX_OID_LEN + 1], "oid").unwrap_err(),
            DecodeError::TooLarge {
                what: "oid",
                value: MAX_OID_LEN + 1,
                limit: MAX_OID_LEN
            }
        );
    }

    #[test]
    fn writes_minimal_lengths() {
        assert_eq!(tlv(0x04, &[7]), [0x04, 0x01, 7]);
        let long = tlv(0x04, &[0; 0x80]);
        assert_eq!(long[..3], [0x04, 0x81, 0x80]);
        let longer = tlv(0x04, &[0; 0x1234]);
        assert_eq!(longer[..4], [0x04, 0x82, 0x12, 0x34]);
        let mut d = Der::new(&longer);
        assert_eq!(d.next("x").unwrap().value.len(), 0x1234);
    }
}
