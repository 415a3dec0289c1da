//! SMB2 CREATE request ([MS-SMB2] 2.2.13) with create contexts (2.2.13.2), its response
//! (2.2.14), and CLOSE (2.2.15, 2.2.16).
//!
//! ```text
//! CREATE request:  StructureSize = 57 (2), SecurityFlags (1), RequestedOplockLevel (1),
//!                  ImpersonationLevel (4), SmbCreateFlags (8), Reserved (8), DesiredAccess (4),
//!                  FileAttributes (4), ShareAccess (4), CreateDisposition (4),
//!                  CreateOptions (4), NameOffset (2), NameLength (2),
//!                  CreateContextsOffset (4), CreateContextsLength (4), Buffer
//! CREATE response: StructureSize = 89 (2), OplockLevel (1), Flags (1), CreateAction (4),
//!                  four FILETIMEs (32), AllocationSize (8), EndofFile (8), FileAttributes (4),
//!                  Reserved2 (4), FileId (16), CreateContextsOffset (4),
//!                  CreateContextsLength (4), Buffer
//! context:         Next (4), NameOffset (2), NameLength (2), Reserved (2), DataOffset (2),
//!                  DataLength (4), Name, padding to 8, Data
//! ```

use super::header::{HEADER_LEN, Header, command};
use super::status;
use crate::{DecodeError, Encode, Reader, ResponseError};

const CREATE_STRUCTURE_SIZE: u16 = 57;
const CREATE_FIXED_LEN: usize = 56;
const CREATE_RESPONSE_STRUCTURE_SIZE: u16 = 89;
const CLOSE_STRUCTURE_SIZE: u16 = 24;
/// Contexts decoded from one response at most (a real server returns one per request).
pub const MAX_CREATE_CONTEXTS: usize = 16;
/// CreditRequest of the requests in this module.
const CREDITS: u16 = 8;

/// A 16-byte SMB2 FileId (persistent and volatile halves).
pub type FileId = [u8; 16];

/// A create context: its 4-byte name and its data.
pub type CreateContext = ([u8; 4], Vec<u8>);

/// [MS-SMB2] 2.2.13.2 create context names used here.
pub mod context_name {
    /// SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST / _RESPONSE.
    pub const MAXIMAL_ACCESS: [u8; 4] = *b"MxAc";
}

/// [MS-SMB2] 2.2.13.1 access mask bits (files, directories and pipes).
pub mod access {
    /// FILE_READ_DATA / FILE_LIST_DIRECTORY.
    pub const READ_DATA: u32 = 0x0000_0001;
    /// FILE_WRITE_DATA / FILE_ADD_FILE.
    pub const WRITE_DATA: u32 = 0x0000_0002;
    /// FILE_APPEND_DATA / FILE_ADD_SUBDIRECTORY.
    pub const APPEND_DATA: u32 = 0x0000_0004;
    /// FILE_READ_EA.
    pub const READ_EA: u32 = 0x0000_0008;
    /// FILE_WRITE_EA.
    pub const WRITE_EA: u32 = 0x0000_0010;
    /// FILE_EXECUTE / FILE_TRAVERSE.
    pub const EXECUTE: u32 = 0x0000_0020;
    /// FILE_DELETE_CHILD.
    pub const DELETE_CHILD: u32 = 0x0000_0040;
    /// FILE_READ_ATTRIBUTES.
    pub const READ_ATTRIBUTES: u32 = 0x0000_0080;
    /// FILE_WRITE_ATTRIBUTES.
    pub const WRITE_ATTRIBUTES: u32 = 0x0000_0100;
    /// DELETE.
    pub const DELETE: u32 = 0x0001_0000;
    /// READ_CONTROL.
    pub const READ_CONTROL: u32 = 0x0002_0000;
    /// WRITE_DAC.
    pub const WRITE_DAC: u32 = 0x0004_0000;
    /// WRITE_OWNER.
    pub const WRITE_OWNER: u32 = 0x0008_0000;
    /// SYNCHRONIZE.
    pub const SYNCHRONIZE: u32 = 0x0010_0000;
    /// MAXIMUM_ALLOWED.
    pub const MAXIMUM_ALLOWED: u32 = 0x0200_0000;
    /// GENERIC_ALL.
    pub const GENERIC_ALL: u32 = 0x1000_0000;
    /// GENERIC_WRITE.
    pub const GENERIC_WRITE: u32 = 0x4000_0000;
    /// GENERIC_READ.
    pub const GENERIC_READ: u32 = 0x8000_0000;
}

