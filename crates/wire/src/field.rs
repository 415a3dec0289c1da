//! Length and count fields as encoders write them.

/// `len` as a 16-bit length or count field. Saturates: our encoders build small requests, so
/// the cap never applies to them; a caller's oversized input yields a field that undercounts
/// (which the peer rejects), never a panic.
pub(crate) fn len16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

/// Appends [`len16`]`(len)` little-endian.
pub(crate) fn put_len16_le(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&len16(len).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturates_instead_of_wrapping() {
        assert_eq!(len16(0), 0);
        assert_eq!(len16(65_535), u16::MAX);
        assert_eq!(len16(65_536), u16::MAX);
        let mut out = vec![9];
        put_len16_le(&mut out, 0x0102);
        assert_eq!(out, [9, 0x02, 0x01]);
    }
}
