//! smbaudit's scan store: every scan, its hosts and findings in one SQLite database, so
//! that a killed scan keeps what it finished, a scan can be resumed, and scans can be
//! listed, shown again and compared.
//!
//! - [`Store`] opens (or creates) the database, refusing files that are not ours without
//!   touching them, starts scans and reads them back.
//! - [`Writer`] writes one scan's results from its own thread in batched transactions.
//! - [`ScanDiff`] is what changed between two scans.
#![forbid(unsafe_code)]

mod diff;
mod error;
mod open;
mod scan;
mod schema;
mod store;
mod writer;

pub use diff::ScanDiff;
pub use error::StoreError;
pub use scan::{ParseScanIdError, ScanId, ScanMeta, ScanStatus, ScanSummary};
pub use store::Store;
pub use writer::{BATCH_DELAY, BATCH_HOSTS, Writer, WriterStats};
