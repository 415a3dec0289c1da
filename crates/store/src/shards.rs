//! One scan written by many workers: each worker's share of it, as the `scan_shards`
//! table keeps it.
//!
//! A scan with a name (`scan --scan-name NAME --shard I/N --seed S`) is created by the
//! first of its workers; every worker then claims its shard ([`ScanStore::claim_shard`]):
//! one row per (scan, shard index), claimed under a row lock (or failing on the primary
//! key), so two workers never hold one shard ([`StoreError::ShardTaken`]). A worker keeps
//! its row current through its writer (hosts stored, the position in the shard's order
//! below which every target is done, a heartbeat at least every [`HEARTBEAT`]); a row whose
//! worker failed, whose process is gone (same machine) or whose heartbeat is older than
//! [`STALE_AFTER`] is taken over by the next claim (a job engine restarting the worker, or
//! `--resume`); a finished one is never claimed again ([`StoreError::ShardFinished`]).
//!
//! [`ScanStore::claim_shard`]: crate::ScanStore::claim_shard
//! [`StoreError::ShardTaken`]: crate::StoreError::ShardTaken

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{StoreError, from_json, to_json};
use crate::owner::ScanOwner;
use crate::scan::{ScanId, ScanStatus, StoredShard};

/// How often a shard's writer stamps its row while it runs (also when no host finishes).
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// A shard whose heartbeat is older than this is taken to have lost its worker.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// Where one shard is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardState {
    /// A worker claimed it and has not said it is done (it may have died since).
    Started,
    /// Every target of the shard was scanned.
    Finished,
    /// Its worker stopped early (interrupted, or the store failed); it may be resumed.
    Failed,
}

impl ShardState {
    /// The lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Finished => "finished",
            Self::Failed => "failed",
        }
    }

    /// The state a writer leaves its shard in when it finishes with `status`.
    pub fn after(status: ScanStatus) -> Self {
        match status {
            ScanStatus::Finished => Self::Finished,
            ScanStatus::Running => Self::Started,
            ScanStatus::Interrupted => Self::Failed,
        }
    }
}

impl fmt::Display for ShardState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ShardState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Started, Self::Finished, Self::Failed]
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a shard state (started, finished, failed)"))
    }
}

/// One row of `scan_shards`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRow {
    /// Which shard, I/N.
    pub shard: StoredShard,
    /// Its state as stored.
    pub state: ShardState,
    /// Hosts its workers stored.
    pub hosts: u64,
    /// Positions of the shard's order below which every target is stored (where a resume
    /// may start).
    pub last_index: u64,
    /// The process that last claimed it.
    pub worker: Option<ScanOwner>,
    /// When it was first claimed, RFC 3339 UTC.
    pub started: String,
    /// Milliseconds since its last heartbeat, by the database's clock.
    pub heartbeat_age_ms: i64,
}

impl ShardRow {
    /// Whether its worker is known to be gone: it failed, or it says it is running but its
    /// process is gone (this machine) or its heartbeat is stale.
    pub fn worker_dead(&self) -> bool {
        match self.state {
            ShardState::Failed => true,
            ShardState::Finished => false,
            ShardState::Started => {
                let stale = u128::try_from(self.heartbeat_age_ms)
                    .is_ok_and(|age| age > STALE_AFTER.as_millis());
                stale || self.worker.as_ref().and_then(ScanOwner::alive) == Some(false)
            }
        }
    }

    /// Who holds it, for messages: `host pid N`, or "an unknown worker".
    pub fn worker_name(&self) -> String {
        self.worker.as_ref().map_or_else(
            || "an unknown worker".into(),
            |w| format!("{} pid {}", w.host, w.pid),
        )
    }
}

/// How far a sharded scan is, for `history`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardsDone {
    /// N.
    pub count: u64,
    /// Shards finished.
    pub finished: u64,
    /// Shards whose worker is running (as far as the store can tell).
    pub running: u64,
    /// Shards failed or whose worker is gone.
    pub failed: u64,
}

impl ShardsDone {
    /// Counts `rows` of a scan of `count` shards.
    pub fn of(count: u64, rows: &[ShardRow]) -> Self {
        let mut done = Self {
            count,
            ..Self::default()
        };
        for row in rows {
            match row.state {
                ShardState::Finished => done.finished += 1,
                _ if row.worker_dead() => done.failed += 1,
                _ => done.running += 1,
            }
        }
        done
    }

