//! Opening the scan database and naming scans in it, for `scan`, `history`, `show`, `diff`.

use smbaudit_store::{ScanId, ScanStore, ScanSummary, StoreLocation};

use crate::Fatal;
use crate::args::StoreArgs;

/// Where the store is: `--db` (a path, or a URL of a backend), else the per-user default.
pub(crate) fn location(args: &StoreArgs) -> Result<StoreLocation, Fatal> {
    match &args.db {
        Some(db) => Ok(StoreLocation::parse(db.as_os_str())),
        None => StoreLocation::per_user_default().ok_or_else(|| {
            Fatal::usage(anyhow::anyhow!(
                "no per-user data directory (HOME and XDG_DATA_HOME unset): give --db PATH or --no-store"
            ))
        }),
    }
}

/// Opens the store; a foreign or corrupt file, or a backend not built in, is refused
/// untouched (exit code 2).
pub(crate) fn open(args: &StoreArgs) -> Result<Box<dyn ScanStore>, Fatal> {
    smbaudit_store::open(&location(args)?).map_err(Fatal::usage)
}

/// A scan named on the command line: its number, or `last` (the newest).
pub(crate) fn resolve(store: &dyn ScanStore, name: &str) -> Result<ScanSummary, Fatal> {
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
