//! [`PostgresWriter`]: one thread per scan that commits results in batches, on two
//! connections side by side.
//!
//! Results arrive over a bounded channel and are committed in transactions of at most
//! [`BATCH_HOSTS`] hosts. The writer takes up to twice that at a time (or whatever arrived
//! within [`BATCH_DELAY`] of the first host); more than [`BATCH_HOSTS`] are split in two
//! halves with no host in common, written at once on the writer's two connections (the
//! second opened at the first such batch), so that the server works on two batches on two
//! cores. Each transaction goes in by binary COPY straight into the tables when its hosts
//! are new, and through a staging table and an upsert (`INSERT ... ON CONFLICT DO UPDATE`)
//! when one was stored before, so a host sent again, or a shard run again, replaces its
//! row. A process killed mid-scan loses at most the two batches in flight (at most
//! 2 x [`BATCH_HOSTS`] hosts), and every committed host has all of its findings; a shard's
//! position is stamped only once both halves are committed. A connection lost mid-scan
//! (the server restarted) is opened again a few times ([`RECONNECT_DELAYS`]) before the
//! writer gives up.

use std::collections::HashMap;
use std::pin::pin;
use std::time::Duration;

use smbaudit_findings::Finding;
use smbaudit_findings::record::HostRecord;
use tokio_postgres::Client;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use super::connect::{Session, block_on, connect};
use super::store::set_status;
use super::{Pg, shards};
use smbaudit_store::HEARTBEAT;
use smbaudit_store::PostgresUrl;
use smbaudit_store::StoreError;
use smbaudit_store::backend::now;
use smbaudit_store::backend::{BatchSink, BatchWriter, Committed, Limits, Pending, PendingFinding};
use smbaudit_store::{ScanId, ScanStatus, StoredShard};
use smbaudit_store::{ScanWriter, WriterStats};

/// Most hosts in one transaction (COPY makes large batches cheap; a killed worker loses at
/// most twice this many, the two transactions in flight, or what arrived within
/// [`BATCH_DELAY`]). 2048 rather than 512: about 10-20 % more hosts per second in
/// `benches/pgstore.sh`, fewer commits per shard.
pub const BATCH_HOSTS: usize = 2048;
/// Longest a host waits before its batch is committed.
pub const BATCH_DELAY: Duration = Duration::from_millis(250);
/// Hosts queued before `send` blocks (back-pressure on a scan faster than the server).
const CHANNEL_CAPACITY: usize = 4096;

/// The session's staging table for batches that store a host again, emptied by every
/// commit.
const STAGING: &str = "
CREATE TEMP TABLE smbaudit_staging_hosts (ip TEXT NOT NULL, record_json TEXT NOT NULL)
    ON COMMIT DELETE ROWS;
";

/// Writes one scan's results on its own thread and two connections (the shared
/// batching writer, `batch::BatchWriter`, over two PostgreSQL sessions).
///
/// Dropping a writer without [`PostgresWriter::finish`] still commits what was sent, but
/// leaves the scan's status unchanged (running), as a crash would.
#[derive(Debug)]
pub struct PostgresWriter(BatchWriter);

/// The pauses before each new connection when the server went away mid-scan (a restart,
/// a failover): about 15 s in all, then the writer gives up and the scan fails.
pub const RECONNECT_DELAYS: [Duration; 5] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
];

/// The writer thread's side: its sessions, scan and shard (if one of many workers).
struct Sink {
    /// The first connection: every batch (its first half, when there are two), the status
    /// and the heartbeat.
    session: Session,
    /// The second connection, for the other half of a batch of more than [`BATCH_HOSTS`].
    second: Second,
    url: PostgresUrl,
    scan: ScanId,
    shard: Option<StoredShard>,
}

/// The writer's second connection.
enum Second {
    /// Not needed yet: every batch so far fitted in one transaction.
    NotYet,
    /// Open.
    Open(Box<Session>),
    /// Could not be opened (the server at its connection limit, say): the halves of a
    /// batch are written one after the other on the first connection.
    Refused,
}

