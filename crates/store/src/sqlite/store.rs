//! [`SqliteStore`]: one SQLite connection for starting scans and reading them back.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, params};
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};

use super::open::{connect, connect_read_only};
use super::schema::LATEST;
use super::writer::SqliteWriter;
use super::{Sql, audits, location, shards};
use crate::audit::{AuditId, AuditSummary};
use crate::chunks::Chunk;
use crate::error::{StoreError, from_json, to_json};
use crate::location::StoreLocation;
use crate::owner::ScanOwner;
use crate::scan::{ScanId, ScanMeta, ScanStatus, ScanSummary, StoredShard, now};
use crate::shards::{ShardRow, ShardsDone};
use crate::store::{ScanStore, ScanWriter};

/// A scan history in one SQLite file. Each `SqliteStore` owns one connection; open one per
/// thread or process (WAL mode lets them read while a [`SqliteWriter`] writes).
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    location: StoreLocation,
    /// The schema version: [`LATEST`], or older in a database opened read-only.
    version: i64,
}

/// The first schema version with named, sharded scans.
const SHARDS_SINCE: i64 = 4;

const SCAN_COLUMNS_V1: &str = "id, started, finished, status, targets_json, command, vantage";

impl SqliteStore {
    /// Opens or creates the database at `path` (parent directories created). The
    /// connection uses WAL, foreign keys and a 10 s busy timeout, and the schema is
    /// migrated via `PRAGMA user_version`. A file that is not SQLite, is damaged, or belongs
    /// to another application is refused ([`StoreError::NotOurs`], [`StoreError::Corrupt`],
    /// [`StoreError::TooNew`]) without being modified. An empty file becomes a new database.
    ///
    /// The directory must exist: a missing one is [`StoreError::NoDirectory`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            conn: connect(path)?,
            path: path.to_owned(),
            location: location(path),
            version: LATEST,
        })
    }

    /// Opens the existing database at `path` for reading only (`history`, `show`, `diff`):
    /// nothing is created, migrated or written, so a read-only file or mount works. A
    /// missing file is [`StoreError::Missing`]; starting a scan or a writer fails.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let (conn, version) = connect_read_only(path)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            location: location(path),
            version,
        })
    }

    /// The `scans` columns [`ScanRow::read`] reads (the options and owner are NULL in a
    /// database older than version 2).
    fn scan_columns(&self) -> String {
        let v2 = if self.version >= 2 {
            "options_json, owner_json"
        } else {
            "NULL, NULL"
        };
        let v4 = if self.version >= SHARDS_SINCE {
            "name, shard_count"
        } else {
            "NULL, NULL"
        };
        format!("{SCAN_COLUMNS_V1}, {v2}, {v4}")
    }

    /// The shards of a sharded scan (`count` of them) as `history` counts them.
    fn shards_done(
        &self,
        scan: ScanId,
        count: Option<i64>,
    ) -> Result<Option<ShardsDone>, StoreError> {
        // (0: a queued scan's, which SQLite never makes.)
        let Some(count) = count.filter(|&n| n > 0) else {
            return Ok(None);
        };
        let rows = shards::rows(&self.conn, scan)?;
        Ok(Some(ShardsDone::of(
            u64::try_from(count).unwrap_or(0),
            &rows,
        )))
    }

    /// The work queue's refusal: one file is no queue for many machines.
    fn needs_postgres(&self) -> StoreError {
        StoreError::NeedsPostgres {
            location: self.location.clone(),
            what: "the work queue (--queue)",
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The newest scan matching `filter` (a WHERE clause or nothing).
    fn newest(&self, filter: &str) -> Result<Option<ScanSummary>, StoreError> {
        let sql = format!(
            "SELECT {} FROM scans {filter} ORDER BY id DESC LIMIT 1",
            self.scan_columns()
        );
        let row = self
            .conn
            .query_row(&sql, [], ScanRow::read)
            .optional()
            .sql()?;
        row.map(|r| self.summarize(r)).transpose()
    }

    fn ensure_exists(&self, scan: ScanId) -> Result<(), StoreError> {
        ensure_exists(&self.conn, scan)
    }

    fn corrupt(&self, why: String) -> StoreError {
        StoreError::Corrupt(self.location.clone(), why)
    }

    fn parse_ip(&self, ip: &str) -> Result<IpAddr, StoreError> {
        ip.parse()
            .map_err(|_| self.corrupt(format!("{ip:?} is not an IP address")))
    }

    /// The findings stored for `scan`, counted per severity.
    fn severities(&self, scan: i64) -> Result<BTreeMap<Severity, u64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT severity, count(*) FROM findings WHERE scan_id = ?1 GROUP BY severity",
            )
            .sql()?;
        let mut by_severity = BTreeMap::new();
        let pairs = stmt
            .query_map([scan], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .sql()?;
        for pair in pairs {
            let (severity, n) = pair.sql()?;
            let severity: Severity = severity.parse().map_err(|e: String| self.corrupt(e))?;
            by_severity.insert(severity, u64::try_from(n).unwrap_or(0));
        }
        Ok(by_severity)
    }

    fn summarize(&self, row: ScanRow) -> Result<ScanSummary, StoreError> {
        let id = ScanId(row.id);
        let hosts: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM hosts WHERE scan_id = ?1")
            .sql()?
            .query_row([row.id], |r| r.get(0))
            .sql()?;
        Ok(ScanSummary {
            id,
            started: row.started,
            finished: row.finished,
            status: row.status.parse().map_err(|e: String| self.corrupt(e))?,
            targets: from_json(&row.targets_json, || format!("scan {id}: targets"))?,
            command: row.command,
            vantage: row.vantage,
            hosts: u64::try_from(hosts).unwrap_or(0),
            findings_by_severity: self.severities(row.id)?,
            options: row
                .options_json
                .map(|j| from_json(&j, || format!("scan {id}: options")))
                .transpose()?,
            owner: row
                .owner_json
                .map(|j| from_json(&j, || format!("scan {id}: owner")))
                .transpose()?,
            shards: self.shards_done(id, row.shard_count)?,
            chunks: None,
            name: row.name,
        }
        .with_live_status())
    }
}

