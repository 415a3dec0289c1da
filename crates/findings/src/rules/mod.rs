//! The rules: what the observations in a [`HostRecord`] mean, how bad they are for this host
//! and how to fix them.
//!
//! A rule is a pure function of the record and the scan's [`Context`]. It answers
//! [`Check::Hit`] (with the severity for this host), [`Check::Clear`] (checked and fine, or not
//! applicable) or [`Check::NotChecked`] (the record lacks what the rule needs, and why).
//! Rule ids are stable kebab-case strings: reports, the store and suppression lists key on
//! them.

mod anonymous;
mod clock;
mod dialect;
mod exposure;
mod fix_text;
mod ipv6;
mod nbss;
mod nbstat;
mod ntlm;
mod shares;
mod signing;
mod smb1;
mod smbghost;

#[cfg(test)]
mod registry_tests;
#[cfg(test)]
pub(crate) mod test_host;

use std::net::IpAddr;

use serde::Serialize;
use smbaudit_probe::observation::Role;
use smbaudit_probe::smb::SmbFacts;

pub(crate) use signing::relay_target;

use crate::finding::{Evidence, Finding, Platform, Remediation, Severity};
use crate::record::HostRecord;
use crate::vantage::Vantage;

/// One rule: its identity, what it means, how to fix it, and the check itself.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable kebab-case id, e.g. `smb1-enabled`.
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// The base severity: the worst a hit of this rule is rated.
    pub severity: Severity,
    /// Why it matters.
    pub rationale: &'static str,
    /// Copyable fixes, one entry per platform.
    pub remediation: &'static [(Platform, &'static str)],
    /// Further reading (advisories, documentation).
    pub references: &'static [&'static str],
    /// The check.
    pub check: fn(&HostRecord, &Context) -> Check,
}

/// What a rule concludes about one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The rule fires.
    Hit {
        /// Severity for this host.
        severity: Severity,
        /// What was observed.
        evidence: Vec<Evidence>,
        /// What changed the rating, if anything did.
        context: Option<String>,
    },
    /// Checked and fine, or not applicable to this host.
    Clear,
    /// The record lacks what the rule needs; the string says what.
    NotChecked(String),
}

/// What rules know besides the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// Where the scan ran from.
    pub vantage: Vantage,
}

/// Every rule's verdict on one host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// Findings, most severe first, then by rule id.
    pub findings: Vec<Finding>,
    /// (rule id, why) of every rule that could not decide, in registry order.
    pub not_checked: Vec<(String, String)>,
}

impl Rule {
    /// The remediation as finding values.
    pub fn remediations(&self) -> Vec<Remediation> {
        self.remediation
            .iter()
            .map(|(platform, steps)| Remediation {
                platform: *platform,
                steps: (*steps).to_owned(),
            })
            .collect()
    }

    /// The finding this rule makes about `ip` for a hit.
    pub fn finding(
        &self,
        ip: IpAddr,
        severity: Severity,
        evidence: Vec<Evidence>,
        context: Option<String>,
    ) -> Finding {
        Finding {
            rule_id: self.id.to_owned(),
            ip,
            title: self.title.to_owned(),
            severity,
            rationale: self.rationale.to_owned(),
            evidence,
            context,
            remediation: self.remediations(),
            references: self.references.iter().map(|r| (*r).to_owned()).collect(),
        }
    }
}

static REGISTRY: [Rule; 23] = [
    exposure::SMB_EXPOSED,
    exposure::NETBIOS_EXPOSED,
    nbstat::USERS_AND_MAC,
    nbstat::NAMES_AND_ROLES,
    smb1::SMB1_ENABLED,
    smb1::MS17_010,
    smb1::DOUBLEPULSAR,
    smbghost::SMBGHOST,
    anonymous::NULL_SESSION,
    anonymous::GUEST_FALLBACK,
    anonymous::ANY_SHARE_NAME,
    anonymous::SHARE_LISTING,
    anonymous::SHARE_READ,
    anonymous::SHARE_WRITE,
    anonymous::HIDDEN_SHARE_READ,
    signing::SMB2_SIGNING,
    signing::SMB1_SIGNING,
    ntlm::DNS_NAMES,
    ntlm::OS_BUILD,
    dialect::NO_SMB3,
    clock::CLOCK_SKEW,
    nbss::SMBSERVER_ACCEPTED,
    ipv6::SMB_IPV6_GLOBAL,
];

/// Every rule, in a fixed order.
pub fn registry() -> &'static [Rule] {
    &REGISTRY
}

/// Runs every rule on `host`.
pub fn evaluate(host: &HostRecord, ctx: &Context) -> Evaluation {
    let mut eval = Evaluation::default();
    for rule in registry() {
        match (rule.check)(host, ctx) {
            Check::Hit {
                severity,
                evidence,
                context,
            } => eval
                .findings
                .push(rule.finding(host.ip, severity, evidence, context)),
            Check::Clear => {}
            Check::NotChecked(why) => eval.not_checked.push((rule.id.to_owned(), why)),
        }
    }
    eval.findings.sort_by(Finding::report_order);
    eval
}

/// The SMB facts, or the verdict when there are none: not applicable when no SMB port is
/// open, undecided when one is open but nothing was learnt.
fn smb_facts(host: &HostRecord) -> Result<&SmbFacts, Check> {
    match &host.smb {
        Some(smb) => Ok(smb),
        None if host.is_open(Role::Smb) || host.is_open(Role::NetbiosSession) => {
            Err(Check::NotChecked(
                "an SMB port is open but the SMB handshake yielded nothing (see the host's errors)"
                    .to_owned(),
            ))
        }
        None => Err(Check::Clear),
    }
}

/// A hit without context.
fn hit(severity: Severity, evidence: Vec<Evidence>) -> Check {
    Check::Hit {
        severity,
        evidence,
        context: None,
    }
}

/// The check of a tri-state probe verdict: a hit at `severity` with `evidence` when the
/// probe said yes, clear when it said no, and never clear for an unknown: not checked,
/// with `unknown` as the reason.
fn tri_state(
    answer: Option<bool>,
    severity: Severity,
    evidence: Vec<Evidence>,
    unknown: impl FnOnce() -> String,
) -> Check {
    match answer {
        Some(true) => hit(severity, evidence),
        Some(false) => Check::Clear,
        None => Check::NotChecked(unknown()),
    }
}