/// [MS-SMB2] 2.2.13 `ShareAccess`: read, write and delete.
pub const SHARE_ALL: u32 = 0x0000_0007;
/// `CreateDisposition` FILE_OPEN: open an existing file, never create one.
pub const FILE_OPEN: u32 = 0x0000_0001;
/// `CreateDisposition` FILE_CREATE: create, failing if it exists.
pub const FILE_CREATE: u32 = 0x0000_0002;
/// `CreateOptions` FILE_DIRECTORY_FILE.
pub const FILE_DIRECTORY_FILE: u32 = 0x0000_0001;
/// `CreateOptions` FILE_NON_DIRECTORY_FILE.
pub const FILE_NON_DIRECTORY_FILE: u32 = 0x0000_0040;
/// `CreateOptions` FILE_DELETE_ON_CLOSE.
pub const FILE_DELETE_ON_CLOSE: u32 = 0x0000_1000;
/// `ImpersonationLevel` Impersonation.
const IMPERSONATION: u32 = 2;

/// A CREATE request: open `name` (relative to the share root, "" for the root itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// The path inside the share, without a leading backslash; "" is the root.
    pub name: String,
    /// `DesiredAccess` ([`access`]).
    pub desired_access: u32,
    /// `ShareAccess`.
    pub share_access: u32,
    /// `CreateDisposition`.
    pub disposition: u32,
    /// `CreateOptions`.
    pub options: u32,
    /// Create contexts: name and data.
    pub contexts: Vec<CreateContext>,
}

impl CreateRequest {
    fn name_bytes(&self) -> Vec<u8> {
        let mut bytes = crate::ntlm::utf16le(&self.name);
        bytes.truncate(usize::from(u16::MAX) & !1);
        bytes
    }

    /// The request's body after the fixed part: the name (at least one byte, as servers
    /// demand), padded to 8, then the contexts. Returns it with the contexts' offset.
    fn buffer(&self) -> (Vec<u8>, usize) {
        let mut buf = self.name_bytes();
        if buf.is_empty() {
            buf.push(0);
        }
        if self.contexts.is_empty() {
            return (buf, 0);
        }
        pad_to_8(&mut buf);
        let at = buf.len();
        encode_contexts(&self.contexts, &mut buf);
        (buf, at)
    }
}

fn pad_to_8(buf: &mut Vec<u8>) {
    while buf.len() % 8 != 0 {
        buf.push(0);
    }
}

fn encode_contexts(contexts: &[CreateContext], out: &mut Vec<u8>) {
    for (i, (name, data)) in contexts.iter().enumerate() {
        let start = out.len();
        let data_offset = if data.is_empty() { 0u16 } else { 24 };
        out.extend_from_slice(&0u32.to_le_bytes()); // Next, fixed below
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&data_offset.to_le_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(data);
        if i + 1 < contexts.len() {
            pad_to_8(out);
            let next = u32::try_from(out.len() - start).unwrap_or(0);
            if let Some(field) = out.get_mut(start..start + 4) {
                field.copy_from_slice(&next.to_le_bytes());
            }
        }
    }
}

