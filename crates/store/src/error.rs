//! What can go wrong with the store, with messages a user can act on.
//!
//! The error names no backend's types: a backend's own error (rusqlite's,
//! tokio-postgres') travels as the boxed source of [`StoreError::Backend`], and
//! [`StoreError::kind`] tells the CLI which exit code an error deserves.

use std::error::Error;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::audit::AuditId;
use crate::location::StoreLocation;
use crate::scan::{ScanId, StoredShard};
use crate::shards::ShardState;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store exists but is not an smbaudit database (another format or another
    /// application's SQLite database). It was not modified.
    #[error("{0}: not an smbaudit database ({1}); refusing to touch it")]
    NotOurs(StoreLocation, String),
    /// The store claims to be an smbaudit database but is damaged (truncated, bad header,
    /// unreadable schema). It was not modified.
    #[error("{0}: corrupt smbaudit database ({1}); left as it is")]
    Corrupt(StoreLocation, String),
    /// The database was written by a newer smbaudit with a schema we do not know.
    #[error(
        "{location}: database schema version {found} is newer than this smbaudit supports ({supported}); upgrade smbaudit"
    )]
    TooNew {
        /// The database.
        location: StoreLocation,
        /// Its schema version (SQLite: `PRAGMA user_version`).
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The location names a backend this build does not have (every `StoreLocation`
    /// has one today; kept for locations added before their backend).
    #[error("{location}: the {backend} store backend is not built yet; give a file path")]
    Unsupported {
        /// The location, its password redacted.
        location: StoreLocation,
        /// The backend's name, e.g. "PostgreSQL".
        backend: &'static str,
    },
    /// The server could not be reached or refused us (wrong password, no such user or
    /// database, timeout). Nothing was sent but the connection attempt.
    #[error("{0}: cannot connect to PostgreSQL: {1}")]
    Connect(StoreLocation, String),
    /// There is no database at the location (reading needs one; nothing was created).
    #[error("{0}: no such database (nothing has been stored there yet)")]
    Missing(StoreLocation),
    /// The directory a new database file would go in does not exist (it is not created).
    #[error("{}: the directory {} does not exist; create it first", .0, .1.display())]
    NoDirectory(StoreLocation, PathBuf),
    /// No scan has this id.
    #[error("scan {0} not found")]
    NotFound(ScanId),
    /// No audit has this id.
    #[error("audit {0} not found")]
    AuditNotFound(AuditId),
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
    /// Another worker claimed the shard: a shard is claimed once, and taken over (with
    /// `--resume`) only from a worker known to be gone.
    #[error(
        "scan {scan}: shard {shard} is already claimed by {worker} ({state}); a shard runs on one worker at a time{}",
        if *.state == ShardState::Started { "" } else { "; `--resume` re-runs a failed shard" }
    )]
    ShardTaken {
        /// The scan.
        scan: ScanId,
        /// The shard.
        shard: StoredShard,
        /// Who holds it (host and pid).
        worker: String,
        /// Its state.
        state: ShardState,
    },
    /// A shard to resume that already finished.
    #[error("scan {scan}: shard {shard} is already finished")]
    ShardFinished {
        /// The scan.
        scan: ScanId,
        /// The shard.
        shard: StoredShard,
    },
    /// A feature one backend does not have (the chunk queue on SQLite).
    #[error(
        "{location}: {what} needs PostgreSQL (a database many machines share); give --db postgres://..."
    )]
    NeedsPostgres {
        /// The store.
        location: StoreLocation,
        /// The feature, e.g. "--queue".
        what: &'static str,
    },
    /// The writer stopped early (a write failed); finishing it reports the cause.
    #[error("the store writer stopped early; finishing it reports the cause")]
    WriterStopped,
    /// A stored row could not be decoded (or a value could not be encoded).
    #[error("{what}")]
    Json {
        /// Which value.
        what: String,
        /// The serde_json error.
        #[source]
        source: serde_json::Error,
    },
    /// The backend reported an error (SQLite: any rusqlite error not classified above).
    #[error("{backend}")]
    Backend {
        /// The backend's name, e.g. "SQLite".
        backend: &'static str,
        /// The backend's own error.
        #[source]
        source: Box<dyn Error + Send + Sync + 'static>,
    },
    /// A file system operation failed.
    #[error("{}", .path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// What kind of failure a [`StoreError`] is, for choosing an exit code: the store's
/// contents or location are unusable as given ([`Self::NotOurs`], [`Self::Corrupt`],
/// [`Self::TooNew`], [`Self::Unsupported`]), a scan the user named is not there
/// ([`Self::NotFound`]), or the operation failed ([`Self::Io`], [`Self::Backend`], ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// Not an smbaudit database; left untouched.
    NotOurs,
    /// A damaged smbaudit database; left untouched.
    Corrupt,
    /// A database from a newer smbaudit.
    TooNew,
    /// A backend this build does not have.
    Unsupported,
    /// No such scan.
    NotFound,
    /// The server could not be reached or refused the credentials.
    Connect,
    /// No database there (reading), or no directory for one (writing).
    Missing,
    /// The caller sent something inconsistent (a finding for another host).
    Invalid,
    /// Another worker holds what was claimed (a shard), or it is finished.
    Conflict,
    /// A file system operation failed (permissions, a full disk, ...).
    Io,
    /// The backend failed, or the writer stopped because it did.
    Backend,
    /// A stored value could not be encoded or decoded.
    Encoding,
}

impl StoreError {
    /// What kind of failure this is.
    pub fn kind(&self) -> StoreErrorKind {
        match self {
            Self::NotOurs(..) => StoreErrorKind::NotOurs,
            Self::Corrupt(..) => StoreErrorKind::Corrupt,
            Self::TooNew { .. } => StoreErrorKind::TooNew,
            Self::Unsupported { .. } => StoreErrorKind::Unsupported,
            Self::NotFound(_) | Self::AuditNotFound(_) => StoreErrorKind::NotFound,
            Self::Missing(_) | Self::NoDirectory(..) => StoreErrorKind::Missing,
            Self::Connect(..) => StoreErrorKind::Connect,
            Self::FindingForOtherHost { .. } => StoreErrorKind::Invalid,
            Self::ShardTaken { .. } | Self::ShardFinished { .. } => StoreErrorKind::Conflict,
            Self::NeedsPostgres { .. } => StoreErrorKind::Unsupported,
            Self::Io { .. } => StoreErrorKind::Io,
            Self::WriterStopped | Self::Backend { .. } => StoreErrorKind::Backend,
            Self::Json { .. } => StoreErrorKind::Encoding,
        }
    }

    /// A backend's own error, boxed so that its type stays inside the backend's module.
    pub fn backend(backend: &'static str, source: impl Error + Send + Sync + 'static) -> Self {
        Self::Backend {
            backend,
            source: Box::new(source),
        }
    }
}

/// `value` as JSON text; `what` names it in the error.
pub fn to_json<T: Serialize>(
    value: &T,
    what: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Json {
        what: what(),
        source,
    })
}

/// A value read back from JSON text; `what` names it in the error.
pub fn from_json<T: DeserializeOwned>(
    json: &str,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::Json {
        what: what(),
        source,
    })
}
