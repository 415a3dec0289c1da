//! SMB_COM_TRANSACTION and SMB_COM_TRANSACTION2 ([MS-CIFS] 2.2.4.33, 2.2.4.46): one request
//! whose parameters and data fit in one message, and one response message. What the share
//! walk sends through them: TRANS_TRANSACT_NMPIPE (DCE/RPC on a pipe, [MS-CIFS] 2.2.5.6),
//! RAP on `\PIPE\LANMAN` ([MS-RAP]) and TRANS2_FIND_FIRST2 ([MS-CIFS] 2.2.6.2).
//!
//! Strings are OEM (Flags2 without UNICODE): the pipe names are ASCII, and RAP answers in
//! OEM whatever the flag says.

use super::body::{Body, bytes_offset, field_at, put_request};
use super::header::{Header, command, flags2};
use crate::codec::measured_len;
use crate::field::len16;
use crate::{DecodeError, Encode, ResponseError};

/// `TRANS_TRANSACT_NMPIPE` ([MS-CIFS] 2.2.5.6): write to a pipe and read its answer.
pub const TRANS_TRANSACT_NMPIPE: u16 = 0x0026;
/// `TRANS2_FIND_FIRST2`.
pub const TRANS2_FIND_FIRST2: u16 = 0x0001;
/// `STATUS_BUFFER_OVERFLOW`: the pipe message goes on beyond this answer.
const BUFFER_OVERFLOW: u32 = 0x8000_0005;
/// Flags2 of these requests.
const FLAGS2: u16 = flags2::LONG_NAMES | flags2::NT_STATUS;
/// Setup words we send at most (TRANSACT_NMPIPE has 2, FIND_FIRST2 1).
const MAX_SETUP: usize = 4;

/// Which transaction command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransCommand {
    /// SMB_COM_TRANSACTION, with a `Name` (`\PIPE\`, `\PIPE\LANMAN`).
    Transaction,
    /// SMB_COM_TRANSACTION2 (its `Name` is one NUL byte).
    Transaction2,
}

/// A transaction request sent whole (no secondary requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRequest {
    /// TRANSACTION or TRANSACTION2.
    pub command: TransCommand,
    /// `UID` of the session.
    pub uid: u16,
    /// `TID` of the tree.
    pub tid: u16,
    /// `MID`.
    pub mid: u16,
    /// `Setup` words (at most 4 are sent).
    pub setup: Vec<u16>,
    /// `Name` of a TRANSACTION (ignored for TRANSACTION2).
    pub name: String,
    /// `Trans_Parameters`.
    pub parameters: Vec<u8>,
    /// `Trans_Data`.
    pub data: Vec<u8>,
    /// `MaxParameterCount`.
    pub max_parameter_count: u16,
    /// `MaxDataCount`.
    pub max_data_count: u16,
}

impl TransactionRequest {
    /// TRANS_TRANSACT_NMPIPE on `fid`: write `data` (a DCE/RPC PDU) and read at most
    /// `max_data_count` bytes of the answer.
    pub fn transact_nmpipe(
        uid: u16,
        tid: u16,
        mid: u16,
        fid: u16,
        data: Vec<u8>,
        max_data_count: u16,
    ) -> Self {
        Self {
            command: TransCommand::Transaction,
            uid,
            tid,
            mid,
            setup: vec![TRANS_TRANSACT_NMPIPE, fid],
            name: r"\PIPE\".into(),
            parameters: Vec::new(),
            data,
            max_parameter_count: 0,
            max_data_count,
        }
    }
}

impl Encode for TransactionRequest {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let cmd = match self.command {
            TransCommand::Transaction => command::TRANSACTION,
            TransCommand::Transaction2 => command::TRANSACTION2,
        };
        let mut header = Header::request(cmd, FLAGS2, self.uid, self.mid);
        header.tid = self.tid;
        let setup = self.setup.get(..MAX_SETUP).unwrap_or(&self.setup);
        let words_len = 28 + setup.len() * 2;
        let start = bytes_offset(words_len);
        let mut bytes = Vec::new();
        match self.command {
            TransCommand::Transaction => {
                bytes.extend(
                    self.name
                        .bytes()
                        .map(|b| if b.is_ascii() { b } else { b'?' }),
                );
                bytes.push(0);
            }
            TransCommand::Transaction2 => bytes.push(0),
        }
        pad_to_4(&mut bytes, start);
        let parameter_offset = start + bytes.len();
        bytes.extend_from_slice(&self.parameters);
        pad_to_4(&mut bytes, start);
        let data_offset = start + bytes.len();
        bytes.extend_from_slice(&self.data);
        let mut words = Vec::with_capacity(words_len);
        for v in [
            len16(self.parameters.len()),
            len16(self.data.len()),
            self.max_parameter_count,
            self.max_data_count,
        ] {
            words.extend_from_slice(&v.to_le_bytes());
        }
        words.extend_from_slice(&[0, 0]); // MaxSetupCount, Reserved1
        words.extend_from_slice(&0u16.to_le_bytes()); // Flags
        words.extend_from_slice(&0u32.to_le_bytes()); // Timeout
        words.extend_from_slice(&0u16.to_le_bytes()); // Reserved2
        for v in [
            len16(self.parameters.len()),
            len16(parameter_offset),
            len16(self.data.len()),
            len16(data_offset),
        ] {
            words.extend_from_slice(&v.to_le_bytes());
        }
        words.push(u8::try_from(setup.len()).unwrap_or(0));
        words.push(0); // Reserved3
        for word in setup {
            words.extend_from_slice(&word.to_le_bytes());
        }
        put_request(out, &header, &words, &bytes);
    }
}

