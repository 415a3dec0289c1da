//! The position of a shard's scan in its order: how far, from the start of the shard,
//! every target is stored. Hosts finish out of order (many at once, each at its own
//! pace), so the position is the first target not yet done; the writer stores it as the
//! shard's `last_index`, after the hosts before it are committed.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use smbaudit_engine::targets::{Order, TargetList};
use smbaudit_findings::Finding;
use smbaudit_findings::record::HostRecord;
use smbaudit_store::{ScanStatus, ScanWriter, StoreError, WriterStats};

/// The first position of the shard's order whose target is not done yet.
#[derive(Debug)]
pub(crate) struct ShardCursor {
    targets: TargetList,
    order: Order,
    /// Hosts the scan skips (stored by an earlier run): done from the start.
    skip: Arc<HashSet<IpAddr>>,
    /// Every target before this position is done.
    position: u64,
    /// The target at `position`, if any (`None` once past the end).
    next: Option<IpAddr>,
    /// Targets done after `position`.
    ahead: HashSet<IpAddr>,
}

impl ShardCursor {
    /// A cursor at `start` (a resumed shard's `last_index`), the hosts in `skip` done.
    pub(crate) fn new(
        targets: TargetList,
        order: Order,
        skip: Arc<HashSet<IpAddr>>,
        start: u64,
    ) -> Self {
        let mut cursor = Self {
            targets,
            order,
            skip,
            position: start,
            next: None,
            ahead: HashSet::new(),
        };
        cursor.settle();
        cursor
    }

    /// The position: every target before it is done.
    #[cfg(test)]
    pub(crate) fn position(&self) -> u64 {
        self.position
    }

    /// Marks `ip` done; returns the new position if it moved.
    pub(crate) fn done(&mut self, ip: IpAddr) -> Option<u64> {
        if self.next != Some(ip) {
            self.ahead.insert(ip);
            return None;
        }
        self.position += 1;
        self.settle();
        Some(self.position)
    }

    /// Moves past every done target from `position` on (one walk of the order from there:
    /// the index is rebuilt only when the first target not done finishes).
    fn settle(&mut self) {
        let Ok(mut walk) = self.targets.walk_from(self.order, self.position) else {
            self.next = None;
            return;
        };
        loop {
            let Some(ip) = walk.next() else {
                self.position = walk.position();
                self.next = None;
                return;
            };
            if self.ahead.remove(&ip) || self.skip.contains(&ip) {
                continue;
            }
            // Excluded addresses before `ip` were skipped by the walk: count them done.
            self.position = walk.position() - 1;
            self.next = Some(ip);
            return;
        }
    }
}

/// A shard's writer that tells the store how far the shard is after each host.
#[derive(Debug)]
pub(crate) struct CursorWriter {
    inner: Box<dyn ScanWriter>,
    cursor: Mutex<ShardCursor>,
}

impl CursorWriter {
    /// Wraps `inner`, whose shard's progress `cursor` follows.
    pub(crate) fn new(inner: Box<dyn ScanWriter>, cursor: ShardCursor) -> Self {
        Self {
            inner,
            cursor: Mutex::new(cursor),
        }
    }
}

impl ScanWriter for CursorWriter {
    fn send(&self, host: &HostRecord, findings: &[Finding]) -> Result<(), StoreError> {
        self.inner.send(host, findings)?;
        let moved = match self.cursor.lock() {
            Ok(mut cursor) => cursor.done(host.ip),
            // A panic while holding it: the position stays where it was (still true).
            Err(_) => None,
        };
        match moved {
            Some(position) => self.inner.advance(position),
            None => Ok(()),
        }
    }

    fn finish(self: Box<Self>, status: ScanStatus) -> Result<WriterStats, StoreError> {
        self.inner.finish(status)
    }

    fn advance(&self, position: u64) -> Result<(), StoreError> {
        self.inner.advance(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smbaudit_engine::targets::Shard;

    fn list(tokens: &[&str]) -> TargetList {
        let mut l = TargetList::new();
        for t in tokens {
            l.include(t).unwrap();
        }
        l
    }

    #[test]
    fn the_position_is_the_first_target_not_done_whatever_order_hosts_finish_in() {
        let targets = list(&["10.0.0.0/28"]);
        let order = Order {
            seed: 7,
            shard: Shard::new(2, 3).unwrap(),
        };
        let walk: Vec<IpAddr> = targets.walk(order).unwrap().collect();
        assert_eq!(walk.len(), 5);
        let mut c = ShardCursor::new(targets.clone(), order, Arc::default(), 0);
        assert_eq!(c.done(walk[1]), None);
        assert_eq!(c.done(walk[2]), None);
        assert_eq!(c.done(walk[0]), Some(3));
        assert_eq!(c.done(walk[4]), None);
        assert_eq!(c.done(walk[3]), Some(5));
        assert_eq!(c.position(), 5);

        // Resumed: the hosts stored before are done from the start.
        let skip: HashSet<IpAddr> = [walk[0], walk[1]].into();
        let c = ShardCursor::new(targets.clone(), order, Arc::new(skip), 0);
        assert_eq!(c.position(), 2);
        let mut c = ShardCursor::new(targets, order, Arc::default(), 4);
        assert_eq!(c.done(walk[4]), Some(5));
    }

    #[test]
    fn excluded_targets_count_as_done() {
        let mut targets = list(&["10.0.0.0/29"]);
        let order = Order {
            seed: 1,
            shard: Shard::WHOLE,
        };
        let walk: Vec<IpAddr> = targets.walk(order).unwrap().collect();
        targets.exclude(&walk[1].to_string()).unwrap();
        let mut c = ShardCursor::new(targets, order, Arc::default(), 0);
        assert_eq!(c.done(walk[0]), Some(2), "the excluded second is skipped");
    }
}
