//! Opening a database file safely: the file is judged by its header before SQLite touches
//! it, then the schema is checked, created or migrated.
//!
//! A file that is not ours is never opened with SQLite at all, so neither it nor its
//! directory changes (no `-wal`/`-shm` side files, no journal recovery). The header layout
//! is SQLite's "Database File Format", section 1.3: <https://www.sqlite.org/fileformat.html>.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::{self, File};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use super::schema::{APPLICATION_ID, LATEST, MIGRATIONS, TABLES};
use super::{Sql, location, sqlite_error};
use crate::error::StoreError;

/// How long a connection waits for another writer before giving up (two scans may
/// write to one database at once).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// "SQLite format 3\0", the first 16 bytes of every SQLite 3 database.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// The database header is the first 100 bytes of the file.
const HEADER_LEN: usize = 100;

/// Descriptors the header check reads through, kept open for the life of the process.
///
/// Closing any descriptor of a file drops every POSIX lock this process holds on it (fcntl
/// semantics), including SQLite's. A second connection in this process (the scan's writer, a
/// reader) whose header check closed its plain `File` would silently release the first
/// connection's locks, and another process could then checkpoint and delete the WAL from
/// under a live writer. So the check reads through one descriptor per file (device, inode)
/// that is never closed.
fn header_readers() -> &'static Mutex<HashMap<(u64, u64), File>> {
    static READERS: OnceLock<Mutex<HashMap<(u64, u64), File>>> = OnceLock::new();
    READERS.get_or_init(Mutex::default)
}

/// Opens (or creates) the database at `path`: checks it is ours, brings the schema up to
/// date and sets the connection up (WAL, foreign keys, busy timeout).
pub(crate) fn connect(path: &Path) -> Result<Connection, StoreError> {
    connect_or_create(path, true)
}

/// [`connect`]; `build_missing`: a missing file is built whole first (once: a path that is
/// still missing after the link, such as a dangling symlink, is created in place by SQLite).
fn connect_or_create(path: &Path, build_missing: bool) -> Result<Connection, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(StoreError::NotOurs(location(path), "a directory".into()));
        }
        Ok(m) if m.len() > 0 => check_header(path, &read_header(path, &m)?, m.len())?,
        // An empty file is an empty database to SQLite: it is (or becomes) ours below.
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // A directory the user typed is never created behind their back (the caller
            // creates the per-user default's).
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if !dir.is_dir() {
                    return Err(StoreError::NoDirectory(location(path), dir.to_owned()));
                }
            }
            if build_missing && create_whole(path)? {
                // Ours, or a racing opener's: judged like any existing file.
                return connect_or_create(path, false);
            }
        }
        Err(e) => return Err(io(e)),
    }
    let conn = open_ready(path)?;
    // In WAL mode NORMAL loses no committed transaction when the process dies, only on
    // power loss, and saves an fsync per batch.
    conn.pragma_update(None, "synchronous", "NORMAL").sql()?;
    Ok(conn)
}

/// Opens the existing database at `path` for reading only: nothing in the file or its
/// directory is created or changed, so a database on a read-only mount or of another user
/// can be read. Returns the connection and the schema version (an older one is read as it
/// is, not migrated).
pub(crate) fn connect_read_only(path: &Path) -> Result<(Connection, i64), StoreError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(StoreError::Missing(location(path)));
        }
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    if meta.is_dir() {
        return Err(StoreError::NotOurs(location(path), "a directory".into()));
    }
    if meta.len() == 0 {
        return Err(StoreError::Missing(location(path)));
    }
    check_header(path, &read_header(path, &meta)?, meta.len())?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    let (conn, id) = match read_identity(conn) {
        Ok(read) => read,
        // A WAL reader needs the `-shm` index beside the file; where it cannot make one (a
        // read-only directory or mount, another user's directory), the file is read as an
        // immutable snapshot: what the last writer checkpointed into it.
        Err(e) if cannot_make_side_files(&e) => {
            let uri = immutable_uri(path);
            let conn = Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
                .map_err(|e| classify(path, e))?;
            read_identity(conn).map_err(|e| classify(path, e))?
        }
        Err(e) => return Err(classify(path, e)),
    };
    plan(path, &id)?;
    Ok((conn, id.version))
}

