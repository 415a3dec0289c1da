//! The one vocabulary of SMB answers (SMB1 and SMB2 alike), and the one rule for what an NT
//! status in a response means.

use std::fmt;

use smbaudit_wire::smb2;

/// How a server answered one request.
#[derive(Debug)]
pub enum Reply<T> {
    /// It did what was asked (chose an offered dialect, sent a challenge).
    Accepted(T),
    /// It said no.
    Refused(Refusal),
    /// It answered something that is not a valid reply to the request.
    Invalid(String),
}

/// How a server said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// An NT status other than the ones the request expects.
    Status(u32),
    /// SMB1 NEGOTIATE DialectIndex 0xFFFF: none of the offered dialects.
    NoCommonDialect,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(status) => f.write_str(&status_text(*status)),
            Self::NoCommonDialect => f.write_str("DialectIndex 0xFFFF (no common dialect)"),
        }
    }
}

/// The rule for a status in a response: a status the request expects (`expected`, e.g.
/// STATUS_SUCCESS, or STATUS_MORE_PROCESSING_REQUIRED for the first leg of a login) lets
/// the body be read; any other is a refusal, whatever the body holds.
pub fn check_status(status: u32, expected: &[u32]) -> Result<(), Refusal> {
    if expected.contains(&status) {
        Ok(())
    } else {
        Err(Refusal::Status(status))
    }
}

/// An NT status as text: its name when known, and the code.
pub fn status_text(status: u32) -> String {
    match smb2::status_name(status) {
        Some(name) => format!("{name} ({status:#010x})"),
        None => format!("status {status:#010x}"),
    }
}
