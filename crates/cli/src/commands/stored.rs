//! Opening the scan database and naming scans in it, for `scan`, `history`, `show`, `diff`.

use smbaudit_store::sqlite::SqliteStore;
use smbaudit_store::{ScanId, ScanStore, ScanSummary, StoreError, StoreErrorKind, StoreLocation};
use smbaudit_store_postgres::PostgresStore;

use crate::args::StoreArgs;
use crate::{Fatal, exit};

/// Where the store is: `--db` (a path, or a URL of a backend), else `$SMBAUDIT_DB` (the
/// same; read here, never shown by `--help`, as it may hold a password), else the per-user
/// default. The second value says whether it is the per-user default.
fn location(args: &StoreArgs) -> Result<(StoreLocation, bool), Fatal> {
    let from_env = || std::env::var_os("SMBAUDIT_DB").filter(|v| !v.is_empty());
    match args.db.as_ref().map(|db| db.as_os_str().to_owned()).or_else(from_env) {
        Some(db) => Ok((StoreLocation::parse(&db), false)),
        None => StoreLocation::per_user_default()
            .map(|l| (l, true))
            .ok_or_else(|| {
                Fatal::usage(anyhow::anyhow!(
                    "no per-user data directory (HOME and XDG_DATA_HOME unset): give --db PATH, SMBAUDIT_DB or --no-store"
                ))
            }),
    }
}

/// Where a scan would be stored, for `--dry-run`.
pub(crate) fn describe(args: &StoreArgs) -> String {
    match location(args) {
        Ok((location, _)) => format!("a new scan in {location}"),
        Err(e) => format!("none ({:#})", e.error),
    }
}

/// Opens the store for a scan, creating the database if missing. Only the per-user
/// default's directory is created; a directory the user typed must exist.
pub(crate) fn open(args: &StoreArgs) -> Result<Box<dyn ScanStore>, Fatal> {
    let (location, default) = location(args)?;
    if let (true, Some(dir)) = (default, location.path().and_then(|p| p.parent())) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Fatal::from(anyhow::Error::from(e).context(format!("creating {}", dir.display())))
        })?;
    }
    open_at(&location).map_err(|e| refused_at(e, &location))
}

/// Opens (or creates: a file, or the schema in an empty PostgreSQL database) the store at
/// `location` with the backend it names.
pub(crate) fn open_at(location: &StoreLocation) -> Result<Box<dyn ScanStore>, StoreError> {
    match location {
        StoreLocation::Sqlite(path) => Ok(Box::new(SqliteStore::open(path)?)),
        StoreLocation::Postgres(url) => Ok(Box::new(PostgresStore::open(url)?)),
    }
}

/// Opens the existing store at `location` for reading only: nothing is created or changed
/// ([`StoreError::Missing`] if there is nothing there).
fn open_read_only_at(location: &StoreLocation) -> Result<Box<dyn ScanStore>, StoreError> {
    match location {
        StoreLocation::Sqlite(path) => Ok(Box::new(SqliteStore::open_read_only(path)?)),
        StoreLocation::Postgres(url) => Ok(Box::new(PostgresStore::open_read_only(url)?)),
    }
}

/// Opens the existing store for reading only (`history`, `show`, `diff`): a read-only file
/// or mount works, and nothing is created. `None` when the per-user default does not exist
/// yet (nothing stored); a `--db` that does not exist is an error.
pub(crate) fn open_read_only(args: &StoreArgs) -> Result<Option<Box<dyn ScanStore>>, Fatal> {
    let (location, default) = location(args)?;
    match open_read_only_at(&location) {
        Ok(store) => Ok(Some(store)),
        Err(e) if default && e.kind() == StoreErrorKind::Missing => Ok(None),
        Err(e) => Err(refused_at(e, &location)),
    }
}

/// [`open_read_only`] where a scan must be read: no database is an error.
pub(crate) fn open_existing(args: &StoreArgs) -> Result<Box<dyn ScanStore>, Fatal> {
    match open_read_only(args)? {
        Some(store) => Ok(store),
        None => Err(refused(StoreError::Missing(location(args)?.0))),
    }
}

/// [`refused`], naming the location where the backend's own message does not.
fn refused_at(e: StoreError, location: &StoreLocation) -> Fatal {
    let backend = e.kind() == StoreErrorKind::Backend;
    let mut fatal = refused(e);
    if backend {
        fatal.error = fatal.error.context(location.to_string());
    }
    fatal
}

/// A store that cannot be opened: exit code 1 when the system failed (permissions, I/O),
/// 2 when the location is wrong as given (not ours, corrupt, too new, missing).
fn refused(e: StoreError) -> Fatal {
    let code = match e.kind() {
        StoreErrorKind::Io | StoreErrorKind::Backend => exit::FAILURE,
        _ => exit::USAGE,
    };
    Fatal {
        code,
        error: e.into(),
    }
}

/// A scan named on the command line: its number, its `--scan-name`, or `last` (the newest).
pub(crate) fn resolve(store: &dyn ScanStore, name: &str) -> Result<ScanSummary, Fatal> {
    if name == "last" {
        return store
            .last_scan()
            .map_err(Fatal::from)?
            .ok_or_else(|| Fatal::usage(anyhow::anyhow!("the database holds no scan yet")));
    }
    let id: ScanId = match name.parse() {
        Ok(id) => id,
        // Not a number: a scan's --scan-name.
        Err(e) => {
            return store.scan_named(name).map_err(Fatal::from)?.ok_or_else(|| {
                Fatal::usage(anyhow::anyhow!(
                    "scan {name:?}: no scan has this name ({e}, or a --scan-name)"
                ))
            });
        }
    };
    store.scan(id).map_err(Fatal::usage)
}