fn read_identity(mut conn: Connection) -> rusqlite::Result<(Connection, Identity)> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let id = {
        let snapshot = conn.transaction()?;
        identity(&snapshot)?
    };
    Ok((conn, id))
}

fn cannot_make_side_files(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)
    )
}

/// `file:PATH?immutable=1`, the path percent-encoded where URI syntax needs it.
fn immutable_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        match b {
            b'%' | b'?' | b'#' => uri.push_str(&format!("%{b:02X}")),
            b if b.is_ascii_graphic() && b != b'%' || b == b' ' => uri.push(char::from(b)),
            b => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Creates the missing database at `path` whole: it is built under a private name beside
/// it and hard-linked into place, so no other opener ever sees it half made (a database
/// with tables but no application_id yet would be refused as not ours). Losing the race to
/// another opener is fine. Returns `false`, having changed nothing, where the file system
/// has no hard links; the database is then created in place.
fn create_whole(path: &Path) -> Result<bool, StoreError> {
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    let Some(name) = path.file_name() else {
        return Ok(false);
    };
    let tmp = path.with_file_name(format!(
        ".{}.creating-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        SERIAL.fetch_add(1, Ordering::Relaxed)
    ));
    // Linked, or beaten by another opener's link: either way the file is now whole.
    let built = build(&tmp).map(|()| match fs::hard_link(&tmp, path) {
        Ok(()) => true,
        Err(e) => e.kind() == ErrorKind::AlreadyExists,
    });
    for side in ["", "-wal", "-shm", "-journal"] {
        let mut file = tmp.clone().into_os_string();
        file.push(side);
        let _ = fs::remove_file(file);
    }
    built
}

/// A new database at `fresh` (a private name nobody else opens), closed when done: the
/// schema, the application id and WAL journaling are all in the file.
fn build(fresh: &Path) -> Result<(), StoreError> {
    let conn = open_ready(fresh)?;
    // Closing the last connection checkpoints the WAL into the file and deletes it.
    conn.close().map_err(|(_, e)| sqlite_error(e))
}

/// Opens `path` with SQLite (creating it if missing), brings the schema up to date and
/// switches to WAL journaling.
fn open_ready(path: &Path) -> Result<Connection, StoreError> {
    // No SQLITE_OPEN_URI: a path is a path, even one starting with "file:".
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT).sql()?;
    conn.pragma_update(None, "foreign_keys", true).sql()?;
    prepare_schema(path, &mut conn)?;
    use_wal(path, &conn)?;
    Ok(conn)
}

fn use_wal(path: &Path, conn: &Connection) -> Result<(), StoreError> {
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
        .sql()?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt(
            location(path),
            format!("cannot switch to WAL journaling (got {mode:?})"),
        ));
    }
    Ok(())
}

/// The first bytes of the file (up to the header's length); `meta` is the file's metadata.
fn read_header(path: &Path, meta: &fs::Metadata) -> Result<Vec<u8>, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let key = (meta.dev(), meta.ino());
    let mut readers = header_readers()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let file = match readers.entry(key) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => e.insert(File::open(path).map_err(io)?),
    };
    let mut head = vec![0u8; HEADER_LEN];
    let mut filled = 0;
    while filled < HEADER_LEN {
        match file
            .read_at(&mut head[filled..], filled as u64)
            .map_err(io)?
        {
            0 => break,
            n => filled += n,
        }
    }
    head.truncate(filled);
    Ok(head)
}

fn be_u16(h: &[u8], at: usize) -> u16 {
    h.get(at..at + 2)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
}

