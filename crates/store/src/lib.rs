//! smbaudit's scan store: every scan, its hosts and findings, so that a killed scan keeps
//! what it finished, a scan can be resumed, and scans can be listed, shown again and
//! compared.
//!
//! - [`ScanStore`] starts scans and reads them back; [`ScanWriter`] writes one scan's
//!   results in batches. Every backend implements both.
//! - [`StoreLocation`] is where a store lives, as `--db` gives it; [`open`] opens it with
//!   the backend it names.
//! - [`sqlite`]: one SQLite file, refusing files that are not ours without touching them.
//! - [`postgres`]: one PostgreSQL database shared by many scanning processes, written by
//!   binary COPY and upsert.
//! - [`ScanDiff`] is what changed between two scans.
//! - [`ShardRow`]: one scan written by many workers, each claiming its shard;
//!   [`Chunk`]: the work queue of chunks leased to workers (PostgreSQL).
#![forbid(unsafe_code)]

mod audit;
mod batch;
mod chunks;
mod diff;
mod diff_shares;
mod error;
mod location;
mod owner;
pub mod postgres;
mod scan;
mod shards;
pub mod sqlite;
mod store;

pub use audit::{AuditDiff, AuditId, AuditSummary, CellChange};
pub use chunks::{Chunk, ChunksDone, LEASE, chunk_count};
pub use diff::{DiffScope, ScanDiff};
pub use diff_shares::ShareChange;
pub use error::{StoreError, StoreErrorKind};
pub use location::{PostgresUrl, StoreLocation};
pub use owner::ScanOwner;
pub use scan::{
    ParseScanIdError, ScanId, ScanMeta, ScanOptions, ScanStatus, ScanSummary, StoredShard,
};
pub use shards::{HEARTBEAT, STALE_AFTER, ShardRow, ShardState, ShardsDone};
pub use store::{ScanStore, ScanWriter, WriterStats};

/// Opens (or creates: a file, or the schema in an empty PostgreSQL database) the store at
/// `location` with the backend it names.
pub fn open(location: &StoreLocation) -> Result<Box<dyn ScanStore>, StoreError> {
    match location {
        StoreLocation::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open(path)?)),
        StoreLocation::Postgres(url) => Ok(Box::new(postgres::PostgresStore::open(url)?)),
    }
}

/// Opens the existing store at `location` for reading only: nothing is created or changed
/// ([`StoreError::Missing`] if there is nothing there).
pub fn open_read_only(location: &StoreLocation) -> Result<Box<dyn ScanStore>, StoreError> {
    match location {
        StoreLocation::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open_read_only(path)?)),
        StoreLocation::Postgres(url) => Ok(Box::new(postgres::PostgresStore::open_read_only(url)?)),
    }
}
