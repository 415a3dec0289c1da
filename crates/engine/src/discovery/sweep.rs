//! Which sender runs the stage: raw SYNs when permitted, else the `connect()` sweep.

use std::io;
use std::net::{IpAddr, Ipv4Addr};

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::connect::ConnectSweep;
use super::raw;
use super::{DiscoveryConfig, DiscoveryProgress, DiscoveryStats, Found, MethodChoice};
use crate::targets::TargetList;

/// A discovery sender, opened and ready to run.
#[derive(Debug)]
pub enum Sweep {
    /// Raw SYNs with cookies.
    Raw(raw::RawSweep),
    /// `connect()`, many at once.
    Connect(ConnectSweep),
}

/// Why the stage cannot run as asked.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// `--discovery raw` was asked for and raw packets cannot be sent.
    #[error("raw discovery is not possible: {0}")]
    RawUnavailable(String),
    /// The sweep failed (the targets could not be walked, a socket error).
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Opens the sender `cfg.method` asks for. `first_target` (the first IPv4 target in
/// order) picks the raw sender's route and interface; without one there is nothing to send
/// raw and the `connect()` sweep (which then sends nothing) is returned.
pub fn open(
    cfg: &DiscoveryConfig,
    first_target: Option<Ipv4Addr>,
) -> Result<Sweep, DiscoveryError> {
    if cfg.method == MethodChoice::Connect {
        return Ok(Sweep::Connect(ConnectSweep::new("--discovery connect")));
    }
    let Some(first) = first_target else {
        return Ok(Sweep::Connect(ConnectSweep::new("no IPv4 target")));
    };
    match raw::open(cfg, first) {
        Ok(raw) => Ok(Sweep::Raw(raw)),
        // A bad setting, or raw asked for: connect() would not be what was asked.
        Err(why) if cfg.method == MethodChoice::Raw || why.is_config_error() => {
            Err(DiscoveryError::RawUnavailable(why.to_string()))
        }
        Err(why) => Ok(Sweep::Connect(ConnectSweep::new(why.to_string()))),
    }
}

/// The first IPv4 target in `cfg`'s order, if any (what [`open`] needs).
pub fn first_ipv4(targets: &TargetList, cfg: &DiscoveryConfig) -> Option<Ipv4Addr> {
    targets.walk(cfg.order).ok()?.find_map(|ip| match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    })
}

impl Sweep {
    /// How the stage will run (the raw sender's interface, or `connect()` and why).
    pub fn method(&self) -> super::Method {
        match self {
            Self::Raw(raw) => super::Method::Raw {
                interface: raw.interface().to_owned(),
            },
            Self::Connect(c) => c.method(),
        }
    }

    /// The address raw SYNs leave from: the scanner's own, which a raw SYN cannot probe
    /// (its reply never comes back through the packet socket); `None` for `connect()`.
    pub fn raw_source(&self) -> Option<Ipv4Addr> {
        match self {
            Self::Raw(raw) => Some(raw.source()),
            Self::Connect(_) => None,
        }
    }

    /// Why the `connect()` sweep runs instead of raw packets (`None`: raw).
    pub fn fallback_reason(&self) -> Option<String> {
        match self {
            Self::Raw(_) => None,
            Self::Connect(c) => match c.method() {
                super::Method::Connect { reason } => Some(reason),
                super::Method::Raw { .. } => None,
            },
        }
    }

    /// Adds the UDP 137 NBSTAT queries to the raw sweep's schedule, answers to `found`;
    /// false (nothing changed) for the `connect()` sweep, or if the query socket cannot
    /// be opened.
    pub fn carry_nbstat(&mut self, found: UnboundedSender<raw::NbstatFound>) -> bool {
        match self {
            Self::Raw(raw) => raw.with_nbstat(found).is_ok(),
            Self::Connect(_) => false,
        }
    }

    /// Leaves out the targets of `done` (a resumed scan's finished ones): nothing is sent
    /// to them.
    pub fn skipping<'a>(self, done: impl IntoIterator<Item = &'a IpAddr>) -> Self {
        let done = done.into_iter().filter_map(|ip| match ip {
            IpAddr::V4(v4) => Some(*v4),
            IpAddr::V6(_) => None,
        });
        match self {
            Self::Raw(raw) => Self::Raw(raw.skipping(done)),
            Self::Connect(c) => Self::Connect(c.skipping(done)),
        }
    }

    /// Runs the sweep (see [`ConnectSweep::run`]; the raw one has the same contract).
    pub async fn run(
        self,
        targets: &TargetList,
        cfg: &DiscoveryConfig,
        cancel: &CancellationToken,
        progress: &DiscoveryProgress,
        found: UnboundedSender<Found>,
    ) -> io::Result<DiscoveryStats> {
        match self {
            Self::Raw(raw) => raw.run(targets, cfg, cancel, progress, found).await,
            Self::Connect(c) => c.run(targets, cfg, cancel, progress, found).await,
        }
    }
}

/// The whole stage: [`open`] then run, every decided pair sent on `found`.
pub async fn discover(
    targets: &TargetList,
    cfg: &DiscoveryConfig,
    cancel: &CancellationToken,
    progress: &DiscoveryProgress,
    found: UnboundedSender<Found>,
) -> Result<DiscoveryStats, DiscoveryError> {
    let sweep = open(cfg, first_ipv4(targets, cfg))?;
    Ok(sweep.run(targets, cfg, cancel, progress, found).await?)
}
