//! Opening the scan database and naming scans in it, for `scan`, `history`, `show`, `diff`.

use std::path::PathBuf;

use smbaudit_store::{ScanId, ScanSummary, Store};

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
pub(crate) fn open(args: &StoreArgs) -> Result<Store, Fatal> {
    Store::open(&db_path(args)?).map_err(Fatal::usage)
}

/// A scan named on the command line: its number, or `last` (the newest).
pub(crate) fn resolve(store: &Store, name: &str) -> Result<ScanSummary, Fatal> {
    if name == "last" {
        return store
            .last_scan()
            .map_err(Fatal::from)?
            .ok_or_else(|| Fatal::usage(anyhow::anyhow!("the database holds no scan yet")));
    }
    let id: ScanId = name
        .parse()
        .map_err(|e| Fatal::usage(anyhow::anyhow!("scan {name:?}: {e}")))?;
    store.scan(id).map_err(Fatal::usage)
}
