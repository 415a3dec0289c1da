//! SMB2 NEGOTIATE request ([MS-SMB2] 2.2.3) and response (2.2.4).

use super::capabilities;
use super::context::{
    ContextData, NegotiateContext, cipher, compression, context_type, decode_context_list,
    encode_context_list, hash_algorithm, rdma_transform, signing_algorithm,
};
use super::dialect::Dialect;
use super::header::{HEADER_LEN, Header, command};
use crate::field::put_len16_le;
use crate::reader::slice_at;
use crate::{DecodeError, Encode, Reader, ResponseError};

/// `StructureSize` of the NEGOTIATE request body (fixed whatever the dialect count).
const REQUEST_STRUCTURE_SIZE: u16 = 36;
/// `StructureSize` of the NEGOTIATE response body.
const RESPONSE_STRUCTURE_SIZE: u16 = 65;
/// `SMB2_NEGOTIATE_SIGNING_ENABLED`.
pub const SIGNING_ENABLED: u16 = 0x0001;
/// `SMB2_NEGOTIATE_SIGNING_REQUIRED`.
pub const SIGNING_REQUIRED: u16 = 0x0002;
/// CreditRequest of our NEGOTIATE.
const NEGOTIATE_CREDITS: u16 = 1;

/// Capabilities we advertise. ENCRYPTION is included because [MS-SMB2] 3.3.5.4 has 3.0 and
/// 3.0.2 servers set `SMB2_GLOBAL_CAP_ENCRYPTION` only when the client advertised it.
pub const REQUEST_CAPABILITIES: u32 = capabilities::DFS
    | capabilities::LEASING
    | capabilities::LARGE_MTU
    | capabilities::MULTI_CHANNEL
    | capabilities::PERSISTENT_HANDLES
    | capabilities::DIRECTORY_LEASING
    | capabilities::ENCRYPTION;

/// An SMB2 NEGOTIATE request ([MS-SMB2] 2.2.3), MessageId 0, CreditRequest 1.
///
/// SecurityMode is `SIGNING_ENABLED` (not required) and Capabilities
/// [`REQUEST_CAPABILITIES`]. When 3.1.1 is offered the request carries, in this order:
/// PREAUTH_INTEGRITY (SHA-512 and `salt`), ENCRYPTION (AES-128-GCM, AES-128-CCM,
/// AES-256-GCM, AES-256-CCM), COMPRESSION (flags 0; LZNT1, LZ77, LZ77+Huffman, Pattern_V1,
/// LZ4), NETNAME (`netname`), TRANSPORT (flags 0), RDMA_TRANSFORM (encryption, signing) and
/// SIGNING (AES-GMAC, AES-CMAC, HMAC-SHA256). Otherwise ClientStartTime is 0 and there are
/// no contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateRequest<'a> {
    /// Dialects to offer, in the order given.
    pub dialects: &'a [Dialect],
    /// `ClientGuid`. Use a fresh random GUID per connection: Samba with multi-channel hands a
    /// new connection whose ClientGuid it already knows over to the existing one's process.
    pub client_guid: [u8; 16],
    /// Preauth integrity salt (used only when 3.1.1 is offered).
    pub salt: [u8; 32],
    /// Server name for the NETNAME context (3.1.1 only); the IP as text is fine.
    pub netname: &'a str,
}

impl Encode for NegotiateRequest<'_> {
    fn encoded_len(&self) -> usize {
        self.message().len()
    }

    /// The whole SMB2 message, from the 0xFE 'SMB' header on.
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.message());
    }
}

