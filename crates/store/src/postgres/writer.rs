//! [`PostgresWriter`]: one thread per scan that commits results in batches.
//!
//! Results arrive over a bounded channel and are committed in one transaction per batch
//! (at most [`BATCH_HOSTS`] hosts, or whatever arrived within [`BATCH_DELAY`] of the
//! batch's first host). Each batch goes in by binary COPY into temporary staging tables
//! and is then upserted (`INSERT ... ON CONFLICT DO UPDATE`), so a host sent again, or a
//! shard run again, replaces its row. A process killed mid-scan loses at most the batch in
//! flight, and every committed host has all of its findings.

use std::collections::HashMap;
use std::pin::pin;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use smbaudit_findings::Finding;
use smbaudit_findings::record::HostRecord;
use tokio_postgres::Client;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

use super::Pg;
use super::connect::{Session, block_on, connect};
use super::store::set_status;
use crate::error::{StoreError, to_json};
use crate::location::PostgresUrl;
use crate::scan::{ScanId, ScanStatus, now};
use crate::store::{ScanWriter, WriterStats};

/// Most hosts in one transaction (COPY makes large batches cheap; a killed worker loses at
/// most this many).
pub const BATCH_HOSTS: usize = 512;
/// Longest a host waits before its batch is committed.
pub const BATCH_DELAY: Duration = Duration::from_millis(250);
/// Hosts queued before `send` blocks (back-pressure on a scan faster than the server).
const CHANNEL_CAPACITY: usize = 4096;

/// The session's staging tables, emptied by every commit.
const STAGING: &str = "
CREATE TEMP TABLE smbaudit_staging_hosts (ip TEXT NOT NULL, record_json TEXT NOT NULL)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE smbaudit_staging_findings (
    ip TEXT NOT NULL, rule_id TEXT NOT NULL, severity TEXT NOT NULL, finding_json TEXT NOT NULL
) ON COMMIT DELETE ROWS;
";

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
/// Dropping a writer without [`PostgresWriter::finish`] still commits what was sent, but
/// leaves the scan's status unchanged (running), as a crash would.
#[derive(Debug)]
pub struct PostgresWriter {
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<Result<WriterStats, StoreError>>>,
}

impl PostgresWriter {
    /// Opens its own connection to `url` and starts writing for `scan`, which must exist.
    /// The scan is marked running (resuming an interrupted scan).
    pub fn start(url: &PostgresUrl, scan: ScanId) -> Result<Self, StoreError> {
        let session = connect(url)?;
        session.block_on(set_status(&session.client, scan, ScanStatus::Running))?;
        session
            .block_on(session.client.batch_execute(STAGING))
            .pg()?;
        let (tx, rx) = mpsc::sync_channel(CHANNEL_CAPACITY);
        let thread = thread::Builder::new()
            .name(format!("smbaudit-pg-writer-{scan}"))
            .spawn(move || run(session, scan, &rx))
            .map_err(|e| StoreError::backend(super::BACKEND, e))?;
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

impl ScanWriter for PostgresWriter {
    fn send(&self, host: &HostRecord, findings: &[Finding]) -> Result<(), StoreError> {
        Self::send(self, host, findings)
    }

    fn finish(self: Box<Self>, status: ScanStatus) -> Result<WriterStats, StoreError> {
        Self::finish(*self, status)
    }
}

impl Drop for PostgresWriter {
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
    mut session: Session,
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
                    commit(&mut session, scan, &mut batch, &mut stats)?;
                    deadline = None;
                }
            }
            Ok(Msg::Finish(status)) => {
                commit(&mut session, scan, &mut batch, &mut stats)?;
                session.block_on(set_status(&session.client, scan, status))?;
                return Ok(stats);
            }
            Err(RecvTimeoutError::Timeout) => {
                commit(&mut session, scan, &mut batch, &mut stats)?;
                deadline = None;
            }
            Err(RecvTimeoutError::Disconnected) => {
                commit(&mut session, scan, &mut batch, &mut stats)?;
                return Ok(stats);
            }
        }
    }
}

