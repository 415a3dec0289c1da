//! Whole NBNS packets: header, questions and resource records (RFC 1002 §4.2.1).

use super::header::HEADER_LEN;
use super::{Header, QualifiedName};
use crate::field::len16;
use crate::{DecodeError, Encode, Reader};

/// Smallest question on the wire: a 2-byte name pointer, QTYPE and QCLASS.
const MIN_QUESTION_LEN: usize = 6;
/// Smallest resource record on the wire: a 2-byte name pointer and 10 fixed bytes.
const MIN_RR_LEN: usize = 12;

/// RR_TYPE / QUESTION_TYPE, kept as a raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrType(pub u16);

impl RrType {
    /// A: IP address (only in WACK and redirect records).
    pub const A: Self = Self(0x0001);
    /// NS: name server.
    pub const NS: Self = Self(0x0002);
    /// NULL: used in some negative responses.
    pub const NULL: Self = Self(0x000A);
    /// NB: general name service resource record.
    pub const NB: Self = Self(0x0020);
    /// NBSTAT: node status.
    pub const NBSTAT: Self = Self(0x0021);
}

/// The only class NBNS uses: Internet.
pub const CLASS_IN: u16 = 0x0001;

/// [RFC 1002] 4.2.1.2 QUESTION SECTION entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// QUESTION_NAME.
    pub name: QualifiedName,
    /// QUESTION_TYPE: NB or NBSTAT.
    pub qtype: RrType,
    /// QUESTION_CLASS: IN.
    pub qclass: u16,
}

/// [RFC 1002] 4.2.1.3 RESOURCE RECORD. RDATA is kept raw; [`super::NodeStatus`] and
/// [`super::NbAddress`] interpret it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    /// RR_NAME.
    pub name: QualifiedName,
    /// RR_TYPE.
    pub rr_type: RrType,
    /// RR_CLASS.
    pub rr_class: u16,
    /// TTL in seconds (for a WACK: how long to wait).
    pub ttl: u32,
    /// RDATA, RDLENGTH bytes.
    pub rdata: Vec<u8>,
}

/// A whole NBNS datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The header. Its counts are those on the wire; [`Packet::encode`] writes the lengths
    /// of the section vectors instead.
    pub header: Header,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<ResourceRecord>,
    /// Authority section.
    pub authority: Vec<ResourceRecord>,
    /// Additional section.
    pub additional: Vec<ResourceRecord>,
}

impl Packet {
    /// Decodes a datagram. Trailing bytes after the last section are tolerated (some stacks
    /// pad), but every counted entry must be present and well formed.
    pub fn decode(msg: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(msg);
        let header = Header::decode(&mut r)?;
        let mut questions = Vec::with_capacity(bounded(header.qdcount, &r, MIN_QUESTION_LEN));
        for _ in 0..header.qdcount {
            questions.push(Question {
                name: QualifiedName::decode(msg, &mut r)?,
                qtype: RrType(r.u16_be("QUESTION_TYPE")?),
                qclass: r.u16_be("QUESTION_CLASS")?,
            });
        }
        let answers = decode_records(msg, &mut r, header.ancount)?;
        let authority = decode_records(msg, &mut r, header.nscount)?;
        let additional = decode_records(msg, &mut r, header.arcount)?;
        Ok(Self {
            header,
            questions,
            answers,
            authority,
            additional,
        })
    }
}

impl Encode for Packet {
    fn encoded_len(&self) -> usize {
        let questions: usize = self
            .questions
            .iter()
            .map(|q| q.name.encoded_len() + 4)
            .sum();
        let records: usize = self
            .answers
            .iter()
            .chain(&self.authority)
            .chain(&self.additional)
            .map(|rr| rr.name.encoded_len() + 10 + rr.rdata.len().min(usize::from(u16::MAX)))
            .sum();
        HEADER_LEN + questions + records
    }

    /// Writes the datagram; the header counts come from the section lengths.
    fn encode(&self, out: &mut Vec<u8>) {
        Header {
            qdcount: len16(self.questions.len()),
            ancount: len16(self.answers.len()),
            nscount: len16(self.authority.len()),
            arcount: len16(self.additional.len()),
            ..self.header
        }
        .encode(out);
        for q in &self.questions {
            q.name.encode(out);
            out.extend_from_slice(&q.qtype.0.to_be_bytes());
            out.extend_from_slice(&q.qclass.to_be_bytes());
        }
        for rr in self
            .answers
            .iter()
            .chain(&self.authority)
            .chain(&self.additional)
        {
            rr.name.encode(out);
            out.extend_from_slice(&rr.rr_type.0.to_be_bytes());
            out.extend_from_slice(&rr.rr_class.to_be_bytes());
            out.extend_from_slice(&rr.ttl.to_be_bytes());
            let len = len16(rr.rdata.len());
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(rr.rdata.get(..usize::from(len)).unwrap_or(&rr.rdata));
        }
    }
}

/// Capacity for `count` entries of at least `min_len` bytes: never more than could fit.
fn bounded(count: u16, r: &Reader<'_>, min_len: usize) -> usize {
    usize::from(count).min(r.remaining() / min_len)
}

fn decode_records<'a>(
    msg: &'a [u8],
    r: &mut Reader<'a>,
    count: u16,
) -> Result<Vec<ResourceRecord>, DecodeError> {
    let mut records = Vec::with_capacity(bounded(count, r, MIN_RR_LEN));
    for _ in 0..count {
        let name = QualifiedName::decode(msg, r)?;
        let rr_type = RrType(r.u16_be("RR_TYPE")?);
        let rr_class = r.u16_be("RR_CLASS")?;
        let ttl = r.u32_be("TTL")?;
        let rdlength = r.u16_be("RDLENGTH")?;
        let rdata = r.take("RDATA", rdlength.into())?.to_vec();
        records.push(ResourceRecord {
            name,
            rr_type,
            rr_class,
            ttl,
            rdata,
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Encode;
    use crate::nbns::{Flags, NbName};

    fn answer(rdata: Vec<u8>) -> Packet {
        Packet {
            header: Header {
                trn_id: 7,
                flags: Flags(0x8400),
                qdcount: 0,
                ancount: 1,
                nscount: 0,
                arcount: 0,
            },
            questions: vec![],
            answers: vec![ResourceRecord {
                name: QualifiedName::new(NbName::WILDCARD),
                rr_type: RrType::NBSTAT,
                rr_class: CLASS_IN,
                ttl: 0,
                rdata,
            }],
            authority: vec![],
            additional: vec![],
        }
    }

    #[test]
    fn roundtrips_answer() {
        let p = answer(vec![1, 2, 3]);
        assert_eq!(Packet::decode(&p.to_vec()).unwrap(), p);
    }

    #[test]
    fn rejects_lying_counts_without_allocating_for_them() {
        let mut bytes = answer(vec![]).to_vec();
        bytes[6] = 0xFF; // ANCOUNT = 0xFF01
        assert!(matches!(
            Packet::decode(&bytes),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn rejects_rdlength_past_end() {
        let mut bytes = answer(vec![0; 4]).to_vec();
        let n = bytes.len();
        bytes[n - 6] = 0x40; // RDLENGTH = 0x4004
        assert!(matches!(
            Packet::decode(&bytes),
            Err(DecodeError::Truncated { what: "RDATA", .. })
        ));
    }

    #[test]
    fn every_truncation_point_is_an_error() {
        let bytes = answer(vec![9; 20]).to_vec();
        for cut in 0..bytes.len() {
            assert!(Packet::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