impl NegotiateRequest<'_> {
    /// The message alone: the contexts are aligned from the start of its header.
    fn message(&self) -> Vec<u8> {
        let dialects = self
            .dialects
            .get(..usize::from(u16::MAX))
            .unwrap_or(self.dialects);
        let contexts = if dialects.contains(&Dialect::Smb311) {
            self.contexts()
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(256);
        Header::request(command::NEGOTIATE, 0, NEGOTIATE_CREDITS, 0).encode(&mut out);
        out.extend_from_slice(&REQUEST_STRUCTURE_SIZE.to_le_bytes());
        put_len16_le(&mut out, dialects.len());
        out.extend_from_slice(&SIGNING_ENABLED.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // Reserved
        out.extend_from_slice(&REQUEST_CAPABILITIES.to_le_bytes());
        out.extend_from_slice(&self.client_guid);
        if contexts.is_empty() {
            out.extend_from_slice(&0u64.to_le_bytes()); // ClientStartTime
        } else {
            // "NegotiateContextOffset: the offset, in bytes, from the beginning of the SMB2
            // header to the first, 8-byte-aligned negotiate context". Samba requires exactly
            // this value: header + 36 + dialects, rounded up to 8.
            let dialects_end =
                HEADER_LEN + usize::from(REQUEST_STRUCTURE_SIZE) + 2 * dialects.len();
            let offset = dialects_end.next_multiple_of(8);
            out.extend_from_slice(&u32::try_from(offset).unwrap_or(u32::MAX).to_le_bytes());
            put_len16_le(&mut out, contexts.len());
            out.extend_from_slice(&0u16.to_le_bytes()); // Reserved2
        }
        for d in dialects {
            out.extend_from_slice(&d.code().to_le_bytes());
        }
        // The list pads to 8 bytes before each context, the first one included.
        encode_context_list(&contexts, &mut out);
        out
    }

    /// The 3.1.1 negotiate contexts, in the order documented on the type.
    fn contexts(&self) -> Vec<NegotiateContext> {
        [
            ContextData::PreauthIntegrity {
                hash_algorithms: vec![hash_algorithm::SHA_512],
                salt: self.salt.to_vec(),
            },
            ContextData::Encryption {
                ciphers: vec![
                    cipher::AES_128_GCM,
                    cipher::AES_128_CCM,
                    cipher::AES_256_GCM,
                    cipher::AES_256_CCM,
                ],
            },
            ContextData::Compression {
                flags: 0,
                algorithms: vec![
                    compression::LZNT1,
                    compression::LZ77,
                    compression::LZ77_HUFFMAN,
                    compression::PATTERN_V1,
                    compression::LZ4,
                ],
            },
            ContextData::Netname(self.netname.to_owned()),
            ContextData::Transport { flags: 0 },
            ContextData::RdmaTransform {
                transforms: vec![rdma_transform::ENCRYPTION, rdma_transform::SIGNING],
            },
            ContextData::Signing {
                algorithms: vec![
                    signing_algorithm::AES_GMAC,
                    signing_algorithm::AES_CMAC,
                    signing_algorithm::HMAC_SHA256,
                ],
            },
        ]
        .iter()
        .filter_map(ContextData::to_context)
        .collect()
    }
}

/// A NEGOTIATE response ([MS-SMB2] 2.2.4) with status 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateResponse {
    /// The SMB2 header.
    pub header: Header,
    /// `SecurityMode` (see [`SIGNING_ENABLED`], [`SIGNING_REQUIRED`]).
    pub security_mode: u16,
    /// `DialectRevision`, raw (0x02FF is the wildcard answer to an SMB1 multi-protocol
    /// negotiate).
    pub dialect: u16,
    /// `ServerGuid`, as on the wire.
    pub server_guid: [u8; 16],
    /// `Capabilities` (see [`capabilities`](super::capabilities)).
    pub capabilities: u32,
    /// `MaxTransactSize`.
    pub max_transact_size: u32,
    /// `MaxReadSize`.
    pub max_read_size: u32,
    /// `MaxWriteSize`.
    pub max_write_size: u32,
    /// `SystemTime`, a raw FILETIME.
    pub system_time: u64,
    /// `ServerStartTime`, a raw FILETIME (0 when not disclosed).
    pub server_start_time: u64,
    /// The security buffer (a SPNEGO NegTokenInit2, or empty).
    pub security_buffer: Vec<u8>,
    /// Negotiate contexts, decoded only when `dialect` is 0x0311.
    pub contexts: Vec<NegotiateContext>,
}

