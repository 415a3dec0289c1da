//! The SQLite backend: one database file per history, in WAL mode.
//!
//! - `open.rs`: judges a file by its header before SQLite touches it (a file
//!   that is not ours is refused unmodified), builds a missing database whole, migrates.
//! - `schema.rs`: the tables and migrations (`PRAGMA user_version`).
//! - `store.rs`, [`SqliteStore`]: one connection; starts scans and reads them back.
//! - `writer.rs`, [`SqliteWriter`]: one thread and connection per scan, committing in batches.
//! - `audits.rs`: the stored audits of a machine.
//! - `shards.rs`: named scans and their workers' shards (`scan_shards`).
//!
//! rusqlite's errors stay in this module: they leave it as [`StoreError::Backend`] (or
//! are classified as [`StoreError::Corrupt`]), never as a rusqlite type.

mod audits;
mod open;
mod schema;
mod shards;
mod store;
mod writer;

use std::path::Path;

pub use store::SqliteStore;
pub use writer::{BATCH_DELAY, BATCH_HOSTS, SqliteWriter};

use crate::error::StoreError;
use crate::location::StoreLocation;

/// The backend's name in error messages ("SQLite: ...").
const BACKEND: &str = "SQLite";

/// Turns rusqlite's result into the store's: `.sql()?` where `?` alone would need a
/// `From<rusqlite::Error>` impl, which would put rusqlite into the public API.
trait Sql<T> {
    fn sql(self) -> Result<T, StoreError>;
}

impl<T> Sql<T> for rusqlite::Result<T> {
    fn sql(self) -> Result<T, StoreError> {
        self.map_err(sqlite_error)
    }
}

/// rusqlite's error as a [`StoreError::Backend`].
fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::backend(BACKEND, e)
}

/// The location of the database at `path`, for error messages.
fn location(path: &Path) -> StoreLocation {
    StoreLocation::Sqlite(path.to_owned())
}
