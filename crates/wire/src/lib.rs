//! Sans-IO wire codecs for the protocols smbaudit speaks.
//!
//! Every decoder takes untrusted bytes and returns a typed message or a [`DecodeError`]; none
//! panics, and none allocates more than a bounded multiple of its input, whatever the length
//! and count fields say (4x plus 4 KiB for most; an NBNS packet of compressed names can cost
//! up to 48x, as each 6-byte question expands to a typed one, and an SMB2 NEGOTIATE response
//! up to 6x (5x its 3.1.1 context list alone), as its security buffer may overlap the
//! contexts: `tests/alloc_bounds.rs`). There is no I/O, no clock and no logging here: the
//! engine owns sockets and time.
//!
//! - [`nbns`]: NetBIOS name service, UDP 137 (RFC 1001, RFC 1002 §4.2).
//! - [`nbss`]: NetBIOS session service, TCP 139 (RFC 1002 §4.3), and the direct-TCP framing
//!   of SMB on 445 ([MS-SMB2] 2.1).
//! - [`smb2`]: SMB 2/3 NEGOTIATE (with 3.1.1 negotiate contexts) and SESSION_SETUP ([MS-SMB2]).
//! - [`smb1`]: SMB1 NEGOTIATE and SESSION_SETUP_ANDX ([MS-CIFS], [MS-SMB]).
//! - [`ntlm`]: NTLMSSP NEGOTIATE and CHALLENGE messages ([MS-NLMP] 2.2).
//! - [`spnego`]: the SPNEGO tokens that carry NTLMSSP in SMB (RFC 4178, [MS-SPNG]).
//! - [`tcpip`]: IPv4/IPv6 + TCP SYN probes, their replies and ICMP errors, and the SYN
//!   cookie of the stateless discovery stage (RFC 791, RFC 9293, RFC 8200, RFC 792, RFC 4443).
//! - [`text`]: UTF-16LE strings and FILETIME stamps.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod bits;
mod codec;
pub mod dcerpc;
mod error;
mod field;
pub mod nbns;
pub mod nbss;
pub mod ntlm;
mod reader;
pub mod smb1;
pub mod smb2;
pub mod spnego;
pub mod tcpip;
pub mod text;

pub use codec::{Encode, ResponseError};
pub use error::DecodeError;
pub use reader::Reader;

/// Helpers for the unit tests beside the codecs.
#[cfg(test)]
pub(crate) mod test_util {
    /// The bytes of hex text; whitespace between the digits is ignored.
    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
