//! This machine's network interfaces and which of them face outside.

mod classify;
mod read;

pub use classify::{classify, is_global};
pub(crate) use read::link_names;
pub use read::read;

use ipnet::IpNet;
use serde::Serialize;

use crate::model::Family;

/// One network interface with its addresses and how the audit classified it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Interface {
    /// The kernel's name ("eth0").
    pub name: String,
    /// The kernel's interface index.
    pub index: u32,
    /// Every address on it, with its prefix length.
    pub addrs: Vec<IpNet>,
    /// The families whose default route leaves through it.
    pub default_route: Vec<Family>,
    /// Outside-facing or inside.
    pub facing: Facing,
    /// Why it was classified so ("holds the IPv4 default route", "--outside").
    pub why: String,
}

/// Which side of the network an interface is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Facing {
    /// Reachable from networks the owner does not control.
    Outside,
    /// Only private, loopback or link-local networks.
    Inside,
}

impl Facing {
    /// The name the reports use: "outside" or "inside".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outside => "outside",
            Self::Inside => "inside",
        }
    }
}

impl Interface {
    /// Whether `addr` is one of this interface's own addresses.
    pub fn holds(&self, addr: std::net::IpAddr) -> bool {
        self.addrs.iter().any(|net| net.addr() == addr)
    }

    /// Whether the interface has an address of `family`.
    pub fn has_family(&self, family: Family) -> bool {
        self.addrs
            .iter()
            .any(|net| Family::of(net.addr()) == family)
    }
}
