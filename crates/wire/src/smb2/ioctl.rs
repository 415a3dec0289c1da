//! SMB2 IOCTL ([MS-SMB2] 2.2.31, 2.2.32) for FSCTL_PIPE_TRANSCEIVE, and READ (2.2.19,
//! 2.2.20) for the rest of a pipe message that did not fit.
//!
//! ```text
//! IOCTL request:  StructureSize = 57 (2), Reserved (2), CtlCode (4), FileId (16),
//!                 InputOffset (4), InputCount (4), MaxInputResponse (4), OutputOffset (4),
//!                 OutputCount (4), MaxOutputResponse (4), Flags (4), Reserved2 (4), Buffer
//! IOCTL response: StructureSize = 49 (2), Reserved (2), CtlCode (4), FileId (16),
//!                 InputOffset (4), InputCount (4), OutputOffset (4), OutputCount (4),
//!                 Flags (4), Reserved2 (4), Buffer
//! READ request:   StructureSize = 49 (2), Padding (1), Flags (1), Length (4), Offset (8),
//!                 FileId (16), MinimumCount (4), Channel (4), RemainingBytes (4),
//!                 ReadChannelInfoOffset (2), ReadChannelInfoLength (2), Buffer (1)
//! READ response:  StructureSize = 17 (2), DataOffset (1), Reserved (1), DataLength (4),
//!                 DataRemaining (4), Reserved2 (4), Buffer
//! ```
//!
//! STATUS_BUFFER_OVERFLOW on a pipe is a success: the output holds the first part of the
//! message and the rest waits for READs ([MS-SMB2] 3.3.5.15.2, 3.2.5.19).

use super::create::{FileId, expect_size, response_of};
use super::header::{HEADER_LEN, Header, command};
use super::status;
use crate::{DecodeError, Encode, Reader, ResponseError};

/// FSCTL_PIPE_TRANSCEIVE: write a message to a pipe and read the answer.
pub const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_C017;
/// `Flags` SMB2_0_IOCTL_IS_FSCTL.
const IS_FSCTL: u32 = 1;
const IOCTL_FIXED_LEN: usize = 56;
const READ_FIXED_LEN: usize = 48;
/// CreditRequest of these requests.
const CREDITS: u16 = 8;

/// An IOCTL FSCTL_PIPE_TRANSCEIVE request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransceiveRequest {
    /// The pipe's handle.
    pub file_id: FileId,
    /// The message written to the pipe.
    pub input: Vec<u8>,
    /// The most output bytes accepted (at most 65536 keeps the CreditCharge at 1).
    pub max_output: u32,
}

impl Encode for TransceiveRequest {
    fn encoded_len(&self) -> usize {
        HEADER_LEN + IOCTL_FIXED_LEN + self.input.len()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        Header::request(command::IOCTL, 0, CREDITS, 0).encode(out);
        let input_len = u32::try_from(self.input.len()).unwrap_or(0);
        out.extend_from_slice(&57u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&FSCTL_PIPE_TRANSCEIVE.to_le_bytes());
        out.extend_from_slice(&self.file_id);
        out.extend_from_slice(&((HEADER_LEN + IOCTL_FIXED_LEN) as u32).to_le_bytes());
        out.extend_from_slice(&input_len.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // MaxInputResponse
        out.extend_from_slice(&0u32.to_le_bytes()); // OutputOffset
        out.extend_from_slice(&0u32.to_le_bytes()); // OutputCount
        out.extend_from_slice(&self.max_output.to_le_bytes());
        out.extend_from_slice(&IS_FSCTL.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.input);
    }
}

/// Output of a pipe IOCTL or READ: the bytes, and whether more of the message waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeOutput {
    /// The SMB2 header.
    pub header: Header,
    /// The bytes read from the pipe.
    pub data: Vec<u8>,
    /// STATUS_BUFFER_OVERFLOW: the message continues in the next READ.
    pub more: bool,
}

/// Decodes the response to a [`TransceiveRequest`].
pub fn decode_transceive(msg: &[u8]) -> Result<PipeOutput, ResponseError> {
    let (header, body) = response_of(msg, command::IOCTL, "IOCTL", &[status::BUFFER_OVERFLOW])?;
    let mut r = Reader::with_offset(body, HEADER_LEN);
    expect_size(&mut r, "IOCTL StructureSize", 49)?;
    r.u16_le("IOCTL Reserved")?;
    r.u32_le("IOCTL CtlCode")?;
    r.array::<16>("IOCTL FileId")?;
    r.u32_le("IOCTL InputOffset")?;
    r.u32_le("IOCTL InputCount")?;
    let offset = r.u32_le("IOCTL OutputOffset")? as usize;
    let count = r.u32_le("IOCTL OutputCount")? as usize;
    let data = at_offset(body, offset, count, "IOCTL Output")?;
    Ok(PipeOutput {
        more: header.status == status::BUFFER_OVERFLOW,
        header,
        data: data.to_vec(),
    })
}

/// The `count` bytes at message offset `offset` (counted from the SMB2 header) of `body`.
fn at_offset<'a>(
    body: &'a [u8],
    offset: usize,
    count: usize,
    what: &'static str,
) -> Result<&'a [u8], DecodeError> {
    if count == 0 {
        return Ok(&[]);
    }
    let start = offset
        .checked_sub(HEADER_LEN)
        .ok_or(DecodeError::Unexpected {
            what,
            value: offset as u32,
        })?;
    let mut r = Reader::with_offset(body, HEADER_LEN);
    r.take(what, start)?;
    r.take(what, count)
}

/// A READ request of up to `length` bytes from the start of a pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// The handle.
    pub file_id: FileId,
    /// Bytes asked for (at most 65536 keeps the CreditCharge at 1).
    pub length: u32,
}

impl Encode for ReadRequest {
    fn encoded_len(&self) -> usize {
        HEADER_LEN + READ_FIXED_LEN + 1
    }

    fn encode(&self, out: &mut Vec<u8>) {
        Header::request(command::READ, 0, CREDITS, 0).encode(out);
        out.extend_from_slice(&49u16.to_le_bytes());
        out.push(0x50); // Padding: where the data goes in the response
        out.push(0); // Flags
        out.extend_from_slice(&self.length.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // Offset
        out.extend_from_slice(&self.file_id);
        out.extend_from_slice(&0u32.to_le_bytes()); // MinimumCount
        out.extend_from_slice(&0u32.to_le_bytes()); // Channel
        out.extend_from_slice(&0u32.to_le_bytes()); // RemainingBytes
        out.extend_from_slice(&0u32.to_le_bytes()); // ReadChannelInfo offset, length
        out.push(0); // Buffer
    }
}

/// Decodes the response to a [`ReadRequest`].
pub fn decode_read(msg: &[u8]) -> Result<PipeOutput, ResponseError> {
    let (header, body) = response_of(msg, command::READ, "READ", &[status::BUFFER_OVERFLOW])?;
    let mut r = Reader::with_offset(body, HEADER_LEN);
    expect_size(&mut r, "READ StructureSize", 17)?;
    let offset = usize::from(r.u8("READ DataOffset")?);
    r.u8("READ Reserved")?;
    let count = r.u32_le("READ DataLength")? as usize;
    let data = at_offset(body, offset, count, "READ Data")?;
    Ok(PipeOutput {
        more: header.status == status::BUFFER_OVERFLOW,
        header,
        data: data.to_vec(),
    })
}
