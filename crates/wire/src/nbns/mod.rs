//! NetBIOS name service on UDP 137 (RFC 1001, RFC 1002 §4.2). All fields are big-endian.

mod header;
mod name;
mod name_query;
mod node_status;
mod packet;

pub use header::{Flags, HEADER_LEN, Header, Opcode, Rcode};
pub use name::{MAX_ENCODED_NAME_LEN, NAME_LEN, NbName, QualifiedName};
pub use name_query::{NB_ADDRESS_LEN, NbAddress, QueryMode, name_query_request, wack_wait_secs};
pub use node_status::{
    NODE_NAME_LEN, NameFlags, NodeName, NodeStatus, NodeType, STATISTICS_LEN, Statistics,
    node_status_request,
};
pub use packet::{CLASS_IN, Packet, Question, ResourceRecord, RrType};
