//! SMB 3.1.1 negotiate contexts ([MS-SMB2] 2.2.3.1 and 2.2.4.1): the list after the
//! NEGOTIATE request and response bodies, and the data of each known context type
//! (2.2.3.1.1 to 2.2.3.1.7).

use crate::field::put_len16_le;
use crate::reader::slice_at;
use crate::text::{to_utf16le, utf16le_until_nul};
use crate::{DecodeError, Reader};

/// Bytes in a context's header: `ContextType(2) DataLength(2) Reserved(4)`.
pub const CONTEXT_HEADER_LEN: usize = 8;

/// [MS-SMB2] 2.2.3.1 `ContextType` values.
pub mod context_type {
    /// `SMB2_PREAUTH_INTEGRITY_CAPABILITIES`.
    pub const PREAUTH_INTEGRITY: u16 = 0x0001;
    /// `SMB2_ENCRYPTION_CAPABILITIES`.
    pub const ENCRYPTION: u16 = 0x0002;
    /// `SMB2_COMPRESSION_CAPABILITIES`.
    pub const COMPRESSION: u16 = 0x0003;
    /// `SMB2_NETNAME_NEGOTIATE_CONTEXT_ID`.
    pub const NETNAME: u16 = 0x0005;
    /// `SMB2_TRANSPORT_CAPABILITIES`.
    pub const TRANSPORT: u16 = 0x0006;
    /// `SMB2_RDMA_TRANSFORM_CAPABILITIES`.
    pub const RDMA_TRANSFORM: u16 = 0x0007;
    /// `SMB2_SIGNING_CAPABILITIES`.
    pub const SIGNING: u16 = 0x0008;
}

/// [MS-SMB2] 2.2.3.1.1 `HashAlgorithms`.
pub mod hash_algorithm {
    /// SHA-512, the only one defined.
    pub const SHA_512: u16 = 0x0001;
}

/// [MS-SMB2] 2.2.3.1.2 `Ciphers`.
pub mod cipher {
    /// AES-128-CCM.
    pub const AES_128_CCM: u16 = 0x0001;
    /// AES-128-GCM.
    pub const AES_128_GCM: u16 = 0x0002;
    /// AES-256-CCM.
    pub const AES_256_CCM: u16 = 0x0003;
    /// AES-256-GCM.
    pub const AES_256_GCM: u16 = 0x0004;
}

/// [MS-SMB2] 2.2.3.1.3 `CompressionAlgorithms` (and `Flags`).
pub mod compression {
    /// No compression.
    pub const NONE: u16 = 0x0000;
    /// LZNT1 ([MS-XCA]).
    pub const LZNT1: u16 = 0x0001;
    /// Plain LZ77 ([MS-XCA]).
    pub const LZ77: u16 = 0x0002;
    /// LZ77+Huffman ([MS-XCA]).
    pub const LZ77_HUFFMAN: u16 = 0x0003;
    /// Pattern scanning (2.2.42.2.2).
    pub const PATTERN_V1: u16 = 0x0004;
    /// LZ4.
    pub const LZ4: u16 = 0x0005;
    /// `SMB2_COMPRESSION_CAPABILITIES_FLAG_CHAINED`.
    pub const FLAG_CHAINED: u32 = 0x0000_0001;
}

/// [MS-SMB2] 2.2.3.1.5 TRANSPORT_CAPABILITIES `Flags`.
pub mod transport {
    /// `SMB2_ACCEPT_TRANSPORT_LEVEL_SECURITY` (SMB over QUIC).
    pub const ACCEPT_TRANSPORT_LEVEL_SECURITY: u32 = 0x0000_0001;
}

/// [MS-SMB2] 2.2.3.1.6 `RDMATransformIds`.
pub mod rdma_transform {
    /// `SMB2_RDMA_TRANSFORM_NONE`.
    pub const NONE: u16 = 0x0000;
    /// `SMB2_RDMA_TRANSFORM_ENCRYPTION`.
    pub const ENCRYPTION: u16 = 0x0001;
    /// `SMB2_RDMA_TRANSFORM_SIGNING`.
    pub const SIGNING: u16 = 0x0002;
}