    /// The scan's status: finished when every shard is, running while any worker runs,
    /// else interrupted (some shards failed or were never started).
    pub fn status(&self) -> ScanStatus {
        if self.finished >= self.count {
            ScanStatus::Finished
        } else if self.running > 0 {
            ScanStatus::Running
        } else {
            ScanStatus::Interrupted
        }
    }
}

impl fmt::Display for ShardsDone {
    /// "3/4 shards".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} shards", self.finished, self.count)
    }
}

/// What a claim does with the shard's row as found.
#[derive(Debug)]
pub enum Verdict {
    /// No row: insert one.
    Insert,
    /// A row whose worker is gone: take it over, keeping its hosts and position.
    TakeOver,
}

/// Judges a claim of `shard` of `scan` against its row (`None`: never claimed).
pub fn judge(
    scan: ScanId,
    shard: StoredShard,
    found: Option<ShardRow>,
) -> Result<Verdict, StoreError> {
    let Some(row) = found else {
        return Ok(Verdict::Insert);
    };
    let taken = |row: &ShardRow| StoreError::ShardTaken {
        scan,
        shard,
        worker: row.worker_name(),
        state: row.state,
    };
    match row.state {
        ShardState::Finished => Err(StoreError::ShardFinished { scan, shard }),
        _ if row.worker_dead() => Ok(Verdict::TakeOver),
        _ => Err(taken(&row)),
    }
}

/// The columns of `scan_shards` that [`ShardRow`] is read from, in order; `{now}` is the
/// backend's expression for the time in milliseconds since 1970.
pub const ROW_COLUMNS: &str = "shard_index, shard_count, state, hosts, last_index, \
     worker_json, started, {now} - heartbeat_ms";

/// A [`ShardRow`] from its columns as stored.
#[allow(clippy::too_many_arguments)]
pub fn row_from(
    scan: ScanId,
    (index, count, state, hosts, last_index): (i64, i64, String, i64, i64),
    worker_json: Option<String>,
    started: String,
    heartbeat_age_ms: i64,
) -> Result<ShardRow, StoreError> {
    let count_of = |n: i64| u64::try_from(n).unwrap_or(0);
    let corrupt = |why: String| StoreError::Json {
        what: format!("scan {scan}: shard {index}/{count}: {why}"),
        source: serde::de::Error::custom(why),
    };
    // (A stored state no build writes is reported like an undecodable value.)
    Ok(ShardRow {
        shard: StoredShard {
            index: count_of(index),
            count: count_of(count),
        },
        state: state.parse().map_err(corrupt)?,
        hosts: count_of(hosts),
        last_index: count_of(last_index),
        worker: worker_json
            .map(|j| from_json(&j, || format!("scan {scan}: shard {index}: worker")))
            .transpose()?,
        started,
        heartbeat_age_ms,
    })
}

/// This process as a shard's worker, as stored.
pub fn worker_json() -> Result<Option<String>, StoreError> {
    ScanOwner::current()
        .map(|o| to_json(&o, || "shard worker".into()))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: ShardState, age_ms: i64) -> ShardRow {
        ShardRow {
            shard: StoredShard { index: 1, count: 2 },
            state,
            hosts: 0,
            last_index: 0,
            worker: ScanOwner::current(),
            started: String::new(),
            heartbeat_age_ms: age_ms,
        }
    }

    #[test]
    fn a_worker_is_dead_when_failed_or_stale_never_when_finished() {
        assert!(row(ShardState::Failed, 0).worker_dead());
        assert!(!row(ShardState::Finished, i64::MAX).worker_dead());
        // This process is alive, and its heartbeat is fresh.
        assert!(!row(ShardState::Started, 1_000).worker_dead());
        let stale = i64::try_from(STALE_AFTER.as_millis()).unwrap() + 1;
        assert!(row(ShardState::Started, stale).worker_dead());
    }

    #[test]
    fn shards_done_says_the_scans_status() {
        let rows = [row(ShardState::Finished, 0), row(ShardState::Started, 0)];
        let done = ShardsDone::of(2, &rows);
        assert_eq!((done.finished, done.running, done.failed), (1, 1, 0));
        assert_eq!(done.status(), ScanStatus::Running);
        assert_eq!(done.to_string(), "1/2 shards");
        let done = ShardsDone::of(3, &rows[..1]);
        assert_eq!(done.status(), ScanStatus::Interrupted);
        let all = ShardsDone::of(1, &rows[..1]);
        assert_eq!(all.status(), ScanStatus::Finished);
        assert_eq!("failed".parse::<ShardState>(), Ok(ShardState::Failed));
        assert!("gone".parse::<ShardState>().is_err());
    }
}
