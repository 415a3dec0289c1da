//! The async engine of smbaudit: targets, sockets, pacing and timeouts.
//!
//! Probes and codecs below it are sans-IO; this crate owns every socket and every clock.
//! It never prints: it hands results to the caller, which renders them.
#![forbid(unsafe_code)]

pub mod discovery;
pub mod nbns;
pub mod resolve;
pub mod scan;
pub mod targets;
pub mod tcp;

pub use tokio_util::sync::CancellationToken;