/// [MS-SMB2] 2.2.3.1.7 `SigningAlgorithms`.
pub mod signing_algorithm {
    /// HMAC-SHA256.
    pub const HMAC_SHA256: u16 = 0x0000;
    /// AES-CMAC.
    pub const AES_CMAC: u16 = 0x0001;
    /// AES-GMAC.
    pub const AES_GMAC: u16 = 0x0002;
}

/// One negotiate context ([MS-SMB2] 2.2.3.1), kept losslessly (unknown types too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateContext {
    /// `ContextType` (see [`context_type`]).
    pub context_type: u16,
    /// `Data`: `DataLength` bytes after the 8-byte context header.
    pub data: Vec<u8>,
}

/// The decoded data of a known negotiate context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextData {
    /// 2.2.3.1.1: hash algorithms and salt.
    PreauthIntegrity {
        /// `HashAlgorithms`.
        hash_algorithms: Vec<u16>,
        /// `Salt`.
        salt: Vec<u8>,
    },
    /// 2.2.3.1.2: ciphers (a response carries the one selected, 0 for none in common).
    Encryption {
        /// `Ciphers`.
        ciphers: Vec<u16>,
    },
    /// 2.2.3.1.3: compression flags and algorithms.
    Compression {
        /// `Flags`.
        flags: u32,
        /// `CompressionAlgorithms`.
        algorithms: Vec<u16>,
    },
    /// 2.2.3.1.4: the server name the client used.
    Netname(String),
    /// 2.2.3.1.5: transport flags.
    Transport {
        /// `Flags`.
        flags: u32,
    },
    /// 2.2.3.1.6: RDMA transforms.
    RdmaTransform {
        /// `RDMATransformIds`.
        transforms: Vec<u16>,
    },
    /// 2.2.3.1.7: signing algorithms.
    Signing {
        /// `SigningAlgorithms`.
        algorithms: Vec<u16>,
    },
    /// A context type this crate does not know.
    Unknown,
}

impl NegotiateContext {
    /// The context's short name: "preauth_integrity", "encryption", "compression",
    /// "netname", "transport", "rdma_transform", "signing", else "unknown".
    pub fn name(&self) -> &'static str {
        match self.context_type {
            context_type::PREAUTH_INTEGRITY => "preauth_integrity",
            context_type::ENCRYPTION => "encryption",
            context_type::COMPRESSION => "compression",
            context_type::NETNAME => "netname",
            context_type::TRANSPORT => "transport",
            context_type::RDMA_TRANSFORM => "rdma_transform",
            context_type::SIGNING => "signing",
            _ => "unknown",
        }
    }

    /// Decodes `data` by `context_type`. The data must hold exactly what its counts say;
    /// extra bytes are [`DecodeError::TrailingBytes`] (the raw bytes stay in `data`).
    pub fn decode_data(&self) -> Result<ContextData, DecodeError> {
        let mut r = Reader::new(&self.data);
        let decoded = match self.context_type {
            context_type::PREAUTH_INTEGRITY => {
                let count = r.u16_le("HashAlgorithmCount")?;
                let salt_len = r.u16_le("SaltLength")?;
                let hash_algorithms = u16_list(&mut r, "HashAlgorithms", count)?;
                let salt = r.take("Salt", usize::from(salt_len))?.to_vec();
                ContextData::PreauthIntegrity {
                    hash_algorithms,
                    salt,
                }
            }
            context_type::ENCRYPTION => {
                let count = r.u16_le("CipherCount")?;
                ContextData::Encryption {
                    ciphers: u16_list(&mut r, "Ciphers", count)?,
                }
            }
            context_type::COMPRESSION => {
                let count = r.u16_le("CompressionAlgorithmCount")?;
                r.u16_le("Padding")?;
                let flags = r.u32_le("Flags")?;
                ContextData::Compression {
                    flags,
                    algorithms: u16_list(&mut r, "CompressionAlgorithms", count)?,
                }
            }
            // 2.2.3.1.4: "NetName (variable): A Unicode string containing the server name".
            // Clients send it without a terminator; a NUL, if any, ends it.
            context_type::NETNAME => {
                ContextData::Netname(utf16le_until_nul(r.take("NetName", r.remaining())?))
            }
            context_type::TRANSPORT => ContextData::Transport {
                flags: r.u32_le("Flags")?,
            },
            context_type::RDMA_TRANSFORM => {
                let count = r.u16_le("TransformCount")?;
                r.u16_le("Reserved1")?;
                r.u32_le("Reserved2")?;
                ContextData::RdmaTransform {
                    transforms: u16_list(&mut r, "RDMATransformIds", count)?,
                }
            }
            context_type::SIGNING => {
                let count = r.u16_le("SigningAlgorithmCount")?;
                ContextData::Signing {
                    algorithms: u16_list(&mut r, "SigningAlgorithms", count)?,
                }
            }
            _ => return Ok(ContextData::Unknown),
        };
        r.finish("negotiate context data")?;
        Ok(decoded)
    }

    /// Appends the 8-byte context header and the data. Data longer than `DataLength` can
    /// express is cut at 65535 bytes (no context we build comes near).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let data = self.data.get(..usize::from(u16::MAX)).unwrap_or(&self.data);
        out.extend_from_slice(&self.context_type.to_le_bytes());
        put_len16_le(out, data.len());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(data);
    }
}

