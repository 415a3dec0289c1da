//! Findings: what a scan's observations mean for the owner — the host record, the rules
//! that rate it, and the remediation.
#![forbid(unsafe_code)]

pub mod finding;
pub mod identity;
pub mod record;
pub mod rules;
pub mod vantage;

pub use finding::{Evidence, Finding, Platform, Remediation, Severity};
pub use identity::{Machine, correlate, relay_targets};
pub use rules::{Check, Context, Evaluation, Rule, evaluate, registry};
pub use vantage::{Vantage, default_vantage, is_global};
