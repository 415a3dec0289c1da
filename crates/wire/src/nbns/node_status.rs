//! NODE STATUS (NBSTAT) request and response (RFC 1002 §4.2.17, §4.2.18).

use super::{
    CLASS_IN, Flags, Header, NAME_LEN, NbName, Opcode, Packet, QualifiedName, Question, RrType,
};
use crate::{DecodeError, Reader};

/// Bytes of one NODE_NAME entry: 15 name bytes, the suffix and NAME_FLAGS.
pub const NODE_NAME_LEN: usize = NAME_LEN + 2;
/// Bytes of the STATISTICS block as RFC 1002 and Windows send it.
pub const STATISTICS_LEN: usize = 46;

/// A NODE STATUS REQUEST for `name` (usually [`NbName::WILDCARD`]). Unicast, so all
/// NM_FLAGS are clear, as Windows and Samba send it.
pub fn node_status_request(trn_id: u16, name: QualifiedName) -> Packet {
    Packet {
        header: Header {
            trn_id,
            flags: Flags::request(Opcode::QUERY, 0),
            qdcount: 1,
            ancount: 0,
            nscount: 0,
            arcount: 0,
        },
        questions: vec![Question {
            name,
            qtype: RrType::NBSTAT,
            qclass: CLASS_IN,
        }],
        answers: vec![],
        authority: vec![],
        additional: vec![],
    }
}

/// [RFC 1002] 4.2.18 NODE STATUS RESPONSE: the RDATA of its NBSTAT answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// NODE_NAME array, in the order sent.
    pub names: Vec<NodeName>,
    /// The STATISTICS block: 46 bytes by the RFC, but any length is kept as sent.
    pub statistics: Statistics,
}

/// One NODE_NAME entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeName {
    /// The 16-byte name, suffix included.
    pub name: NbName,
    /// NAME_FLAGS.
    pub flags: NameFlags,
}

/// NAME_FLAGS: `G | ONT(2) | DRG | CNF | ACT | PRM | reserved(9)`, kept verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameFlags(pub u16);

impl NameFlags {
    /// G: group name.
    pub const GROUP: u16 = 0x8000;
    /// DRG: being deregistered.
    pub const DEREGISTERING: u16 = 0x1000;
    /// CNF: in conflict.
    pub const CONFLICT: u16 = 0x0800;
    /// ACT: active.
    pub const ACTIVE: u16 = 0x0400;
    /// PRM: the permanent node name.
    pub const PERMANENT: u16 = 0x0200;

    /// Whether G is set.
    pub fn is_group(self) -> bool {
        self.0 & Self::GROUP != 0
    }

    /// Whether a given bit (one of the associated constants) is set.
    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }

    /// ONT, the owner's node type.
    pub fn node_type(self) -> NodeType {
        match (self.0 >> 13) & 0b11 {
            0 => NodeType::B,
            1 => NodeType::P,
            2 => NodeType::M,
            _ => NodeType::H,
        }
    }
}

/// ONT: how the owner resolves names. RFC 1002 reserves the fourth value; Microsoft uses it
/// for H-nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// Broadcast.
    B,
    /// Point-to-point (WINS only).
    P,
    /// Mixed: broadcast, then WINS.
    M,
    /// Hybrid: WINS, then broadcast.
    H,
}

impl NodeType {
    /// One letter, as nmblookup prints it.
    pub fn letter(self) -> char {
        match self {
            Self::B => 'B',
            Self::P => 'P',
            Self::M => 'M',
            Self::H => 'H',
        }
    }
}

/// The STATISTICS block, kept as sent (Samba sends 46 zero bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statistics(pub Vec<u8>);

impl Statistics {
    /// UNIT_ID, the first 6 bytes: the adapter's MAC address. `None` when the block is too
    /// short to hold it.
    pub fn unit_id(&self) -> Option<[u8; 6]> {
        self.0.first_chunk::<6>().copied()
    }

    /// Whether the block has the RFC's 46 bytes.
    pub fn is_standard_length(&self) -> bool {
        self.0.len() == STATISTICS_LEN
    }
}

