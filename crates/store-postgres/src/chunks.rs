//! The PostgreSQL work queue (see `crate::chunks`): `scan_chunks` rows, claimed with
//! `FOR UPDATE SKIP LOCKED` under a lease in milliseconds of the server's clock.

use std::time::Duration;

use tokio_postgres::Client;

use super::pg_error;
use super::shards::NOW_MS;
use smbaudit_store::ScanId;
use smbaudit_store::StoreError;
use smbaudit_store::backend::worker_json;
use smbaudit_store::{Chunk, ChunksDone};

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Cuts `positions` into chunks of `len` (once: a worker joining later inserts nothing).
pub(super) async fn queue(
    client: &Client,
    scan: ScanId,
    positions: u64,
    len: u64,
) -> Result<u64, StoreError> {
    let len = len.max(1);
    client
        .execute(
            "INSERT INTO scan_chunks (scan_id, chunk, first, len, state)
             SELECT $1::bigint, c, c * $3::bigint, least($3::bigint, $2::bigint - c * $3::bigint), 'todo'
             FROM generate_series(0::bigint, ($2::bigint + $3::bigint - 1) / $3::bigint - 1) AS c
             ON CONFLICT (scan_id, chunk) DO NOTHING",
            &[&scan.0, &int(positions), &int(len)],
        )
        .await
        .map_err(pg_error)?;
    Ok(smbaudit_store::chunk_count(positions, len))
}

/// Claims the first chunk to do (or whose lease expired) for `lease`.
pub(super) async fn claim(
    client: &mut Client,
    scan: ScanId,
    lease: Duration,
) -> Result<Option<Chunk>, StoreError> {
    let tx = client.transaction().await.map_err(pg_error)?;
    let row = tx
        .query_opt(
            &format!(
                "SELECT chunk, first, len, state FROM scan_chunks
                 WHERE scan_id = $1
                   AND (state = 'todo' OR (state = 'leased' AND expires_ms < {NOW_MS}))
                 ORDER BY chunk LIMIT 1
                 FOR UPDATE SKIP LOCKED"
            ),
            &[&scan.0],
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let get = |i| row.try_get::<_, i64>(i).map_err(pg_error);
    let (index, first, len) = (get(0)?, get(1)?, get(2)?);
    let state: String = row.try_get(3).map_err(pg_error)?;
    tx.execute(
        &format!(
            "UPDATE scan_chunks SET state = 'leased', worker_json = $3,
                    expires_ms = {NOW_MS} + $4
             WHERE scan_id = $1 AND chunk = $2"
        ),
        &[&scan.0, &index, &worker_json()?, &millis(lease)],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(Some(Chunk {
        index: count(index),
        first: count(first),
        len: count(len),
        retaken: state == "leased",
    }))
}

/// Extends the lease of `chunk` (false: it is no longer this worker's to extend).
pub(super) async fn renew(
    client: &Client,
    scan: ScanId,
    chunk: u64,
    lease: Duration,
) -> Result<bool, StoreError> {
    let n = client
        .execute(
            &format!(
                "UPDATE scan_chunks SET expires_ms = {NOW_MS} + $3
                 WHERE scan_id = $1 AND chunk = $2 AND state = 'leased'"
            ),
            &[&scan.0, &int(chunk), &millis(lease)],
        )
        .await
        .map_err(pg_error)?;
    Ok(n == 1)
}

/// Marks `chunk` done.
pub(super) async fn done(client: &Client, scan: ScanId, chunk: u64) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE scan_chunks SET state = 'done', expires_ms = NULL
             WHERE scan_id = $1 AND chunk = $2",
            &[&scan.0, &int(chunk)],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

/// How far the queue of `scan` is.
pub(super) async fn progress(client: &Client, scan: ScanId) -> Result<ChunksDone, StoreError> {
    let row = client
        .query_one(
            &format!(
                "SELECT count(*), count(*) FILTER (WHERE state = 'done'),
                        count(*) FILTER (WHERE state = 'leased' AND expires_ms >= {NOW_MS})
                 FROM scan_chunks WHERE scan_id = $1"
            ),
            &[&scan.0],
        )
        .await
        .map_err(pg_error)?;
    let get = |i| row.try_get::<_, i64>(i).map(count).map_err(pg_error);
    Ok(ChunksDone {
        count: get(0)?,
        done: get(1)?,
        leased: get(2)?,
    })
}
