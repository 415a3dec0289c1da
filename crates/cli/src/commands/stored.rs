//! Opening the scan database and naming scans in it, for `scan`, `history`, `show`, `diff`.

use std::path::PathBuf;

use smbaudit_store::{ScanId, Store};

use crate::Fatal;
use crate::args::StoreArgs;

/// The database path: `--db`, else the per-user default.
pub(crate) fn db_path(args: &StoreArgs) -> Result<PathBuf, Fatal> {
    args.db.clone().or_else(Store::default_path).ok_or_else(|| {
        Fatal::usage(anyhow::anyhow!(
            "no per-user data directory (HOME and XDG_DATA_HOME unset): give --db PATH or --no-store"
        ))
    })
}

/// Opens the database; a foreign or corrupt file is refused untouched (exit code 2).
pub(crate) fn open(args: &StoreArgs) -> Result<(Store, PathBuf), Fatal> {
    let path = db_path(args)?;
    let store = Store::open(&path).map_err(Fatal::usage)?;
    Ok((store, path))
}

/// A scan named on the command line: its number, or `last` (the newest).
pub(crate) fn resolve(store: &Store, name: &str) -> Result<ScanId, Fatal> {
    if name == "last" {
        return store
            .scans()
            .map_err(Fatal::from)?
            .first()
            .map(|s| s.id)
            .ok_or_else(|| Fatal::usage(anyhow::anyhow!("the database holds no scan yet")));
    }
    let id: ScanId = name
        .parse()
        .map_err(|e| Fatal::usage(anyhow::anyhow!("scan {name:?}: {e}")))?;
    store.scan(id).map_err(Fatal::usage)?;
    Ok(id)
}
