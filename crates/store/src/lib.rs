//! smbaudit's scan store: every scan, its hosts and findings, so that a killed scan keeps
//! what it finished, a scan can be resumed, and scans can be listed, shown again and
//! compared.
//!
//! - [`ScanStore`] starts scans and reads them back; [`ScanWriter`] writes one scan's
//!   results in batches. Every backend implements both.
//! - [`StoreLocation`] is where a store lives, as `--db` gives it.
//! - [`sqlite`]: one SQLite file, refusing files that are not ours without touching them.
//!   The PostgreSQL backend is the crate `smbaudit-store-postgres`, built on [`backend`]:
//!   this crate does no network I/O and needs no async runtime.
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

/// What a backend crate builds on besides the traits: the batching writer thread and its
/// sink, the JSON column helpers, the clock format and the shard claim rules, shared so
/// that every backend behaves alike. Not for callers of a store.
pub mod backend {
    pub use crate::batch::{BatchSink, BatchWriter, Committed, Limits, Pending, PendingFinding};
    pub use crate::error::{from_json, to_json};
    pub use crate::scan::now;
    pub use crate::shards::{ROW_COLUMNS, Verdict, judge, row_from, worker_json};
}
