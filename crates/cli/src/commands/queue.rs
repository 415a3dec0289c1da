//! `scan --queue --scan-name NAME --seed S`: workers of one scan taking chunks of its order
//! from a work queue in the database (PostgreSQL), rather than a fixed shard each.
//!
//! The first worker cuts the order into chunks of `--chunk-size` positions; every worker
//! then claims a chunk (`FOR UPDATE SKIP LOCKED`), scans it through the same pipeline as
//! any scan, renews its lease meanwhile, and marks it done once its hosts are committed.
//! A worker with nothing left to claim waits while other workers hold leases, so that a
//! chunk whose worker dies (its lease expires) is still taken over and the scan finishes.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use smbaudit_engine::targets::{Order, Shard, TargetList};
use smbaudit_findings::Vantage;
use smbaudit_probe::smb::credentials::Credentials;
use smbaudit_store::{Chunk, ScanId, ScanMeta, ScanStore, StoreLocation};

use super::scan::{Run, command_line, scan_config};
use super::{discover, resume, shards};
use crate::args::ScanArgs;
use crate::pipeline::Shown;
use crate::{Fatal, exit};

/// How often a worker with nothing to claim looks again while others hold leases.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// What a queue worker needs of the scan command.
pub(crate) struct Worker<'a> {
    pub(crate) args: &'a ScanArgs,
    pub(crate) db: &'a dyn ScanStore,
    pub(crate) tokens: Vec<String>,
    pub(crate) targets: &'a TargetList,
    pub(crate) vantage: Vantage,
    pub(crate) seed: u64,
    pub(crate) credentials: Option<Arc<Credentials>>,
}

impl Worker<'_> {
    /// Joins the scan and works its queue until every chunk is done; the exit code.
    pub(crate) async fn run(self) -> Result<u8, Fatal> {
        if matches!(self.db.location(), StoreLocation::Sqlite(_)) {
            return Err(Fatal::usage(anyhow::anyhow!(
                "--queue needs a database every worker shares: give --db postgres://... (with SQLite, use --shard I/N)"
            )));
        }
        let name = self.args.scan_name.as_deref().unwrap_or_default();
        let mut options = resume::options_of(self.args);
        options.shard = None;
        let meta = ScanMeta {
            targets: self.tokens.clone(),
            command: command_line(),
            vantage: self.vantage.to_string(),
            options: Some(options),
        };
        let id = shards::join(self.db, meta, name, 0)?;
        let positions = self
            .targets
            .index()
            .map_err(|e| Fatal::usage(anyhow::anyhow!("{e}")))?
            .len();
        let chunks = self
            .db
            .queue_chunks(id, positions, self.args.chunk_size)
            .map_err(Fatal::from)?;
        if !self.args.quiet {
            eprintln!(
                "scan: scan {id} ({name}): {chunks} chunks of up to {} targets in its queue",
                self.args.chunk_size
            );
        }
        let mut mine = 0u64;
        loop {
            let Some(chunk) = self
                .db
                .claim_chunk(id, self.args.lease)
                .map_err(Fatal::from)?
            else {
                let progress = self
                    .db
                    .scan(id)
                    .map_err(Fatal::from)?
                    .chunks
                    .unwrap_or_default();
                if progress.leased == 0 {
                    break;
                }
                tokio::time::sleep(IDLE_POLL).await;
                continue;
            };
            if !self.chunk(id, chunk).await? {
                return Ok(exit::interrupted());
            }
            mine += 1;
        }
        let progress = self.db.scan(id).map_err(Fatal::from)?;
        if !self.args.quiet {
            eprintln!(
                "scan: this worker scanned {mine} chunks; scan {id} ({name}): {}, {}",
                progress.chunks.map(|c| c.to_string()).unwrap_or_default(),
                progress.status
            );
        }
        Ok(exit::OK)
    }

    /// Scans one claimed chunk, renewing its lease; false if the scan was cancelled.
    async fn chunk(&self, id: ScanId, chunk: Chunk) -> Result<bool, Fatal> {
        let list = chunk_targets(self.targets, self.seed, chunk)?;
        // A chunk taken over from a dead worker: its stored hosts are not probed again.
        let skip: HashSet<IpAddr> = if chunk.retaken {
            let stored = self.db.finished_hosts(id).map_err(Fatal::from)?;
            list.iter().filter(|ip| stored.contains(ip)).collect()
        } else {
            HashSet::new()
        };
        let mut cfg = scan_config(
            self.args,
            skip,
            Order {
                seed: self.seed,
                shard: Shard::WHOLE,
            },
        );
        // The chunk is listed in the scan's order already.
        cfg.order = None;
        cfg.credentials.clone_from(&self.credentials);
        // Each run takes its discovery sender; every chunk opens its own (the first worker's
        // check that it can be opened ran before the scan was joined).
        let sweep = discover::open(&cfg, &list, true)?;
        let renewer = Renewer::start(self.db.location().clone(), id, chunk.index, self.args.lease);
        let run = Run {
            targets: &list,
            whole_scan: None,
            cfg: &cfg,
            sweep,
            vantage: self.vantage,
            shown: if self.args.all {
                Shown::All
            } else {
                Shown::Exposed
            },
            format: self.args.format,
            verbose: self.args.verbose,
            keep_all: false,
            fail_on: self.args.fail_on,
            bar: ProgressBar::hidden(),
        };
        let writer = self.db.writer(id).map_err(Fatal::from)?;
        let outcome = run.execute(Some(writer), Some(id)).await;
        renewer.stop();
        if outcome?.stats.cancelled {
            return Ok(false);
        }
        self.db.chunk_done(id, chunk.index).map_err(Fatal::from)?;
        Ok(true)
    }
}

