//! Sans-IO wire codecs for the protocols smbaudit speaks.
//!
//! Every decoder takes untrusted bytes and returns a typed message or a [`DecodeError`]; none
//! panics, and none allocates more than a bounded multiple of its input, whatever the length
//! and count fields say (4x plus 4 KiB for most; an NBNS packet of compressed names can cost
//! up to 48x, as each 6-byte question expands to a typed one: `tests/alloc_bounds.rs`). There is no I/O, no clock and no logging here: the engine owns
//! sockets and time.
//!
//! - [`nbns`]: NetBIOS name service, UDP 137 (RFC 1001, RFC 1002 §4.2).
//! - [`nbss`]: NetBIOS session service, TCP 139 (RFC 1002 §4.3), and the direct-TCP framing
//!   of SMB on 445 ([MS-SMB2] 2.1).
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

mod error;
pub mod nbns;
pub mod nbss;
mod reader;

pub use error::DecodeError;
pub use reader::Reader;
