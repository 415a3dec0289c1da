//! The work queue of a scan (`scan --queue`, PostgreSQL only): its order cut into chunks
//! of consecutive positions, each claimed by one worker at a time under a lease.
//!
//! A worker claims the first chunk that is to do or whose lease expired
//! (`SELECT ... FOR UPDATE SKIP LOCKED`: workers claiming at once never wait for each
//! other nor get the same chunk), renews its lease while it scans, and marks it done after
//! its hosts are committed. A worker that dies holding a chunk stops renewing; once the
//! lease expires another worker takes the chunk over (its stored hosts are skipped, the
//! rest probed). Fast machines simply claim more chunks than slow ones.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a claimed chunk stays a worker's without renewal, unless the worker says.
pub const LEASE: Duration = Duration::from_secs(120);

/// One claimed chunk: positions `first .. first + len` of the scan's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Its number, from 0.
    pub index: u64,
    /// Its first position in the scan's order.
    pub first: u64,
    /// How many positions it has.
    pub len: u64,
    /// Whether another worker held it before (its lease expired): some of its hosts may be
    /// stored already.
    pub retaken: bool,
}

/// How far a queued scan is, for `history`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunksDone {
    /// Chunks in all.
    pub count: u64,
    /// Chunks done.
    pub done: u64,
    /// Chunks under a lease that has not expired.
    pub leased: u64,
}

impl ChunksDone {
    /// The scan's status: finished when every chunk is done, running while any is leased,
    /// else interrupted.
    pub fn status(&self) -> crate::ScanStatus {
        use crate::ScanStatus;
        if self.count > 0 && self.done >= self.count {
            ScanStatus::Finished
        } else if self.leased > 0 {
            ScanStatus::Running
        } else {
            ScanStatus::Interrupted
        }
    }
}

impl std::fmt::Display for ChunksDone {
    /// "3/10 chunks".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} chunks", self.done, self.count)
    }
}

/// How many chunks of `len` positions `positions` make.
pub fn chunk_count(positions: u64, len: u64) -> u64 {
    positions.div_ceil(len.max(1))
}