impl Encode for CreateRequest {
    fn encoded_len(&self) -> usize {
        HEADER_LEN + CREATE_FIXED_LEN + self.buffer().0.len()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let name_len = self.name_bytes().len();
        let (buffer, contexts_at) = self.buffer();
        let buffer_offset = HEADER_LEN + CREATE_FIXED_LEN;
        Header::request(command::CREATE, 0, CREDITS, 0).encode(out);
        out.extend_from_slice(&CREATE_STRUCTURE_SIZE.to_le_bytes());
        out.extend_from_slice(&[0, 0]); // SecurityFlags, RequestedOplockLevel (none)
        out.extend_from_slice(&IMPERSONATION.to_le_bytes());
        out.extend_from_slice(&[0; 16]); // SmbCreateFlags, Reserved
        out.extend_from_slice(&self.desired_access.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // FileAttributes
        out.extend_from_slice(&self.share_access.to_le_bytes());
        out.extend_from_slice(&self.disposition.to_le_bytes());
        out.extend_from_slice(&self.options.to_le_bytes());
        out.extend_from_slice(&(buffer_offset as u16).to_le_bytes());
        out.extend_from_slice(&u16::try_from(name_len).unwrap_or(0).to_le_bytes());
        let (ctx_offset, ctx_len) = if contexts_at == 0 {
            (0, 0)
        } else {
            (buffer_offset + contexts_at, buffer.len() - contexts_at)
        };
        out.extend_from_slice(&u32::try_from(ctx_offset).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&u32::try_from(ctx_len).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&buffer);
    }
}

/// A successful CREATE response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateResponse {
    /// The SMB2 header.
    pub header: Header,
    /// `CreateAction`: 0 superseded, 1 opened, 2 created, 3 overwritten.
    pub create_action: u32,
    /// `FileAttributes`.
    pub file_attributes: u32,
    /// The handle.
    pub file_id: FileId,
    /// The create contexts returned, name and data (at most [`MAX_CREATE_CONTEXTS`]).
    pub contexts: Vec<CreateContext>,
}

/// [MS-SMB2] 2.2.14.2.5 SMB2_CREATE_QUERY_MAXIMAL_ACCESS_RESPONSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaximalAccessReply {
    /// `QueryStatus`: the status of the access query.
    pub query_status: u32,
    /// `MaximalAccess`: the access mask the session holds on the file.
    pub maximal_access: u32,
}

impl CreateResponse {
    /// Decodes a whole SMB2 message; a non-zero status is [`ResponseError::Status`].
    pub fn decode(msg: &[u8]) -> Result<Self, ResponseError> {
        let (header, body) = success_of(msg, command::CREATE, "CREATE")?;
        let mut r = Reader::with_offset(body, HEADER_LEN);
        expect_size(
            &mut r,
            "CREATE StructureSize",
            CREATE_RESPONSE_STRUCTURE_SIZE,
        )?;
        r.take("OplockLevel, Flags", 2)?;
        let create_action = r.u32_le("CreateAction")?;
        r.take("CREATE times and sizes", 48)?;
        let file_attributes = r.u32_le("FileAttributes")?;
        r.u32_le("Reserved2")?;
        let file_id = r.array::<16>("FileId")?;
        let offset = r.u32_le("CreateContextsOffset")? as usize;
        let len = r.u32_le("CreateContextsLength")? as usize;
        let contexts = if len == 0 {
            Vec::new()
        } else {
            let start = offset
                .checked_sub(HEADER_LEN)
                .ok_or(DecodeError::Unexpected {
                    what: "CreateContextsOffset",
                    value: offset as u32,
                })?;
            let mut whole = Reader::with_offset(body, HEADER_LEN);
            whole.take("before the create contexts", start)?;
            decode_contexts(whole.take("create contexts", len)?, offset)?
        };
        Ok(Self {
            header,
            create_action,
            file_attributes,
            file_id,
            contexts,
        })
    }

    /// The MxAc context's answer, if the server returned a well-formed one.
    pub fn maximal_access(&self) -> Option<MaximalAccessReply> {
        let (_, data) = self
            .contexts
            .iter()
            .find(|(name, _)| *name == context_name::MAXIMAL_ACCESS)?;
        let mut r = Reader::new(data);
        Some(MaximalAccessReply {
            query_status: r.u32_le("QueryStatus").ok()?,
            maximal_access: r.u32_le("MaximalAccess").ok()?,
        })
    }
}

