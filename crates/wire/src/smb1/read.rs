//! SMB_COM_READ_ANDX ([MS-CIFS] 2.2.4.42, [MS-SMB] 2.2.4.2): the rest of a pipe message
//! that did not fit in a TRANS_TRANSACT_NMPIPE answer.

use super::body::{Body, field_at, put_request};
use super::header::{Header, command, flags2};
use crate::codec::measured_len;
use crate::{DecodeError, Encode, ResponseError};

/// `STATUS_BUFFER_OVERFLOW`: the pipe message goes on.
const BUFFER_OVERFLOW: u32 = 0x8000_0005;

/// READ_ANDX (WordCount 12) of at most `max_count` bytes of `fid` at offset 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadAndxRequest {
    /// `UID` of the session.
    pub uid: u16,
    /// `TID` of the tree.
    pub tid: u16,
    /// `MID`.
    pub mid: u16,
    /// `FID`.
    pub fid: u16,
    /// `MaxCountOfBytesToReturn`.
    pub max_count: u16,
}

impl Encode for ReadAndxRequest {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut header = Header::request(
            command::READ_ANDX,
            flags2::LONG_NAMES | flags2::NT_STATUS,
            self.uid,
            self.mid,
        );
        header.tid = self.tid;
        let mut words = vec![command::NO_ANDX_COMMAND, 0, 0, 0];
        words.extend_from_slice(&self.fid.to_le_bytes());
        words.extend_from_slice(&0u32.to_le_bytes()); // Offset
        words.extend_from_slice(&self.max_count.to_le_bytes());
        words.extend_from_slice(&self.max_count.to_le_bytes()); // MinCount
        words.extend_from_slice(&0u32.to_le_bytes()); // Timeout
        words.extend_from_slice(&0u16.to_le_bytes()); // Remaining
        words.extend_from_slice(&0u32.to_le_bytes()); // OffsetHigh
        put_request(out, &header, &words, &[]);
    }
}

/// A READ_ANDX response's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAndxResponse {
    /// The data read.
    pub data: Vec<u8>,
    /// STATUS_BUFFER_OVERFLOW: more of the pipe message waits.
    pub more: bool,
}

impl ReadAndxResponse {
    /// Decodes WordCount 12; SUCCESS and STATUS_BUFFER_OVERFLOW carry data, any other status
    /// is [`ResponseError::Status`]. The data is resolved at `DataOffset` against the whole
    /// message; `DataLengthHigh` must be 0 (we never ask for 64 KiB).
    pub fn decode(msg: &[u8]) -> Result<Self, ResponseError> {
        let body = Body::decode(
            msg,
            command::READ_ANDX,
            "SMB1 Command (READ_ANDX expected)",
            &[BUFFER_OVERFLOW],
        )?;
        if body.word_count != 12 {
            return Err(DecodeError::Unexpected {
                what: "READ_ANDX WordCount",
                value: u32::from(body.word_count),
            }
            .into());
        }
        let mut w = body.words.clone();
        w.take("AndX, Available, DataCompactionMode, Reserved1", 10)?;
        let length = usize::from(w.u16_le("DataLength")?);
        let offset = usize::from(w.u16_le("DataOffset")?);
        let high = w.u16_le("DataLengthHigh")?;
        if high != 0 {
            return Err(DecodeError::Unexpected {
                what: "READ_ANDX DataLengthHigh",
                value: u32::from(high),
            }
            .into());
        }
        let data = field_at(msg, "READ_ANDX Data", offset, length)?;
        Ok(Self {
            data: data.to_vec(),
            more: body.header.status == BUFFER_OVERFLOW,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_response() {
        let msg = ReadAndxRequest {
            uid: 1,
            tid: 2,
            mid: 3,
            fid: 0x4001,
            max_count: 4280,
        }
        .to_vec();
        assert_eq!(msg.len(), 32 + 1 + 24 + 2);
        assert_eq!(msg[32], 12);
        assert_eq!(&msg[37..39], &[1, 0x40]);
        let mut answer = msg[..32].to_vec();
        answer[4] = command::READ_ANDX;
        answer.push(12);
        let mut words = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        words.extend_from_slice(&3u16.to_le_bytes());
        words.extend_from_slice(&60u16.to_le_bytes());
        words.resize(24, 0);
        answer.extend_from_slice(&words);
        answer.extend_from_slice(&4u16.to_le_bytes());
        answer.extend_from_slice(&[0, 7, 8, 9]);
        let resp = ReadAndxResponse::decode(&answer).unwrap();
        assert_eq!(resp.data, [7, 8, 9]);
        assert!(!resp.more);
        for len in 0..answer.len() {
            assert!(ReadAndxResponse::decode(&answer[..len]).is_err(), "{len}");
        }
        answer[5..9].copy_from_slice(&BUFFER_OVERFLOW.to_le_bytes());
        assert!(ReadAndxResponse::decode(&answer).unwrap().more);
        answer[46] = 0xFF; // DataOffset beyond the message
        assert!(ReadAndxResponse::decode(&answer).is_err());
    }
}
