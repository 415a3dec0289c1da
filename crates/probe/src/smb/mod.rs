//! SMB probes: the requests of the three connections per host and what their replies
//! reveal. Sans-IO: the engine sends the bytes and hands back what came.

mod facts;
pub mod ntlm;
pub mod smb1;
pub mod smb2;
pub mod time;

pub use facts::{
    ContextFacts, ContextValue, Mech, NtlmFacts, PortNegotiate, Signing, SigningFacts, Smb1Mode,
    SmbFacts,
};
