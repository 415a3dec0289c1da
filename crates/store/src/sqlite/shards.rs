//! The SQLite side of one scan written by many workers (see `crate::shards`): named
//! scans and `scan_shards` rows, each change in one immediate transaction, so that two
//! processes claiming at once are serialised by the database lock.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::Sql;
use crate::error::{StoreError, to_json};
use crate::scan::{ScanId, ScanMeta, ScanStatus, StoredShard, now};
use crate::shards::{self, ROW_COLUMNS, ShardRow, ShardState, Verdict};

/// The time in milliseconds since 1970, by SQLite's clock.
pub(super) const NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

/// Creates the scan `name` for `count` shards, or finds it (see
/// `ScanStore::begin_named_scan`).
pub(super) fn begin_named(
    conn: &Connection,
    meta: &ScanMeta,
    name: &str,
    count: u64,
    owner_json: Option<String>,
) -> Result<(ScanId, bool), StoreError> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).sql()?;
    let found: Option<i64> = tx
        .query_row("SELECT id FROM scans WHERE name = ?1", [name], |r| r.get(0))
        .optional()
        .sql()?;
    if let Some(id) = found {
        return Ok((ScanId(id), false));
    }
    let options = meta
        .options
        .as_ref()
        .map(|o| to_json(o, || "scan options".into()))
        .transpose()?;
    tx.execute(
        "INSERT INTO scans (started, status, targets_json, command, vantage, options_json,
                            owner_json, name, shard_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            now(),
            ScanStatus::Running.as_str(),
            to_json(&meta.targets, || "scan targets".into())?,
            meta.command,
            meta.vantage,
            options,
            owner_json,
            name,
            i64::try_from(count).unwrap_or(i64::MAX),
        ],
    )
    .sql()?;
    let id = tx.last_insert_rowid();
    tx.commit().sql()?;
    Ok((ScanId(id), true))
}

/// The id of the scan named `name`.
pub(super) fn id_named(conn: &Connection, name: &str) -> Result<Option<ScanId>, StoreError> {
    conn.query_row("SELECT id FROM scans WHERE name = ?1", [name], |r| r.get(0))
        .optional()
        .sql()
        .map(|id| id.map(ScanId))
}

fn select(filter: &str) -> String {
    format!(
        "SELECT {} FROM scan_shards WHERE scan_id = ?1 {filter} ORDER BY shard_index",
        ROW_COLUMNS.replace("{now}", NOW_MS)
    )
}

fn read(scan: ScanId, r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<ShardRow, StoreError>> {
    let head = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    Ok(shards::row_from(
        scan,
        head,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

/// Every claimed shard of `scan`.
pub(super) fn rows(conn: &Connection, scan: ScanId) -> Result<Vec<ShardRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&select("")).sql()?;
    stmt.query_map([scan.0], |r| read(scan, r))
        .sql()?
        .map(|row| row.sql()?)
        .collect()
}

/// Claims `shard` of `scan` (see `ScanStore::claim_shard`).
pub(super) fn claim(
    conn: &Connection,
    scan: ScanId,
    shard: StoredShard,
) -> Result<ShardRow, StoreError> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).sql()?;
    let index = i64::try_from(shard.index).unwrap_or(i64::MAX);
    let found = tx
        .query_row(
            &select("AND shard_index = ?2"),
            params![scan.0, index],
            |r| read(scan, r),
        )
        .optional()
        .sql()?
        .transpose()?;
    let worker = shards::worker_json()?;
    match shards::judge(scan, shard, found)? {
        Verdict::Insert => tx
            .execute(
                &format!(
                    "INSERT INTO scan_shards (scan_id, shard_index, shard_count, state, worker_json,
                                              started, heartbeat_ms)
                     VALUES (?1, ?2, ?3, 'started', ?4, ?5, {NOW_MS})"
                ),
                params![
                    scan.0,
                    index,
                    i64::try_from(shard.count).unwrap_or(i64::MAX),
                    worker,
                    now()
                ],
            )
            .sql()?,
        Verdict::TakeOver => tx
            .execute(
                &format!(
                    "UPDATE scan_shards SET state = 'started', worker_json = ?3,
                            heartbeat_ms = {NOW_MS}
                     WHERE scan_id = ?1 AND shard_index = ?2"
                ),
                params![scan.0, index, worker],
            )
            .sql()?,
    };
    let row = tx
        .query_row(
            &select("AND shard_index = ?2"),
            params![scan.0, index],
            |r| read(scan, r),
        )
        .sql()??;
    tx.commit().sql()?;
    Ok(row)
}

/// Stamps the shard's row: `hosts` more stored, every target before `position` done.
pub(super) fn progress(
    conn: &Connection,
    scan: ScanId,
    shard: StoredShard,
    hosts: u64,
    position: Option<u64>,
) -> rusqlite::Result<()> {
    let position = position.and_then(|p| i64::try_from(p).ok()).unwrap_or(0);
    conn.execute(
        &format!(
            "UPDATE scan_shards SET hosts = hosts + ?3, last_index = max(last_index, ?4),
                    heartbeat_ms = {NOW_MS}
             WHERE scan_id = ?1 AND shard_index = ?2"
        ),
        params![
            scan.0,
            i64::try_from(shard.index).unwrap_or(i64::MAX),
            i64::try_from(hosts).unwrap_or(i64::MAX),
            position
        ],
    )?;
    Ok(())
}

/// Ends the shard's run with `status`, then sets the scan's: finished once every shard
/// is, else running.
pub(super) fn finish(
    conn: &Connection,
    scan: ScanId,
    shard: StoredShard,
    status: ScanStatus,
) -> Result<(), StoreError> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).sql()?;
    tx.execute(
        &format!(
            "UPDATE scan_shards SET state = ?3, heartbeat_ms = {NOW_MS}
             WHERE scan_id = ?1 AND shard_index = ?2"
        ),
        params![
            scan.0,
            i64::try_from(shard.index).unwrap_or(i64::MAX),
            ShardState::after(status).as_str()
        ],
    )
    .sql()?;
    tx.execute(
        "UPDATE scans SET
            status = CASE WHEN (SELECT count(*) FROM scan_shards
                                WHERE scan_id = ?1 AND state = 'finished') >= shard_count
                     THEN 'finished' ELSE 'running' END,
            finished = ?2
         WHERE id = ?1",
        params![scan.0, now()],
    )
    .sql()?;
    tx.commit().sql()
}
