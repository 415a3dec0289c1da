//! The one request a sweep sends to every target, re-stamped with each transaction ID.

use smbaudit_wire::Encode;
use smbaudit_wire::nbns::{
    NbName, Packet, QualifiedName, QueryMode, RrType, name_query_request, node_status_request,
};

/// What is asked of every target.
#[derive(Debug, Clone)]
pub struct Query {
    template: Vec<u8>,
    expect: RrType,
}

impl Query {
    /// A NODE STATUS request for `*`, as `nbtstat -A` sends it.
    pub fn node_status() -> Self {
        Self::from_packet(
            node_status_request(0, QualifiedName::new(NbName::WILDCARD)),
            RrType::NBSTAT,
        )
    }

    /// A NAME QUERY for `name`.
    pub fn name_query(name: QualifiedName, mode: QueryMode) -> Self {
        Self::from_packet(name_query_request(0, name, mode), RrType::NB)
    }

    fn from_packet(packet: Packet, expect: RrType) -> Self {
        Self {
            template: packet.to_vec(),
            expect,
        }
    }

    /// The request with transaction ID `trn_id`.
    pub fn bytes(&mut self, trn_id: u16) -> &[u8] {
        if let Some(id) = self.template.first_chunk_mut::<2>() {
            *id = trn_id.to_be_bytes();
        }
        &self.template
    }

    /// The record type a positive answer carries.
    pub fn expect(&self) -> RrType {
        self.expect
    }
}
