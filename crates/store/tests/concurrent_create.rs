//! Many openers creating one missing database at the same moment: every one of them gets a
//! working store. (CI once saw an opener judge a half-created database as "not ours".)

mod common;

use std::sync::Barrier;
use std::thread;

use common::{meta, temp_db};
use smbaudit_store::ScanStore;
use smbaudit_store::sqlite::SqliteStore;

const OPENERS: usize = 8;
const ROUNDS: usize = 60;

#[test]
fn openers_racing_to_create_one_database_all_succeed() {
    for round in 0..ROUNDS {
        let (_dir, path) = temp_db();
        let start = Barrier::new(OPENERS);
        let outcomes: Vec<Result<(), String>> = thread::scope(|s| {
            let runs: Vec<_> = (0..OPENERS)
                .map(|_| {
                    let (path, start) = (&path, &start);
                    s.spawn(move || {
                        start.wait();
                        let store = SqliteStore::open(path).map_err(|e| e.to_string())?;
                        store
                            .begin_scan(&meta(&["10.0.0.0/8"]))
                            .map(drop)
                            .map_err(|e| e.to_string())
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        for outcome in outcomes {
            assert_eq!(outcome, Ok(()), "round {round}");
        }
        let scans = SqliteStore::open(&path).unwrap().scans().unwrap();
        assert_eq!(scans.len(), OPENERS, "round {round}");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("smbaudit.db"))
            .collect();
        assert!(leftovers.is_empty(), "stray files {leftovers:?}");
    }
}

/// A dangling symlink as the path: the link cannot be placed over it, and opening neither
/// loops nor fails; SQLite creates the database where the symlink points.
#[test]
fn a_dangling_symlink_is_followed_not_looped_on() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.db");
    let link = dir.path().join("smbaudit.db");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let store = SqliteStore::open(&link).unwrap();
    store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
    assert!(target.is_file(), "the database is where the link points");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(SqliteStore::open(&link).unwrap().scans().unwrap().len(), 1);
}