/// Writes and empties the batch in one transaction.
fn commit(
    session: &mut Session,
    scan: ScanId,
    batch: &mut Vec<Pending>,
    stats: &mut WriterStats,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let Session { rt, client } = session;
    block_on(rt, write_batch(client, scan, batch)).pg()?;
    stats.hosts += batch.len() as u64;
    stats.findings += batch.iter().map(|p| p.findings.len() as u64).sum::<u64>();
    stats.batches += 1;
    batch.clear();
    Ok(())
}

/// The batch as it is upserted: the last record sent for each host, and the last finding
/// of each rule among that record's findings (one upsert may not touch a row twice).
fn last_sent(batch: &[Pending]) -> Vec<(&Pending, Vec<&PendingFinding>)> {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, p) in batch.iter().enumerate() {
        last.insert(&p.ip, i);
    }
    batch
        .iter()
        .enumerate()
        .filter(|(i, p)| last.get(p.ip.as_str()) == Some(i))
        .map(|(_, p)| {
            let mut rules: HashMap<&str, usize> = HashMap::new();
            for (i, f) in p.findings.iter().enumerate() {
                rules.insert(&f.rule_id, i);
            }
            let findings = p
                .findings
                .iter()
                .enumerate()
                .filter(|(i, f)| rules.get(f.rule_id.as_str()) == Some(i))
                .map(|(_, f)| f)
                .collect();
            (p, findings)
        })
        .collect()
}

/// Writes `batch` in one transaction: COPY into the staging tables, upsert the records,
/// then replace the findings of each host stored again.
async fn write_batch(
    client: &mut Client,
    scan: ScanId,
    batch: &[Pending],
) -> Result<(), tokio_postgres::Error> {
    let hosts = last_sent(batch);
    let tx = client.transaction().await?;
    {
        let sink = tx
            .copy_in("COPY smbaudit_staging_hosts (ip, record_json) FROM STDIN (FORMAT binary)")
            .await?;
        let mut w = pin!(BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::TEXT]));
        for (p, _) in &hosts {
            w.as_mut().write(&[&p.ip, &p.record_json]).await?;
        }
        w.finish().await?;
    }
    if hosts.iter().any(|(_, f)| !f.is_empty()) {
        let sink = tx
            .copy_in(
                "COPY smbaudit_staging_findings (ip, rule_id, severity, finding_json)
                 FROM STDIN (FORMAT binary)",
            )
            .await?;
        let types = [Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT];
        let mut w = pin!(BinaryCopyInWriter::new(sink, &types));
        for (p, findings) in &hosts {
            for f in findings {
                w.as_mut()
                    .write(&[&p.ip, &f.rule_id, &f.severity, &f.json])
                    .await?;
            }
        }
        w.finish().await?;
    }
    // The hosts stored before this batch (an upserted row's xmax is set, a new one's is
    // 0): only their old findings need deleting. Deleting by every address of the batch
    // is planned as a scan of all the scan's findings, which grows with the scan.
    let replaced: Vec<String> = tx
        .query(
            "INSERT INTO hosts (scan_id, ip, record_json, written)
             SELECT $1::bigint, ip, record_json, $2::text FROM smbaudit_staging_hosts
             ON CONFLICT (scan_id, ip)
             DO UPDATE SET record_json = EXCLUDED.record_json, written = EXCLUDED.written
             RETURNING ip, xmax::text <> '0'",
            &[&scan.0, &now()],
        )
        .await?
        .iter()
        .filter_map(|row| match (row.try_get(0), row.try_get::<_, bool>(1)) {
            (Ok(ip), Ok(true)) => Some(ip),
            _ => None,
        })
        .collect();
    if !replaced.is_empty() {
        tx.execute(
            "DELETE FROM findings WHERE scan_id = $1 AND ip = ANY($2)",
            &[&scan.0, &replaced],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO findings (scan_id, ip, rule_id, severity, finding_json)
         SELECT $1::bigint, ip, rule_id, severity, finding_json FROM smbaudit_staging_findings
         ON CONFLICT (scan_id, ip, rule_id)
         DO UPDATE SET severity = EXCLUDED.severity, finding_json = EXCLUDED.finding_json",
        &[&scan.0],
    )
    .await?;
    tx.commit().await
}