fn be_u32(h: &[u8], at: usize) -> u32 {
    h.get(at..at + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Judges a non-empty file by its first bytes (`head`, at most 100) and its length.
pub(crate) fn check_header(path: &Path, head: &[u8], file_len: u64) -> Result<(), StoreError> {
    let not_ours = |why: String| Err(StoreError::NotOurs(location(path), why));
    let corrupt = |why: String| Err(StoreError::Corrupt(location(path), why));
    if !head.starts_with(MAGIC) {
        if head.len() >= 6 && MAGIC.starts_with(head) {
            return corrupt(format!("truncated SQLite header: {file_len} bytes"));
        }
        let kind = if std::str::from_utf8(head).is_ok() {
            "a text file"
        } else {
            "unknown binary data"
        };
        return not_ours(format!("not an SQLite file: {kind}"));
    }
    if head.len() < HEADER_LEN {
        return corrupt(format!(
            "truncated SQLite header: {file_len} of {HEADER_LEN} bytes"
        ));
    }
    // Offset 68: the application id (PRAGMA application_id); offset 60: user_version, our
    // schema version. Both are signed 32-bit in SQLite's API.
    owned_and_not_too_new(
        path,
        be_u32(head, 68) as i32,
        i64::from(be_u32(head, 60) as i32),
        None,
    )?;
    // Offset 16: page size, a power of two from 512 to 32768, or 1 meaning 65536.
    let page_size = match be_u16(head, 16) {
        1 => 65536,
        n if n >= 512 && n.is_power_of_two() => u64::from(n),
        n => return corrupt(format!("invalid page size {n} in the header")),
    };
    if file_len % page_size != 0 {
        return corrupt(format!(
            "{file_len} bytes is not a whole number of {page_size}-byte pages (truncated?)"
        ));
    }
    // Offset 28: the size in pages, valid when the change counter (24) equals the
    // version-valid-for number (92).
    let pages = u64::from(be_u32(head, 28));
    if pages > 0 && be_u32(head, 24) == be_u32(head, 92) {
        let expected = pages * page_size;
        if file_len < expected {
            return corrupt(format!(
                "truncated: the header says {expected} bytes, the file has {file_len}"
            ));
        }
    }
    Ok(())
}

/// Refuses a database without smbaudit's application id (naming its `tables` when known) or
/// with a schema newer than this build's: the one verdict the header check and the schema
/// check share.
fn owned_and_not_too_new(
    path: &Path,
    application_id: i32,
    version: i64,
    tables: Option<&[String]>,
) -> Result<(), StoreError> {
    if application_id != APPLICATION_ID {
        let why = match (application_id, tables) {
            (0, Some(tables)) => format!(
                "an SQLite database without smbaudit's application_id, with tables {tables:?}"
            ),
            (0, None) => "an SQLite database without smbaudit's application_id".to_owned(),
            (id, _) => {
                format!("an SQLite database of another application (application_id {id:#010x})")
            }
        };
        return Err(StoreError::NotOurs(location(path), why));
    }
    if version > LATEST {
        return Err(StoreError::TooNew {
            location: location(path),
            found: version,
            supported: LATEST,
        });
    }
    Ok(())
}

/// Maps SQLite's "not a database" and "malformed" errors to [`StoreError::Corrupt`]: by
/// then the header has shown the file is ours (or it was empty).
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt(location(path), format!("SQLite says: {e}"))
        }
        _ => sqlite_error(e),
    }
}

/// What the database says about itself.
struct Identity {
    application_id: i32,
    version: i64,
    tables: Vec<String>,
    objects: i64,
}

fn identity(conn: &Connection) -> rusqlite::Result<Identity> {
    let application_id = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let objects = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let mut stmt = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")?;
    let tables = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Identity {
        application_id,
        version,
        tables,
        objects,
    })
}

enum Plan {
    Ready,
    Create,
    Migrate,
}

