//! The PostgreSQL side of one scan written by many workers (see `crate::shards`): named
//! scans (`INSERT ... ON CONFLICT (name) DO NOTHING`, so workers starting at once get one
//! scan) and `scan_shards` rows, a claim locking the shard's row (`FOR UPDATE`) or failing
//! on its primary key, so that two workers never both hold a shard.

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, GenericClient, Row};

use super::pg_error;
use smbaudit_store::StoreError;
use smbaudit_store::backend::now;
use smbaudit_store::backend::to_json;
use smbaudit_store::backend::{ROW_COLUMNS, Verdict, judge, row_from, worker_json};
use smbaudit_store::{ScanId, ScanMeta, ScanStatus, StoredShard};
use smbaudit_store::{ShardRow, ShardState};

/// The time in milliseconds since 1970, by the server's clock.
pub(super) const NOW_MS: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Creates the scan `name` for `count` shards, or finds it (see
/// `ScanStore::begin_named_scan`).
pub(super) async fn begin_named(
    client: &Client,
    meta: &ScanMeta,
    name: &str,
    count: u64,
    owner_json: Option<String>,
) -> Result<(ScanId, bool), StoreError> {
    let options = meta
        .options
        .as_ref()
        .map(|o| to_json(o, || "scan options".into()))
        .transpose()?;
    let targets = to_json(&meta.targets, || "scan targets".into())?;
    let created = client
        .query_opt(
            "INSERT INTO scans (started, status, targets_json, command, vantage, options_json,
                                owner_json, name, shard_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (name) WHERE name IS NOT NULL DO NOTHING
             RETURNING id",
            &[
                &now(),
                &ScanStatus::Running.as_str(),
                &targets,
                &meta.command,
                &meta.vantage,
                &options,
                &owner_json,
                &name,
                &int(count),
            ],
        )
        .await
        .map_err(pg_error)?;
    if let Some(row) = created {
        return Ok((ScanId(row.try_get(0).map_err(pg_error)?), true));
    }
    // Another worker's insert won: its row is committed (the conflict waited for it).
    let id = id_named(client, name).await?.ok_or_else(|| {
        StoreError::backend(
            super::BACKEND,
            std::io::Error::other(format!("scan {name:?} vanished while it was created")),
        )
    })?;
    Ok((id, false))
}

/// The id of the scan named `name`.
pub(super) async fn id_named(client: &Client, name: &str) -> Result<Option<ScanId>, StoreError> {
    let row = client
        .query_opt("SELECT id FROM scans WHERE name = $1", &[&name])
        .await
        .map_err(pg_error)?;
    row.map(|r| r.try_get(0).map(ScanId).map_err(pg_error))
        .transpose()
}

fn select(filter: &str) -> String {
    format!(
        "SELECT {} FROM scan_shards WHERE scan_id = $1 {filter} ORDER BY shard_index",
        ROW_COLUMNS.replace("{now}", NOW_MS)
    )
}

fn read(scan: ScanId, r: &Row) -> Result<ShardRow, StoreError> {
    let get = |e| pg_error(e);
    let head = (
        r.try_get(0).map_err(get)?,
        r.try_get(1).map_err(get)?,
        r.try_get(2).map_err(get)?,
        r.try_get(3).map_err(get)?,
        r.try_get(4).map_err(get)?,
    );
    row_from(
        scan,
        head,
        r.try_get(5).map_err(get)?,
        r.try_get(6).map_err(get)?,
        r.try_get(7).map_err(get)?,
    )
}

/// Every claimed shard of `scan`.
pub(super) async fn rows(
    client: &impl GenericClient,
    scan: ScanId,
) -> Result<Vec<ShardRow>, StoreError> {
    client
        .query(&select(""), &[&scan.0])
        .await
        .map_err(pg_error)?
        .iter()
        .map(|r| read(scan, r))
        .collect()
}

/// Claims `shard` of `scan` (see `ScanStore::claim_shard`) in one transaction.
pub(super) async fn claim(
    client: &mut Client,
    scan: ScanId,
    shard: StoredShard,
) -> Result<ShardRow, StoreError> {
    let tx = client.transaction().await.map_err(pg_error)?;
    let index = int(shard.index);
    let found = tx
        .query_opt(
            &format!("{} FOR UPDATE", select("AND shard_index = $2")),
            &[&scan.0, &index],
        )
        .await
        .map_err(pg_error)?
        .map(|r| read(scan, &r))
        .transpose()?;
    let worker = worker_json()?;
    let written = match judge(scan, shard, found)? {
        Verdict::Insert => {
            tx.execute(
                &format!(
                    "INSERT INTO scan_shards (scan_id, shard_index, shard_count, state,
                                              worker_json, started, heartbeat_ms)
                     VALUES ($1, $2, $3, 'started', $4, $5, {NOW_MS})"
                ),
                &[&scan.0, &index, &int(shard.count), &worker, &now()],
            )
            .await
        }
        Verdict::TakeOver => {
            tx.execute(
                &format!(
                    "UPDATE scan_shards SET state = 'started', worker_json = $3,
                            heartbeat_ms = {NOW_MS}
                     WHERE scan_id = $1 AND shard_index = $2"
                ),
                &[&scan.0, &index, &worker],
            )
            .await
        }
    };
    match written {
        Ok(_) => {}
        // Another worker inserted the row since we looked: it holds the shard.
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            return Err(StoreError::ShardTaken {
                scan,
                shard,
                worker: "another worker".into(),
                state: ShardState::Started,
            });
        }
        Err(e) => return Err(pg_error(e)),
    }
    let row = tx
        .query_one(&select("AND shard_index = $2"), &[&scan.0, &index])
        .await
        .map_err(pg_error)?;
    let row = read(scan, &row)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(row)
}

/// Stamps the shard's row: `hosts` more stored, every target before `position` done.
pub(super) async fn progress(
    client: &impl GenericClient,
    scan: ScanId,
    shard: StoredShard,
    hosts: u64,
    position: Option<u64>,
) -> Result<(), tokio_postgres::Error> {
    let position = position.map_or(0, int);
    client
        .execute(
            &format!(
                "UPDATE scan_shards SET hosts = hosts + $3,
                        last_index = greatest(last_index, $4), heartbeat_ms = {NOW_MS}
                 WHERE scan_id = $1 AND shard_index = $2"
            ),
            &[&scan.0, &int(shard.index), &int(hosts), &position],
        )
        .await?;
    Ok(())
}

/// Ends the shard's run with `status`, then sets the scan's: finished once every shard
/// is, else running.
pub(super) async fn finish(
    client: &mut Client,
    scan: ScanId,
    shard: StoredShard,
    status: ScanStatus,
) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute(
        &format!(
            "UPDATE scan_shards SET state = $3, heartbeat_ms = {NOW_MS}
             WHERE scan_id = $1 AND shard_index = $2"
        ),
        &[
            &scan.0,
            &int(shard.index),
            &ShardState::after(status).as_str(),
        ],
    )
    .await
    .map_err(pg_error)?;
    // The scan's row is locked first, so two shards finishing at once count each other.
    tx.execute("SELECT 1 FROM scans WHERE id = $1 FOR UPDATE", &[&scan.0])
        .await
        .map_err(pg_error)?;
    tx.execute(
        "UPDATE scans SET
            status = CASE WHEN (SELECT count(*) FROM scan_shards
                                WHERE scan_id = $1 AND state = 'finished') >= shard_count
                     THEN 'finished' ELSE 'running' END,
            finished = $2
         WHERE id = $1",
        &[&scan.0, &now()],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)
}
