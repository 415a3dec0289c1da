//! The observation model: what a scan saw of one host, with no I/O, clock or socket in it.
//! The engine fills it, the findings read it, the store keeps it (as the record).

mod nbns;
mod port;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use nbns::{HostResult, Outcome, Unreachable};
pub use port::{BadPort, Port, PortState, Proto, Role};

use crate::nbss::NbssFacts;
use crate::smb::SmbFacts;

/// A port's state and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortObservation {
    /// The port.
    pub port: Port,
    /// What it was probed as.
    pub role: Role,
    /// Its state.
    pub state: PortState,
    /// What was seen.
    pub evidence: String,
}

/// The step of a host's scan that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The every-dialect SMB2 NEGOTIATE (connection A).
    Smb2Negotiate,
    /// The anonymous NTLM SESSION_SETUP over SMB2.
    Smb2SessionSetup,
    /// The SMB1-only NEGOTIATE (connection B).
    Smb1Negotiate,
    /// SESSION_SETUP_ANDX over SMB1.
    Smb1SessionSetup,
    /// One dialect offered alone, to find the floor (connection C and after).
    DialectProbe,
    /// A NetBIOS session request on 139.
    NbssSession,
}

impl Phase {
    /// The phase as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smb2Negotiate => "smb2_negotiate",
            Self::Smb2SessionSetup => "smb2_session_setup",
            Self::Smb1Negotiate => "smb1_negotiate",
            Self::Smb1SessionSetup => "smb1_session_setup",
            Self::DialectProbe => "dialect_probe",
            Self::NbssSession => "nbss_session",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A step that failed for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError {
    /// The step.
    pub phase: Phase,
    /// The port it ran on.
    pub port: Option<u16>,
    /// What happened.
    pub message: String,
}

/// Everything learnt about one host.
#[derive(Debug, Clone)]
pub struct HostScan {
    /// The target.
    pub ip: IpAddr,
    /// The NBSTAT result (None when 137 was not probed, e.g. IPv6).
    pub nbstat: Option<HostResult>,
    /// Every port looked at.
    pub ports: Vec<PortObservation>,
    /// The session service on 139, when it was open.
    pub nbss: Option<NbssFacts>,
    /// SMB facts, when some SMB port was open.
    pub smb: Option<SmbFacts>,
    /// Steps that failed.
    pub errors: Vec<HostError>,
    /// TCP connections opened to the host.
    pub connections: u32,
    /// Time spent on the host's TCP phase.
    pub elapsed: Duration,
}

impl HostScan {
    /// A host nothing is known of yet.
    pub fn new(ip: IpAddr) -> Self {
        Self {
            ip,
            nbstat: None,
            ports: Vec::new(),
            nbss: None,
            smb: None,
            errors: Vec::new(),
            connections: 0,
            elapsed: Duration::ZERO,
        }
    }

    /// Records a failed step on `port`.
    pub fn error(&mut self, phase: Phase, port: u16, message: String) {
        self.errors.push(HostError {
            phase,
            port: Some(port),
            message,
        });
    }
}
