//! Text and time fields shared by SMB and NTLM: UTF-16LE strings and FILETIME stamps.

/// Decodes UTF-16LE properly (surrogate pairs joined, unpaired surrogates replaced by
/// U+FFFD), never by dropping every other byte. An odd trailing byte is ignored. The result
/// is at most 1.5x the input's size (3 UTF-8 bytes per 2-byte unit).
pub fn utf16le(bytes: &[u8]) -> String {
    let units = bytes.chunks_exact(2).map(|pair| match pair {
        [lo, hi] => u16::from_le_bytes([*lo, *hi]),
        _ => 0xFFFD,
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// [`utf16le`] up to the first NUL unit (for NUL-terminated fields).
pub fn utf16le_until_nul(bytes: &[u8]) -> String {
    let end = bytes
        .chunks_exact(2)
        .position(|pair| pair == [0, 0])
        .map_or(bytes.len(), |units| units * 2);
    utf16le(bytes.get(..end).unwrap_or(bytes))
}

/// Encodes `s` as UTF-16LE, without a terminator.
pub fn to_utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Seconds between 1601-01-01 (the FILETIME epoch) and 1970-01-01.
const FILETIME_UNIX_OFFSET_SECS: i64 = 11_644_473_600;

/// A FILETIME (100 ns ticks since 1601-01-01 UTC) as nanoseconds since the Unix epoch, or
/// `None` for 0 (servers send 0 for "not disclosed", e.g. Samba's boot time).
pub fn filetime_to_unix_nanos(filetime: u64) -> Option<i128> {
    (filetime != 0)
        .then(|| i128::from(filetime) * 100 - i128::from(FILETIME_UNIX_OFFSET_SECS) * 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf16_with_surrogates_and_stops_at_nul() {
        let bytes = to_utf16le("SRV\u{1F600}é");
        assert_eq!(utf16le(&bytes), "SRV\u{1F600}é");
        assert_eq!(utf16le(&[0x00, 0xD8, 0x41, 0x00]), "\u{FFFD}A");
        assert_eq!(utf16le_until_nul(b"A\0B\0\0\0C\0"), "AB");
        assert_eq!(utf16le(b"A\0B"), "A");
    }

    #[test]
    fn converts_filetime() {
        // 2017-05-12 00:00:00 UTC = 1494547200 s.
        let ft = (1_494_547_200 + 11_644_473_600) * 10_000_000;
        assert_eq!(
            filetime_to_unix_nanos(ft),
            Some(1_494_547_200 * 1_000_000_000)
        );
        assert_eq!(filetime_to_unix_nanos(0), None);
    }
}
