//! What a rule concludes about one host: a finding with its severity, evidence and fix.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a finding is, lowest first (so `Ord` sorts by urgency when reversed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no action needed.
    Info,
    /// Minor leak or hygiene issue.
    Low,
    /// Helps an attacker; fix soon.
    Medium,
    /// Directly exploitable or a serious exposure; fix now.
    High,
    /// Exposed to the internet or known to be wormable; fix immediately.
    Critical,
}

impl Severity {
    /// Every severity, most urgent first.
    pub const ALL_DESC: [Self; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Info,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL_DESC
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("{s:?} is not a severity (critical, high, medium, low, info)"))
    }
}

/// One observation a finding rests on: a field of the host record and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The record field, e.g. `smb.signing.smb2.required` or `ports.445/tcp`.
    pub field: String,
    /// Its value as observed, e.g. `false` or `open`.
    pub value: String,
}

impl Evidence {
    /// Evidence that `field` was observed with `value`.
    pub fn new(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            value: value.into(),
        }
    }
}

/// Where a remediation applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Windows hosts (PowerShell, Group Policy, Windows Firewall).
    Windows,
    /// Samba (smb.conf).
    Samba,
    /// The network edge (firewall rules, the ISP).
    Perimeter,
}

impl Platform {
    /// Every platform.
    pub const ALL: [Self; 3] = [Self::Windows, Self::Samba, Self::Perimeter];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Windows => "windows",
            Self::Samba => "samba",
            Self::Perimeter => "perimeter",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Copyable steps that fix a finding on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// The platform.
    pub platform: Platform,
    /// The steps: commands or configuration lines, one per line.
    pub steps: String,
}

/// A rule's conclusion about one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's stable id, e.g. `smb1-enabled`.
    pub rule_id: String,
    /// The host.
    pub ip: IpAddr,
    /// One-line title.
    pub title: String,
    /// Severity for this host (a rule may rate by vantage or address).
    pub severity: Severity,
    /// Why it matters.
    pub rationale: String,
    /// What was observed.
    pub evidence: Vec<Evidence>,
    /// Context that changed the rating (e.g. "private address, scanned from the LAN").
    pub context: Option<String>,
    /// How to fix it, per platform.
    pub remediation: Vec<Remediation>,
    /// Further reading (advisories, documentation).
    pub references: Vec<String>,
}

impl Finding {
    /// The order reports list a host's findings in: most severe first, then by rule id.
    pub fn report_order(a: &Self, b: &Self) -> std::cmp::Ordering {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_parse_and_print() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
        assert_eq!(Severity::Medium.to_string(), "medium");
        assert_eq!(
            serde_json::to_string(&Severity::Critical).unwrap(),
            "\"critical\""
        );
    }
}
