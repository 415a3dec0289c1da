//! The seam every store backend implements: [`ScanStore`] to start scans and read them
//! back, [`ScanWriter`] to write one scan's results.
//!
//! The signatures are synchronous: the CLI calls them from its scan callback and its
//! read-only commands. A backend over an async client (PostgreSQL via tokio-postgres)
//! blocks on its own runtime inside these calls, off the scan's tokio threads.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Vantage};

use crate::audit::{AuditId, AuditSummary};
use crate::chunks::Chunk;
use crate::diff::ScanDiff;
use crate::error::StoreError;
use crate::location::StoreLocation;
use crate::scan::{ScanId, ScanMeta, ScanStatus, ScanSummary, StoredShard};
use crate::shards::ShardRow;

/// A scan history: scans, their hosts and findings.
///
/// Each value is one connection (or session) to the store; open one per thread or process.
/// Every method that names a scan fails with [`StoreError::NotFound`] if it does not exist.
pub trait ScanStore: fmt::Debug + Send {
    /// Where the store lives (for messages; passwords redacted).
    fn location(&self) -> &StoreLocation;

    /// Records a new scan, status running, started now.
    fn begin_scan(&self, meta: &ScanMeta) -> Result<ScanId, StoreError>;

    /// Sets a scan's status. Finished and interrupted stamp `finished` with the current
    /// time; running (a resume) clears it.
    fn set_status(&self, scan: ScanId, status: ScanStatus) -> Result<(), StoreError>;

    /// The addresses of the hosts stored for a scan (what `--resume` skips).
    fn finished_hosts(&self, scan: ScanId) -> Result<HashSet<IpAddr>, StoreError>;

    /// The newest scan that did not finish (running or interrupted), if any.
    fn last_unfinished(&self) -> Result<Option<ScanSummary>, StoreError>;

    /// The newest scan, if any.
    fn last_scan(&self) -> Result<Option<ScanSummary>, StoreError>;

    /// Every scan, newest first.
    fn scans(&self) -> Result<Vec<ScanSummary>, StoreError>;

    /// One scan's summary.
    fn scan(&self, scan: ScanId) -> Result<ScanSummary, StoreError>;

    /// A scan's host records exactly as they were written, sorted by address.
    fn hosts(&self, scan: ScanId) -> Result<Vec<HostRecord>, StoreError>;

    /// A scan's findings, sorted by address, then rule id.
    fn findings(&self, scan: ScanId) -> Result<Vec<Finding>, StoreError>;

    /// What changed from scan `a` to scan `b`.
    fn diff(&self, a: ScanId, b: ScanId) -> Result<ScanDiff, StoreError> {
        let vantage = |id| -> Result<Vantage, StoreError> {
            Ok(self.scan(id)?.vantage.parse().unwrap_or(Vantage::Lan))
        };
        let (hosts_a, findings_a) = (self.hosts(a)?, self.findings(a)?);
        let (hosts_b, findings_b) = (self.hosts(b)?, self.findings(b)?);
        Ok(ScanDiff::between(
            (a, &hosts_a, &findings_a, vantage(a)?),
            (b, &hosts_b, &findings_b, vantage(b)?),
        ))
    }

    /// A slow, thorough check for damage that opening does not look for; damage is
    /// [`StoreError::Corrupt`].
    fn verify(&self) -> Result<(), StoreError>;

    /// Stores one audit of a machine: its report as JSON, verbatim, with its summary.
    fn save_audit(&self, summary: &AuditSummary, report_json: &str) -> Result<AuditId, StoreError>;

    /// Every stored audit, newest first (none in a database older than audits).
    fn audits(&self) -> Result<Vec<AuditSummary>, StoreError>;

    /// One stored audit's report, as it was stored ([`StoreError::AuditNotFound`] if absent).
    fn audit(&self, id: AuditId) -> Result<String, StoreError>;

    /// Starts writing `scan`'s results over a connection of the writer's own, and marks the
    /// scan running (resuming an interrupted scan).
    fn writer(&self, scan: ScanId) -> Result<Box<dyn ScanWriter>, StoreError>;

