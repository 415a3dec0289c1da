//! SMB_COM_NEGOTIATE request and NT LM 0.12 response ([MS-CIFS] 2.2.4.52, [MS-SMB]
//! 2.2.4.5 for the extended-security form).

use super::capabilities;
use super::header::{HEADER_LEN, Header, command, flags2};
use super::strings::StringReader;
use crate::field::put_len16_le;
use crate::{DecodeError, Encode, Reader, ResponseError};

/// Flags2 of our requests: UNICODE | NT_STATUS | EXTENDED_SECURITY | LONG_NAMES.
/// SIGNATURES is not set: it claims the message itself is signed, and ours are not.
pub const REQUEST_FLAGS2: u16 =
    flags2::UNICODE | flags2::NT_STATUS | flags2::EXTENDED_SECURITY | flags2::LONG_NAMES;
/// `DialectIndex` meaning "none of the offered dialects".
pub const NO_COMMON_DIALECT: u16 = 0xFFFF;
/// Bytes of NT LM 0.12 parameter words up to and including `Capabilities`.
const MIN_NT_LM_WORDS_LEN: usize = 23;

/// [MS-CIFS] 2.2.4.52.2 `SecurityMode` bits (one byte in SMB1).
pub mod security_mode {
    /// `NEGOTIATE_USER_SECURITY`: user-level (clear = share-level) security.
    pub const USER_SECURITY: u8 = 0x01;
    /// `NEGOTIATE_ENCRYPT_PASSWORDS`: challenge/response (clear = plaintext passwords).
    pub const ENCRYPT_PASSWORDS: u8 = 0x02;
    /// `NEGOTIATE_SECURITY_SIGNATURES_ENABLED`.
    pub const SIGNATURES_ENABLED: u8 = 0x04;
    /// `NEGOTIATE_SECURITY_SIGNATURES_REQUIRED`.
    pub const SIGNATURES_REQUIRED: u8 = 0x08;
}

/// SMB_COM_NEGOTIATE request offering exactly `dialects` (e.g. `&["NT LM 0.12"]`), MID 0,
/// UID 0, TID 0xFFFF, Flags2 [`REQUEST_FLAGS2`]. Each dialect is sent as 0x02, its bytes, NUL;
/// dialects beyond a 65535-byte total are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateRequest<'a> {
    /// The dialect strings, in the order offered.
    pub dialects: &'a [&'a str],
}

impl NegotiateRequest<'_> {
    /// The dialects that fit the 16-bit ByteCount.
    fn kept(&self) -> impl Iterator<Item = &str> {
        let mut total = 0usize;
        self.dialects.iter().copied().take_while(move |d| {
            total += d.len() + 2;
            total <= usize::from(u16::MAX)
        })
    }
}

impl Encode for NegotiateRequest<'_> {
    fn encoded_len(&self) -> usize {
        HEADER_LEN + 3 + self.kept().map(|d| d.len() + 2).sum::<usize>()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        Header::request(command::NEGOTIATE, REQUEST_FLAGS2, 0, 0).encode(out);
        out.push(0); // WordCount
        put_len16_le(out, self.kept().map(|d| d.len() + 2).sum());
        for d in self.kept() {
            out.push(0x02); // BufferFormat: dialect
            out.extend_from_slice(d.as_bytes());
            out.push(0);
        }
    }
}

/// A NEGOTIATE reply with status 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiateReply {
    /// DialectIndex 0xFFFF: the server speaks none of the offered dialects.
    NoCommonDialect {
        /// The SMB1 header.
        header: Header,
    },
    /// The server chose an NT LM 0.12 dialect.
    Negotiated(NegotiateResponse),
}

/// The NT LM 0.12 NEGOTIATE response ([MS-CIFS] 2.2.4.52.2, 17 parameter words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateResponse {
    /// The SMB1 header.
    pub header: Header,
    /// `DialectIndex` into the offered list.
    pub dialect_index: u16,
    /// `SecurityMode` (see [`security_mode`]).
    pub security_mode: u8,
    /// `MaxMpxCount`.
    pub max_mpx_count: u16,
    /// `MaxNumberVcs`.
    pub max_number_vcs: u16,
    /// `MaxBufferSize`.
    pub max_buffer_size: u32,
    /// `MaxRawSize`.
    pub max_raw_size: u32,
    /// `SessionKey`.
    pub session_key: u32,
    /// `Capabilities` (see [`capabilities`]).
    pub capabilities: u32,
    /// `SystemTime`, a raw FILETIME; `None` if the parameter words stop before it.
    pub system_time: Option<u64>,
    /// `ServerTimeZone` in minutes (UTC = local + tz); `None` if absent.
    pub server_time_zone: Option<i16>,
    /// The security data, shaped by `CAP_EXTENDED_SECURITY` in `capabilities`.
    pub security: Smb1Security,
}