/// Decides what to do with a database, refusing anything that is not ours.
fn plan(path: &Path, id: &Identity) -> Result<Plan, StoreError> {
    let fresh = id.application_id == 0 && id.version == 0 && id.objects == 0;
    if fresh {
        return Ok(Plan::Create);
    }
    owned_and_not_too_new(path, id.application_id, id.version, Some(&id.tables))?;
    if id.version < 1 {
        return Err(StoreError::Corrupt(
            location(path),
            "smbaudit's application_id but no schema version".into(),
        ));
    }
    if let Some(missing) = TABLES.iter().find(|t| !id.tables.iter().any(|n| n == *t)) {
        return Err(StoreError::Corrupt(
            location(path),
            format!("table {missing:?} is missing"),
        ));
    }
    Ok(if id.version < LATEST {
        Plan::Migrate
    } else {
        Plan::Ready
    })
}

/// Checks the schema with reads only; creates or migrates it in one write transaction,
/// deciding again inside it (another process may have done it meanwhile).
fn prepare_schema(path: &Path, conn: &mut Connection) -> Result<(), StoreError> {
    // One read transaction, so the id, the version and the tables come from one snapshot.
    let first = {
        let snapshot = conn.transaction().sql()?;
        identity(&snapshot).map_err(|e| classify(path, e))?
    };
    if let Plan::Ready = plan(path, &first)? {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .sql()?;
    let id = identity(&tx).map_err(|e| classify(path, e))?;
    let from = match plan(path, &id)? {
        Plan::Ready => return Ok(()),
        Plan::Create => {
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .sql()?;
            0
        }
        Plan::Migrate => id.version,
    };
    for (version, sql) in (1..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(from).unwrap_or(0))
    {
        tx.execute_batch(sql).sql()?;
        tx.pragma_update(None, "user_version", version).sql()?;
    }
    tx.commit().sql()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(app: u32, version: u32, page_size: u16, pages: u32) -> Vec<u8> {
        let mut h = vec![0u8; HEADER_LEN];
        h[..16].copy_from_slice(MAGIC);
        h[16..18].copy_from_slice(&page_size.to_be_bytes());
        h[24..28].copy_from_slice(&7u32.to_be_bytes());
        h[28..32].copy_from_slice(&pages.to_be_bytes());
        h[60..64].copy_from_slice(&version.to_be_bytes());
        h[68..72].copy_from_slice(&app.to_be_bytes());
        h[92..96].copy_from_slice(&7u32.to_be_bytes());
        h
    }

    fn verdict(head: &[u8], len: u64) -> String {
        match check_header(Path::new("x.db"), head, len) {
            Ok(()) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn accepts_our_header() {
        let ours = APPLICATION_ID as u32;
        assert_eq!(verdict(&header(ours, 1, 4096, 3), 3 * 4096), "ok");
        assert_eq!(verdict(&header(ours, 1, 1, 2), 2 * 65536), "ok");
    }

    #[test]
    fn rejects_foreign_and_damaged_headers() {
        let ours = APPLICATION_ID as u32;
        let cases: [(Vec<u8>, u64, &str); 9] = [
            (
                b"hello world\n".to_vec(),
                12,
                "not an SQLite file: a text file",
            ),
            (vec![0xff, 0xfe, 0x00, 0x80], 4, "unknown binary data"),
            (MAGIC[..9].to_vec(), 9, "truncated SQLite header"),
            (MAGIC.to_vec(), 16, "truncated SQLite header: 16 of 100"),
            (
                header(0, 0, 4096, 1),
                4096,
                "without smbaudit's application_id",
            ),
            (
                header(0x0f05_5111, 0, 4096, 1),
                4096,
                "application_id 0x0f055111",
            ),
            (header(ours, 9, 4096, 1), 4096, "schema version 9 is newer"),
            (
                header(ours, 1, 4096, 4),
                2 * 4096,
                "header says 16384 bytes",
            ),
            (header(ours, 1, 4096, 1), 5000, "not a whole number"),
        ];
        for (head, len, want) in cases {
            let got = verdict(&head, len);
            assert!(got.contains(want), "{got:?} lacks {want:?}");
        }
        assert!(verdict(&header(ours, 1, 1000, 1), 1000).contains("invalid page size 1000"));
    }
}
