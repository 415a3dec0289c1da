//! The database schema and its migrations, versioned by `PRAGMA user_version`.
//!
//! Migration `i` (0-based) takes the schema from version `i` to `i + 1`. Never edit a
//! released migration; append a new one.

/// `PRAGMA application_id` of every smbaudit database: ASCII "SMBA".
pub(crate) const APPLICATION_ID: i32 = 0x534D_4241;

/// The migrations, oldest first.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The schema version this build writes.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// The tables a database of version 1 or later has.
pub(crate) const TABLES: &[&str] = &["scans", "hosts", "findings"];

/// Version 1: scans, their hosts (the record's JSON verbatim) and findings.
const V1: &str = "
CREATE TABLE scans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started      TEXT NOT NULL,
    finished     TEXT,
    status       TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
    targets_json TEXT NOT NULL,
    command      TEXT NOT NULL,
    vantage      TEXT NOT NULL
);
CREATE INDEX scans_by_status ON scans (status, id);

-- One row per scanned host; a host written again for the same scan replaces its row.
CREATE TABLE hosts (
    scan_id     INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    ip          TEXT NOT NULL,
    record_json TEXT NOT NULL,
    written     TEXT NOT NULL,
    PRIMARY KEY (scan_id, ip)
) WITHOUT ROWID;

-- A rule concludes at most once per host, hence the UNIQUE key.
CREATE TABLE findings (
    scan_id      INTEGER NOT NULL,
    ip           TEXT NOT NULL,
    rule_id      TEXT NOT NULL,
    severity     TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    finding_json TEXT NOT NULL,
    UNIQUE (scan_id, ip, rule_id),
    FOREIGN KEY (scan_id, ip) REFERENCES hosts (scan_id, ip) ON DELETE CASCADE
);
CREATE INDEX findings_by_severity ON findings (scan_id, severity);
";

/// Version 2: each scan's effective options (what `--resume` reuses) and the process that
/// runs it (so that a killed scan is not shown as running).
const V2: &str = "
ALTER TABLE scans ADD COLUMN options_json TEXT;
ALTER TABLE scans ADD COLUMN owner_json TEXT;
";

/// Version 3: audits of a machine (`smbaudit audit --db`), the report's JSON verbatim.
const V3: &str = "
CREATE TABLE audits (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    started        TEXT NOT NULL,
    hostname       TEXT NOT NULL,
    summary_json   TEXT NOT NULL,
    report_json    TEXT NOT NULL
);
";

/// Version 4: one scan written by many workers. A scan may have a name (unique) and a
/// shard count; each worker's shard is a row of `scan_shards`, claimed once (the primary
/// key), kept current by its writer (hosts, the position below which every target is
/// done, a heartbeat in milliseconds since 1970 by the database's clock). `scan_chunks`
/// is the work queue of the PostgreSQL backend (`--queue`); SQLite keeps the table so that
/// both schemas stay version for version, but never fills it.
const V4: &str = "
ALTER TABLE scans ADD COLUMN name TEXT;
ALTER TABLE scans ADD COLUMN shard_count INTEGER;
CREATE UNIQUE INDEX scans_by_name ON scans (name) WHERE name IS NOT NULL;

CREATE TABLE scan_shards (
    scan_id      INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    shard_index  INTEGER NOT NULL CHECK (shard_index >= 1),
    shard_count  INTEGER NOT NULL CHECK (shard_index <= shard_count),
    state        TEXT NOT NULL CHECK (state IN ('started', 'finished', 'failed')),
    hosts        INTEGER NOT NULL DEFAULT 0,
    last_index   INTEGER NOT NULL DEFAULT 0,
    worker_json  TEXT,
    started      TEXT NOT NULL,
    heartbeat_ms INTEGER NOT NULL,
    PRIMARY KEY (scan_id, shard_index)
);

CREATE TABLE scan_chunks (
    scan_id     INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    chunk       INTEGER NOT NULL,
    first       INTEGER NOT NULL,
    len         INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('todo', 'leased', 'done')),
    worker_json TEXT,
    expires_ms  INTEGER,
    PRIMARY KEY (scan_id, chunk)
);
";

/// Version 5: no `findings_by_severity` index (as the PostgreSQL schema's version 5, where
/// it slowed every finding written). Its one reader, the count of a scan's findings by
/// severity, is served by the unique key's `scan_id` prefix as well.
const V5: &str = "
DROP INDEX IF EXISTS findings_by_severity;
";
