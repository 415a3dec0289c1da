//! SMB1 NEGOTIATE and SESSION_SETUP_ANDX ([MS-CIFS] 2.2.4.52 and 2.2.4.53, [MS-SMB]
//! 2.2.4.5 and 2.2.4.6 for extended security), and the share conversation of an SMB1-only
//! host: TREE_CONNECT_ANDX (extended), NT_CREATE_ANDX, TRANSACTION (a DCE/RPC pipe, RAP),
//! TRANSACTION2 FIND_FIRST2, READ_ANDX and CLOSE.
//!
//! Encoders return the SMB1 message alone (from the 0xFF 'SMB' header). String alignment
//! counts from the start of the SMB header.

mod body;
pub mod capabilities;
mod find;
mod header;
mod ipc;
mod negotiate;
mod nt_create;
mod rap;
mod read;
mod session_setup;
mod strings;
mod trans;
mod tree_connect;

pub use capabilities::capability_names;
pub use find::{
    FindFirst2Response, MAX_FIND_ENTRIES, NameEncoding, SMB_FIND_FILE_NAMES_INFO,
    find_first2_parameters,
};
pub use header::{HEADER_LEN, Header, PROTOCOL_ID, command, flags, flags2};
pub use ipc::{
    DOUBLEPULSAR_ANSWER_MID, DOUBLEPULSAR_PING_MID, DoublePulsarPing, PeekNamedPipeRequest,
    TRANS_PEEK_NMPIPE, TreeConnectAndxRequest, doublepulsar_arch, doublepulsar_xor_key,
};
pub use negotiate::{
    NO_COMMON_DIALECT, NegotiateReply, NegotiateRequest, NegotiateResponse, REQUEST_FLAGS2,
    Smb1Security, security_mode,
};
pub use nt_create::{CloseRequest, NtCreateAndxRequest, NtCreateAndxResponse, close_status};
pub use rap::{RAP_PIPE, RapShareEnum, rap_share_enum_parameters};
pub use read::{ReadAndxRequest, ReadAndxResponse};
pub use session_setup::{
    ANONYMOUS_CAPABILITIES, NATIVE_LANMAN, NATIVE_OS, SESSION_SETUP_CAPABILITIES, SessionSecurity,
    SessionSetupRequest, SessionSetupResponse,
};
pub use trans::{
    TRANS_TRANSACT_NMPIPE, TRANS2_FIND_FIRST2, TransCommand, TransactionRequest,
    TransactionResponse,
};
pub use tree_connect::{
    TREE_CONNECT_ANDX_EXTENDED_RESPONSE, TreeConnectAndxResponse, TreeConnectExtendedRequest,
};
