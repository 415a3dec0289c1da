//! Findings: what a scan's observations mean for the owner — the host record, the rules
//! that rate it, and the remediation.
#![forbid(unsafe_code)]

pub mod finding;
pub mod record;

pub use finding::{Evidence, Finding, Platform, Remediation, Severity};
