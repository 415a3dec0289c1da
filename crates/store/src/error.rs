//! What can go wrong with the store, with messages a user can act on.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::scan::ScanId;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file exists but is not an smbaudit database (another format or another
    /// application's SQLite database). It was not modified.
    #[error("{}: not an smbaudit database ({}); refusing to touch it", .0.display(), .1)]
    NotOurs(PathBuf, String),
    /// The file claims to be an smbaudit database but is damaged (truncated, bad header,
    /// unreadable schema). It was not modified.
    #[error("{}: corrupt smbaudit database ({}); left as it is", .0.display(), .1)]
    Corrupt(PathBuf, String),
    /// The database was written by a newer smbaudit with a schema we do not know.
    #[error(
        "{}: database schema version {found} is newer than this smbaudit supports ({supported}); upgrade smbaudit",
        .path.display()
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version (`PRAGMA user_version`).
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// No scan has this id.
    #[error("scan {0} not found")]
    NotFound(ScanId),
    /// A finding sent with a host names another host.
    #[error("finding {rule_id} is for {finding} but was sent with host {host}")]
    FindingForOtherHost {
        /// The host record's address.
        host: IpAddr,
        /// The finding's address.
        finding: IpAddr,
        /// The finding's rule.
        rule_id: String,
    },
    /// The writer thread stopped early (a write failed); `Writer::finish` returns why.
    #[error("the store writer stopped early; finishing it reports the cause")]
    WriterStopped,
    /// A stored row could not be decoded (or a value could not be encoded).
    #[error("{what}: {source}")]
    Json {
        /// Which value.
        what: String,
        /// The serde_json error.
        #[source]
        source: serde_json::Error,
    },
    /// SQLite reported an error.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file system operation failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// `value` as JSON text; `what` names it in the error.
pub(crate) fn to_json<T: Serialize>(
    value: &T,
    what: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Json {
        what: what(),
        source,
    })
}

/// A value read back from JSON text; `what` names it in the error.
pub(crate) fn from_json<T: DeserializeOwned>(
    json: &str,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::Json {
        what: what(),
        source,
    })
}