impl NegotiateResponse {
    /// Decodes a whole SMB2 message. A non-zero status (an error response, StructureSize 9)
    /// is `Err(ResponseError::Status(status))`; malformed bytes are
    /// `Err(ResponseError::Decode(..))`.
    pub fn decode(msg: &[u8]) -> Result<Self, ResponseError> {
        let (header, body) = Header::decode(msg)?;
        if header.command != command::NEGOTIATE {
            return Err(DecodeError::Unexpected {
                what: "SMB2 Command (NEGOTIATE expected)",
                value: u32::from(header.command),
            }
            .into());
        }
        if header.status != 0 {
            return Err(ResponseError::Status(header.status));
        }
        let mut r = Reader::with_offset(body, HEADER_LEN);
        let structure_size = r.u16_le("NEGOTIATE StructureSize")?;
        if structure_size != RESPONSE_STRUCTURE_SIZE {
            return Err(DecodeError::Unexpected {
                what: "NEGOTIATE StructureSize",
                value: u32::from(structure_size),
            }
            .into());
        }
        let security_mode = r.u16_le("SecurityMode")?;
        let dialect = r.u16_le("DialectRevision")?;
        let context_count = r.u16_le("NegotiateContextCount")?;
        let server_guid = r.array::<16>("ServerGuid")?;
        let capabilities = r.u32_le("Capabilities")?;
        let max_transact_size = r.u32_le("MaxTransactSize")?;
        let max_read_size = r.u32_le("MaxReadSize")?;
        let max_write_size = r.u32_le("MaxWriteSize")?;
        let system_time = r.u64_le("SystemTime")?;
        let server_start_time = r.u64_le("ServerStartTime")?;
        let buffer_offset = usize::from(r.u16_le("SecurityBufferOffset")?);
        let buffer_len = usize::from(r.u16_le("SecurityBufferLength")?);
        let context_offset = r.u32_le("NegotiateContextOffset")?;
        // An empty buffer may come with any offset (Windows sends 0x80 or 0).
        let security_buffer = if buffer_len == 0 {
            Vec::new()
        } else {
            slice_at(msg, "SecurityBuffer", buffer_offset, buffer_len)?.to_vec()
        };
        let contexts = if dialect == Dialect::Smb311.code() {
            let offset = usize::try_from(context_offset).map_err(|_| DecodeError::TooLarge {
                what: "NegotiateContextOffset",
                value: usize::MAX,
                limit: msg.len(),
            })?;
            decode_context_list(msg, offset, context_count)?
        } else {
            Vec::new()
        };
        Ok(Self {
            header,
            security_mode,
            dialect,
            server_guid,
            capabilities,
            max_transact_size,
            max_read_size,
            max_write_size,
            system_time,
            server_start_time,
            security_buffer,
            contexts,
        })
    }

    /// Signing is required (`SecurityMode & 0x02`): the only signing bit that tells
    /// anything in SMB2, as servers always set "enabled".
    pub fn signing_required(&self) -> bool {
        self.security_mode & SIGNING_REQUIRED != 0
    }

    /// Signing is enabled (`SecurityMode & 0x01`).
    pub fn signing_enabled(&self) -> bool {
        self.security_mode & SIGNING_ENABLED != 0
    }

    /// The first context of `context_type`, decoded, if present and well formed.
    pub fn context(&self, context_type: u16) -> Option<ContextData> {
        self.contexts
            .iter()
            .find(|c| c.context_type == context_type)
            .and_then(|c| c.decode_data().ok())
    }

    /// The cipher the server chose in a 3.1.1 ENCRYPTION context (0 = none in common).
    pub fn cipher(&self) -> Option<u16> {
        match self.context(context_type::ENCRYPTION)? {
            ContextData::Encryption { ciphers } => ciphers.first().copied(),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "negotiate_tests.rs"]
mod tests;
