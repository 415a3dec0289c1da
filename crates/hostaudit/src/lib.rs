//! `smbaudit audit`: what this machine exposes of SMB and NetBIOS, interface by interface.
//!
//! Each fact source is read on its own and may fail on its own (no root, no nft, no
//! Samba): a failure becomes an [`Unreadable`] line and the rest of the audit goes on.
//! The evaluation over the facts (firewall verdicts, reachability) is pure and takes
//! the facts as values, so tests can feed it captured rulesets and configurations.

pub mod collect;
pub mod findings;
pub mod firewall;
pub mod interfaces;
pub mod listeners;
pub mod model;
mod netlink;
pub mod platform;
pub mod report;
pub mod samba;
pub mod verdict;

pub use model::{Family, Proto, Service, Unreadable};
