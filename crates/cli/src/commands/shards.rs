//! One scan from many workers: `scan --scan-name NAME --shard I/N --seed S` and
//! `scan --resume NAME --shard I/N`.
//!
//! The first worker creates the scan named NAME; a later one must bring the same targets,
//! seed, shard count and options (else exit 2, nothing sent). Each worker then claims its
//! shard in the store: a shard a live worker holds is refused (exit 2); one whose worker
//! died is taken over (a job engine restarting the worker with the same command, or
//! `--resume NAME --shard I/N`), its stored hosts skipped; a finished one leaves nothing to
//! do (exit 0; exit 2 for `--resume`). The worker writes through a shard writer that keeps
//! the shard's row current ([`CursorWriter`]).

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use smbaudit_engine::targets::{Order, TargetList};
use smbaudit_store::{
    ScanId, ScanMeta, ScanStore, ScanSummary, ScanWriter, StoreError, StoreErrorKind, StoredShard,
};

use super::cursor::{CursorWriter, ShardCursor};
use crate::args::ScanArgs;
use crate::{Fatal, exit};

/// Whether this run writes one shard of a scan of many workers.
pub(crate) fn sharded(args: &ScanArgs, resumed: Option<&ScanSummary>) -> bool {
    args.scan_name.is_some() || resumed.is_some_and(|s| s.shards.is_some())
}

/// A claimed shard: the scan, its writer, and the hosts already stored (skipped).
pub(crate) struct Claimed {
    pub(crate) id: ScanId,
    pub(crate) writer: Box<dyn ScanWriter>,
    pub(crate) skip: HashSet<IpAddr>,
}

/// Creates or joins the named scan (or takes the resumed one), claims this run's shard
/// and starts its writer.
pub(crate) fn claim(
    db: &dyn ScanStore,
    resumed: Option<&ScanSummary>,
    meta: ScanMeta,
    args: &ScanArgs,
    targets: &TargetList,
    order: Order,
) -> Result<Claimed, Fatal> {
    let shard = StoredShard {
        index: order.shard.index(),
        count: order.shard.count(),
    };
    let id = match (resumed, &args.scan_name) {
        (Some(summary), _) => resumed_shard(summary, args, shard)?,
        (None, Some(name)) => join(db, meta, name, shard.count)?,
        (None, None) => unreachable!("sharded() said a name or a resumed scan"),
    };
    let row = match db.claim_shard(id, shard) {
        Ok(row) => row,
        // A job engine starting a finished shard's worker again: nothing to do, no error.
        Err(e @ StoreError::ShardFinished { .. }) if resumed.is_none() => {
            return Err(Fatal {
                code: exit::OK,
                error: anyhow::Error::from(e).context("nothing to do"),
            });
        }
        Err(e) => return Err(conflict(e)),
    };
    if !args.quiet {
        eprintln!(
            "scan: shard {shard} of scan {id}{} claimed by this process ({} hosts stored before)",
            resumed
                .and_then(|s| s.name.as_deref())
                .or(args.scan_name.as_deref())
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            row.hosts
        );
    }
    // Taken over from a dead worker: what it stored is not probed again.
    let skip = if row.hosts > 0 || row.last_index > 0 {
        db.finished_hosts(id).map_err(Fatal::from)?
    } else {
        HashSet::new()
    };
    let inner = db.shard_writer(id, shard).map_err(Fatal::from)?;
    let cursor = ShardCursor::new(
        targets.clone(),
        order,
        Arc::new(skip.clone()),
        row.last_index,
    );
    Ok(Claimed {
        id,
        writer: Box::new(CursorWriter::new(inner, cursor)),
        skip,
    })
}

/// The scan named `name` (for `count` shards; 0: a queued scan): created now, or found
/// and checked against `meta`.
pub(crate) fn join(
    db: &dyn ScanStore,
    meta: ScanMeta,
    name: &str,
    count: u64,
) -> Result<ScanId, Fatal> {
    let (id, created) = db
        .begin_named_scan(&meta, name, count)
        .map_err(Fatal::from)?;
    if !created {
        let found = db.scan(id).map_err(Fatal::from)?;
        check_same(&found, &meta, name, count)?;
    }
    Ok(id)
}

/// Refuses to join a scan started with other targets, seed, shard count or options.
fn check_same(found: &ScanSummary, meta: &ScanMeta, name: &str, count: u64) -> Result<(), Fatal> {
    let mut differ = Vec::new();
    // A queued scan's "shard count" is 0.
    let stored_count = found
        .shards
        .map(|s| s.count)
        .or_else(|| found.chunks.map(|_| 0));
    if stored_count != Some(count) {
        let has = |n: Option<u64>| match n {
            Some(0) => "a queue (--queue)".to_owned(),
            Some(n) => format!("{n} shards"),
            None => "no shards".to_owned(),
        };
        differ.push(format!(
            "the shard count (the scan has {}, this worker {})",
            has(stored_count),
            has(Some(count))
        ));
    }
    if found.targets != meta.targets {
        differ.push(format!(
            "the targets (the scan's: {})",
            found.targets.join(" ")
        ));
    }
    let (stored, now) = (found.options.as_ref(), meta.options.as_ref());
    let seed = |o: Option<&smbaudit_store::ScanOptions>| o.and_then(|o| o.seed);
    if seed(stored) != seed(now) {
        differ.push(format!(
            "--seed (the scan used {})",
            seed(stored).map_or_else(|| "none".into(), |s| s.to_string())
        ));
    }
    let rest = |o: Option<&smbaudit_store::ScanOptions>| {
        o.map(|o| smbaudit_store::ScanOptions {
            seed: None,
            shard: None,
            ..o.clone()
        })
    };
    if rest(stored) != rest(now) {
        differ.push(format!(
            "the probe options (the scan's: {})",
            serde_json::to_string(&rest(stored)).unwrap_or_default()
        ));
    }
    if differ.is_empty() {
        return Ok(());
    }
    Err(Fatal::usage(anyhow::anyhow!(
        "--scan-name {name}: scan {} of that name was started with other settings: {}. Every worker of a scan gives the same targets, --seed, shard count and options",
        found.id,
        differ.join("; ")
    )))
}

/// The scan being resumed, if `shard` is one of its shards.
fn resumed_shard(
    summary: &ScanSummary,
    args: &ScanArgs,
    shard: StoredShard,
) -> Result<ScanId, Fatal> {
    let count = summary.shards.map_or(1, |s| s.count);
    if args.shard.is_none() {
        return Err(Fatal::usage(anyhow::anyhow!(
            "--resume: scan {} is written by {count} workers: resume one shard with --shard I/{count}",
            summary.id
        )));
    }
    if shard.count != count {
        return Err(Fatal::usage(anyhow::anyhow!(
            "--resume: scan {} has {count} shards, not {}: give --shard I/{count}",
            summary.id,
            shard.count
        )));
    }
    Ok(summary.id)
}

/// A refused claim: exit code 2 when another worker holds the shard or it is finished.
fn conflict(e: StoreError) -> Fatal {
    let code = if e.kind() == StoreErrorKind::Conflict {
        exit::USAGE
    } else {
        exit::FAILURE
    };
    Fatal {
        code,
        error: e.into(),
    }
}