impl ContextData {
    /// The context carrying this data, or `None` for [`ContextData::Unknown`]. Counts and
    /// lengths are written from the vectors (cut at 65535 entries).
    pub fn to_context(&self) -> Option<NegotiateContext> {
        let mut data = Vec::new();
        let context_type = match self {
            Self::PreauthIntegrity {
                hash_algorithms,
                salt,
            } => {
                let salt = salt.get(..usize::from(u16::MAX)).unwrap_or(salt);
                put_len16_le(&mut data, hash_algorithms.len());
                put_len16_le(&mut data, salt.len());
                put_u16_list(&mut data, hash_algorithms);
                data.extend_from_slice(salt);
                context_type::PREAUTH_INTEGRITY
            }
            Self::Encryption { ciphers } => {
                put_len16_le(&mut data, ciphers.len());
                put_u16_list(&mut data, ciphers);
                context_type::ENCRYPTION
            }
            Self::Compression { flags, algorithms } => {
                put_len16_le(&mut data, algorithms.len());
                put_u16(&mut data, 0);
                data.extend_from_slice(&flags.to_le_bytes());
                put_u16_list(&mut data, algorithms);
                context_type::COMPRESSION
            }
            Self::Netname(name) => {
                data = to_utf16le(name);
                context_type::NETNAME
            }
            Self::Transport { flags } => {
                data.extend_from_slice(&flags.to_le_bytes());
                context_type::TRANSPORT
            }
            Self::RdmaTransform { transforms } => {
                put_len16_le(&mut data, transforms.len());
                put_u16(&mut data, 0);
                data.extend_from_slice(&0u32.to_le_bytes());
                put_u16_list(&mut data, transforms);
                context_type::RDMA_TRANSFORM
            }
            Self::Signing { algorithms } => {
                put_len16_le(&mut data, algorithms.len());
                put_u16_list(&mut data, algorithms);
                context_type::SIGNING
            }
            Self::Unknown => return None,
        };
        Some(NegotiateContext { context_type, data })
    }
}

/// Appends `contexts` to `out`, which must hold the message from the start of the SMB2
/// header: each context starts 8-byte aligned from the header (zero padding before it), and
/// nothing follows the last one ([MS-SMB2] 2.2.3.1; Samba rejects trailing padding).
pub fn encode_context_list(contexts: &[NegotiateContext], out: &mut Vec<u8>) {
    for context in contexts {
        pad_to_8(out);
        context.encode(out);
    }
}

