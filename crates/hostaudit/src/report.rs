//! One audit of this machine, as every renderer and the store take it.

use serde::Serialize;
use smbaudit_findings::Finding;

use crate::firewall::Backend;
use crate::interfaces::Interface;
use crate::listeners::Listener;
use crate::model::Unreadable;
use crate::samba::SambaConfig;
use crate::verdict::Cell;

/// Everything one audit read and concluded.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    /// The machine's host name.
    pub hostname: String,
    /// When it ran, seconds since the Unix epoch.
    pub started_at: u64,
    /// How long reading and judging took, in milliseconds.
    pub elapsed_ms: u64,
    /// The interfaces, classified.
    pub interfaces: Vec<Interface>,
    /// The sockets on the audited ports.
    pub listeners: Vec<Listener>,
    /// The Samba configurations in use.
    pub samba: Vec<SambaConfig>,
    /// The firewall the verdicts were read from, if one could be read.
    pub firewall: Option<FirewallSummary>,
    /// One verdict per interface, family and service.
    pub cells: Vec<Cell>,
    /// The findings, most severe first.
    pub findings: Vec<Finding>,
    /// What could not be read, and why.
    pub unreadable: Vec<Unreadable>,
}

/// Which firewall was read and how much of it.
#[derive(Clone, Debug, Serialize)]
pub struct FirewallSummary {
    /// nftables or iptables.
    pub backend: Backend,
    /// Its input base chains, as "inet filter input (priority 0, policy drop)".
    pub input_chains: Vec<String>,
}

impl Audit {
    /// The first cell of each interface and family, in the cells' order: one row of a
    /// verdict grid each.
    pub fn rows(&self) -> Vec<&Cell> {
        let mut rows: Vec<&Cell> = Vec::new();
        for c in &self.cells {
            if !rows
                .iter()
                .any(|r| r.interface == c.interface && r.family == c.family)
            {
                rows.push(c);
            }
        }
        rows
    }

    /// The cell of `row`'s interface and family for `service`.
    pub fn cell(&self, row: &Cell, service: crate::Service) -> Option<&Cell> {
        self.cells.iter().find(|c| {
            c.interface == row.interface && c.family == row.family && c.service == service
        })
    }
}