/// Runs `op` on `session`; if it failed because the connection is gone, connects again
/// (pausing [`RECONNECT_DELAYS`]) and runs it again. Every operation is idempotent (a COPY
/// of new hosts that falls back to an upsert, a stamp, a status), so running one twice is
/// harmless.
fn retrying<T>(
    session: &mut Session,
    url: &PostgresUrl,
    scan: ScanId,
    mut op: impl FnMut(&mut Session, ScanId) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut first = match op(session, scan) {
        Ok(v) => return Ok(v),
        Err(e) if session.client.is_closed() => e,
        Err(e) => return Err(e),
    };
    for pause in RECONNECT_DELAYS {
        std::thread::sleep(pause);
        match open_session(url, scan, false) {
            Ok(new) => *session = new,
            Err(e) => {
                first = e;
                continue;
            }
        }
        match op(session, scan) {
            Ok(v) => return Ok(v),
            Err(e) if session.client.is_closed() => first = e,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::backend(
        super::BACKEND,
        std::io::Error::other(format!(
            "the connection to the server was lost and {} reconnections failed (last: {first})",
            RECONNECT_DELAYS.len()
        )),
    ))
}

impl Sink {
    /// [`retrying`] on the first connection.
    fn retrying<T>(
        &mut self,
        op: impl FnMut(&mut Session, ScanId) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        retrying(&mut self.session, &self.url, self.scan, op)
    }

    /// Opens the second connection at its first use.
    fn open_second(&mut self) {
        if matches!(self.second, Second::NotYet) {
            self.second = match open_session(&self.url, self.scan, false) {
                Ok(session) => Second::Open(Box::new(session)),
                Err(_) => Second::Refused,
            };
        }
    }
}

impl BatchSink for Sink {
    /// A batch of at most [`BATCH_HOSTS`] hosts is one transaction. A larger one (at most
    /// twice that) is split in two halves with no host in common, written side by side on
    /// the two connections in two transactions; a shard's `position` is stamped only once
    /// both are committed, so that a resume never skips a host of a half that was lost.
    fn commit(
        &mut self,
        batch: &[Pending],
        position: Option<u64>,
    ) -> Result<Committed, StoreError> {
        let findings = batch.iter().map(|p| p.findings.len() as u64).sum();
        let hosts = last_sent(batch);
        if hosts.len() <= BATCH_HOSTS {
            let shard = self.shard.map(|s| (s, position));
            self.retrying(|Session { rt, client }, scan| {
                block_on(rt, write_batch(client, scan, &hosts, shard)).pg()
            })?;
            return Ok(Committed {
                findings,
                transactions: 1,
            });
        }
        let (first, second) = hosts.split_at(hosts.len().div_ceil(2));
        self.open_second();
        let (url, scan) = (&self.url, self.scan);
        let shard = self.shard.map(|s| (s, None));
        let half = |session: &mut Session, part: &LastSent<'_>| {
            retrying(session, url, scan, |Session { rt, client }, scan| {
                block_on(rt, write_batch(client, scan, part, shard)).pg()
            })
        };
        match &mut self.second {
            Second::Open(other) => {
                let session = &mut self.session;
                let (a, b) = std::thread::scope(|threads| {
                    let b = threads.spawn(|| half(other, second));
                    (half(session, first), b.join())
                });
                a?;
                b.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            }
            Second::NotYet | Second::Refused => {
                half(&mut self.session, first)?;
                half(&mut self.session, second)?;
            }
        }
        if let (Some(shard), Some(_)) = (self.shard, position) {
            self.retrying(|Session { rt, client }, scan| {
                block_on(rt, shards::progress(&*client, scan, shard, 0, position)).pg()
            })?;
        }
        Ok(Committed {
            findings,
            transactions: 2,
        })
    }

    fn set_status(&mut self, status: ScanStatus) -> Result<(), StoreError> {
        let shard = self.shard;
        self.retrying(|Session { rt, client }, scan| match shard {
            Some(shard) => block_on(rt, shards::finish(client, scan, shard, status)),
            None => block_on(rt, set_status(client, scan, status)),
        })
    }

    fn heartbeat(&mut self, position: Option<u64>) -> Result<(), StoreError> {
        let Some(shard) = self.shard else {
            return Ok(());
        };
        self.retrying(|Session { rt, client }, scan| {
            block_on(rt, shards::progress(&*client, scan, shard, 0, position)).pg()
        })
    }
}

