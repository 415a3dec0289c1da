//! smbaudit's PostgreSQL store backend: one database (its current schema) per history,
//! shared by any number of scanning processes, behind `smbaudit_store`'s `ScanStore` and
//! `ScanWriter` (built on `smbaudit_store::backend`, as the SQLite backend is).
#![forbid(unsafe_code)]
//!
//! - `connect.rs`: the URL completed as libpq would (user, `PGPASSWORD` or `~/.pgpass`,
//!   default socket), TLS per `sslmode`, a bounded connection attempt.
//! - `pgpass.rs`: the password file's lookup rules.
//! - `schema.rs`: the tables and migrations, versioned in `smbaudit_schema`; a database
//!   that is not ours or too new is refused untouched.
//! - `chunks.rs`: the work queue of `--queue` (`scan_chunks`, SKIP LOCKED claims, leases).
//! - `shards.rs`: named scans and their workers' shards (`scan_shards`).
//! - `store.rs`, [`PostgresStore`]: one connection; starts scans and reads them back.
//! - `writer.rs`, [`PostgresWriter`]: one thread and up to two connections per scan;
//!   batches go in by binary COPY (through a staging table and an upsert when a host was
//!   stored before).
//!
//! The traits are synchronous: each value owns a private current-thread tokio runtime and
//! blocks on it. tokio-postgres' errors stay in this crate: they leave it as
//! [`StoreError::Backend`] or [`StoreError::Connect`].

mod chunks;
mod connect;
mod pgpass;
mod schema;
mod shards;
mod store;
mod writer;

pub use connect::CONNECT_TIMEOUT;
pub use store::PostgresStore;
pub use writer::{BATCH_DELAY, BATCH_HOSTS, PostgresWriter, RECONNECT_DELAYS};

use smbaudit_store::StoreError;

/// The backend's name in error messages ("PostgreSQL: ...").
const BACKEND: &str = "PostgreSQL";

/// Turns tokio-postgres' result into the store's (`.pg()?`).
trait Pg<T> {
    fn pg(self) -> Result<T, StoreError>;
}

impl<T> Pg<T> for Result<T, tokio_postgres::Error> {
    fn pg(self) -> Result<T, StoreError> {
        self.map_err(pg_error)
    }
}

/// tokio-postgres' error as a [`StoreError::Backend`].
fn pg_error(e: tokio_postgres::Error) -> StoreError {
    StoreError::backend(BACKEND, e)
}
