//! The one shape of every codec: messages decode with an inherent
//! `decode(&[u8]) -> Result<Self, DecodeError>` (responses that carry an NT status return
//! [`ResponseError`] instead), and whole messages encode through [`Encode`]. Parts of a
//! message (headers, names, contexts, AV pairs) have the same inherent `encode(&self, out)`.

use crate::DecodeError;

/// A whole message we send.
pub trait Encode {
    /// How many bytes [`Encode::encode`] appends.
    fn encoded_len(&self) -> usize;

    /// Appends the message to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// The message in a buffer of its own.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }
}

/// Why an SMB response could not be read.
///
/// The one rule for NT status, by what an error response still tells:
/// - a command whose error response carries nothing the client needs (NEGOTIATE, SMB1 and
///   SMB2) decodes a non-zero status to [`ResponseError::Status`], whatever the body holds;
/// - SESSION_SETUP (SMB1 and SMB2) decodes the error response too, because a failed leg's
///   status, SessionId/UID and (SMB1) Action are the verdict of a login attempt.
///
/// What a status *means* is judged in one place above this crate (the probe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The server answered with this NT status.
    #[error("server answered status {0:#010x}")]
    Status(u32),
    /// The bytes are not a valid response.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Bytes `message` encodes to, by encoding it (for messages whose length depends on padding
/// and strings; they are sent once per connection).
pub(crate) fn measured_len(encode: impl FnOnce(&mut Vec<u8>)) -> usize {
    let mut scratch = Vec::new();
    encode(&mut scratch);
    scratch.len()
}