/// The data part of the NEGOTIATE response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Smb1Security {
    /// [MS-SMB] 2.2.4.5.2: `ServerGUID` then a security blob (SPNEGO, or empty).
    Extended {
        /// `ServerGUID`, as on the wire.
        server_guid: [u8; 16],
        /// `SecurityBlob`.
        security_blob: Vec<u8>,
    },
    /// [MS-CIFS] 2.2.4.52.2: an NTLM challenge and the domain and server names.
    Challenge {
        /// `Challenge` (`ChallengeLength` bytes, normally 8).
        challenge: Vec<u8>,
        /// `DomainName`; `None` if absent.
        domain_name: Option<String>,
        /// `ServerName`; `None` if absent (Samba omits it).
        server_name: Option<String>,
    },
}

impl NegotiateReply {
    /// Decodes a whole SMB1 message. The layout is chosen from the *response*: its
    /// Capabilities (EXTENDED_SECURITY) and Flags2 (UNICODE), never from what was asked. A
    /// non-zero status is [`ResponseError::Status`].
    pub fn decode(msg: &[u8]) -> Result<Self, ResponseError> {
        let (header, rest) = Header::decode(msg)?;
        if header.command != command::NEGOTIATE {
            return Err(DecodeError::Unexpected {
                what: "SMB1 Command (NEGOTIATE expected)",
                value: u32::from(header.command),
            }
            .into());
        }
        if header.status != 0 {
            return Err(ResponseError::Status(header.status));
        }
        Ok(Self::decode_body(header, rest)?)
    }

    fn decode_body(header: Header, rest: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::with_offset(rest, HEADER_LEN);
        let word_count = r.u8("WordCount")?;
        let words_len = usize::from(word_count) * 2;
        let mut w = r.sub("Words", words_len)?;
        let dialect_index = w.u16_le("DialectIndex")?;
        if dialect_index == NO_COMMON_DIALECT {
            return Ok(Self::NoCommonDialect { header });
        }
        // WordCount 1 is a core-protocol dialect and 13 a LANMAN one: other layouts.
        if word_count == 13 || words_len < MIN_NT_LM_WORDS_LEN {
            return Err(DecodeError::Unexpected {
                what: "NEGOTIATE WordCount (17 expected for NT LM 0.12)",
                value: u32::from(word_count),
            });
        }
        let security_mode = w.u8("SecurityMode")?;
        let max_mpx_count = w.u16_le("MaxMpxCount")?;
        let max_number_vcs = w.u16_le("MaxNumberVcs")?;
        let max_buffer_size = w.u32_le("MaxBufferSize")?;
        let max_raw_size = w.u32_le("MaxRawSize")?;
        let session_key = w.u32_le("SessionKey")?;
        let capabilities = w.u32_le("Capabilities")?;
        // Some embedded stacks stop here; read the rest only if present.
        let system_time = w.u64_le("SystemTime").ok();
        let server_time_zone = system_time
            .and_then(|_| w.u16_le("ServerTimeZone").ok())
            .map(|tz| i16::from_le_bytes(tz.to_le_bytes()));
        let challenge_length = server_time_zone.and_then(|_| w.u8("ChallengeLength").ok());

        let byte_count = usize::from(r.u16_le("ByteCount")?);
        let bytes_offset = r.offset();
        let bytes = r.take("Bytes", byte_count)?;
        let mut b = Reader::with_offset(bytes, bytes_offset);
        let security = if capabilities & capabilities::EXTENDED_SECURITY != 0 {
            Smb1Security::Extended {
                server_guid: b.array::<16>("ServerGUID")?,
                security_blob: b.peek_rest().to_vec(),
            }
        } else {
            let challenge = b
                .take("Challenge", usize::from(challenge_length.unwrap_or(0)))?
                .to_vec();
            // No Pad before DomainName: Windows 7 starts it at odd offset 77 (capture test).
            let mut s = StringReader::new(bytes, bytes_offset, challenge.len(), header.unicode());
            Smb1Security::Challenge {
                challenge,
                domain_name: s.next_string(),
                server_name: s.next_string(),
            }
        };
        Ok(Self::Negotiated(NegotiateResponse {
            header,
            dialect_index,
            security_mode,
            max_mpx_count,
            max_number_vcs,
            max_buffer_size,
            max_raw_size,
            session_key,
            capabilities,
            system_time,
            server_time_zone,
            security,
        }))
    }
}

impl NegotiateResponse {
    /// User-level security (`SecurityMode & 0x01`); clear means share-level.
    pub fn user_level(&self) -> bool {
        self.security_mode & security_mode::USER_SECURITY != 0
    }

    /// Challenge/response authentication (`& 0x02`); clear means plaintext passwords.
    pub fn challenge_response(&self) -> bool {
        self.security_mode & security_mode::ENCRYPT_PASSWORDS != 0
    }

    /// Signing enabled (`& 0x04`).
    pub fn signing_enabled(&self) -> bool {
        self.security_mode & security_mode::SIGNATURES_ENABLED != 0
    }

    /// Signing required (`& 0x08`).
    pub fn signing_required(&self) -> bool {
        self.security_mode & security_mode::SIGNATURES_REQUIRED != 0
    }
}

#[cfg(test)]
#[path = "negotiate_tests.rs"]
mod tests;
