//! SMB probes: the requests of the three connections per host and what their replies
//! reveal. Sans-IO: [`connection::Connection`] owns one TCP stream's framing and SMB2
//! identifiers, [`suite::Suite`] decides which request goes on which connection; the
//! engine only moves bytes and keeps the clock.

pub mod connection;
pub mod credentials;
mod error;
mod facts;
pub mod login;
pub mod login_flow;
pub mod ms17_010;
pub mod ntlm;
pub mod ntlm_auth;
pub mod ntlm_keys;
pub mod ntlm_mic;
pub mod ntlmv2;
pub mod reply;
pub mod session;
pub mod shares;
pub mod signing;
pub mod smb1;
pub mod smb1_login;
pub mod smb1_null;
pub mod smb2;
pub mod suite;
#[cfg(test)]
mod test_peer;
pub mod time;
pub mod user_login;

pub use error::ProbeError;
pub use facts::{
    ContextFacts, ContextValue, Mech, NtlmFacts, PortNegotiate, Signing, SigningFacts, Smb1Mode,
    SmbFacts,
};
