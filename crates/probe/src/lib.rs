//! Sans-IO probes: what smbaudit sends, how it matches and judges replies, and what the
//! replies reveal. No sockets or clocks here; the engine drives these with bytes.
#![forbid(unsafe_code)]

pub mod nbns;
pub mod nbss;
pub mod nbstat;
pub mod smb;
mod suffix;

pub use suffix::suffix_meaning;

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
