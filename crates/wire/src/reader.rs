use crate::DecodeError;

/// A bounds-checked cursor over untrusted bytes.
///
/// Every read either returns the bytes or a [`DecodeError::Truncated`] naming the field; the
/// cursor never indexes out of bounds. Endianness is explicit in each method name: NetBIOS is
/// big-endian, SMB and NTLM are little-endian.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, with offsets counted from their start.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            rest: bytes,
            offset: 0,
        }
    }

    /// A reader over `bytes` that sit at `offset` within a larger message, so that errors
    /// name offsets in that message.
    pub fn with_offset(bytes: &'a [u8], offset: usize) -> Self {
        Self {
            rest: bytes,
            offset,
        }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Offset of the next byte from the start of the message.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The unread bytes, without consuming them.
    pub fn peek_rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Takes the next `len` bytes.
    pub fn take(&mut self, what: &'static str, len: usize) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self
            .rest
            .split_at_checked(len)
            .ok_or(DecodeError::Truncated {
                what,
                offset: self.offset,
                needed: len,
                available: self.rest.len(),
            })?;
        self.rest = tail;
        self.offset += len;
        Ok(head)
    }

    /// Takes the next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or(DecodeError::Truncated {
                what,
                offset: self.offset,
                needed: N,
                available: self.rest.len(),
            })?;
        self.rest = tail;
        self.offset += N;
        Ok(*head)
    }

    /// Reads one byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// Reads a big-endian `u16`.
    pub fn u16_be(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        self.array(what).map(u16::from_be_bytes)
    }

    /// Reads a big-endian `u32`.
    pub fn u32_be(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        self.array(what).map(u32::from_be_bytes)
    }

    /// Reads a little-endian `u16`.
    pub fn u16_le(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        self.array(what).map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32`.
    pub fn u32_le(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        self.array(what).map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    pub fn u64_le(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// Splits off the next `len` bytes as a reader of their own, for nested lengths. Offsets
    /// in the sub-reader continue to count from the start of the outer message.
    pub fn sub(&mut self, what: &'static str, len: usize) -> Result<Self, DecodeError> {
        let offset = self.offset;
        let bytes = self.take(what, len)?;
        Ok(Self {
            rest: bytes,
            offset,
        })
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless every byte was read.
    pub fn finish(self, what: &'static str) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                what,
                len: self.rest.len(),
            })
        }
    }
}

/// `msg[offset..offset + len]`, or `Truncated` (never trusting either field).
pub(crate) fn slice_at<'a>(
    msg: &'a [u8],
    what: &'static str,
    offset: usize,
    len: usize,
) -> Result<&'a [u8], DecodeError> {
    offset
        .checked_add(len)
        .and_then(|end| msg.get(offset..end))
        .ok_or_else(|| DecodeError::Truncated {
            what,
            offset,
            needed: len,
            available: msg.len().saturating_sub(offset),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_endiannesses() {
        let mut r = Reader::new(&[0x12, 0x34, 0x12, 0x34, 0xAA]);
        assert_eq!(r.u16_be("a").unwrap(), 0x1234);
        assert_eq!(r.u16_le("b").unwrap(), 0x3412);
        assert_eq!(r.offset(), 4);
        assert_eq!(r.u8("c").unwrap(), 0xAA);
        r.finish("msg").unwrap();
    }

    #[test]
    fn reports_truncation_with_offset() {
        let mut r = Reader::new(&[1, 2, 3]);
        r.u8("first").unwrap();
        assert_eq!(
            r.u32_be("count"),
            Err(DecodeError::Truncated {
                what: "count",
                offset: 1,
                needed: 4,
                available: 2
            })
        );
    }

    #[test]
    fn sub_reader_keeps_outer_offsets() {
        let mut r = Reader::new(&[0, 0, 7, 8, 9]);
        r.take("pad", 2).unwrap();
        let mut s = r.sub("inner", 2).unwrap();
        assert_eq!(s.offset(), 2);
        s.u8("x").unwrap();
        assert_eq!(
            s.finish("inner"),
            Err(DecodeError::TrailingBytes {
                what: "inner",
                len: 1
            })
        );
        assert_eq!(r.remaining(), 1);
    }
}