fn pad_to_4(bytes: &mut Vec<u8>, start: usize) {
    while (start + bytes.len()) % 4 != 0 {
        bytes.push(0);
    }
}

/// One TRANSACTION or TRANSACTION2 response message ([MS-CIFS] 2.2.4.33.2, 2.2.4.46.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionResponse {
    /// The SMB1 header (its status may be STATUS_BUFFER_OVERFLOW: read on).
    pub header: Header,
    /// `TotalParameterCount`.
    pub total_parameter_count: u16,
    /// `TotalDataCount`.
    pub total_data_count: u16,
    /// `ParameterDisplacement`.
    pub parameter_displacement: u16,
    /// `DataDisplacement`.
    pub data_displacement: u16,
    /// `Setup` words.
    pub setup: Vec<u16>,
    /// `Trans_Parameters` of this message.
    pub parameters: Vec<u8>,
    /// `Trans_Data` of this message.
    pub data: Vec<u8>,
}

impl TransactionResponse {
    /// Decodes a response to `command`; SUCCESS and STATUS_BUFFER_OVERFLOW carry the
    /// answer, any other status is [`ResponseError::Status`]. Parameters and data are
    /// resolved at their offsets against the whole message.
    pub fn decode(msg: &[u8], command: TransCommand) -> Result<Self, ResponseError> {
        let cmd = match command {
            TransCommand::Transaction => command::TRANSACTION,
            TransCommand::Transaction2 => command::TRANSACTION2,
        };
        let body = Body::decode(
            msg,
            cmd,
            "SMB1 Command (TRANSACTION expected)",
            &[BUFFER_OVERFLOW],
        )?;
        if body.word_count < 10 {
            return Err(DecodeError::Unexpected {
                what: "TRANSACTION response WordCount",
                value: u32::from(body.word_count),
            }
            .into());
        }
        let mut w = body.words.clone();
        let total_parameter_count = w.u16_le("TotalParameterCount")?;
        let total_data_count = w.u16_le("TotalDataCount")?;
        w.u16_le("Reserved1")?;
        let parameter_count = usize::from(w.u16_le("ParameterCount")?);
        let parameter_offset = usize::from(w.u16_le("ParameterOffset")?);
        let parameter_displacement = w.u16_le("ParameterDisplacement")?;
        let data_count = usize::from(w.u16_le("DataCount")?);
        let data_offset = usize::from(w.u16_le("DataOffset")?);
        let data_displacement = w.u16_le("DataDisplacement")?;
        let setup_count = usize::from(w.u8("SetupCount")?);
        w.u8("Reserved2")?;
        let mut setup = Vec::with_capacity(setup_count.min(w.remaining() / 2));
        for _ in 0..setup_count {
            setup.push(w.u16_le("Setup")?);
        }
        body.bytes()?;
        let parameters = field_at(msg, "Trans_Parameters", parameter_offset, parameter_count)?;
        let data = field_at(msg, "Trans_Data", data_offset, data_count)?;
        Ok(Self {
            header: body.header,
            total_parameter_count,
            total_data_count,
            parameter_displacement,
            data_displacement,
            setup,
            parameters: parameters.to_vec(),
            data: data.to_vec(),
        })
    }

    /// The server split its answer over several messages (this one does not hold it all).
    pub fn partial(&self) -> bool {
        self.parameter_displacement != 0
            || self.data_displacement != 0
            || usize::from(self.total_parameter_count) > self.parameters.len()
            || usize::from(self.total_data_count) > self.data.len()
    }

    /// The pipe message goes on (STATUS_BUFFER_OVERFLOW): READ_ANDX the rest.
    pub fn more(&self) -> bool {
        self.header.status == BUFFER_OVERFLOW
    }
}

#[cfg(test)]
#[path = "trans_tests.rs"]
mod tests;
