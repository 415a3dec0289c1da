//! Conformance cases of one scan written by many workers: the named scan found again,
//! one live worker per shard, take-overs only from dead workers, shard progress, and the scan's
//! status from all of its shards.

use smbaudit_store::{ScanStatus, ScanStore, ShardState, StoreError, StoreErrorKind, StoredShard};

use crate::common::{bare_host_json, meta, record};

fn shard(index: u64) -> StoredShard {
    StoredShard { index, count: 2 }
}

pub(crate) fn a_named_scan_is_created_once(store: &dyn ScanStore) {
    let m = meta(&["10.0.0.0/30"]);
    let (id, created) = store.begin_named_scan(&m, "nightly", 2).unwrap();
    assert!(created);
    let (again, created) = store.begin_named_scan(&m, "nightly", 2).unwrap();
    assert_eq!((again, created), (id, false));
    let (other, created) = store.begin_named_scan(&m, "weekly", 2).unwrap();
    assert!(created && other != id);
    let s = store.scan_named("nightly").unwrap().unwrap();
    assert_eq!((s.id, s.name.as_deref()), (id, Some("nightly")));
    assert_eq!(store.scan_named("absent").unwrap(), None);
    // No shard claimed yet: not running, not finished.
    let done = s.shards.unwrap();
    assert_eq!((done.count, done.finished), (2, 0));
    assert_eq!(s.status, ScanStatus::Interrupted);
    // A scan without a name has no shards.
    let plain = store.begin_scan(&m).unwrap();
    assert_eq!(store.scan(plain).unwrap().shards, None);
    assert_eq!(store.shards(plain).unwrap(), []);
}

pub(crate) fn a_shard_is_claimed_once(store: &dyn ScanStore) {
    let (id, _) = store
        .begin_named_scan(&meta(&["10.0.0.0/30"]), "s", 2)
        .unwrap();
    let row = store.claim_shard(id, shard(1)).unwrap();
    assert_eq!(
        (row.shard, row.state, row.hosts),
        (shard(1), ShardState::Started, 0)
    );
    assert_eq!(row.worker.as_ref().map(|w| w.pid), Some(std::process::id()));
    let e = store.claim_shard(id, shard(1)).unwrap_err();
    assert!(matches!(e, StoreError::ShardTaken { .. }), "{e:?}");
    assert_eq!(e.kind(), StoreErrorKind::Conflict);
    assert!(
        e.to_string().contains("shard 1/2 is already claimed by"),
        "{e}"
    );
    // A shard never claimed may be claimed by any worker.
    store.claim_shard(id, shard(2)).unwrap();
    let running = store.scan(id).unwrap();
    assert_eq!(running.status, ScanStatus::Running);
    assert_eq!(running.shards.unwrap().running, 2);
}

pub(crate) fn shard_writers_keep_their_rows_and_the_scans_status(store: &dyn ScanStore) {
    let (id, _) = store
        .begin_named_scan(&meta(&["10.0.0.0/30"]), "w", 2)
        .unwrap();
    store.claim_shard(id, shard(1)).unwrap();
    store.claim_shard(id, shard(2)).unwrap();
    let one = store.shard_writer(id, shard(1)).unwrap();
    one.send(&record(bare_host_json("10.0.0.1")), &[]).unwrap();
    one.advance(1).unwrap();
    one.send(&record(bare_host_json("10.0.0.3")), &[]).unwrap();
    one.advance(2).unwrap();
    one.finish(ScanStatus::Finished).unwrap();
    let rows = store.shards(id).unwrap();
    assert_eq!(
        (rows[0].state, rows[0].hosts, rows[0].last_index),
        (ShardState::Finished, 2, 2)
    );
    let s = store.scan(id).unwrap();
    assert_eq!(s.status, ScanStatus::Running, "shard 2 still runs");
    assert_eq!(s.shards.unwrap().to_string(), "1/2 shards");

    // Shard 2 stops early: failed, and then taken over by a resume, keeping its progress.
    let two = store.shard_writer(id, shard(2)).unwrap();
    two.send(&record(bare_host_json("10.0.0.2")), &[]).unwrap();
    two.advance(1).unwrap();
    two.finish(ScanStatus::Interrupted).unwrap();
    let s = store.scan(id).unwrap();
    assert_eq!(s.status, ScanStatus::Interrupted);
    assert_eq!(s.shards.unwrap().failed, 1);
    let e = store.claim_shard(id, shard(1)).unwrap_err();
    assert!(matches!(e, StoreError::ShardFinished { .. }), "{e:?}");
    let row = store.claim_shard(id, shard(2)).unwrap();
    assert_eq!(
        (row.state, row.hosts, row.last_index),
        (ShardState::Started, 1, 1)
    );
    let two = store.shard_writer(id, shard(2)).unwrap();
    two.send(&record(bare_host_json("10.0.0.4")), &[]).unwrap();
    two.advance(2).unwrap();
    two.finish(ScanStatus::Finished).unwrap();
    let s = store.scan(id).unwrap();
    assert_eq!((s.status, s.hosts), (ScanStatus::Finished, 4));
    assert_eq!(s.shards.unwrap().to_string(), "2/2 shards");
    let ips: Vec<String> = store
        .hosts(id)
        .unwrap()
        .iter()
        .map(|h| h.ip.to_string())
        .collect();
    assert_eq!(ips, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
}