/// Walks a create context chain; every `Next` must move forward inside the buffer.
fn decode_contexts(bytes: &[u8], base: usize) -> Result<Vec<CreateContext>, DecodeError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    loop {
        if out.len() == MAX_CREATE_CONTEXTS {
            return Err(DecodeError::TooLarge {
                what: "create contexts",
                value: out.len() + 1,
                limit: MAX_CREATE_CONTEXTS,
            });
        }
        let ctx = bytes.get(at..).unwrap_or_default();
        let mut r = Reader::with_offset(ctx, base + at);
        let next = r.u32_le("create context Next")? as usize;
        let name_offset = usize::from(r.u16_le("create context NameOffset")?);
        let name_len = usize::from(r.u16_le("create context NameLength")?);
        r.u16_le("create context Reserved")?;
        let data_offset = usize::from(r.u16_le("create context DataOffset")?);
        let data_len = r.u32_le("create context DataLength")? as usize;
        if next != 0 && (next < 16 || next > ctx.len()) {
            return Err(DecodeError::Unexpected {
                what: "create context Next",
                value: next as u32,
            });
        }
        // Name and data lie inside this context, before its successor: otherwise every
        // context of a chain could claim the same bytes, and each copy of them would count.
        let own = if next == 0 {
            ctx
        } else {
            ctx.get(..next).unwrap_or(ctx)
        };
        let name = slice(own, name_offset, name_len, "create context Name")?;
        let data = slice(own, data_offset, data_len, "create context Data")?;
        let mut tag = [0u8; 4];
        if let Some(head) = name.get(..4) {
            tag.copy_from_slice(head);
        }
        out.push((tag, data.to_vec()));
        if next == 0 {
            return Ok(out);
        }
        at += next;
    }
}

fn slice<'a>(
    bytes: &'a [u8],
    offset: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], DecodeError> {
    if len == 0 {
        return Ok(&[]);
    }
    let end = offset.saturating_add(len);
    bytes
        .get(offset..end)
        .ok_or_else(|| DecodeError::Truncated {
            what,
            offset,
            needed: len,
            available: bytes.len().saturating_sub(offset),
        })
}

/// The header and body of a response to `cmd` whose status is SUCCESS (or one of the
/// success-with-data statuses of `also`).
pub(crate) fn response_of<'a>(
    msg: &'a [u8],
    cmd: u16,
    name: &'static str,
    also: &[u32],
) -> Result<(Header, &'a [u8]), ResponseError> {
    let (header, body) = Header::decode(msg)?;
    if header.command != cmd {
        return Err(DecodeError::Unexpected {
            what: command_mismatch(name),
            value: u32::from(header.command),
        }
        .into());
    }
    if header.status != status::SUCCESS && !also.contains(&header.status) {
        return Err(ResponseError::Status(header.status));
    }
    Ok((header, body))
}

fn success_of<'a>(
    msg: &'a [u8],
    cmd: u16,
    name: &'static str,
) -> Result<(Header, &'a [u8]), ResponseError> {
    response_of(msg, cmd, name, &[])
}

fn command_mismatch(name: &'static str) -> &'static str {
    match name {
        "CREATE" => "SMB2 Command (CREATE expected)",
        "CLOSE" => "SMB2 Command (CLOSE expected)",
        "IOCTL" => "SMB2 Command (IOCTL expected)",
        "READ" => "SMB2 Command (READ expected)",
        "QUERY_DIRECTORY" => "SMB2 Command (QUERY_DIRECTORY expected)",
        _ => "SMB2 Command",
    }
}

/// Reads a `StructureSize` and checks it.
pub(crate) fn expect_size(
    r: &mut Reader<'_>,
    what: &'static str,
    want: u16,
) -> Result<(), DecodeError> {
    let size = r.u16_le(what)?;
    if size != want {
        return Err(DecodeError::Unexpected {
            what,
            value: u32::from(size),
        });
    }
    Ok(())
}

/// A CLOSE request for `file_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    /// The handle to close.
    pub file_id: FileId,
}

impl Encode for CloseRequest {
    fn encoded_len(&self) -> usize {
        HEADER_LEN + 24
    }

    fn encode(&self, out: &mut Vec<u8>) {
        Header::request(command::CLOSE, 0, CREDITS, 0).encode(out);
        out.extend_from_slice(&CLOSE_STRUCTURE_SIZE.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // Flags
        out.extend_from_slice(&0u32.to_le_bytes()); // Reserved
        out.extend_from_slice(&self.file_id);
    }
}

/// The status of a CLOSE response (its body carries nothing the probes need).
pub fn close_status(msg: &[u8]) -> Result<u32, ResponseError> {
    let (header, _) = Header::decode(msg)?;
    if header.command != command::CLOSE {
        return Err(DecodeError::Unexpected {
            what: command_mismatch("CLOSE"),
            value: u32::from(header.command),
        }
        .into());
    }
    Ok(header.status)
}

#[cfg(test)]
#[path = "create_tests.rs"]
mod tests;