    /// Records a new scan named `name` for `shard_count` workers, or finds the scan of that
    /// name: its id, and whether this call created it. Two workers starting at once get
    /// the same scan (the name is unique). The caller checks that a found scan has the
    /// targets and options it was given.
    fn begin_named_scan(
        &self,
        meta: &ScanMeta,
        name: &str,
        shard_count: u64,
    ) -> Result<(ScanId, bool), StoreError>;

    /// The scan named `name`, if any.
    fn scan_named(&self, name: &str) -> Result<Option<ScanSummary>, StoreError>;

    /// Claims `shard` of `scan` for this process: a shard never claimed, or one whose
    /// worker is known dead ([`ShardRow::worker_dead`]). Returns the shard's row as claimed
    /// (taken over: with the hosts and position its earlier workers reached).
    /// [`StoreError::ShardTaken`] when a live worker holds it, [`StoreError::ShardFinished`]
    /// when it is finished.
    fn claim_shard(&self, scan: ScanId, shard: StoredShard) -> Result<ShardRow, StoreError>;

    /// The shards of `scan` that were ever claimed, by index.
    fn shards(&self, scan: ScanId) -> Result<Vec<ShardRow>, StoreError>;

    /// A writer for one claimed shard of `scan`: as [`ScanStore::writer`], and it keeps the
    /// shard's row current (hosts, [`ScanWriter::advance`], a heartbeat every
    /// [`crate::HEARTBEAT`]); finishing it sets the shard's state, and the scan's status
    /// from all of its shards.
    fn shard_writer(
        &self,
        scan: ScanId,
        shard: StoredShard,
    ) -> Result<Box<dyn ScanWriter>, StoreError>;

    /// Cuts a queued scan's `positions` into chunks of `len` (see [`crate::Chunk`]), once:
    /// later calls add nothing. Returns the number of chunks. PostgreSQL only (elsewhere
    /// [`StoreError::NeedsPostgres`]).
    fn queue_chunks(&self, scan: ScanId, positions: u64, len: u64) -> Result<u64, StoreError>;

    /// Claims the first chunk to do, or one whose lease expired, for `lease`; `None` when
    /// every chunk is done or leased. Workers claiming at once get different chunks.
    fn claim_chunk(&self, scan: ScanId, lease: Duration) -> Result<Option<Chunk>, StoreError>;

    /// Extends the lease of a claimed chunk; false if it is no longer leased (done).
    fn renew_chunk(&self, scan: ScanId, chunk: u64, lease: Duration) -> Result<bool, StoreError>;

    /// Marks a chunk done (after its hosts are committed).
    fn chunk_done(&self, scan: ScanId, chunk: u64) -> Result<(), StoreError>;
}

/// Writes one scan's results, committed in batches: a process killed mid-scan loses at
/// most the batch in flight (PostgreSQL: the two in flight, one per connection), and every
/// committed host has all of its findings.
///
/// Dropping a writer without [`ScanWriter::finish`] still commits what was sent, but
/// leaves the scan's status unchanged (running), as a crash would.
pub trait ScanWriter: fmt::Debug + Send {
    /// Queues one host and its findings (which must all be about that host, else
    /// [`StoreError::FindingForOtherHost`]). May block while the queue is full. A host sent
    /// again replaces its earlier record and findings.
    fn send(&self, host: &HostRecord, findings: &[Finding]) -> Result<(), StoreError>;

    /// Commits what is queued, sets the scan's status and reports what was written (or
    /// the error that stopped the writer).
    fn finish(self: Box<Self>, status: ScanStatus) -> Result<WriterStats, StoreError>;

    /// Says that every target before `position` of the shard's order has been sent: a shard
    /// writer stores it (after those hosts are committed) as the shard's `last_index`. A
    /// writer of a whole scan ignores it.
    fn advance(&self, position: u64) -> Result<(), StoreError>;
}

/// What a writer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterStats {
    /// Host rows written (a host sent twice counts twice).
    pub hosts: u64,
    /// Finding rows written.
    pub findings: u64,
    /// Transactions committed.
    pub batches: u64,
}