/// The targets at positions `first .. first + len` of the order of `seed`, in that order.
fn chunk_targets(targets: &TargetList, seed: u64, chunk: Chunk) -> Result<TargetList, Fatal> {
    let order = Order {
        seed,
        shard: Shard::WHOLE,
    };
    let mut walk = targets
        .walk_from(order, chunk.first)
        .map_err(|e| Fatal::usage(anyhow::anyhow!("{e}")))?;
    let end = chunk.first.saturating_add(chunk.len);
    let mut list = TargetList::new();
    while let Some(ip) = walk.next() {
        // The walk skips excluded addresses, possibly past the chunk's end.
        if walk.position() > end {
            break;
        }
        list.include(&ip.to_string())
            .map_err(|e| Fatal::from(anyhow::anyhow!("{e}")))?;
        if walk.position() >= end {
            break;
        }
    }
    Ok(list)
}

/// A thread renewing a chunk's lease every third of it, on a connection of its own.
struct Renewer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Renewer {
    fn start(location: StoreLocation, scan: ScanId, chunk: u64, lease: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("smbaudit-lease-{chunk}"))
            .spawn(move || renew_until(&location, scan, chunk, lease, &flag))
            .ok();
        Self { stop, thread }
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Renews the lease every `lease / 3` until `stop`; a failed renewal is retried at the
/// next turn (the lease still runs meanwhile).
fn renew_until(
    location: &StoreLocation,
    scan: ScanId,
    chunk: u64,
    lease: Duration,
    stop: &AtomicBool,
) {
    let Ok(store) = super::stored::open_at(location) else {
        return;
    };
    let every = lease / 3;
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100).min(every));
        if last.elapsed() >= every {
            let _ = store.renew_chunk(scan, chunk, lease);
            last = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_order_once() {
        let mut targets = TargetList::new();
        targets.include("10.0.0.0/28").unwrap();
        targets.exclude("10.0.0.5").unwrap();
        let whole: Vec<IpAddr> = targets
            .walk(Order {
                seed: 3,
                shard: Shard::WHOLE,
            })
            .unwrap()
            .collect();
        let mut joined = Vec::new();
        for index in 0..4 {
            let chunk = Chunk {
                index,
                first: index * 4,
                len: 4,
                retaken: false,
            };
            joined.extend(chunk_targets(&targets, 3, chunk).unwrap().iter());
        }
        assert_eq!(joined, whole, "15 targets, in order, none twice");
    }
}
