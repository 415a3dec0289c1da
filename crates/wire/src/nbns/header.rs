//! The 12-byte NBNS header (RFC 1002 §4.2.1.1). Big-endian, like DNS.

use crate::{DecodeError, Reader};

/// Bytes in an NBNS header.
pub const HEADER_LEN: usize = 12;

/// [RFC 1002] 4.2.1.1 HEADER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// NAME_TRN_ID: chosen by the requester, echoed in the response.
    pub trn_id: u16,
    /// The flags word: R, OPCODE, NM_FLAGS and RCODE.
    pub flags: Flags,
    /// QDCOUNT: entries in the question section.
    pub qdcount: u16,
    /// ANCOUNT: resource records in the answer section.
    pub ancount: u16,
    /// NSCOUNT: resource records in the authority section.
    pub nscount: u16,
    /// ARCOUNT: resource records in the additional section.
    pub arcount: u16,
}

impl Header {
    /// Reads the header.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            trn_id: r.u16_be("NAME_TRN_ID")?,
            flags: Flags(r.u16_be("flags")?),
            qdcount: r.u16_be("QDCOUNT")?,
            ancount: r.u16_be("ANCOUNT")?,
            nscount: r.u16_be("NSCOUNT")?,
            arcount: r.u16_be("ARCOUNT")?,
        })
    }

    /// Writes the header.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for word in [
            self.trn_id,
            self.flags.0,
            self.qdcount,
            self.ancount,
            self.nscount,
            self.arcount,
        ] {
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
}

/// The second header word: `R | OPCODE(4) | AA TC RD RA 0 0 B | RCODE(4)`, kept verbatim.
///
/// `0x0080` is RA (recursion available), not a group bit: the group flag lives in the
/// NB_FLAGS of a record's RDATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// R: set in responses.
    pub const RESPONSE: u16 = 0x8000;
    /// AA: authoritative answer.
    pub const AUTHORITATIVE: u16 = 0x0400;
    /// TC: truncated.
    pub const TRUNCATED: u16 = 0x0200;
    /// RD: recursion desired (ask a WINS server to answer for the name's owner).
    pub const RECURSION_DESIRED: u16 = 0x0100;
    /// RA: recursion available.
    pub const RECURSION_AVAILABLE: u16 = 0x0080;
    /// B: the packet was broadcast.
    pub const BROADCAST: u16 = 0x0010;

    /// Flags of a request with this opcode and these NM_FLAGS bits.
    pub fn request(opcode: Opcode, nm_flags: u16) -> Self {
        Self((u16::from(opcode.0 & 0x0F) << 11) | (nm_flags & 0x07F0))
    }

    /// Whether R is set.
    pub fn is_response(self) -> bool {
        self.0 & Self::RESPONSE != 0
    }

    /// The OPCODE field.
    pub fn opcode(self) -> Opcode {
        Opcode(((self.0 >> 11) & 0x0F) as u8)
    }

    /// Whether a given bit (one of the associated constants) is set.
    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }

    /// The RCODE field: compare with `==`, never as a bit mask.
    pub fn rcode(self) -> Rcode {
        Rcode((self.0 & 0x000F) as u8)
    }
}

/// OPCODE (RFC 1002 §4.2.1.1), kept as a raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opcode(pub u8);

impl Opcode {
    /// Name query, and node status.
    pub const QUERY: Self = Self(0);
    /// Name registration.
    pub const REGISTRATION: Self = Self(5);
    /// Name release.
    pub const RELEASE: Self = Self(6);
    /// WACK: wait for acknowledgement.
    pub const WACK: Self = Self(7);
    /// Name refresh.
    pub const REFRESH: Self = Self(8);
}

/// RCODE (RFC 1002 §4.2.1.1 and the per-response sections), kept as a raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rcode(pub u8);

/// How a negative response reads to people: `negative response: RCODE 3 (name error ...)`.
impl std::fmt::Display for Rcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "negative response: RCODE {} ({})",
            self.0,
            self.meaning()
        )
    }
}

impl Rcode {
    /// No error.
    pub const OK: Self = Self(0);
    /// FMT_ERR: the request was malformed.
    pub const FMT_ERR: Self = Self(1);
    /// SRV_ERR: server failure.
    pub const SRV_ERR: Self = Self(2);
    /// NAM_ERR: the name does not exist.
    pub const NAM_ERR: Self = Self(3);
    /// IMP_ERR: unsupported request.
    pub const IMP_ERR: Self = Self(4);
    /// RFS_ERR: refused.
    pub const RFS_ERR: Self = Self(5);
    /// ACT_ERR: active error (name owned by another node).
    pub const ACT_ERR: Self = Self(6);
    /// CFT_ERR: name in conflict.
    pub const CFT_ERR: Self = Self(7);

    /// What the code means, for people.
    pub fn meaning(self) -> &'static str {
        match self.0 {
            0 => "no error",
            1 => "format error",
            2 => "server failure",
            3 => "name not found",
            4 => "unsupported request",
            5 => "refused",
            6 => "name owned by another node",
            7 => "name in conflict",
            _ => "unknown error code",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_header() {
        let h = Header {
            trn_id: 0xBEEF,
            flags: Flags(0x8500),
            qdcount: 0,
            ancount: 1,
            nscount: 0,
            arcount: 0,
        };
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(out.len(), HEADER_LEN);
        assert_eq!(Header::decode(&mut Reader::new(&out)).unwrap(), h);
    }

    #[test]
    fn splits_flag_fields() {
        let f = Flags(0x8403);
        assert!(f.is_response());
        assert!(f.has(Flags::AUTHORITATIVE));
        assert!(!f.has(Flags::RECURSION_AVAILABLE));
        assert_eq!(f.rcode(), Rcode::NAM_ERR);
        assert_eq!(Flags(0xB800).opcode(), Opcode::WACK);
        let req = Flags::request(Opcode::QUERY, Flags::RECURSION_DESIRED | Flags::BROADCAST);
        assert_eq!(req.0, 0x0110);
    }

    #[test]
    fn rejects_short_header() {
        assert!(matches!(
            Header::decode(&mut Reader::new(&[0; 11])),
            Err(DecodeError::Truncated {
                what: "ARCOUNT",
                ..
            })
        ));
    }
}
