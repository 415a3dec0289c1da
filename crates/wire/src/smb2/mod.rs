//! SMB 2/3 NEGOTIATE (with 3.1.1 negotiate contexts) and SESSION_SETUP ([MS-SMB2] 2.2.1 to
//! 2.2.6), plus the NT status names used in their headers.
//!
//! Encoders return the SMB2 message alone (from the 0xFE 'SMB' header); the 4-byte
//! transport header is added by [`crate::nbss`]. Offsets inside messages count from the
//! start of the SMB2 header, as the spec defines them.

pub mod capabilities;
mod context;
mod create;
mod dialect;
mod header;
mod ioctl;
mod negotiate;
mod query_directory;
mod session_setup;
pub mod status;
mod tree_connect;

pub use capabilities::capability_names;
pub use context::{
    CONTEXT_HEADER_LEN, ContextData, NegotiateContext, cipher, cipher_name, compression,
    compression_name, context_type, decode_context_list, encode_context_list, hash_algorithm,
    hash_algorithm_name, rdma_transform, rdma_transform_name, signing_algorithm,
    signing_algorithm_name, transport,
};
pub use create::{
    CloseRequest, CreateContext, CreateRequest, CreateResponse, FILE_CREATE, FILE_DELETE_ON_CLOSE,
    FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FileId, MAX_CREATE_CONTEXTS,
    MaximalAccessReply, SHARE_ALL, access, close_status, context_name,
};
pub use dialect::{Dialect, WILDCARD_REVISION, dialect_name};
pub use header::{HEADER_LEN, Header, PROTOCOL_ID, Protocol, command, flags, protocol_of};
pub use ioctl::{
    FSCTL_PIPE_TRANSCEIVE, PipeOutput, ReadRequest, TransceiveRequest, decode_read,
    decode_transceive,
};
pub use negotiate::{
    NegotiateRequest, NegotiateResponse, REQUEST_CAPABILITIES, SIGNING_ENABLED, SIGNING_REQUIRED,
};
pub use query_directory::{MAX_ENTRIES, QueryDirectoryRequest, QueryDirectoryResponse};
pub use session_setup::{SessionSetupRequest, SessionSetupResponse, session_flags};
pub use status::status_name;
pub use tree_connect::{TreeConnectRequest, TreeConnectResponse, share_type};