impl ScanStore for SqliteStore {
    fn location(&self) -> &StoreLocation {
        &self.location
    }

    fn begin_scan(&self, meta: &ScanMeta) -> Result<ScanId, StoreError> {
        let targets = to_json(&meta.targets, || "scan targets".into())?;
        let options = meta
            .options
            .as_ref()
            .map(|o| to_json(o, || "scan options".into()))
            .transpose()?;
        self.conn
            .execute(
                "INSERT INTO scans (started, status, targets_json, command, vantage,
                                    options_json, owner_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    now(),
                    ScanStatus::Running.as_str(),
                    targets,
                    meta.command,
                    meta.vantage,
                    options,
                    owner_json()?
                ],
            )
            .sql()?;
        Ok(ScanId(self.conn.last_insert_rowid()))
    }

    fn set_status(&self, scan: ScanId, status: ScanStatus) -> Result<(), StoreError> {
        set_status(&self.conn, scan, status)
    }

    fn finished_hosts(&self, scan: ScanId) -> Result<HashSet<IpAddr>, StoreError> {
        self.ensure_exists(scan)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ip FROM hosts WHERE scan_id = ?1")
            .sql()?;
        stmt.query_map([scan.0], |r| r.get::<_, String>(0))
            .sql()?
            .map(|ip| self.parse_ip(&ip.sql()?))
            .collect()
    }

    fn last_unfinished(&self) -> Result<Option<ScanSummary>, StoreError> {
        self.newest("WHERE status IN ('running', 'interrupted')")
    }

    fn last_scan(&self) -> Result<Option<ScanSummary>, StoreError> {
        self.newest("")
    }

    fn scans(&self) -> Result<Vec<ScanSummary>, StoreError> {
        let sql = format!("SELECT {} FROM scans ORDER BY id DESC", self.scan_columns());
        let mut stmt = self.conn.prepare(&sql).sql()?;
        let rows = stmt
            .query_map([], ScanRow::read)
            .sql()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .sql()?;
        rows.into_iter().map(|r| self.summarize(r)).collect()
    }

    fn scan(&self, scan: ScanId) -> Result<ScanSummary, StoreError> {
        let sql = format!("SELECT {} FROM scans WHERE id = ?1", self.scan_columns());
        let row = self
            .conn
            .query_row(&sql, [scan.0], ScanRow::read)
            .optional()
            .sql()?
            .ok_or(StoreError::NotFound(scan))?;
        self.summarize(row)
    }

    fn hosts(&self, scan: ScanId) -> Result<Vec<HostRecord>, StoreError> {
        self.ensure_exists(scan)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ip, record_json FROM hosts WHERE scan_id = ?1")
            .sql()?;
        let mut hosts = stmt
            .query_map([scan.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .sql()?
            .map(|row| {
                let (ip, json) = row.sql()?;
                from_json::<HostRecord>(&json, || format!("scan {scan}, host {ip}: record"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        hosts.sort_by_key(|h| h.ip);
        Ok(hosts)
    }

    fn findings(&self, scan: ScanId) -> Result<Vec<Finding>, StoreError> {
        self.ensure_exists(scan)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ip, rule_id, finding_json FROM findings WHERE scan_id = ?1")
            .sql()?;
        let mut findings = stmt
            .query_map([scan.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .sql()?
            .map(|row| {
                let (ip, rule, json) = row.sql()?;
                from_json::<Finding>(&json, || format!("scan {scan}, host {ip}: finding {rule}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        findings.sort_by(|a, b| (a.ip, &a.rule_id).cmp(&(b.ip, &b.rule_id)));
        Ok(findings)
    }

    /// Reads every page of the database (`PRAGMA quick_check`).
    fn verify(&self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check").sql()?;
        let problems = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .sql()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .sql()?;
        if problems == ["ok"] {
            Ok(())
        } else {
            Err(self.corrupt(problems.join("; ")))
        }
    }

    /// A [`SqliteWriter`] on its own connection to the same file.
    fn save_audit(&self, summary: &AuditSummary, report_json: &str) -> Result<AuditId, StoreError> {
        audits::save(&self.conn, summary, report_json)
    }

    fn audits(&self) -> Result<Vec<AuditSummary>, StoreError> {
        audits::list(&self.conn, self.version)
    }

    fn audit(&self, id: AuditId) -> Result<String, StoreError> {
        audits::report(&self.conn, self.version, id)
    }

    fn writer(&self, scan: ScanId) -> Result<Box<dyn ScanWriter>, StoreError> {
        Ok(Box::new(SqliteWriter::start(&self.path, scan)?))
    }

    fn begin_named_scan(
        &self,
        meta: &ScanMeta,
        name: &str,
        shard_count: u64,
    ) -> Result<(ScanId, bool), StoreError> {
        shards::begin_named(&self.conn, meta, name, shard_count, owner_json()?)
    }

    fn scan_named(&self, name: &str) -> Result<Option<ScanSummary>, StoreError> {
        if self.version < SHARDS_SINCE {
            return Ok(None);
        }
        shards::id_named(&self.conn, name)?
            .map(|id| self.scan(id))
            .transpose()
    }

    fn claim_shard(&self, scan: ScanId, shard: StoredShard) -> Result<ShardRow, StoreError> {
        self.ensure_exists(scan)?;
        shards::claim(&self.conn, scan, shard)
    }

    fn shards(&self, scan: ScanId) -> Result<Vec<ShardRow>, StoreError> {
        self.ensure_exists(scan)?;
        if self.version < SHARDS_SINCE {
            return Ok(Vec::new());
        }
        shards::rows(&self.conn, scan)
    }

    fn shard_writer(
        &self,
        scan: ScanId,
        shard: StoredShard,
    ) -> Result<Box<dyn ScanWriter>, StoreError> {
        Ok(Box::new(SqliteWriter::start_shard(
            &self.path, scan, shard,
        )?))
    }

    fn queue_chunks(&self, _: ScanId, _: u64, _: u64) -> Result<u64, StoreError> {
        Err(self.needs_postgres())
    }

    fn claim_chunk(&self, _: ScanId, _: Duration) -> Result<Option<Chunk>, StoreError> {
        Err(self.needs_postgres())
    }

    fn renew_chunk(&self, _: ScanId, _: u64, _: Duration) -> Result<bool, StoreError> {
        Err(self.needs_postgres())
    }

    fn chunk_done(&self, _: ScanId, _: u64) -> Result<(), StoreError> {
        Err(self.needs_postgres())
    }
}

/// A `scans` row as stored.
struct ScanRow {
    id: i64,
    started: String,
    finished: Option<String>,
    status: String,
    targets_json: String,
    command: String,
    vantage: String,
    options_json: Option<String>,
    owner_json: Option<String>,
    name: Option<String>,
    shard_count: Option<i64>,
}

impl ScanRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            started: r.get(1)?,
            finished: r.get(2)?,
            status: r.get(3)?,
            targets_json: r.get(4)?,
            command: r.get(5)?,
            vantage: r.get(6)?,
            options_json: r.get(7)?,
            owner_json: r.get(8)?,
            name: r.get(9)?,
            shard_count: r.get(10)?,
        })
    }
}

/// [`StoreError::NotFound`] unless the scan exists.
fn ensure_exists(conn: &Connection, scan: ScanId) -> Result<(), StoreError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM scans WHERE id = ?1")
        .sql()?
        .exists([scan.0])
        .sql()?;
    if found {
        Ok(())
    } else {
        Err(StoreError::NotFound(scan))
    }
}

/// Sets a scan's status (see [`ScanStore::set_status`]).
pub(super) fn set_status(
    conn: &Connection,
    scan: ScanId,
    status: ScanStatus,
) -> Result<(), StoreError> {
    let finished = (status != ScanStatus::Running).then(now);
    // A scan (re)started is owned by this process from now on.
    let changed = if status == ScanStatus::Running {
        conn.execute(
            "UPDATE scans SET status = ?2, finished = ?3, owner_json = ?4 WHERE id = ?1",
            params![scan.0, status.as_str(), finished, owner_json()?],
        )
    } else {
        conn.execute(
            "UPDATE scans SET status = ?2, finished = ?3 WHERE id = ?1",
            params![scan.0, status.as_str(), finished],
        )
    }
    .sql()?;
    if changed == 0 {
        return Err(StoreError::NotFound(scan));
    }
    Ok(())
}

/// This process as a scan's owner, as stored (NULL where `/proc` cannot tell).
fn owner_json() -> Result<Option<String>, StoreError> {
    ScanOwner::current()
        .map(|o| to_json(&o, || "scan owner".into()))
        .transpose()
}
