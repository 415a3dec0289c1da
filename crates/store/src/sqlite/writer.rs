//! [`SqliteWriter`]: one thread per scan that commits results in batches.
//!
//! Results arrive over a bounded channel and are committed in one transaction per batch
//! (at most [`BATCH_HOSTS`] hosts, or whatever arrived within [`BATCH_DELAY`] of the
//! batch's first host). A process killed mid-scan therefore loses at most the batch in
//! flight, and every committed host has all of its findings.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};
use smbaudit_findings::Finding;
use smbaudit_findings::record::HostRecord;

use super::open::connect;
use super::store::set_status;
use super::{Sql, shards};
use crate::batch::{BatchSink, BatchWriter, Committed, Limits, Pending};
use crate::error::StoreError;
use crate::scan::{ScanId, ScanStatus, StoredShard, now};
use crate::shards::HEARTBEAT;
use crate::store::{ScanWriter, WriterStats};

/// Most hosts in one transaction.
pub const BATCH_HOSTS: usize = 64;
/// Longest a host waits before its batch is committed.
pub const BATCH_DELAY: Duration = Duration::from_millis(250);
/// Hosts queued before `send` blocks (back-pressure on a scan faster than the disk).
const CHANNEL_CAPACITY: usize = 1024;

/// Writes one scan's results on its own thread and connection (the shared
/// batching writer, `batch::BatchWriter`, over a SQLite connection).
///
/// Dropping a writer without [`SqliteWriter::finish`] still commits what was sent, but
/// leaves the scan's status unchanged (running), as a crash would.
#[derive(Debug)]
pub struct SqliteWriter(BatchWriter);

/// The writer thread's side: its connection, scan and shard (if one of many workers).
struct Sink {
    conn: Connection,
    scan: ScanId,
    shard: Option<StoredShard>,
}

impl BatchSink for Sink {
    fn commit(
        &mut self,
        batch: &[Pending],
        position: Option<u64>,
    ) -> Result<Committed, StoreError> {
        let shard = self.shard.map(|s| (s, position));
        let findings = write_batch(&mut self.conn, self.scan, batch, shard).sql()?;
        Ok(Committed {
            findings,
            transactions: 1,
        })
    }

    fn set_status(&mut self, status: ScanStatus) -> Result<(), StoreError> {
        match self.shard {
            Some(shard) => shards::finish(&self.conn, self.scan, shard, status),
            None => set_status(&self.conn, self.scan, status),
        }
    }

    fn heartbeat(&mut self, position: Option<u64>) -> Result<(), StoreError> {
        match self.shard {
            Some(shard) => shards::progress(&self.conn, self.scan, shard, 0, position).sql(),
            None => Ok(()),
        }
    }
}

impl SqliteWriter {
    /// Opens its own connection to the database at `path` and starts writing for `scan`,
    /// which must exist. The scan is marked running (resuming an interrupted scan).
    pub fn start(path: &Path, scan: ScanId) -> Result<Self, StoreError> {
        Self::start_with(path, scan, None)
    }

    /// As [`SqliteWriter::start`], for one claimed shard of `scan`: it keeps the shard's
    /// row current, and finishing sets the shard's state.
    pub fn start_shard(path: &Path, scan: ScanId, shard: StoredShard) -> Result<Self, StoreError> {
        Self::start_with(path, scan, Some(shard))
    }

    fn start_with(
        path: &Path,
        scan: ScanId,
        shard: Option<StoredShard>,
    ) -> Result<Self, StoreError> {
        let conn = connect(path)?;
        set_status(&conn, scan, ScanStatus::Running)?;
        let limits = Limits {
            hosts: BATCH_HOSTS,
            delay: BATCH_DELAY,
            queue: CHANNEL_CAPACITY,
            heartbeat: shard.map(|_| HEARTBEAT),
        };
        BatchWriter::start(
            format!("smbaudit-store-writer-{scan}"),
            Sink { conn, scan, shard },
            limits,
        )
        .map(Self)
        .map_err(|source| StoreError::Io {
            path: path.to_owned(),
            source,
        })
    }

    /// Queues one host and its findings (which must all be about that host). Blocks
    /// while the queue is full. A host sent again replaces its earlier record and findings.
    pub fn send(&self, host: &HostRecord, findings: &[Finding]) -> Result<(), StoreError> {
        self.0.send(host, findings)
    }

    /// Commits what is queued, sets the scan's status and reports what was written (or
    /// the error that stopped the writer).
    pub fn finish(self, status: ScanStatus) -> Result<WriterStats, StoreError> {
        self.0.finish(status)
    }
}

impl ScanWriter for SqliteWriter {
    fn send(&self, host: &HostRecord, findings: &[Finding]) -> Result<(), StoreError> {
        Self::send(self, host, findings)
    }

    fn finish(self: Box<Self>, status: ScanStatus) -> Result<WriterStats, StoreError> {
        Self::finish(*self, status)
    }

    fn advance(&self, position: u64) -> Result<(), StoreError> {
        self.0.advance(position)
    }
}

/// Writes `batch` in one immediate transaction (with the shard's row, if a shard's);
/// returns the number of findings written.
fn write_batch(
    conn: &mut Connection,
    scan: ScanId,
    batch: &[Pending],
    shard: Option<(StoredShard, Option<u64>)>,
) -> rusqlite::Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let written = now();
    let mut findings = 0u64;
    {
        let mut forget =
            tx.prepare_cached("DELETE FROM findings WHERE scan_id = ?1 AND ip = ?2")?;
        let mut host = tx.prepare_cached(
            "INSERT INTO hosts (scan_id, ip, record_json, written) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scan_id, ip)
             DO UPDATE SET record_json = excluded.record_json, written = excluded.written",
        )?;
        let mut finding = tx.prepare_cached(
            "INSERT INTO findings (scan_id, ip, rule_id, severity, finding_json)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (scan_id, ip, rule_id)
             DO UPDATE SET severity = excluded.severity, finding_json = excluded.finding_json",
        )?;
        for p in batch {
            forget.execute(params![scan.0, p.ip])?;
            host.execute(params![scan.0, p.ip, p.record_json, written])?;
            for f in &p.findings {
                finding.execute(params![scan.0, p.ip, f.rule_id, f.severity, f.json])?;
                findings += 1;
            }
        }
    }
    if let Some((shard, position)) = shard {
        shards::progress(&tx, scan, shard, batch.len() as u64, position)?;
    }
    tx.commit()?;
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScanStore;

    #[test]
    fn drop_without_finish_commits_and_leaves_running() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = super::super::SqliteStore::open(&path).unwrap();
        let scan = store
            .begin_scan(&crate::ScanMeta {
                targets: vec!["10.0.0.1".into()],
                command: "smbaudit scan 10.0.0.1".into(),
                vantage: "lan".into(),
                options: None,
            })
            .unwrap();
        let writer = SqliteWriter::start(&path, scan).unwrap();
        let host: HostRecord = serde_json::from_str(
            r#"{"schema":"smbaudit/scan-host/v1","ip":"10.0.0.1","ports":{"445/tcp":"closed"},
                "port_evidence":{"445/tcp":"RST"},"netbios":null,"nbss":null,"smb":null,
                "errors":[],"connections":1,"elapsed_ms":3}"#,
        )
        .unwrap();
        writer.send(&host, &[]).unwrap();
        drop(writer);
        assert_eq!(store.hosts(scan).unwrap(), vec![host]);
        assert_eq!(store.scan(scan).unwrap().status, ScanStatus::Running);
    }
}
