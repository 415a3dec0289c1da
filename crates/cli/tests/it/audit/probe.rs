//! Ground truth: what each peer reaches of the host, with real packets
//! (`probe.py`: TCP connects and NBSTAT queries, 1 s timeout each).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use super::lab::AuditLab;
use super::net::{Fam, Side};

/// The probe script (run with the lab's python3 in a peer namespace).
const PROBE_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/audit/probe.py");

/// A service the probes can judge (138/udp has no reply and is not compared).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Probed {
    /// 135/tcp.
    Epmap,
    /// 137/udp, probed with a NODE STATUS request.
    Nbns,
    /// 139/tcp.
    Nbss,
    /// 445/tcp.
    Smb,
}

impl Probed {
    /// Every compared service.
    pub(crate) const ALL: [Self; 4] = [Self::Epmap, Self::Nbns, Self::Nbss, Self::Smb];

    /// The port number.
    pub(crate) fn port(self) -> u16 {
        match self {
            Self::Epmap => 135,
            Self::Nbns => 137,
            Self::Nbss => 139,
            Self::Smb => 445,
        }
    }

    /// As the audit's JSON spells it (`"445/tcp"`).
    pub(crate) fn json(self) -> &'static str {
        match self {
            Self::Epmap => "135/tcp",
            Self::Nbns => "137/udp",
            Self::Nbss => "139/tcp",
            Self::Smb => "445/tcp",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Self::Nbns => "nbstat",
            _ => "tcp",
        }
    }
}

/// One cell of the matrix: the host's interface on `side`, a family, a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Cell {
    /// Which link (and so which interface and peer).
    pub(crate) side: Side,
    /// The family.
    pub(crate) fam: Fam,
    /// The service.
    pub(crate) service: Probed,
}

impl Cell {
    /// Every compared cell: 2 sides x 2 families x 4 services.
    pub(crate) fn all() -> Vec<Self> {
        let mut v = Vec::new();
        for side in [Side::Out, Side::In] {
            for fam in [Fam::V4, Fam::V6] {
                for service in Probed::ALL {
                    v.push(Self { side, fam, service });
                }
            }
        }
        v
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} (peer {} -> {})",
            self.side.iface(),
            self.fam.json(),
            self.service.json(),
            self.side.peer_addr(self.fam),
            self.side.host_addr(self.fam)
        )
    }
}

/// What one probe saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    /// A connect completed / a node status reply came.
    pub(crate) reached: bool,
    /// The probe's words ("connected", "Connection refused", "timeout", ...).
    pub(crate) detail: String,
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.reached {
            "reached"
        } else {
            "not reached"
        };
        write!(f, "{word} ({})", self.detail)
    }
}

/// Probes every cell from both peers at once; panics if a probe run fails.
pub(crate) fn probe_all(lab: &AuditLab) -> BTreeMap<Cell, Seen> {
    let cells = Cell::all();
    let runs: Vec<(Side, Result<String, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = [Side::Out, Side::In]
            .into_iter()
            .map(|side| {
                let mine: Vec<Cell> = cells.iter().copied().filter(|c| c.side == side).collect();
                (side, scope.spawn(move || probe_side(lab, side, &mine)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(side, h)| {
                (
                    side,
                    h.join()
                        .unwrap_or_else(|_| Err("probe thread panicked".into())),
                )
            })
            .collect()
    });
    let mut seen = BTreeMap::new();
    for (side, run) in runs {
        let text = run.unwrap_or_else(|e| panic!("audit lab: probes from {side:?}: {e}"));
        let results: Vec<serde_json::Value> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("audit lab: probe output from {side:?}: {e}: {text}"));
        for r in results {
            let addr: IpAddr = r["addr"]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("audit lab: probe result without addr: {r}"));
            let port = r["port"].as_u64().unwrap_or_default();
            let cell = cells
                .iter()
                .copied()
                .find(|c| {
                    c.side == side
                        && c.side.host_addr(c.fam) == addr
                        && u64::from(c.service.port()) == port
                })
                .unwrap_or_else(|| panic!("audit lab: probe result for no cell: {r}"));
            let detail = r["detail"].as_str().unwrap_or("").to_owned();
            let reached = r["reached"].as_bool().unwrap_or(false);
            seen.insert(cell, Seen { reached, detail });
        }
    }
    assert_eq!(
        seen.len(),
        cells.len(),
        "audit lab: probes missing: {seen:?}"
    );
    seen
}

/// Runs the probe script in `side`'s peer namespace for `cells`.
pub(crate) fn probe_side(lab: &AuditLab, side: Side, cells: &[Cell]) -> Result<String, String> {
    let targets: String = cells
        .iter()
        .map(|c| {
            format!(
                "{} {} {}\n",
                c.side.host_addr(c.fam),
                c.service.port(),
                c.service.kind()
            )
        })
        .collect();
    let mut cmd = lab.netns_command(side.peer_ns(), &lab.tools.python);
    cmd.arg(PROBE_SCRIPT);
    let out = crate::lab::run(&mut cmd, targets.as_bytes(), super::lab::CMD_TIMEOUT)?;
    if !out.status.success() {
        return Err(crate::lab::describe(&out));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
