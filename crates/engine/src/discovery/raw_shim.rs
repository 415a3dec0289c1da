//! Stand-in for the raw SYN sender (`discovery::raw`, written on another branch) with its
//! signatures: it is never available, so [`super::open`] falls back to `connect()`.
//! Replaced by the real module when the branches are merged.

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::Ipv4Addr;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::{DiscoveryConfig, DiscoveryProgress, DiscoveryStats, Found};
use crate::targets::TargetList;

/// Why raw packets cannot be sent.
#[derive(Debug, Clone)]
pub struct RawUnavailable(String);

impl fmt::Display for RawUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A raw sweep ready to run (none can be made here).
#[derive(Debug)]
pub struct RawSweep(Infallible);

/// Always unavailable in this stand-in.
pub fn open(_cfg: &DiscoveryConfig, _first_target: Ipv4Addr) -> Result<RawSweep, RawUnavailable> {
    Err(RawUnavailable("the raw sender is not built in yet".into()))
}

impl RawSweep {
    /// Never called: no value exists.
    pub async fn run(
        self,
        _targets: &TargetList,
        _cfg: &DiscoveryConfig,
        _cancel: &CancellationToken,
        _progress: &DiscoveryProgress,
        _found: UnboundedSender<Found>,
    ) -> io::Result<DiscoveryStats> {
        match self.0 {}
    }
}
