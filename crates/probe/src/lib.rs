//! Sans-IO probes: what smbaudit sends, how it matches and judges replies, and what the
//! replies reveal. No sockets or clocks here; the engine drives these with bytes.
#![forbid(unsafe_code)]

pub mod nbns;
pub mod nbss;
pub mod nbstat;
pub mod smb;
mod suffix;

pub use suffix::suffix_meaning;
