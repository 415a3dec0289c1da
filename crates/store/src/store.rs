//! The store: one SQLite connection for starting scans and reading them back.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rusqlite::{Connection, OptionalExtension, Row, params};
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};

use crate::diff::ScanDiff;
use crate::error::{StoreError, from_json, to_json};
use crate::open::connect;
use crate::scan::{ScanId, ScanMeta, ScanStatus, ScanSummary};

/// The scan history database. Each `Store` owns one connection; open one per thread or
/// process (SQLite's WAL mode lets them read while a [`crate::Writer`] writes).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// The current time as RFC 3339 UTC with milliseconds.
pub(crate) fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// Where the database lives by default, given `$XDG_DATA_HOME` and `$HOME`.
fn default_path_from(xdg_data_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    // The XDG spec says a relative $XDG_DATA_HOME is invalid and must be ignored.
    let data = xdg_data_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local/share"))
        })?;
    Some(data.join("smbaudit").join("smbaudit.db"))
}

const SCAN_COLUMNS: &str = "id, started, finished, status, targets_json, command, vantage";

impl Store {
    /// Opens or creates the database at `path` (parent directories created). The
    /// connection uses WAL, foreign keys and a 10 s busy timeout, and the schema is
    /// migrated via `PRAGMA user_version`. A file that is not SQLite, is damaged, or belongs
    /// to another application is refused ([`StoreError::NotOurs`], [`StoreError::Corrupt`],
    /// [`StoreError::TooNew`]) without being modified. An empty file becomes a new database.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            conn: connect(path)?,
            path: path.to_owned(),
        })
    }

    /// `$XDG_DATA_HOME/smbaudit/smbaudit.db`, else `$HOME/.local/share/smbaudit/smbaudit.db`;
    /// `None` when neither variable holds an absolute path.
    pub fn default_path() -> Option<PathBuf> {
        default_path_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a new scan, status running, started now.
    pub fn begin_scan(&self, meta: &ScanMeta) -> Result<ScanId, StoreError> {
        let targets = to_json(&meta.targets, || "scan targets".into())?;
        self.conn.execute(
            "INSERT INTO scans (started, status, targets_json, command, vantage)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                now(),
                ScanStatus::Running.as_str(),
                targets,
                meta.command,
                meta.vantage
            ],
        )?;
        Ok(ScanId(self.conn.last_insert_rowid()))
    }

    /// Sets a scan's status. Finished and interrupted stamp `finished` with the current
    /// time; running (a resume) clears it.
    pub fn set_status(&self, scan: ScanId, status: ScanStatus) -> Result<(), StoreError> {
        set_status(&self.conn, scan, status)
    }

    /// The addresses of the hosts stored for a scan (what `--resume` skips).
    pub fn finished_hosts(&self, scan: ScanId) -> Result<HashSet<IpAddr>, StoreError> {
        self.ensure_exists(scan)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ip FROM hosts WHERE scan_id = ?1")?;
        stmt.query_map([scan.0], |r| r.get::<_, String>(0))?
            .map(|ip| self.parse_ip(&ip?))
            .collect()
    }

    /// The newest scan that did not finish (running or interrupted), if any.
    pub fn last_unfinished(&self) -> Result<Option<ScanSummary>, StoreError> {
        self.newest("WHERE status IN ('running', 'interrupted')")
    }

    /// The newest scan, if any.
    pub fn last_scan(&self) -> Result<Option<ScanSummary>, StoreError> {
        self.newest("")
    }

    /// The newest scan matching `filter` (a WHERE clause or nothing).
    fn newest(&self, filter: &str) -> Result<Option<ScanSummary>, StoreError> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM scans {filter} ORDER BY id DESC LIMIT 1");
        let row = self.conn.query_row(&sql, [], ScanRow::read).optional()?;
        row.map(|r| self.summarize(r)).transpose()
    }

    /// Every scan, newest first.
    pub fn scans(&self) -> Result<Vec<ScanSummary>, StoreError> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM scans ORDER BY id DESC");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], ScanRow::read)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|r| self.summarize(r)).collect()
    }

    /// One scan's summary; [`StoreError::NotFound`] if there is none with this id.
    pub fn scan(&self, scan: ScanId) -> Result<ScanSummary, StoreError> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM scans WHERE id = ?1");
        let row = self
            .conn
            .query_row(&sql, [scan.0], ScanRow::read)
            .optional()?
            .ok_or(StoreError::NotFound(scan))?;
        self.summarize(row)
    }

    /// A scan's host records exactly as they were written, sorted by address.
    pub fn hosts(&self, scan: ScanId) -> Result<Vec<HostRecord>, StoreError> {
        self.ensure_exists(scan)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ip, record_json FROM hosts WHERE scan_id = ?1")?;
        let mut hosts = stmt
            .query_map([scan.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .map(|row| {
                let (ip, json) = row?;
                from_json::<HostRecord>(&json, || format!("scan {scan}, host {ip}: record"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        hosts.sort_by_key(|h| h.ip);
        Ok(hosts)
    }

    /// A scan's findings, sorted by address, then rule id.
    pub fn findings(&self, scan: ScanId) -> Result<Vec<Finding>, StoreError> {
        self.ensure_exists(scan)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ip, rule_id, finding_json FROM findings WHERE scan_id = ?1")?;
        let mut findings = stmt
            .query_map([scan.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .map(|row| {
                let (ip, rule, json) = row?;
                from_json::<Finding>(&json, || format!("scan {scan}, host {ip}: finding {rule}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        findings.sort_by(|a, b| (a.ip, &a.rule_id).cmp(&(b.ip, &b.rule_id)));
        Ok(findings)
    }

    /// What changed from scan `a` to scan `b`.
    pub fn diff(&self, a: ScanId, b: ScanId) -> Result<ScanDiff, StoreError> {
        let (hosts_a, findings_a) = (self.hosts(a)?, self.findings(a)?);
        let (hosts_b, findings_b) = (self.hosts(b)?, self.findings(b)?);
        Ok(ScanDiff::between(
            (a, &hosts_a, &findings_a),
            (b, &hosts_b, &findings_b),
        ))
    }

    /// Reads every page of the database (`PRAGMA quick_check`): a slow, thorough check
    /// for damage that opening does not look for.
    pub fn verify(&self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check")?;
        let problems = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if problems == ["ok"] {
            Ok(())
        } else {
            Err(StoreError::Corrupt(self.path.clone(), problems.join("; ")))
        }
    }

    fn ensure_exists(&self, scan: ScanId) -> Result<(), StoreError> {
        ensure_exists(&self.conn, scan)
    }

    fn parse_ip(&self, ip: &str) -> Result<IpAddr, StoreError> {
        ip.parse().map_err(|_| {
            StoreError::Corrupt(self.path.clone(), format!("{ip:?} is not an IP address"))
        })
    }

    fn summarize(&self, row: ScanRow) -> Result<ScanSummary, StoreError> {
        let id = ScanId(row.id);
        let hosts: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM hosts WHERE scan_id = ?1")?
            .query_row([row.id], |r| r.get(0))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT severity, count(*) FROM findings WHERE scan_id = ?1 GROUP BY severity",
        )?;
        let mut findings_by_severity = BTreeMap::new();
        for pair in stmt.query_map([row.id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (severity, n) = pair?;
            let severity: Severity = severity
                .parse()
                .map_err(|e: String| StoreError::Corrupt(self.path.clone(), e))?;
            findings_by_severity.insert(severity, u64::try_from(n).unwrap_or(0));
        }
        Ok(ScanSummary {
            id,
            started: row.started,
            finished: row.finished,
            status: row
                .status
                .parse()
                .map_err(|e: String| StoreError::Corrupt(self.path.clone(), e))?,
            targets: from_json(&row.targets_json, || format!("scan {id}: targets"))?,
            command: row.command,
            vantage: row.vantage,
            hosts: u64::try_from(hosts).unwrap_or(0),
            findings_by_severity,
        })
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
        })
    }
}

/// [`StoreError::NotFound`] unless the scan exists.
pub(crate) fn ensure_exists(conn: &Connection, scan: ScanId) -> Result<(), StoreError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM scans WHERE id = ?1")?
        .exists([scan.0])?;
    if found {
        Ok(())
    } else {
        Err(StoreError::NotFound(scan))
    }
}

/// Sets a scan's status (see [`Store::set_status`]).
pub(crate) fn set_status(
    conn: &Connection,
    scan: ScanId,
    status: ScanStatus,
) -> Result<(), StoreError> {
    let finished = (status != ScanStatus::Running).then(now);
    let changed = conn.execute(
        "UPDATE scans SET status = ?2, finished = ?3 WHERE id = ?1",
        params![scan.0, status.as_str(), finished],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound(scan));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_prefers_xdg_then_home() {
        let p = |x: Option<&str>, h: Option<&str>| {
            default_path_from(x.map(OsString::from), h.map(OsString::from))
        };
        assert_eq!(
            p(Some("/data"), Some("/home/u")),
            Some(PathBuf::from("/data/smbaudit/smbaudit.db"))
        );
        assert_eq!(
            p(None, Some("/home/u")),
            Some(PathBuf::from("/home/u/.local/share/smbaudit/smbaudit.db"))
        );
        // A relative XDG_DATA_HOME is ignored, as the XDG spec says.
        assert_eq!(
            p(Some("rel"), Some("/home/u")),
            Some(PathBuf::from("/home/u/.local/share/smbaudit/smbaudit.db"))
        );
        assert_eq!(p(None, None), None);
        assert_eq!(p(Some(""), Some("")), None);
    }

    #[test]
    fn now_is_rfc3339_utc() {
        let t = now();
        assert!(humantime::parse_rfc3339(&t).is_ok(), "{t}");
        assert!(t.ends_with('Z'), "{t}");
    }
}