/// A session for the writer of `scan`: connected, its staging tables created, and (at the
/// start, `mark_running`) the scan marked running.
fn open_session(
    url: &PostgresUrl,
    scan: ScanId,
    mark_running: bool,
) -> Result<Session, StoreError> {
    let session = connect(url)?;
    if mark_running {
        session.block_on(set_status(&session.client, scan, ScanStatus::Running))?;
    }
    session
        .block_on(session.client.batch_execute(STAGING))
        .pg()?;
    Ok(session)
}

impl PostgresWriter {
    /// Opens its own connection to `url` (a second one at the first batch of more than
    /// [`BATCH_HOSTS`] hosts) and starts writing for `scan`, which must exist.
    /// The scan is marked running (resuming an interrupted scan).
    pub fn start(url: &PostgresUrl, scan: ScanId) -> Result<Self, StoreError> {
        Self::start_with(url, scan, None)
    }

    /// As [`PostgresWriter::start`], for one claimed shard of `scan`: it keeps the shard's
    /// row current, and finishing sets the shard's state.
    pub fn start_shard(
        url: &PostgresUrl,
        scan: ScanId,
        shard: StoredShard,
    ) -> Result<Self, StoreError> {
        Self::start_with(url, scan, Some(shard))
    }

    fn start_with(
        url: &PostgresUrl,
        scan: ScanId,
        shard: Option<StoredShard>,
    ) -> Result<Self, StoreError> {
        let session = open_session(url, scan, true)?;
        let limits = Limits {
            hosts: 2 * BATCH_HOSTS,
            delay: BATCH_DELAY,
            queue: CHANNEL_CAPACITY,
            heartbeat: shard.map(|_| HEARTBEAT),
        };
        BatchWriter::start(
            format!("smbaudit-pg-writer-{scan}"),
            Sink {
                session,
                second: Second::NotYet,
                url: url.clone(),
                scan,
                shard,
            },
            limits,
        )
        .map(Self)
        .map_err(|e| StoreError::backend(super::BACKEND, e))
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

impl ScanWriter for PostgresWriter {
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

/// Writes `batch` in one transaction; a shard's row is stamped in the same transaction
/// (hosts added: those stored for the first time).
///
/// Hosts: binary COPY straight into `hosts` under a savepoint, the fast path of a scan
/// whose hosts are new (nearly every batch). A batch holding a host stored before fails
/// that COPY on the primary key as a whole; it is then rolled back to the savepoint and
/// upserted from the staging table instead. Findings: the old findings of every host
/// stored again are deleted first, so no finding of the batch can conflict, and they are
/// copied straight into `findings`. Both COPYs keep every constraint and index checked.
async fn write_batch(
    client: &mut Client,
    scan: ScanId,
    hosts: &LastSent<'_>,
    shard: Option<(StoredShard, Option<u64>)>,
) -> Result<(), tokio_postgres::Error> {
    let written = now();
    let mut tx = client.transaction().await?;
    let replaced = match copy_new_hosts(&mut tx, scan, hosts, &written).await? {
        true => Vec::new(),
        false => upsert_hosts(&tx, scan, hosts, &written).await?,
    };
    if !replaced.is_empty() {
        tx.execute(
            "DELETE FROM findings WHERE scan_id = $1 AND ip = ANY($2)",
            &[&scan.0, &replaced],
        )
        .await?;
    }
    copy_findings(&tx, scan, hosts).await?;
    if let Some((shard, position)) = shard {
        let new_hosts = (hosts.len() - replaced.len()) as u64;
        shards::progress(&tx, scan, shard, new_hosts, position).await?;
    }
    tx.commit().await
}

type LastSent<'a> = [(&'a Pending, Vec<&'a PendingFinding>)];

/// COPYs `hosts` straight into `hosts` under a savepoint: true if they were all new,
/// false (and nothing written) if one of them was stored before.
async fn copy_new_hosts(
    tx: &mut tokio_postgres::Transaction<'_>,
    scan: ScanId,
    hosts: &LastSent<'_>,
    written: &str,
) -> Result<bool, tokio_postgres::Error> {
    let savepoint = tx.savepoint("smbaudit_new_hosts").await?;
    let copied = async {
        let sink = savepoint
            .copy_in("COPY hosts (scan_id, ip, record_json, written) FROM STDIN (FORMAT binary)")
            .await?;
        let types = [Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT];
        let mut w = pin!(BinaryCopyInWriter::new(sink, &types));
        for (p, _) in hosts {
            w.as_mut()
                .write(&[&scan.0, &p.ip, &p.record_json, &written])
                .await?;
        }
        w.finish().await
    }
    .await;
    match copied {
        Ok(_) => savepoint.commit().await.map(|()| true),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            savepoint.rollback().await.map(|()| false)
        }
        Err(e) => Err(e),
    }
}

/// Upserts `hosts` through the staging table; returns the addresses that were stored
/// before (an upserted row's xmax is set, a new one's is 0): only their old findings need
/// deleting. Deleting by every address of the batch is planned as a scan of all the
/// scan's findings, which grows with the scan.
async fn upsert_hosts(
    tx: &tokio_postgres::Transaction<'_>,
    scan: ScanId,
    hosts: &LastSent<'_>,
    written: &str,
) -> Result<Vec<String>, tokio_postgres::Error> {
    {
        let sink = tx
            .copy_in("COPY smbaudit_staging_hosts (ip, record_json) FROM STDIN (FORMAT binary)")
            .await?;
        let mut w = pin!(BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::TEXT]));
        for (p, _) in hosts {
            w.as_mut().write(&[&p.ip, &p.record_json]).await?;
        }
        w.finish().await?;
    }
    let upserted = tx
        .query(
            "INSERT INTO hosts (scan_id, ip, record_json, written)
             SELECT $1::bigint, ip, record_json, $2::text FROM smbaudit_staging_hosts
             ON CONFLICT (scan_id, ip)
             DO UPDATE SET record_json = EXCLUDED.record_json, written = EXCLUDED.written
             RETURNING ip, xmax::text <> '0'",
            &[&scan.0, &written],
        )
        .await?;
    Ok(upserted
        .iter()
        .filter_map(|row| match (row.try_get(0), row.try_get::<_, bool>(1)) {
            (Ok(ip), Ok(true)) => Some(ip),
            _ => None,
        })
        .collect())
}

/// COPYs the findings of `hosts` straight into `findings` (none of them can exist: see
/// [`write_batch`]).
async fn copy_findings(
    tx: &tokio_postgres::Transaction<'_>,
    scan: ScanId,
    hosts: &LastSent<'_>,
) -> Result<(), tokio_postgres::Error> {
    if hosts.iter().all(|(_, f)| f.is_empty()) {
        return Ok(());
    }
    let sink = tx
        .copy_in(
            "COPY findings (scan_id, ip, rule_id, severity, finding_json)
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    let types = [Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT];
    let mut w = pin!(BinaryCopyInWriter::new(sink, &types));
    for (p, findings) in hosts {
        for f in findings {
            w.as_mut()
                .write(&[&scan.0, &p.ip, &f.rule_id, &f.severity, &f.json])
                .await?;
        }
    }
    w.finish().await.map(drop)
}