/// Decodes `count` contexts starting at `offset` (from the start of the SMB2 header in
/// `msg`), each after padding to the next 8-byte boundary from the header.
pub fn decode_context_list(
    msg: &[u8],
    offset: usize,
    count: u16,
) -> Result<Vec<NegotiateContext>, DecodeError> {
    // Each context needs at least its 8-byte header, so the count can't exceed this.
    let mut contexts = Vec::with_capacity(usize::from(count).min(msg.len() / CONTEXT_HEADER_LEN));
    let mut pos = offset;
    for i in 0..count {
        if i > 0 {
            pos = align_8(pos).ok_or(DecodeError::TooLarge {
                what: "NegotiateContextOffset",
                value: pos,
                limit: msg.len(),
            })?;
        }
        let head = slice_at(msg, "NegotiateContext header", pos, CONTEXT_HEADER_LEN)?;
        let mut r = Reader::with_offset(head, pos);
        let context_type = r.u16_le("ContextType")?;
        let data_len = usize::from(r.u16_le("DataLength")?);
        r.u32_le("Reserved")?;
        let data_start = pos + CONTEXT_HEADER_LEN;
        let data = slice_at(msg, "NegotiateContext Data", data_start, data_len)?.to_vec();
        contexts.push(NegotiateContext { context_type, data });
        pos = data_start + data_len;
    }
    Ok(contexts)
}

/// `pos` rounded up to a multiple of 8.
pub(crate) fn align_8(pos: usize) -> Option<usize> {
    pos.checked_add(7).map(|p| p & !7)
}

/// Appends zeros until `out.len()` is a multiple of 8.
fn pad_to_8(out: &mut Vec<u8>) {
    while out.len() % 8 != 0 {
        out.push(0);
    }
}

/// Reads `count` little-endian u16s; a count beyond the bytes present fails on the first
/// missing element, and the vector never grows past what was read.
fn u16_list(r: &mut Reader<'_>, what: &'static str, count: u16) -> Result<Vec<u16>, DecodeError> {
    let mut out = Vec::with_capacity(usize::from(count).min(r.remaining() / 2));
    for _ in 0..count {
        out.push(r.u16_le(what)?);
    }
    Ok(out)
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u16_list(out: &mut Vec<u8>, values: &[u16]) {
    for v in values.iter().take(usize::from(u16::MAX)) {
        put_u16(out, *v);
    }
}

/// The name of a preauth integrity hash algorithm: "SHA-512".
pub fn hash_algorithm_name(id: u16) -> Option<&'static str> {
    match id {
        hash_algorithm::SHA_512 => Some("SHA-512"),
        _ => None,
    }
}

/// The name of an encryption cipher: "AES-128-CCM", "AES-128-GCM", "AES-256-CCM",
/// "AES-256-GCM".
pub fn cipher_name(id: u16) -> Option<&'static str> {
    match id {
        cipher::AES_128_CCM => Some("AES-128-CCM"),
        cipher::AES_128_GCM => Some("AES-128-GCM"),
        cipher::AES_256_CCM => Some("AES-256-CCM"),
        cipher::AES_256_GCM => Some("AES-256-GCM"),
        _ => None,
    }
}

/// The name of a compression algorithm: "NONE", "LZNT1", "LZ77", "LZ77+Huffman",
/// "Pattern_V1", "LZ4".
pub fn compression_name(id: u16) -> Option<&'static str> {
    match id {
        compression::NONE => Some("NONE"),
        compression::LZNT1 => Some("LZNT1"),
        compression::LZ77 => Some("LZ77"),
        compression::LZ77_HUFFMAN => Some("LZ77+Huffman"),
        compression::PATTERN_V1 => Some("Pattern_V1"),
        compression::LZ4 => Some("LZ4"),
        _ => None,
    }
}

/// The name of a signing algorithm: "HMAC-SHA256", "AES-CMAC", "AES-GMAC".
pub fn signing_algorithm_name(id: u16) -> Option<&'static str> {
    match id {
        signing_algorithm::HMAC_SHA256 => Some("HMAC-SHA256"),
        signing_algorithm::AES_CMAC => Some("AES-CMAC"),
        signing_algorithm::AES_GMAC => Some("AES-GMAC"),
        _ => None,
    }
}

/// The name of an RDMA transform: "NONE", "ENCRYPTION", "SIGNING".
pub fn rdma_transform_name(id: u16) -> Option<&'static str> {
    match id {
        rdma_transform::NONE => Some("NONE"),
        rdma_transform::ENCRYPTION => Some("ENCRYPTION"),
        rdma_transform::SIGNING => Some("SIGNING"),
        _ => None,
    }
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
