/// Why a run of bytes is not a valid message.
///
/// Carries static field names and offsets, never a `String`, so it is cheap to copy into an
/// observation and never allocates on a hostile path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The message ends before a field does.
    #[error("{what}: need {needed} bytes at offset {offset}, {available} left")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Offset of the field from the start of the message.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A length or count is over what the spec or a safety cap allows.
    #[error("{what}: {value} exceeds limit {limit}")]
    TooLarge {
        /// The field being read.
        what: &'static str,
        /// The value found.
        value: usize,
        /// The largest value accepted.
        limit: usize,
    },
    /// A field holds a value the spec does not allow here.
    #[error("{what}: unexpected value {value:#x}")]
    Unexpected {
        /// The field being read.
        what: &'static str,
        /// The value found.
        value: u32,
    },
    /// Bytes are left over where the spec fixes the size.
    #[error("{what}: {len} trailing bytes")]
    TrailingBytes {
        /// The message or field that should have ended.
        what: &'static str,
        /// How many bytes were left.
        len: usize,
    },
}
