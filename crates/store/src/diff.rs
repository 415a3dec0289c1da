//! What changed between two scans: ports, findings, dialects, signing, SMB1, hosts.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use smbaudit_findings::Finding;
use smbaudit_findings::record::HostRecord;
use smbaudit_probe::observation::{Port, PortState};

use crate::scan::ScanId;

/// The changes from scan `a` to scan `b`, each list sorted by address.
///
/// Port, dialect, signing and SMB1 changes are reported for hosts present in both scans
/// (hosts only in one are listed in `hosts_appeared`/`hosts_gone`); findings are compared
/// for all hosts, keyed by address and rule id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanDiff {
    /// The older scan (or the one compared against).
    pub a: ScanId,
    /// The newer scan.
    pub b: ScanId,
    /// Ports open in `b` that were looked at and not open in `a` ("445/tcp").
    pub ports_opened: Vec<(IpAddr, Port)>,
    /// Ports open in `a` that were looked at and not open in `b`.
    pub ports_closed: Vec<(IpAddr, Port)>,
    /// Findings of `b` (address, rule) that `a` did not have.
    pub findings_new: Vec<Finding>,
    /// Findings of `a` (address, rule) that `b` no longer has.
    pub findings_resolved: Vec<Finding>,
    /// The highest SMB dialect, `a` → `b`, where it differs.
    pub dialect_changes: Vec<(IpAddr, Option<String>, Option<String>)>,
    /// The set of accepted SMB 2/3 dialects, `a` → `b`, where it differs (only compared
    /// when both scans have the complete set).
    pub dialect_set_changes: Vec<(IpAddr, Vec<String>, Vec<String>)>,
    /// Whether SMB2 signing is required, `a` → `b`, where it differs.
    pub signing_changes: Vec<(IpAddr, Option<bool>, Option<bool>)>,
    /// Whether SMB1 signing is required, `a` → `b`, where it differs.
    pub smb1_signing_changes: Vec<(IpAddr, Option<bool>, Option<bool>)>,
    /// Whether SMB1 is enabled, `a` → `b`, where it differs.
    pub smb1_changes: Vec<(IpAddr, Option<bool>, Option<bool>)>,
    /// Hosts in `b` but not in `a`.
    pub hosts_appeared: Vec<IpAddr>,
    /// Hosts in `a` but not in `b`.
    pub hosts_gone: Vec<IpAddr>,
}

/// One scan's side of a comparison.
pub(crate) type Side<'a> = (ScanId, &'a [HostRecord], &'a [Finding]);

impl ScanDiff {
    /// Compares two scans' hosts and findings.
    pub(crate) fn between(
        (a, hosts_a, findings_a): Side<'_>,
        (b, hosts_b, findings_b): Side<'_>,
    ) -> Self {
        let (old, new) = (by_ip(hosts_a), by_ip(hosts_b));
        let mut diff = Self {
            a,
            b,
            ports_opened: Vec::new(),
            ports_closed: Vec::new(),
            findings_new: only_in(findings_b, findings_a),
            findings_resolved: only_in(findings_a, findings_b),
            dialect_changes: Vec::new(),
            dialect_set_changes: Vec::new(),
            signing_changes: Vec::new(),
            smb1_signing_changes: Vec::new(),
            smb1_changes: Vec::new(),
            hosts_appeared: new
                .keys()
                .filter(|ip| !old.contains_key(ip))
                .copied()
                .collect(),
            hosts_gone: old
                .keys()
                .filter(|ip| !new.contains_key(ip))
                .copied()
                .collect(),
        };
        for (ip, ha) in &old {
            if let Some(hb) = new.get(ip) {
                diff.compare_host(*ip, ha, hb);
            }
        }
        diff
    }

    fn compare_host(&mut self, ip: IpAddr, a: &HostRecord, b: &HostRecord) {
        for (port, state_a) in &a.ports {
            // A port `b` did not look at is unknown there, not closed.
            let Some(state_b) = b.ports.get(port) else {
                continue;
            };
            match (*state_a == PortState::Open, *state_b == PortState::Open) {
                (false, true) => self.ports_opened.push((ip, *port)),
                (true, false) => self.ports_closed.push((ip, *port)),
                _ => {}
            }
        }
        let (sa, sb) = (a.smb.as_ref(), b.smb.as_ref());
        let max_a = sa.and_then(|s| s.max_dialect.clone());
        let max_b = sb.and_then(|s| s.max_dialect.clone());
        if max_a != max_b {
            self.dialect_changes.push((ip, max_a, max_b));
        }
        if let (Some(sa), Some(sb)) = (sa, sb) {
            let set = |d: &[String]| d.iter().cloned().collect::<BTreeSet<_>>();
            if sa.dialects_complete
                && sb.dialects_complete
                && set(&sa.dialects) != set(&sb.dialects)
            {
                self.dialect_set_changes
                    .push((ip, sa.dialects.clone(), sb.dialects.clone()));
            }
        }
        let smb2_signing = |h: &HostRecord| {
            h.smb
                .as_ref()
                .and_then(|s| s.signing.smb2)
                .map(|g| g.required)
        };
        let smb1_signing = |h: &HostRecord| {
            h.smb
                .as_ref()
                .and_then(|s| s.signing.smb1)
                .map(|g| g.required)
        };
        push_change(
            &mut self.signing_changes,
            ip,
            smb2_signing(a),
            smb2_signing(b),
        );
        push_change(
            &mut self.smb1_signing_changes,
            ip,
            smb1_signing(a),
            smb1_signing(b),
        );
        push_change(
            &mut self.smb1_changes,
            ip,
            sa.and_then(|s| s.smb1),
            sb.and_then(|s| s.smb1),
        );
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.ports_opened.is_empty()
            && self.ports_closed.is_empty()
            && self.findings_new.is_empty()
            && self.findings_resolved.is_empty()
            && self.dialect_changes.is_empty()
            && self.dialect_set_changes.is_empty()
            && self.signing_changes.is_empty()
            && self.smb1_signing_changes.is_empty()
            && self.smb1_changes.is_empty()
            && self.hosts_appeared.is_empty()
            && self.hosts_gone.is_empty()
    }
}

fn by_ip(hosts: &[HostRecord]) -> BTreeMap<IpAddr, &HostRecord> {
    hosts.iter().map(|h| (h.ip, h)).collect()
}

fn push_change<T: PartialEq>(list: &mut Vec<(IpAddr, T, T)>, ip: IpAddr, a: T, b: T) {
    if a != b {
        list.push((ip, a, b));
    }
}

/// The findings of `these` whose (address, rule) is not among `those`, sorted.
fn only_in(these: &[Finding], those: &[Finding]) -> Vec<Finding> {
    let known: BTreeSet<(IpAddr, &str)> =
        those.iter().map(|f| (f.ip, f.rule_id.as_str())).collect();
    let mut out: Vec<Finding> = these
        .iter()
        .filter(|f| !known.contains(&(f.ip, f.rule_id.as_str())))
        .cloned()
        .collect();
    out.sort_by(|x, y| (x.ip, &x.rule_id).cmp(&(y.ip, &y.rule_id)));
    out
}
