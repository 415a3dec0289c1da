//! The parts every SMB1 message shares after its header ([MS-CIFS] 2.2.3.2, 2.2.3.3): the
//! parameter block (`WordCount`, `Words`) and the data block (`ByteCount`, `Bytes`), for the
//! encoders and decoders of the share conversation.

use super::header::{HEADER_LEN, Header};
use crate::field::len16;
use crate::{DecodeError, Reader, ResponseError};

/// A response's header, its words and the rest of the message after them.
#[derive(Debug, Clone)]
pub(crate) struct Body<'a> {
    /// The SMB1 header.
    pub(crate) header: Header,
    /// `WordCount`.
    pub(crate) word_count: u8,
    /// The `Words`, at their offset in the message.
    pub(crate) words: Reader<'a>,
    /// What follows the words (`ByteCount` and `Bytes`), at its offset in the message.
    pub(crate) after_words: Reader<'a>,
}

impl<'a> Body<'a> {
    /// Decodes the header of `msg` and checks it answers `command`; a `Status` error for a
    /// status other than SUCCESS and those in `also_ok`.
    pub(crate) fn decode(
        msg: &'a [u8],
        command: u8,
        what: &'static str,
        also_ok: &[u32],
    ) -> Result<Self, ResponseError> {
        let (header, rest) = Header::decode(msg)?;
        if header.command != command {
            return Err(DecodeError::Unexpected {
                what,
                value: u32::from(header.command),
            }
            .into());
        }
        if header.status != 0 && !also_ok.contains(&header.status) {
            return Err(ResponseError::Status(header.status));
        }
        let mut r = Reader::with_offset(rest, HEADER_LEN);
        let word_count = r.u8("WordCount")?;
        let words = r.sub("Words", usize::from(word_count) * 2)?;
        Ok(Self {
            header,
            word_count,
            words,
            after_words: r,
        })
    }

    /// The `Bytes` and their offset from the header's start.
    pub(crate) fn bytes(&self) -> Result<(&'a [u8], usize), DecodeError> {
        let mut r = self.after_words.clone();
        let count = usize::from(r.u16_le("ByteCount")?);
        let offset = r.offset();
        Ok((r.take("Bytes", count)?, offset))
    }
}

/// Appends a request: `header`, `WordCount` and `words`, `ByteCount` and `bytes`. The
/// bytes start [`bytes_offset`]`(words.len())` bytes after the header's start.
pub(crate) fn put_request(out: &mut Vec<u8>, header: &Header, words: &[u8], bytes: &[u8]) {
    header.encode(out);
    out.push(u8::try_from(words.len() / 2).unwrap_or(u8::MAX));
    out.extend_from_slice(words);
    out.extend_from_slice(&len16(bytes.len()).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Where the `Bytes` of a request with `words_len` bytes of words start, from the header.
pub(crate) fn bytes_offset(words_len: usize) -> usize {
    HEADER_LEN + 1 + words_len + 2
}

/// `len` bytes at `offset` of the whole message `msg` (offsets in SMB1 count from the
/// header's start), checked.
pub(crate) fn field_at<'a>(
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
    use crate::smb1::command;

    #[test]
    fn body_checks_command_status_and_counts() {
        let mut msg = Vec::new();
        let header = Header::request(command::CLOSE, 0, 1, 2);
        put_request(&mut msg, &header, &[1, 2], &[7, 8, 9]);
        let body = Body::decode(&msg, command::CLOSE, "cmd", &[]).unwrap();
        assert_eq!(body.word_count, 1);
        assert_eq!(body.bytes().unwrap(), (&[7u8, 8, 9][..], bytes_offset(2)));
        assert!(Body::decode(&msg, command::TRANSACTION, "cmd", &[]).is_err());
        for len in 0..msg.len() - 3 {
            assert!(Body::decode(&msg[..len], command::CLOSE, "cmd", &[]).is_err() || len >= 35);
        }
        let mut failed = msg.clone();
        failed[5] = 0x22;
        failed[8] = 0xC0;
        assert_eq!(
            Body::decode(&failed, command::CLOSE, "cmd", &[]).unwrap_err(),
            ResponseError::Status(0xC000_0022)
        );
        assert!(Body::decode(&failed, command::CLOSE, "cmd", &[0xC000_0022]).is_ok());
        assert!(field_at(&msg, "f", msg.len() - 1, 2).is_err());
        assert!(field_at(&msg, "f", usize::MAX, 2).is_err());
    }
}
