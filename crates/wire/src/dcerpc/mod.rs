//! DCE/RPC connection-oriented PDUs (C706 12.6, [MS-RPCE] 2.2.2) over a named pipe, and
//! the NDR of srvsvc NetrShareEnum ([MS-SRVS] 3.1.4.8).
//!
//! Only what share enumeration needs: BIND / BIND_ACK / BIND_NAK, REQUEST, RESPONSE and
//! FAULT, little-endian NDR 2.0, no authentication verifier.

mod pdu;
mod srvsvc;

pub use pdu::{
    BindAck, MAX_FRAGMENTS, MAX_PENDING, MAX_STUB, Pdu, Reassembly, bind_request, ptype,
    request_pdu,
};
pub use srvsvc::{
    MAX_SHARE_NAME, MAX_SHARES, SRVSVC_SYNTAX, ShareEnum, ShareInfo, decode_share_enum,
    share_enum_stub, stype,
};
