//! SMB_COM_SESSION_SETUP_ANDX: the extended-security request and response ([MS-SMB]
//! 2.2.4.6.1 and 2.2.4.6.2) and the NT LM 0.12 null-session request and response
//! ([MS-CIFS] 2.2.4.53.1 and 2.2.4.53.2).

use super::capabilities;
use super::header::{HEADER_LEN, Header, command, flags2};
use super::negotiate::REQUEST_FLAGS2;
use super::strings::{StringReader, put_string};
use crate::codec::measured_len;
use crate::field::{len16, put_len16_le};
use crate::{DecodeError, Encode, Reader};

/// `NativeOS` we send.
pub const NATIVE_OS: &str = "Unix";
/// `NativeLanMan` we send.
pub const NATIVE_LANMAN: &str = "smbaudit";
/// Capabilities of the extended-security request.
pub const SESSION_SETUP_CAPABILITIES: u32 = capabilities::EXTENDED_SECURITY
    | capabilities::LEVEL_II_OPLOCKS
    | capabilities::NT_STATUS
    | capabilities::NT_SMBS
    | capabilities::LARGE_FILES
    | capabilities::UNICODE;
/// Capabilities of the null-session request.
pub const ANONYMOUS_CAPABILITIES: u32 = capabilities::NT_STATUS | capabilities::UNICODE;
/// Flags2 of the null-session request: no EXTENDED_SECURITY, as the server did not
/// negotiate it.
const ANONYMOUS_FLAGS2: u16 = flags2::UNICODE | flags2::NT_STATUS | flags2::LONG_NAMES;
/// `MaxBufferSize` we announce (the Windows client value).
const MAX_BUFFER_SIZE: u16 = 16644;
/// `MaxMpxCount` we announce; we never have more than one request outstanding.
const MAX_MPX_COUNT: u16 = 10;
/// `VcNumber`: not 0, because [MS-CIFS] 3.3.5.47 lets a server drop every other
/// connection from the same client when a session setup arrives on VC 0.
const VC_NUMBER: u16 = 1;
/// Largest security blob we send, leaving room in the 16-bit ByteCount for the strings.
const MAX_BLOB_LEN: usize = 0xFF00;

/// SESSION_SETUP_ANDX request: NativeOS [`NATIVE_OS`], NativeLanMan [`NATIVE_LANMAN`], the
/// MID chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetupRequest<'a> {
    /// `UID`: 0 for the first leg, then the one the server gave.
    pub uid: u16,
    /// `MID`.
    pub mid: u16,
    /// What the request authenticates with.
    pub security: SessionSecurity<'a>,
}

/// How a SESSION_SETUP_ANDX authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSecurity<'a> {
    /// Extended security ([MS-SMB] 2.2.4.6.1) carrying this security blob (SPNEGO or raw
    /// NTLMSSP); Capabilities [`SESSION_SETUP_CAPABILITIES`], Flags2 the negotiate
    /// request's. A blob over 65280 bytes is cut.
    Extended(&'a [u8]),
    /// A null session for servers that did not negotiate extended security ([MS-CIFS]
    /// 2.2.4.53.1: empty account, empty passwords, Capabilities [`ANONYMOUS_CAPABILITIES`],
    /// Flags2 UNICODE | NT_STATUS | LONG_NAMES).
    Anonymous,
}

impl Encode for SessionSetupRequest<'_> {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        // Strings align from the SMB header: build the message alone, then append it.
        let mut msg = Vec::with_capacity(HEADER_LEN + 64);
        match self.security {
            SessionSecurity::Extended(blob) => extended(&mut msg, self.uid, self.mid, blob),
            SessionSecurity::Anonymous => anonymous(&mut msg, self.mid),
        }
        out.extend_from_slice(&msg);
    }
}

fn extended(out: &mut Vec<u8>, uid: u16, mid: u16, security_blob: &[u8]) {
    let blob = security_blob.get(..MAX_BLOB_LEN).unwrap_or(security_blob);
    put_request_start(out, REQUEST_FLAGS2, uid, mid, 12);
    put_len16_le(out, blob.len());
    out.extend_from_slice(&0u32.to_le_bytes()); // Reserved
    out.extend_from_slice(&SESSION_SETUP_CAPABILITIES.to_le_bytes());
    let byte_count_at = out.len();
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(blob);
    pad_to_2(out);
    put_native_strings_and_byte_count(out, byte_count_at);
}

fn anonymous(out: &mut Vec<u8>, mid: u16) {
    put_request_start(out, ANONYMOUS_FLAGS2, 0, mid, 13);
    out.extend_from_slice(&0u16.to_le_bytes()); // OEMPasswordLen
    out.extend_from_slice(&0u16.to_le_bytes()); // UnicodePasswordLen
    out.extend_from_slice(&0u32.to_le_bytes()); // Reserved
    out.extend_from_slice(&ANONYMOUS_CAPABILITIES.to_le_bytes());
    let byte_count_at = out.len();
    out.extend_from_slice(&[0, 0]);
    pad_to_2(out); // both passwords are empty; Pad aligns AccountName
    put_string(out, "", true); // AccountName
    put_string(out, "", true); // PrimaryDomain
    put_native_strings_and_byte_count(out, byte_count_at);
}

