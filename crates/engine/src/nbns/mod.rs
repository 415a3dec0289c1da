//! NetBIOS name service over UDP 137: sweeps of many hosts and single name queries.

pub(crate) mod icmp;
mod lookup;
mod socket;
mod sweep;

pub use icmp::Unreachable;
pub use lookup::{LookupAnswer, LookupConfig, LookupTarget, name_query};
pub use smbaudit_probe::sweep::{Pacer, RttEstimator};
pub use socket::RECV_BUFFER;
pub use sweep::{
    HostResult, MAX_IN_FLIGHT, NBNS_PORT, Outcome, Query, SweepConfig, SweepStats, dry_run, sweep,
};
