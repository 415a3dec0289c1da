//! SMB1 NEGOTIATE and SESSION_SETUP_ANDX ([MS-CIFS] 2.2.4.52 and 2.2.4.53, [MS-SMB]
//! 2.2.4.5 and 2.2.4.6 for extended security).
//!
//! Encoders return the SMB1 message alone (from the 0xFF 'SMB' header). String alignment
//! counts from the start of the SMB header.

pub mod capabilities;
mod header;
mod ipc;
mod negotiate;
mod session_setup;
mod strings;

pub use capabilities::capability_names;
pub use header::{HEADER_LEN, Header, PROTOCOL_ID, command, flags, flags2};
pub use ipc::{
    DOUBLEPULSAR_ANSWER_MID, DOUBLEPULSAR_PING_MID, DoublePulsarPing, PeekNamedPipeRequest,
    TRANS_PEEK_NMPIPE, TreeConnectAndxRequest, doublepulsar_arch, doublepulsar_xor_key,
};
pub use negotiate::{
    NO_COMMON_DIALECT, NegotiateReply, NegotiateRequest, NegotiateResponse, REQUEST_FLAGS2,
    Smb1Security, security_mode,
};
pub use session_setup::{
    ANONYMOUS_CAPABILITIES, NATIVE_LANMAN, NATIVE_OS, SESSION_SETUP_CAPABILITIES, SessionSecurity,
    SessionSetupRequest, SessionSetupResponse,
};
