//! The `audits` table: one row per stored audit.

use rusqlite::{Connection, OptionalExtension};

use super::Sql;
use crate::audit::{AuditId, AuditSummary};
use crate::error::{StoreError, from_json, to_json};

/// The first schema version with the `audits` table.
const AUDITS_SINCE: i64 = 3;

pub(super) fn save(
    conn: &Connection,
    summary: &AuditSummary,
    report_json: &str,
) -> Result<AuditId, StoreError> {
    let summary_json = to_json(summary, || "audit summary".into())?;
    conn.execute(
        "INSERT INTO audits (started, hostname, summary_json, report_json) VALUES (?1, ?2, ?3, ?4)",
        (
            &summary.started,
            &summary.hostname,
            summary_json,
            report_json,
        ),
    )
    .sql()?;
    Ok(AuditId(conn.last_insert_rowid()))
}

pub(super) fn list(conn: &Connection, version: i64) -> Result<Vec<AuditSummary>, StoreError> {
    if version < AUDITS_SINCE {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare("SELECT id, summary_json FROM audits ORDER BY id DESC")
        .sql()?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .sql()?
        .collect::<rusqlite::Result<Vec<_>>>()
        .sql()?;
    rows.into_iter()
        .map(|(id, json)| {
            let mut summary: AuditSummary = from_json(&json, || format!("audit {id}: summary"))?;
            summary.id = AuditId(id);
            Ok(summary)
        })
        .collect()
}

pub(super) fn report(conn: &Connection, version: i64, id: AuditId) -> Result<String, StoreError> {
    if version < AUDITS_SINCE {
        return Err(StoreError::AuditNotFound(id));
    }
    conn.query_row(
        "SELECT report_json FROM audits WHERE id = ?1",
        [id.0],
        |r| r.get(0),
    )
    .optional()
    .sql()?
    .ok_or(StoreError::AuditNotFound(id))
}
