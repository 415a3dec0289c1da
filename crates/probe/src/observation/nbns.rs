//! What the UDP 137 sweep observed of one target.

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use super::{Port, PortObservation, PortState, Role};
use crate::nbns::NbnsReply;
use crate::nbstat::NbstatReport;

/// Code 3 of ICMP destination unreachable: nothing listens on the port.
const PORT_UNREACHABLE: u8 = 3;
/// Code 1 of ICMP destination unreachable: the host's link-layer address was not found.
const HOST_UNREACHABLE: u8 = 1;

/// An ICMP destination-unreachable answer to one of our datagrams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreachable {
    /// The ICMP code (3: port unreachable, 1: host, 13: administratively prohibited, ...).
    pub code: u8,
    /// Who sent the ICMP message (the target itself, or a router on the way).
    pub from: Option<Ipv4Addr>,
}

impl Unreachable {
    /// Whether the target said nothing listens on the port: the port is closed.
    pub fn port_closed(self) -> bool {
        self.code == PORT_UNREACHABLE
    }

    /// Whether this is a host unreachable (code 1): a neighbour resolution (ARP, ND) of the
    /// target failed, in this machine's stack or in a router's. It is not an answer to this
    /// query: when it arrives depends on when the resolution started (an earlier probe of
    /// the same address, by another stage or scan, may have started it), and whether it
    /// arrives at all on ICMP rate limits (Linux sends a burst of 50 a second machine-wide,
    /// 6 to one peer), so a sweep that counted it would judge the same silent address
    /// differently by the order of the targets. The sweep ignores it: the host ends silent
    /// (`open|filtered`), as it does when the message comes too late.
    pub fn is_neighbour_failure(self) -> bool {
        self.code == HOST_UNREACHABLE
    }

    /// The code's name (RFC 792, RFC 1812 §5.2.7.1).
    pub fn reason(self) -> &'static str {
        match self.code {
            0 => "network unreachable",
            1 => "host unreachable",
            2 => "protocol unreachable",
            3 => "port unreachable",
            4 => "fragmentation needed",
            9 | 10 | 13 => "administratively prohibited",
            _ => "destination unreachable",
        }
    }

    /// `ICMP port unreachable from 10.0.0.1`.
    pub fn evidence(self) -> String {
        match self.from {
            Some(from) => format!("ICMP {} from {from}", self.reason()),
            None => format!("ICMP {}", self.reason()),
        }
    }
}

/// How one target's queries ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It answered (positively, negatively, or with garbage).
    Reply(NbnsReply),
    /// Every attempt went unanswered.
    NoReply,
    /// The kernel refused to send to it (no route, blackhole, broadcast address...).
    SendFailed(io::ErrorKind),
    /// An ICMP destination unreachable came back (port unreachable: 137 is closed).
    Unreachable(Unreachable),
}

impl Outcome {
    /// What ended a query without an answer, when something said so: the kernel refusing
    /// to send, or an ICMP error. `None` for a reply or silence.
    pub fn failure(&self) -> Option<String> {
        match self {
            Self::SendFailed(kind) => Some(format!("could not send: {kind}")),
            Self::Unreachable(why) => Some(why.evidence()),
            Self::Reply(_) | Self::NoReply => None,
        }
    }
}

/// The result for one target.
#[derive(Debug, Clone)]
pub struct HostResult {
    /// The target.
    pub ip: Ipv4Addr,
    /// How it ended.
    pub outcome: Outcome,
    /// Time from the last query sent to the reply.
    pub rtt: Option<Duration>,
    /// Queries sent to it.
    pub attempts: u8,
}

impl HostResult {
    /// The result of a target that never answered `attempts` queries.
    pub fn silent(ip: Ipv4Addr, attempts: u8) -> Self {
        Self {
            ip,
            outcome: Outcome::NoReply,
            rtt: None,
            attempts,
        }
    }

    /// 137/udp's state from this result, as nmap names UDP states: an answer is `open`,
    /// ICMP port unreachable `closed`, another ICMP unreachable `filtered`, silence
    /// `open|filtered`.
    pub fn port_observation(&self, port: Port) -> PortObservation {
        let state = match &self.outcome {
            Outcome::Reply(_) => PortState::Open,
            Outcome::NoReply => PortState::OpenFiltered,
            Outcome::Unreachable(why) if why.port_closed() => PortState::Closed,
            Outcome::SendFailed(_) | Outcome::Unreachable(_) => PortState::Filtered,
        };
        let evidence = match &self.outcome {
            Outcome::Reply(_) => "NBSTAT reply".to_owned(),
            Outcome::NoReply => format!("no reply to {} NBSTAT queries", self.attempts),
            failed => failed.failure().unwrap_or_default(),
        };
        PortObservation {
            port,
            role: Role::NetbiosName,
            state,
            evidence,
        }
    }

    /// What the name table reveals, when a NODE STATUS response came back.
    pub fn node_status_report(&self) -> Option<NbstatReport> {
        match &self.outcome {
            Outcome::Reply(NbnsReply::NodeStatus(ns)) => Some(NbstatReport::from_node_status(ns)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_nmap_would_report_them() {
        let closed = Unreachable {
            code: 3,
            from: Some(Ipv4Addr::new(127, 0, 0, 9)),
        };
        assert!(closed.port_closed());
        assert_eq!(closed.evidence(), "ICMP port unreachable from 127.0.0.9");
        let prohibited = Unreachable {
            code: 13,
            from: None,
        };
        assert!(!prohibited.port_closed());
        assert_eq!(prohibited.evidence(), "ICMP administratively prohibited");
    }

    #[test]
    fn udp_137_states_follow_nmap() {
        let ip = Ipv4Addr::new(192, 0, 2, 7);
        let state = |outcome: Outcome| {
            let r = HostResult {
                ip,
                outcome,
                rtt: None,
                attempts: 2,
            };
            let o = r.port_observation(Port::udp(137));
            (o.state, o.evidence)
        };
        let icmp = |code| {
            Outcome::Unreachable(Unreachable {
                code,
                from: Some(ip),
            })
        };
        assert_eq!(
            state(icmp(3)),
            (
                PortState::Closed,
                "ICMP port unreachable from 192.0.2.7".into()
            )
        );
        assert_eq!(
            state(icmp(13)),
            (
                PortState::Filtered,
                "ICMP administratively prohibited from 192.0.2.7".into()
            )
        );
        assert_eq!(
            state(Outcome::NoReply),
            (
                PortState::OpenFiltered,
                "no reply to 2 NBSTAT queries".into()
            )
        );
    }
}
