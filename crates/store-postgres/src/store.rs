//! [`PostgresStore`]: one PostgreSQL connection for starting scans and reading them back.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::time::Duration;

use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};
use tokio_postgres::{Client, Row};

use super::connect::{Session, block_on, connect};
use super::schema::{LATEST, prepare};
use super::writer::PostgresWriter;
use super::{Pg, chunks, pg_error, shards};
use smbaudit_store::Chunk;
use smbaudit_store::ScanOwner;
use smbaudit_store::StoreError;
use smbaudit_store::backend::now;
use smbaudit_store::backend::{from_json, to_json};
use smbaudit_store::{AuditId, AuditSummary};
use smbaudit_store::{PostgresUrl, StoreLocation};
use smbaudit_store::{ScanId, ScanMeta, ScanStatus, ScanSummary, StoredShard};
use smbaudit_store::{ScanStore, ScanWriter};
use smbaudit_store::{ShardRow, ShardsDone};

/// The first schema version with the `audits` table.
const AUDITS_SINCE: i64 = 3;
/// The first schema version with named, sharded scans.
const SHARDS_SINCE: i64 = 4;

/// A scan history in one PostgreSQL database. Each `PostgresStore` owns one connection
/// (and a private runtime to block on); open one per thread or process.
#[derive(Debug)]
pub struct PostgresStore {
    session: Session,
    url: PostgresUrl,
    location: StoreLocation,
    /// The schema version: [`LATEST`], or older in a database opened read-only.
    version: i64,
    /// Opened with [`PostgresStore::open_read_only`]: no writer.
    read_only: bool,
}

const SCAN_COLUMNS_V1: &str = "id, started, finished, status, targets_json, command, vantage";

impl PostgresStore {
    /// Connects to `url` and creates or migrates the schema. A database with tables but no
    /// `smbaudit_schema` marker, another application's marker, or a newer version is
    /// refused ([`StoreError::NotOurs`], [`StoreError::TooNew`]) without being modified; a
    /// server that cannot be reached or refuses the credentials is [`StoreError::Connect`].
    pub fn open(url: &PostgresUrl) -> Result<Self, StoreError> {
        Self::connect(url, false)
    }

    /// Connects to `url` for reading only: nothing is created or migrated, and the session
    /// is read-only. A database without our schema is [`StoreError::Missing`].
    pub fn open_read_only(url: &PostgresUrl) -> Result<Self, StoreError> {
        Self::connect(url, true)
    }

    fn connect(url: &PostgresUrl, read_only: bool) -> Result<Self, StoreError> {
        let location = StoreLocation::Postgres(url.clone());
        let mut session = connect(url)?;
        let Session { rt, client } = &mut session;
        let version = block_on(rt, prepare(client, &location, read_only))?;
        if read_only {
            session
                .block_on(
                    session
                        .client
                        .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"),
                )
                .pg()?;
        }
        Ok(Self {
            session,
            url: url.clone(),
            location,
            version,
            read_only,
        })
    }

    fn client(&self) -> &Client {
        &self.session.client
    }

    fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        self.session.block_on(self.client().query(sql, params)).pg()
    }

    fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        self.session
            .block_on(self.client().query_opt(sql, params))
            .pg()
    }

    /// The `scans` columns [`ScanRow::read`] reads.
    fn scan_columns(&self) -> String {
        let v2 = if self.version >= 2 {
            "options_json, owner_json"
        } else {
            "NULL::text, NULL::text"
        };
        let v4 = if self.version >= SHARDS_SINCE {
            "name, shard_count"
        } else {
            "NULL::text, NULL::bigint"
        };
        format!("{SCAN_COLUMNS_V1}, {v2}, {v4}")
    }

    /// The rows of `sql` (its one parameter the scan) decoded from their last column's
    /// JSON; `what` names a row in the message of a decoding error.
    fn scan_json_rows<T: serde::de::DeserializeOwned, N: FnOnce() -> String>(
        &self,
        sql: &str,
        scan: ScanId,
        what: impl Fn(&Row) -> Result<N, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.ensure_exists(scan)?;
        self.query(sql, &[&scan.0])?
            .iter()
            .map(|r| {
                let json: String = r.try_get(r.len() - 1).pg()?;
                from_json::<T>(&json, what(r)?)
            })
            .collect()
    }

    /// The shards of a sharded scan (`count` of them) as `history` counts them.
    fn shards_done(
        &self,
        scan: ScanId,
        count: Option<i64>,
    ) -> Result<Option<ShardsDone>, StoreError> {
        let Some(count) = count.filter(|&n| n > 0) else {
            return Ok(None);
        };
        let rows = self.session.block_on(shards::rows(self.client(), scan))?;
        Ok(Some(ShardsDone::of(
            u64::try_from(count).unwrap_or(0),
            &rows,
        )))
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.read_only || self.version < LATEST {
            return Err(StoreError::backend(
                super::BACKEND,
                std::io::Error::other("the database was opened read-only"),
            ));
        }
        Ok(())
    }

    fn newest(&self, filter: &str) -> Result<Option<ScanSummary>, StoreError> {
        let sql = format!(
            "SELECT {} FROM scans {filter} ORDER BY id DESC LIMIT 1",
            self.scan_columns()
        );
        let row = self.query_opt(&sql, &[])?;
        row.map(|r| self.summarize(ScanRow::read(&r)?)).transpose()
    }

    fn ensure_exists(&self, scan: ScanId) -> Result<(), StoreError> {
        match self.query_opt("SELECT 1 FROM scans WHERE id = $1", &[&scan.0])? {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound(scan)),
        }
    }

    fn corrupt(&self, why: String) -> StoreError {
        StoreError::Corrupt(self.location.clone(), why)
    }

    fn severities(&self, scan: i64) -> Result<BTreeMap<Severity, u64>, StoreError> {
        let rows = self.query(
            "SELECT severity, count(*) FROM findings WHERE scan_id = $1 GROUP BY severity",
            &[&scan],
        )?;
        let mut by_severity = BTreeMap::new();
        for row in rows {
            let severity: String = row.try_get(0).pg()?;
            let n: i64 = row.try_get(1).pg()?;
            let severity: Severity = severity.parse().map_err(|e: String| self.corrupt(e))?;
            by_severity.insert(severity, u64::try_from(n).unwrap_or(0));
        }
        Ok(by_severity)
    }

    fn summarize(&self, row: ScanRow) -> Result<ScanSummary, StoreError> {
        let id = ScanId(row.id);
        let hosts: i64 = self
            .query("SELECT count(*) FROM hosts WHERE scan_id = $1", &[&row.id])?
            .first()
            .map(|r| r.try_get(0))
            .transpose()
            .pg()?
            .unwrap_or(0);
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
            // A shard count of 0: the scan's workers take chunks from its queue.
            chunks: match row.shard_count {
                Some(0) => Some(self.session.block_on(chunks::progress(self.client(), id))?),
                _ => None,
            },
            name: row.name,
        }
        .with_live_status())
    }
}

