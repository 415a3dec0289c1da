//! What the discovery stage decided about a host's TCP ports, and how a port it found not
//! open is recorded without a second connection.

use std::net::IpAddr;

use smbaudit_probe::observation::{HostScan, Port, PortObservation, PortState, Role};

use super::PortSet;
use crate::discovery;

/// One port's verdict from discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decided {
    /// SYN-ACK or accepted connection: the fingerprint connects.
    Open,
    /// RST or refused connection.
    Closed,
    /// ICMP unreachable (or the errno standing for one), with its type and code.
    Unreachable { icmp_type: u8, code: u8 },
    /// No answer to any try.
    Silent,
}

impl From<discovery::PortState> for Decided {
    fn from(state: discovery::PortState) -> Self {
        match state {
            discovery::PortState::Open => Self::Open,
            discovery::PortState::Closed => Self::Closed,
            discovery::PortState::Unreachable { icmp_type, code } => {
                Self::Unreachable { icmp_type, code }
            }
        }
    }
}

/// How discovery ran, for the evidence text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Evidence {
    /// Raw SYNs (else `connect()`).
    pub(crate) raw: bool,
    /// Sends per port at most.
    pub(crate) tries: u8,
}

impl Evidence {
    /// The observation of a port discovery decided, `None` if it is open (the fingerprint's
    /// connection says more).
    pub(crate) fn observation(
        self,
        port: u16,
        role: Role,
        decided: Decided,
    ) -> Option<PortObservation> {
        let (state, evidence) = match decided {
            Decided::Open => return None,
            Decided::Closed if self.raw => (PortState::Closed, "RST to our SYN".to_owned()),
            Decided::Closed => (PortState::Closed, "RST (connection refused)".to_owned()),
            Decided::Unreachable { icmp_type, code } if self.raw => (
                PortState::Filtered,
                format!("ICMP unreachable (type {icmp_type} code {code}) to our SYN"),
            ),
            Decided::Unreachable { code, .. } => (
                PortState::Filtered,
                format!("{} (connect)", unreachable_name(code)),
            ),
            Decided::Silent => {
                let syns = match self.tries.max(1) {
                    1 => "1 SYN".to_owned(),
                    n => format!("{n} SYNs"),
                };
                (PortState::Filtered, format!("no SYN-ACK to {syns}"))
            }
        };
        Some(PortObservation {
            port: Port::tcp(port),
            role,
            state,
            evidence,
        })
    }
}

fn unreachable_name(code: u8) -> &'static str {
    match code {
        0 => "network unreachable",
        13 => "administratively prohibited",
        _ => "host unreachable",
    }
}

/// A host's TCP ports as discovery decided them, and whether it was handed on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    ports: Vec<(u16, Decided)>,
    /// Fingerprinted or recorded already.
    pub(crate) handed_on: bool,
}

impl Known {
    /// Records `port`'s verdict unless one is known (a duplicate reply changes nothing).
    pub(crate) fn record(&mut self, port: u16, decided: Decided) {
        if self.get(port).is_none() {
            self.ports.push((port, decided));
        }
    }

    /// The verdict on `port`, if any.
    pub(crate) fn get(&self, port: u16) -> Option<Decided> {
        self.ports
            .iter()
            .find_map(|&(p, d)| (p == port).then_some(d))
    }

    /// Whether every port of `ports` has a verdict.
    pub(crate) fn all_decided(&self, ports: &[u16]) -> bool {
        ports.iter().all(|&p| self.get(p).is_some())
    }

    /// Whether a port is open.
    pub(crate) fn any_open(&self) -> bool {
        self.ports.iter().any(|&(_, d)| d == Decided::Open)
    }

    /// Whether some port answered (open, closed or unreachable): the host is up.
    pub(crate) fn any_answer(&self) -> bool {
        self.ports.iter().any(|&(_, d)| d != Decided::Silent)
    }
}

/// The TCP ports of `ports` with their roles, in the order a host's observations list them.
pub(crate) fn tcp_ports(ports: PortSet) -> Vec<(u16, Role)> {
    [
        (ports.epm, Role::EndpointMapper),
        (ports.nbss, Role::NetbiosSession),
        (ports.direct, Role::Smb),
    ]
    .into_iter()
    .filter_map(|(port, role)| port.map(|p| (p, role)))
    .collect()
}

/// A host with no port open, recorded from discovery alone (ports without a verdict are
/// silent).
pub(crate) fn discovered_host(
    ip: IpAddr,
    ports: PortSet,
    known: Option<&Known>,
    evidence: Evidence,
) -> HostScan {
    let mut host = HostScan::new(ip);
    for (port, role) in tcp_ports(ports) {
        let decided = known.and_then(|k| k.get(port)).unwrap_or(Decided::Silent);
        if let Some(obs) = evidence.observation(port, role, decided) {
            host.ports.push(obs);
        }
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_names_what_discovery_saw() {
        let raw = Evidence {
            raw: true,
            tries: 2,
        };
        let conn = Evidence {
            raw: false,
            tries: 1,
        };
        let text = |e: Evidence, d| e.observation(445, Role::Smb, d).map(|o| o.evidence);
        assert_eq!(text(raw, Decided::Open), None);
        assert_eq!(text(raw, Decided::Silent).unwrap(), "no SYN-ACK to 2 SYNs");
        assert_eq!(text(conn, Decided::Silent).unwrap(), "no SYN-ACK to 1 SYN");
        assert_eq!(
            text(conn, Decided::Closed).unwrap(),
            "RST (connection refused)"
        );
        let unreach = Decided::Unreachable {
            icmp_type: 3,
            code: 1,
        };
        assert_eq!(
            text(raw, unreach).unwrap(),
            "ICMP unreachable (type 3 code 1) to our SYN"
        );
        assert_eq!(text(conn, unreach).unwrap(), "host unreachable (connect)");
    }

    #[test]
    fn a_host_is_decided_when_every_port_is() {
        let mut k = Known::default();
        k.record(445, Decided::Open);
        k.record(445, Decided::Closed);
        assert_eq!(k.get(445), Some(Decided::Open), "the first verdict stays");
        assert!(!k.all_decided(&[139, 445]) && k.any_open() && k.any_answer());
        k.record(139, Decided::Silent);
        k.record(445, Decided::Silent);
        assert_eq!(k.get(139), Some(Decided::Silent));
        assert!(k.all_decided(&[139, 445]));
        let mut silent = Known::default();
        silent.record(445, Decided::Silent);
        assert!(!silent.any_answer(), "silence is no answer");
        silent.record(139, Decided::Closed);
        assert!(silent.any_answer() && !silent.any_open(), "a RST is");
    }
}