impl NodeStatus {
    /// Decodes the RDATA of an NBSTAT answer. NUM_NAMES must be covered by RDATA; whatever
    /// follows the names is the statistics block, whatever its length.
    pub fn decode(rdata: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(rdata);
        let count = r.u8("NUM_NAMES")?;
        let mut names = Vec::with_capacity(usize::from(count).min(r.remaining() / NODE_NAME_LEN));
        for _ in 0..count {
            let name = NbName(r.array::<NAME_LEN>("NODE_NAME")?);
            let flags = NameFlags(r.u16_be("NAME_FLAGS")?);
            names.push(NodeName { name, flags });
        }
        let statistics = Statistics(r.peek_rest().to_vec());
        Ok(Self { names, statistics })
    }

    /// Writes the RDATA (at most 255 names: NUM_NAMES is one byte).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let names = self.names.get(..255).unwrap_or(&self.names);
        out.push(names.len() as u8);
        for n in names {
            out.extend_from_slice(&n.name.0);
            out.extend_from_slice(&n.flags.0.to_be_bytes());
        }
        out.extend_from_slice(&self.statistics.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Encode;

    /// The request every tool sends, byte for byte: 50 bytes, flags 0.
    #[test]
    fn builds_the_50_byte_wildcard_request() {
        let bytes = node_status_request(0x20A8, QualifiedName::new(NbName::WILDCARD)).to_vec();
        assert_eq!(bytes.len(), 50);
        assert_eq!(&bytes[..12], &[0x20, 0xA8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&bytes[46..], &[0, 0x21, 0, 1]);
    }

    #[test]
    fn decodes_flags_and_mac() {
        let mut rdata = vec![2];
        rdata.extend_from_slice(b"HOST           \x00");
        rdata.extend_from_slice(&[0x44, 0x00]); // M-node, active
        rdata.extend_from_slice(b"WORKGROUP      \x00");
        rdata.extend_from_slice(&[0xC4, 0x00]); // group, M-node, active
        let mut stats = vec![0u8; STATISTICS_LEN];
        stats[..6].copy_from_slice(&[0x00, 0x1C, 0xC4, 0x10, 0x79, 0x0F]);
        rdata.extend_from_slice(&stats);
        let ns = NodeStatus::decode(&rdata).unwrap();
        assert_eq!(ns.names.len(), 2);
        assert_eq!(ns.names[0].name.trimmed(), b"HOST");
        assert!(!ns.names[0].flags.is_group());
        assert_eq!(ns.names[0].flags.node_type(), NodeType::M);
        assert!(ns.names[0].flags.has(NameFlags::ACTIVE));
        assert!(ns.names[1].flags.is_group());
        assert_eq!(
            ns.statistics.unit_id(),
            Some([0x00, 0x1C, 0xC4, 0x10, 0x79, 0x0F])
        );
        assert!(ns.statistics.is_standard_length());
        let mut again = Vec::new();
        ns.encode(&mut again);
        assert_eq!(again, rdata);
    }

    #[test]
    fn tolerates_short_and_long_statistics() {
        let mut rdata = vec![1];
        rdata.extend_from_slice(b"HOST           \x20\x04\x00");
        rdata.extend_from_slice(&[1, 2, 3]);
        let ns = NodeStatus::decode(&rdata).unwrap();
        assert_eq!(ns.statistics.unit_id(), None);
        rdata.extend_from_slice(&[0; 60]);
        let ns = NodeStatus::decode(&rdata).unwrap();
        assert_eq!(ns.statistics.0.len(), 63);
        assert_eq!(ns.statistics.unit_id(), Some([1, 2, 3, 0, 0, 0]));
    }

    #[test]
    fn rejects_num_names_beyond_rdata() {
        let mut rdata = vec![200];
        rdata.extend_from_slice(&[b'A'; 18 * 3]);
        assert!(matches!(
            NodeStatus::decode(&rdata),
            Err(DecodeError::Truncated {
                what: "NODE_NAME",
                ..
            })
        ));
        assert!(matches!(
            NodeStatus::decode(&[]),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn reads_node_types() {
        assert_eq!(NameFlags(0x0000).node_type(), NodeType::B);
        assert_eq!(NameFlags(0x2000).node_type(), NodeType::P);
        assert_eq!(NameFlags(0x4000).node_type(), NodeType::M);
        assert_eq!(NameFlags(0xE000).node_type(), NodeType::H);
    }
}
