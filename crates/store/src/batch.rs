//! The batching writer every backend shares: one thread per scan, fed over a bounded
//! channel, committing at most `hosts` hosts per batch or whatever arrived within `delay`
//! of the batch's first host. A backend supplies only a [`BatchSink`] (how one batch is
//! written and how the scan's status is set); the channel, the timing, the validation and
//! the JSON encoding on the sender's thread live here once.

use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use smbaudit_findings::Finding;
use smbaudit_findings::record::HostRecord;

use crate::error::{StoreError, to_json};
use crate::scan::ScanStatus;
use crate::store::WriterStats;

/// One host, encoded on the sender's thread.
pub struct Pending {
    /// The host's address, as stored.
    pub ip: String,
    /// Its host record as JSON.
    pub record_json: String,
    /// Its findings.
    pub findings: Vec<PendingFinding>,
}

/// One finding of a [`Pending`] host.
pub struct PendingFinding {
    /// The rule that fired.
    pub rule_id: String,
    /// Its severity's name.
    pub severity: &'static str,
    /// The finding as JSON.
    pub json: String,
}

/// What one [`BatchSink::commit`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// Finding rows written.
    pub findings: u64,
    /// Transactions committed.
    pub transactions: u64,
}

/// How one backend writes on the writer's thread.
pub trait BatchSink: Send + 'static {
    /// Writes `batch` (at most `Limits::hosts` hosts) and reports what it wrote: in one
    /// transaction, or in several (PostgreSQL's two connections). A shard writer stamps its
    /// shard's row in the same transactions (hosts added) and, once all of `batch` is
    /// committed, `position` (the latest received before the commit), so the row never
    /// disagrees with the hosts.
    fn commit(&mut self, batch: &[Pending], position: Option<u64>)
    -> Result<Committed, StoreError>;
    /// Sets the scan's status (after the last batch).
    fn set_status(&mut self, status: ScanStatus) -> Result<(), StoreError>;
    /// Every `Limits::heartbeat` without a commit: a shard writer stamps its row (and
    /// the latest position). Nothing by default.
    fn heartbeat(&mut self, position: Option<u64>) -> Result<(), StoreError> {
        let _ = position;
        Ok(())
    }
}

/// The batch limits of one backend.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most hosts in one call of [`BatchSink::commit`].
    pub hosts: usize,
    /// Longest a host waits before its batch is committed.
    pub delay: Duration,
    /// Hosts queued before `send` blocks.
    pub queue: usize,
    /// How often [`BatchSink::heartbeat`] is called while nothing is committed (`None`:
    /// only after commits).
    pub heartbeat: Option<Duration>,
}

enum Msg {
    Host(Pending),
    Advance(u64),
    Finish(ScanStatus),
}

/// The thread and its channel. Dropping it without [`BatchWriter::finish`] still commits
/// what was sent, but leaves the scan's status unchanged (running), as a crash would.
#[derive(Debug)]
pub struct BatchWriter {
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<Result<WriterStats, StoreError>>>,
}

impl BatchWriter {
    /// Starts the thread `name` writing into `sink`.
    pub fn start(name: String, sink: impl BatchSink, limits: Limits) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(limits.queue);
        let thread = thread::Builder::new()
            .name(name)
            .spawn(move || run(sink, limits, &rx))?;
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

    /// Queues `position` (see `ScanWriter::advance`), stored after the hosts sent before it.
    pub fn advance(&self, position: u64) -> Result<(), StoreError> {
        self.tx
            .as_ref()
            .ok_or(StoreError::WriterStopped)?
            .send(Msg::Advance(position))
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

impl Drop for BatchWriter {
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
    sink: impl BatchSink,
    limits: Limits,
    rx: &mpsc::Receiver<Msg>,
) -> Result<WriterStats, StoreError> {
    let mut w = Thread {
        sink,
        stats: WriterStats::default(),
        batch: Vec::with_capacity(limits.hosts),
        position: None,
    };
    let mut deadline: Option<Instant> = None;
    loop {
        let wait = deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
            .or(limits.heartbeat);
        let msg = match wait {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(wait) => rx.recv_timeout(wait),
        };
        match msg {
            Ok(Msg::Host(p)) => {
                deadline.get_or_insert_with(|| Instant::now() + limits.delay);
                w.batch.push(p);
                if w.batch.len() >= limits.hosts {
                    w.commit()?;
                    deadline = None;
                }
            }
            Ok(Msg::Advance(position)) => w.position = Some(position),
            Ok(Msg::Finish(status)) => {
                w.commit()?;
                w.sink.set_status(status)?;
                return Ok(w.stats);
            }
            Err(RecvTimeoutError::Timeout) if deadline.is_none() => {
                // Idle: the heartbeat.
                w.sink.heartbeat(w.position)?;
            }
            Err(RecvTimeoutError::Timeout) => {
                w.commit()?;
                deadline = None;
            }
            Err(RecvTimeoutError::Disconnected) => {
                w.commit()?;
                return Ok(w.stats);
            }
        }
    }
}

/// The writer thread's state.
struct Thread<S> {
    sink: S,
    stats: WriterStats,
    batch: Vec<Pending>,
    /// The latest position received.
    position: Option<u64>,
}

impl<S: BatchSink> Thread<S> {
    /// Writes and empties the batch.
    fn commit(&mut self) -> Result<(), StoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let done = self.sink.commit(&self.batch, self.position)?;
        self.stats.findings += done.findings;
        self.stats.hosts += self.batch.len() as u64;
        self.stats.batches += done.transactions;
        self.batch.clear();
        Ok(())
    }
}
