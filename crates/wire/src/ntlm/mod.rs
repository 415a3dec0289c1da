//! NTLMSSP messages as SMB carries them for an anonymous logon ([MS-NLMP] 2.2).
//!
//! - [`negotiate_message`]: the client's NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1).
//! - [`Authenticate`]: the client's AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3), anonymous or
//!   carrying responses computed above this crate.
//! - [`Challenge`]: the server's CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2), with its
//!   [`TargetInfo`] AV pairs ([MS-NLMP] 2.2.2.1) and [`Version`] ([MS-NLMP] 2.2.2.10).
//! - [`flags`]: the NegotiateFlags bits ([MS-NLMP] 2.2.2.5).
//!
//! The CHALLENGE is the anonymous pre-authentication answer that names the host, its domain
//! and forest, its clock and (from the Version) its NTLM build.

mod authenticate;
mod av_pair;
mod challenge;
pub mod flags;
mod negotiate;
mod version;

pub use authenticate::{Authenticate, MIC_RANGE, utf16le, write_mic};
pub use av_pair::{
    AvPair, MAX_AV_PAIRS, MSV_AV_CHANNEL_BINDINGS, MSV_AV_DNS_COMPUTER_NAME,
    MSV_AV_DNS_DOMAIN_NAME, MSV_AV_DNS_TREE_NAME, MSV_AV_EOL, MSV_AV_FLAG_MIC, MSV_AV_FLAGS,
    MSV_AV_NB_COMPUTER_NAME, MSV_AV_NB_DOMAIN_NAME, MSV_AV_SINGLE_HOST, MSV_AV_TARGET_NAME,
    MSV_AV_TIMESTAMP, TargetInfo, av_id_name,
};
pub use challenge::Challenge;
pub use negotiate::{SCANNER_NEGOTIATE_FLAGS, SCANNER_VERSION, negotiate_message};
pub use version::Version;

/// The 8-byte signature every NTLMSSP message starts with: `"NTLMSSP\0"` ([MS-NLMP] 2.2).
pub const SIGNATURE: [u8; 8] = *b"NTLMSSP\0";

/// MessageType of a NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1).
pub const MESSAGE_TYPE_NEGOTIATE: u32 = 1;
/// MessageType of a CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2).
pub const MESSAGE_TYPE_CHALLENGE: u32 = 2;
/// MessageType of an AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3).
pub const MESSAGE_TYPE_AUTHENTICATE: u32 = 3;
