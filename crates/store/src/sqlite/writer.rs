//! [`SqliteWriter`]: one thread per scan that commits results in batches.
//!
//! Results arrive over a bounded channel and are committed in one transaction per batch
//! (at most [`BATCH_HOSTS`] hosts, or whatever arrived within [`BATCH_DELAY`] of the
//! batch's first host). A process killed mid-scan therefore loses at most the batch in
//! flight, and every committed host has all of its findings.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior, params};
use smbaudit_findings::Finding;
use smbaudit_findings::record::HostRecord;

use super::Sql;
use super::open::connect;
use super::store::set_status;
use crate::error::{StoreError, to_json};
use crate::scan::{ScanId, ScanStatus, now};
use crate::store::{ScanWriter, WriterStats};

/// Most hosts in one transaction.
pub const BATCH_HOSTS: usize = 64;
/// Longest a host waits before its batch is committed.
pub const BATCH_DELAY: Duration = Duration::from_millis(250);
/// Hosts queued before `send` blocks (back-pressure on a scan faster than the disk).
const CHANNEL_CAPACITY: usize = 1024;

/// One host, encoded on the sender's thread.
struct Pending {
    ip: String,
    record_json: String,
    findings: Vec<PendingFinding>,
}

struct PendingFinding {
    rule_id: String,
    severity: &'static str,
    json: String,
}

enum Msg {
    Host(Pending),
    Finish(ScanStatus),
}

/// Writes one scan's results on its own thread and connection.
///
/// Dropping a writer without [`SqliteWriter::finish`] still commits what was sent, but
/// leaves the scan's status unchanged (running), as a crash would.
#[derive(Debug)]
pub struct SqliteWriter {
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<Result<WriterStats, StoreError>>>,
}

impl SqliteWriter {
    /// Opens its own connection to the database at `path` and starts writing for `scan`,
    /// which must exist. The scan is marked running (resuming an interrupted scan).
    pub fn start(path: &Path, scan: ScanId) -> Result<Self, StoreError> {
        let conn = connect(path)?;
        set_status(&conn, scan, ScanStatus::Running)?;
        let (tx, rx) = mpsc::sync_channel(CHANNEL_CAPACITY);
        let thread = thread::Builder::new()
            .name(format!("smbaudit-store-writer-{scan}"))
            .spawn(move || run(conn, scan, &rx))
            .map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues one host and its findings (which must all be about that host). Blocks
    /// while the queue is full. A host sent again replaces its earlier record and findings.
    pub fn send(&self, host: &HostRecord, findings: &[Finding]) -> Result<(), StoreError> {
        if let Some(f) = findings.iter().find(|f| f.ip != host.ip) {
            return Err(StoreError::FindingForOtherHost {
                host: host.ip,
                finding: f.ip,
                rule_id: f.rule_id.clone(),
            });
        }
        let ip = host.ip.to_string();
        let record_json = to_json(host, || format!("host {ip}: record"))?;
        let findings = findings
            .iter()
            .map(|f| {
                Ok(PendingFinding {
                    rule_id: f.rule_id.clone(),
                    severity: f.severity.as_str(),
                    json: to_json(f, || format!("host {ip}: finding {}", f.rule_id))?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let msg = Msg::Host(Pending {
            ip,
            record_json,
            findings,
        });
        self.tx
            .as_ref()
            .ok_or(StoreError::WriterStopped)?
            .send(msg)
            .map_err(|_| StoreError::WriterStopped)
    }

    /// Commits what is queued, sets the scan's status and reports what was written (or
    /// the error that stopped the writer).
    pub fn finish(mut self, status: ScanStatus) -> Result<WriterStats, StoreError> {
        if let Some(tx) = self.tx.take() {
            // If the thread already stopped, joining it below reports why.
            let _ = tx.send(Msg::Finish(status));
        }
        self.join().unwrap_or(Err(StoreError::WriterStopped))
    }

    fn join(&mut self) -> Option<Result<WriterStats, StoreError>> {
        let thread = self.thread.take()?;
        Some(match thread.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    }
}

impl ScanWriter for SqliteWriter {
    fn send(&self, host: &HostRecord, findings: &[Finding]) -> Result<(), StoreError> {
        Self::send(self, host, findings)
    }

    fn finish(self: Box<Self>, status: ScanStatus) -> Result<WriterStats, StoreError> {
        Self::finish(*self, status)
    }
}

impl Drop for SqliteWriter {
    fn drop(&mut self) {
        // Closing the channel makes the thread commit what it has and stop.
        self.tx.take();
        if !thread::panicking() {
            let _ = self.join();
        }
    }
}

/// The writer thread: collects batches and commits them until told to finish or until
/// every sender is gone.
fn run(
    mut conn: Connection,
    scan: ScanId,
    rx: &mpsc::Receiver<Msg>,
) -> Result<WriterStats, StoreError> {
    let mut stats = WriterStats::default();
    let mut batch: Vec<Pending> = Vec::with_capacity(BATCH_HOSTS);
    let mut deadline: Option<Instant> = None;
    loop {
        let msg = match deadline {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
        };
        match msg {
            Ok(Msg::Host(p)) => {
                deadline.get_or_insert_with(|| Instant::now() + BATCH_DELAY);
                batch.push(p);
                if batch.len() >= BATCH_HOSTS {
                    commit(&mut conn, scan, &mut batch, &mut stats)?;
                    deadline = None;
                }
            }
            Ok(Msg::Finish(status)) => {
                commit(&mut conn, scan, &mut batch, &mut stats)?;
                set_status(&conn, scan, status)?;
                return Ok(stats);
            }
            Err(RecvTimeoutError::Timeout) => {
                commit(&mut conn, scan, &mut batch, &mut stats)?;
                deadline = None;
            }
            Err(RecvTimeoutError::Disconnected) => {
                commit(&mut conn, scan, &mut batch, &mut stats)?;
                return Ok(stats);
            }
        }
    }
}

/// Writes and empties the batch in one transaction.
fn commit(
    conn: &mut Connection,
    scan: ScanId,
    batch: &mut Vec<Pending>,
    stats: &mut WriterStats,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let findings = write_batch(conn, scan, batch).sql()?;
    stats.hosts += batch.len() as u64;
    stats.findings += findings;
    stats.batches += 1;
    batch.clear();
    Ok(())
}

/// Writes `batch` in one immediate transaction; returns the number of findings written.
fn write_batch(conn: &mut Connection, scan: ScanId, batch: &[Pending]) -> rusqlite::Result<u64> {
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
