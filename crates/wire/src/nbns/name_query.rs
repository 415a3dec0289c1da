//! NAME QUERY request and response, and WACK (RFC 1002 §4.2.12-§4.2.16).

use super::{CLASS_IN, Flags, Header, NodeType, Opcode, Packet, QualifiedName, Question, RrType};
use crate::{DecodeError, Reader};

/// Bytes of one NB_FLAGS + NB_ADDRESS entry in a positive name query response.
pub const NB_ADDRESS_LEN: usize = 6;

/// How a name query is sent: the NM_FLAGS that differ between the two ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryMode {
    /// To a WINS/NBNS server: RD set, B clear.
    Unicast,
    /// To a broadcast address: RD and B set (RFC 1002 §4.2.12).
    Broadcast,
}

/// A NAME QUERY REQUEST (RFC 1002 §4.2.12).
pub fn name_query_request(trn_id: u16, name: QualifiedName, mode: QueryMode) -> Packet {
    let nm_flags = match mode {
        QueryMode::Unicast => Flags::RECURSION_DESIRED,
        QueryMode::Broadcast => Flags::RECURSION_DESIRED | Flags::BROADCAST,
    };
    Packet {
        header: Header {
            trn_id,
            flags: Flags::request(Opcode::QUERY, nm_flags),
            qdcount: 1,
            ancount: 0,
            nscount: 0,
            arcount: 0,
        },
        questions: vec![Question {
            name,
            qtype: RrType::NB,
            qclass: CLASS_IN,
        }],
        answers: vec![],
        authority: vec![],
        additional: vec![],
    }
}

/// One ADDR_ENTRY of a positive NAME QUERY RESPONSE (RFC 1002 §4.2.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NbAddress {
    /// NB_FLAGS: `G | ONT(2) | reserved(13)`.
    pub flags: u16,
    /// NB_ADDRESS, an IPv4 address.
    pub address: [u8; 4],
}

impl NbAddress {
    /// Whether the name is a group name.
    pub fn is_group(&self) -> bool {
        self.flags & 0x8000 != 0
    }

    /// ONT, the owner's node type.
    pub fn node_type(&self) -> NodeType {
        super::NameFlags(self.flags).node_type()
    }

    /// Decodes the RDATA of an NB answer: zero or more 6-byte entries.
    pub fn decode_list(rdata: &[u8]) -> Result<Vec<Self>, DecodeError> {
        if rdata.len() % NB_ADDRESS_LEN != 0 {
            return Err(DecodeError::TrailingBytes {
                what: "NB address list",
                len: rdata.len() % NB_ADDRESS_LEN,
            });
        }
        let mut r = Reader::new(rdata);
        let mut out = Vec::with_capacity(rdata.len() / NB_ADDRESS_LEN);
        while r.remaining() > 0 {
            out.push(Self {
                flags: r.u16_be("NB_FLAGS")?,
                address: r.array("NB_ADDRESS")?,
            });
        }
        Ok(out)
    }

    /// Writes a list of entries as NB RDATA.
    pub fn encode_list(list: &[Self], out: &mut Vec<u8>) {
        for a in list {
            out.extend_from_slice(&a.flags.to_be_bytes());
            out.extend_from_slice(&a.address);
        }
    }
}

/// How long a WACK (RFC 1002 §4.2.16) asks the requester to wait, in seconds: the TTL of its
/// answer record. `None` if the packet is not a WACK.
pub fn wack_wait_secs(packet: &Packet) -> Option<u32> {
    if packet.header.flags.is_response() && packet.header.flags.opcode() == Opcode::WACK {
        packet.answers.first().map(|rr| rr.ttl)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Encode;
    use crate::nbns::{NbName, Rcode, ResourceRecord};

    #[test]
    fn builds_unicast_and_broadcast_queries() {
        let name = QualifiedName::new(NbName::new("FILESRV1", 0x20).unwrap());
        let u = name_query_request(1, name.clone(), QueryMode::Unicast).to_vec();
        assert_eq!(&u[2..4], &[0x01, 0x00]);
        let b = name_query_request(1, name, QueryMode::Broadcast).to_vec();
        assert_eq!(&b[2..4], &[0x01, 0x10]);
        assert_eq!(&b[b.len() - 4..], &[0, 0x20, 0, 1]);
        assert_eq!(b.len(), 50);
    }

    #[test]
    fn decodes_several_addresses() {
        let list = [
            NbAddress {
                flags: 0x0000,
                address: [10, 0, 0, 1],
            },
            NbAddress {
                flags: 0xE000,
                address: [10, 0, 0, 2],
            },
        ];
        let mut rdata = Vec::new();
        NbAddress::encode_list(&list, &mut rdata);
        let back = NbAddress::decode_list(&rdata).unwrap();
        assert_eq!(back, list);
        assert!(back[1].is_group());
        assert_eq!(back[1].node_type(), NodeType::H);
        assert!(NbAddress::decode_list(&rdata[..7]).is_err());
    }

    #[test]
    fn reads_negative_response_and_wack() {
        let mut p = name_query_request(9, QualifiedName::new(NbName::WILDCARD), QueryMode::Unicast);
        p.header.flags = Flags(0x8583);
        let back = Packet::decode(&p.to_vec()).unwrap();
        assert_eq!(back.header.flags.rcode(), Rcode::NAM_ERR);
        assert_eq!(wack_wait_secs(&back), None);

        let mut w = p.clone();
        w.questions.clear();
        w.header.flags = Flags(0xBC00);
        w.answers.push(ResourceRecord {
            name: QualifiedName::new(NbName::WILDCARD),
            rr_type: RrType::NB,
            rr_class: CLASS_IN,
            ttl: 5,
            rdata: vec![0x01, 0x00],
        });
        let back = Packet::decode(&w.to_vec()).unwrap();
        assert_eq!(wack_wait_secs(&back), Some(5));
    }
}