/// The part both requests share: the header, WordCount, AndX none (command, reserved,
/// offset 0), MaxBufferSize, MaxMpxCount, VcNumber and SessionKey 0.
fn put_request_start(out: &mut Vec<u8>, flags2: u16, uid: u16, mid: u16, word_count: u8) {
    Header::request(command::SESSION_SETUP_ANDX, flags2, uid, mid).encode(out);
    out.push(word_count);
    out.extend_from_slice(&[command::NO_ANDX_COMMAND, 0, 0, 0]);
    out.extend_from_slice(&MAX_BUFFER_SIZE.to_le_bytes());
    out.extend_from_slice(&MAX_MPX_COUNT.to_le_bytes());
    out.extend_from_slice(&VC_NUMBER.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // SessionKey
}

/// NativeOS and NativeLanMan, then the ByteCount at `byte_count_at` filled in.
fn put_native_strings_and_byte_count(out: &mut Vec<u8>, byte_count_at: usize) {
    put_string(out, NATIVE_OS, true);
    put_string(out, NATIVE_LANMAN, true);
    patch_byte_count(out, byte_count_at);
}

/// Pads to a 2-byte boundary from the SMB header (the message starts at the header).
fn pad_to_2(out: &mut Vec<u8>) {
    if out.len() % 2 == 1 {
        out.push(0);
    }
}

/// Writes the ByteCount at `at` from the bytes that follow it.
fn patch_byte_count(out: &mut [u8], at: usize) {
    let count = out.len().saturating_sub(at + 2);
    let count = len16(count).to_le_bytes();
    if let Some(slot) = out.get_mut(at..at + 2) {
        slot.copy_from_slice(&count);
    }
}

/// A SESSION_SETUP_ANDX response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSetupResponse {
    /// The SMB1 header (`status`, and the `uid` to use from now on).
    pub header: Header,
    /// `Action` (bit 0: logged on as guest); 0 when WordCount is 0.
    pub action: u16,
    /// `SecurityBlob` (WordCount 4 only).
    pub security_blob: Vec<u8>,
    /// `NativeOS`, e.g. "Windows 7 Ultimate 7601 Service Pack 1".
    pub native_os: Option<String>,
    /// `NativeLanMan`.
    pub native_lanman: Option<String>,
    /// `PrimaryDomain` (Windows sends it; Windows XP and Samba in extended mode may not).
    pub primary_domain: Option<String>,
}

impl SessionSetupResponse {
    /// Handles WordCount 4 (extended security: blob then strings), WordCount 3
    /// (non-extended: strings only) and WordCount 0 (error: no fields). Strings are Unicode
    /// when the response Flags2 has UNICODE (with the pad byte that aligns them to 2 bytes
    /// from the SMB header start), else OEM/ASCII; a missing trailing string is None, not an
    /// error, and a last string whose terminator is cut short keeps its characters. An error
    /// status decodes too (WordCount 0): a failed leg's status and UID are the answer.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let (header, rest) = Header::decode(msg)?;
        if header.command != command::SESSION_SETUP_ANDX {
            return Err(DecodeError::Unexpected {
                what: "SMB1 Command (SESSION_SETUP_ANDX expected)",
                value: u32::from(header.command),
            });
        }
        let mut r = Reader::with_offset(rest, HEADER_LEN);
        let word_count = r.u8("WordCount")?;
        if !matches!(word_count, 0 | 3 | 4) {
            return Err(DecodeError::Unexpected {
                what: "SESSION_SETUP_ANDX WordCount",
                value: u32::from(word_count),
            });
        }
        let mut w = r.sub("Words", usize::from(word_count) * 2)?;
        let byte_count = usize::from(r.u16_le("ByteCount")?);
        let bytes_offset = r.offset();
        let bytes = r.take("Bytes", byte_count)?;
        let mut response = Self {
            header,
            action: 0,
            security_blob: Vec::new(),
            native_os: None,
            native_lanman: None,
            primary_domain: None,
        };
        if word_count == 0 {
            return Ok(response);
        }
        w.take("AndX", 4)?;
        response.action = w.u16_le("Action")?;
        let blob_len = if word_count == 4 {
            usize::from(w.u16_le("SecurityBlobLength")?)
        } else {
            0
        };
        response.security_blob = Reader::with_offset(bytes, bytes_offset)
            .take("SecurityBlob", blob_len)?
            .to_vec();
        let mut s = StringReader::new(bytes, bytes_offset, blob_len, response.header.unicode());
        s.align();
        response.native_os = s.next_string();
        response.native_lanman = s.next_string();
        response.primary_domain = s.next_string();
        Ok(response)
    }

    /// The server logged us on as guest (`Action & 1`).
    pub fn guest(&self) -> bool {
        self.action & 1 != 0
    }
}

#[cfg(test)]
#[path = "session_setup_tests.rs"]
mod tests;