impl ScanStore for PostgresStore {
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
        let rows = self.query(
            "INSERT INTO scans (started, status, targets_json, command, vantage,
                                options_json, owner_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &now(),
                &ScanStatus::Running.as_str(),
                &targets,
                &meta.command,
                &meta.vantage,
                &options,
                &owner_json()?,
            ],
        )?;
        let id: i64 = rows
            .first()
            .ok_or_else(|| self.corrupt("INSERT returned no id".into()))?
            .try_get(0)
            .pg()?;
        Ok(ScanId(id))
    }

    fn set_status(&self, scan: ScanId, status: ScanStatus) -> Result<(), StoreError> {
        self.session
            .block_on(set_status(self.client(), scan, status))
    }

    fn finished_hosts(&self, scan: ScanId) -> Result<HashSet<IpAddr>, StoreError> {
        self.ensure_exists(scan)?;
        self.query("SELECT ip FROM hosts WHERE scan_id = $1", &[&scan.0])?
            .iter()
            .map(|r| {
                let ip: String = r.try_get(0).pg()?;
                ip.parse()
                    .map_err(|_| self.corrupt(format!("{ip:?} is not an IP address")))
            })
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
        self.query(&sql, &[])?
            .iter()
            .map(|r| self.summarize(ScanRow::read(r)?))
            .collect()
    }

    fn scan(&self, scan: ScanId) -> Result<ScanSummary, StoreError> {
        let sql = format!("SELECT {} FROM scans WHERE id = $1", self.scan_columns());
        let row = self
            .query_opt(&sql, &[&scan.0])?
            .ok_or(StoreError::NotFound(scan))?;
        self.summarize(ScanRow::read(&row)?)
    }

    fn hosts(&self, scan: ScanId) -> Result<Vec<HostRecord>, StoreError> {
        let sql = "SELECT ip, record_json FROM hosts WHERE scan_id = $1";
        let mut hosts: Vec<HostRecord> = self.scan_json_rows(sql, scan, |r| {
            let ip: String = r.try_get(0).pg()?;
            Ok(move || format!("scan {scan}, host {ip}: record"))
        })?;
        hosts.sort_by_key(|h| h.ip);
        Ok(hosts)
    }

    fn findings(&self, scan: ScanId) -> Result<Vec<Finding>, StoreError> {
        let sql = "SELECT ip, rule_id, finding_json FROM findings WHERE scan_id = $1";
        let mut findings: Vec<Finding> = self.scan_json_rows(sql, scan, |r| {
            let ip: String = r.try_get(0).pg()?;
            let rule: String = r.try_get(1).pg()?;
            Ok(move || format!("scan {scan}, host {ip}: finding {rule}"))
        })?;
        findings.sort_by(|a, b| (a.ip, &a.rule_id).cmp(&(b.ip, &b.rule_id)));
        Ok(findings)
    }

    /// Checks what the schema cannot: every finding's host is stored, every host address
    /// and status parses. (The server keeps its own pages consistent.)
    fn verify(&self) -> Result<(), StoreError> {
        let orphans: i64 = self
            .query(
                "SELECT count(*) FROM findings f
                 WHERE NOT EXISTS (SELECT 1 FROM hosts h WHERE h.scan_id = f.scan_id AND h.ip = f.ip)",
                &[],
            )?
            .first()
            .map(|r| r.try_get(0))
            .transpose()
            .pg()?
            .unwrap_or(0);
        if orphans > 0 {
            return Err(self.corrupt(format!("{orphans} findings without their host")));
        }
        for row in self.query("SELECT DISTINCT ip FROM hosts", &[])? {
            let ip: String = row.try_get(0).pg()?;
            if ip.parse::<IpAddr>().is_err() {
                return Err(self.corrupt(format!("{ip:?} is not an IP address")));
            }
        }
        Ok(())
    }

    fn save_audit(&self, summary: &AuditSummary, report_json: &str) -> Result<AuditId, StoreError> {
        let summary_json = to_json(summary, || "audit summary".into())?;
        let rows = self.query(
            "INSERT INTO audits (started, hostname, summary_json, report_json)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[
                &summary.started,
                &summary.hostname,
                &summary_json,
                &report_json,
            ],
        )?;
        let id: i64 = rows
            .first()
            .ok_or_else(|| self.corrupt("INSERT returned no id".into()))?
            .try_get(0)
            .pg()?;
        Ok(AuditId(id))
    }

    fn audits(&self) -> Result<Vec<AuditSummary>, StoreError> {
        if self.version < AUDITS_SINCE {
            return Ok(Vec::new());
        }
        self.query("SELECT id, summary_json FROM audits ORDER BY id DESC", &[])?
            .iter()
            .map(|r| {
                let id: i64 = r.try_get(0).pg()?;
                let json: String = r.try_get(1).pg()?;
                let mut summary: AuditSummary =
                    from_json(&json, || format!("audit {id}: summary"))?;
                summary.id = AuditId(id);
                Ok(summary)
            })
            .collect()
    }

    fn audit(&self, id: AuditId) -> Result<String, StoreError> {
        if self.version < AUDITS_SINCE {
            return Err(StoreError::AuditNotFound(id));
        }
        self.query_opt("SELECT report_json FROM audits WHERE id = $1", &[&id.0])?
            .ok_or(StoreError::AuditNotFound(id))?
            .try_get(0)
            .pg()
    }

    /// A [`PostgresWriter`] on its own connections (two) to the same database.
    fn writer(&self, scan: ScanId) -> Result<Box<dyn ScanWriter>, StoreError> {
        self.writable()?;
        Ok(Box::new(PostgresWriter::start(&self.url, scan)?))
    }

    fn begin_named_scan(
        &self,
        meta: &ScanMeta,
        name: &str,
        shard_count: u64,
    ) -> Result<(ScanId, bool), StoreError> {
        self.writable()?;
        let owner = owner_json()?;
        self.session.block_on(shards::begin_named(
            self.client(),
            meta,
            name,
            shard_count,
            owner,
        ))
    }

    fn scan_named(&self, name: &str) -> Result<Option<ScanSummary>, StoreError> {
        if self.version < SHARDS_SINCE {
            return Ok(None);
        }
        self.session
            .block_on(shards::id_named(self.client(), name))?
            .map(|id| self.scan(id))
            .transpose()
    }

    fn claim_shard(&self, scan: ScanId, shard: StoredShard) -> Result<ShardRow, StoreError> {
        self.writable()?;
        self.ensure_exists(scan)?;
        // A claim is one transaction of its own, on a connection of its own (the store's
        // client is shared, and `transaction` needs it exclusively).
        let mut session = connect(&self.url)?;
        let Session { rt, client } = &mut session;
        block_on(rt, shards::claim(client, scan, shard))
    }

    fn shards(&self, scan: ScanId) -> Result<Vec<ShardRow>, StoreError> {
        self.ensure_exists(scan)?;
        if self.version < SHARDS_SINCE {
            return Ok(Vec::new());
        }
        self.session.block_on(shards::rows(self.client(), scan))
    }

    fn shard_writer(
        &self,
        scan: ScanId,
        shard: StoredShard,
    ) -> Result<Box<dyn ScanWriter>, StoreError> {
        self.writable()?;
        Ok(Box::new(PostgresWriter::start_shard(
            &self.url, scan, shard,
        )?))
    }

    fn queue_chunks(&self, scan: ScanId, positions: u64, len: u64) -> Result<u64, StoreError> {
        self.writable()?;
        self.session
            .block_on(chunks::queue(self.client(), scan, positions, len))
    }

    fn claim_chunk(&self, scan: ScanId, lease: Duration) -> Result<Option<Chunk>, StoreError> {
        self.writable()?;
        // One transaction on a connection of its own, as `claim_shard`.
        let mut session = connect(&self.url)?;
        let Session { rt, client } = &mut session;
        block_on(rt, chunks::claim(client, scan, lease))
    }

    fn renew_chunk(&self, scan: ScanId, chunk: u64, lease: Duration) -> Result<bool, StoreError> {
        self.session
            .block_on(chunks::renew(self.client(), scan, chunk, lease))
    }

    fn chunk_done(&self, scan: ScanId, chunk: u64) -> Result<(), StoreError> {
        self.session
            .block_on(chunks::done(self.client(), scan, chunk))
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
    fn read(r: &Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.try_get(0).pg()?,
            started: r.try_get(1).pg()?,
            finished: r.try_get(2).pg()?,
            status: r.try_get(3).pg()?,
            targets_json: r.try_get(4).pg()?,
            command: r.try_get(5).pg()?,
            vantage: r.try_get(6).pg()?,
            options_json: r.try_get(7).pg()?,
            owner_json: r.try_get(8).pg()?,
            name: r.try_get(9).pg()?,
            shard_count: r.try_get(10).pg()?,
        })
    }
}

/// Sets a scan's status (see [`ScanStore::set_status`]).
pub(super) async fn set_status(
    client: &Client,
    scan: ScanId,
    status: ScanStatus,
) -> Result<(), StoreError> {
    let finished = (status != ScanStatus::Running).then(now);
    // A scan (re)started is owned by this process from now on.
    let changed = if status == ScanStatus::Running {
        client
            .execute(
                "UPDATE scans SET status = $2, finished = $3, owner_json = $4 WHERE id = $1",
                &[&scan.0, &status.as_str(), &finished, &owner_json()?],
            )
            .await
    } else {
        client
            .execute(
                "UPDATE scans SET status = $2, finished = $3 WHERE id = $1",
                &[&scan.0, &status.as_str(), &finished],
            )
            .await
    }
    .map_err(pg_error)?;
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
