//! The PostgreSQL work queue (`scan --queue`): chunks made once, claimed by workers at
//! once without waiting for or doubling each other (`FOR UPDATE SKIP LOCKED`), and a chunk
//! whose worker died holding its lease taken over once the lease expires.

use std::collections::BTreeSet;
use std::sync::Barrier;
use std::time::Duration;

use smbaudit_store::{Chunk, ScanStatus, StoreLocation};

use crate::common::meta;
use crate::pg::Cluster;

pub(crate) fn chunk_claims_skip_locked_rows_and_take_over_expired_leases(cluster: &Cluster) {
    let db = cluster.create_db();
    let location = StoreLocation::parse(cluster.url(&db).as_ref());
    let store = crate::open(&location).unwrap();
    let (scan, _) = store
        .begin_named_scan(&meta(&["10.0.0.0/28"]), "q", 0)
        .unwrap();
    assert_eq!(store.queue_chunks(scan, 10, 3).unwrap(), 4);
    assert_eq!(
        store.queue_chunks(scan, 10, 3).unwrap(),
        4,
        "a second worker"
    );
    assert_eq!(
        cluster.psql(
            &db,
            "SELECT string_agg(first || '+' || len, ' ' ORDER BY chunk) FROM scan_chunks"
        ),
        "0+3 3+3 6+3 9+1"
    );

    // Four workers claiming at once get four different chunks; a fifth gets none.
    let long = Duration::from_secs(600);
    let barrier = Barrier::new(4);
    let claimed: Vec<Chunk> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mine = crate::open(&location).unwrap();
                    barrier.wait();
                    mine.claim_chunk(scan, long).unwrap().expect("a chunk each")
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let indices: BTreeSet<u64> = claimed.iter().map(|c| c.index).collect();
    assert_eq!(indices, BTreeSet::from([0, 1, 2, 3]));
    assert!(claimed.iter().all(|c| !c.retaken));
    assert_eq!(store.claim_chunk(scan, long).unwrap(), None);
    let s = store.scan(scan).unwrap();
    assert_eq!(
        (s.status, s.chunks.unwrap().leased),
        (ScanStatus::Running, 4)
    );
    for c in &claimed[..3] {
        store.chunk_done(scan, c.index).unwrap();
    }

    // The fourth chunk's worker dies holding its lease (here: the lease runs out first).
    let last = claimed[3].index;
    let short = Duration::from_millis(200);
    cluster.psql(
        &db,
        &format!(
            "UPDATE scan_chunks SET expires_ms = expires_ms - 600000 + 200 WHERE chunk = {last}"
        ),
    );
    std::thread::sleep(short * 2);
    assert_eq!(
        store.scan(scan).unwrap().status,
        ScanStatus::Interrupted,
        "nobody holds it"
    );
    let taken = store
        .claim_chunk(scan, long)
        .unwrap()
        .expect("the expired chunk");
    assert_eq!((taken.index, taken.retaken), (last, true));
    assert!(store.renew_chunk(scan, last, long).unwrap());
    store.chunk_done(scan, last).unwrap();
    assert!(
        !store.renew_chunk(scan, last, long).unwrap(),
        "done: no lease to renew"
    );
    assert_eq!(store.claim_chunk(scan, long).unwrap(), None);
    let s = store.scan(scan).unwrap();
    assert_eq!(s.status, ScanStatus::Finished);
    assert_eq!(s.chunks.unwrap().to_string(), "4/4 chunks");
}
