//! What changed between two scans: ports, findings, dialects, signing, SMB1, shares, hosts.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Context, Finding, Vantage, evaluate, registry};
use smbaudit_probe::observation::{Port, PortState};

use crate::scan::ScanId;

/// The changes from scan `a` to scan `b`, each list sorted by address.
///
/// Only what both scans observed is compared: the addresses both probed, on the ports both
/// looked at. A finding is new or resolved only where the other scan could have seen it
/// (a `-p 445` scan resolves no NetBIOS finding), and a host has appeared or gone only if
/// both scans probed its address and it answered in one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanDiff {
    /// The older scan (or the one compared against).
    pub a: ScanId,
    /// The newer scan.
    pub b: ScanId,
    /// What the comparison covers.
    pub scope: DiffScope,
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
    /// Shares that appeared or went, and access that changed (hosts whose list both
    /// scans obtained).
    #[serde(default)]
    pub share_changes: Vec<crate::diff_shares::ShareChange>,
    /// Hosts both scans probed that answered in `b` only (on the common ports).
    pub hosts_appeared: Vec<IpAddr>,
    /// Hosts both scans probed that answered in `a` only (on the common ports).
    pub hosts_gone: Vec<IpAddr>,
}

/// What a comparison covers: the ports and addresses the two scans had in common.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffScope {
    /// Ports both scans looked at.
    pub common_ports: Vec<Port>,
    /// Ports only `a` looked at (not compared).
    pub ports_only_a: Vec<Port>,
    /// Ports only `b` looked at (not compared).
    pub ports_only_b: Vec<Port>,
    /// Addresses both scans probed.
    pub common_hosts: u64,
    /// Addresses only `a` probed (not compared).
    pub hosts_only_a: u64,
    /// Addresses only `b` probed (not compared).
    pub hosts_only_b: u64,
}

/// One scan's side of a comparison: its id, hosts, findings and the vantage its rules
/// rated from.
pub(crate) type Side<'a> = (ScanId, &'a [HostRecord], &'a [Finding], Vantage);

impl ScanDiff {
    /// Compares two scans' hosts and findings on what both observed.
    pub(crate) fn between(
        (a, hosts_a, findings_a, vantage_a): Side<'_>,
        (b, hosts_b, findings_b, vantage_b): Side<'_>,
    ) -> Self {
        let (ports_a, ports_b) = (looked_at(hosts_a), looked_at(hosts_b));
        let common: BTreeSet<Port> = ports_a.intersection(&ports_b).copied().collect();
        let (all_a, all_b) = (by_ip(hosts_a), by_ip(hosts_b));
        let both = |ip: &IpAddr| all_a.contains_key(ip) && all_b.contains_key(ip);
        let restrict = |hosts: &BTreeMap<IpAddr, &HostRecord>| -> BTreeMap<IpAddr, HostRecord> {
            hosts
                .iter()
                .filter(|(ip, _)| both(ip))
                .map(|(ip, h)| (*ip, h.restricted_to(&common)))
                .collect()
        };
        let (old, new) = (restrict(&all_a), restrict(&all_b));
        let seen_a = observable(findings_a, &old, vantage_a);
        let seen_b = observable(findings_b, &new, vantage_b);
        let answered = |hosts: &BTreeMap<IpAddr, HostRecord>, ip: &IpAddr| {
            hosts.get(ip).is_some_and(HostRecord::exposed)
        };
        let scope = DiffScope {
            common_ports: common.iter().copied().collect(),
            ports_only_a: ports_a.difference(&ports_b).copied().collect(),
            ports_only_b: ports_b.difference(&ports_a).copied().collect(),
            common_hosts: old.len() as u64,
            hosts_only_a: (all_a.len() - old.len()) as u64,
            hosts_only_b: (all_b.len() - new.len()) as u64,
        };
        let mut diff = Self {
            a,
            b,
            scope,
            ports_opened: Vec::new(),
            ports_closed: Vec::new(),
            findings_new: only_in(&seen_b, &seen_a),
            findings_resolved: only_in(&seen_a, &seen_b),
            dialect_changes: Vec::new(),
            dialect_set_changes: Vec::new(),
            signing_changes: Vec::new(),
            smb1_signing_changes: Vec::new(),
            smb1_changes: Vec::new(),
            share_changes: Vec::new(),
            hosts_appeared: new
                .keys()
                .filter(|ip| answered(&new, ip) && !answered(&old, ip))
                .copied()
                .collect(),
            hosts_gone: old
                .keys()
                .filter(|ip| answered(&old, ip) && !answered(&new, ip))
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
        self.share_changes
            .extend(crate::diff_shares::share_changes(ip, a, b));
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
            && self.share_changes.is_empty()
            && self.hosts_appeared.is_empty()
            && self.hosts_gone.is_empty()
    }
}

fn by_ip(hosts: &[HostRecord]) -> BTreeMap<IpAddr, &HostRecord> {
    hosts.iter().map(|h| (h.ip, h)).collect()
}

/// Every port a scan looked at on any host.
fn looked_at(hosts: &[HostRecord]) -> BTreeSet<Port> {
    hosts.iter().flat_map(|h| h.ports.keys().copied()).collect()
}

/// The stored findings of the compared hosts that rest on what both scans observed: the
/// rule still fires on the host's record restricted to the common ports. A rule this
/// build no longer has is kept as stored.
fn observable(
    findings: &[Finding],
    hosts: &BTreeMap<IpAddr, HostRecord>,
    vantage: Vantage,
) -> Vec<Finding> {
    let ctx = Context { vantage };
    let mut fired: BTreeMap<IpAddr, BTreeSet<String>> = BTreeMap::new();
    for (ip, host) in hosts {
        let ids = evaluate(host, &ctx).findings.into_iter().map(|f| f.rule_id);
        fired.insert(*ip, ids.collect());
    }
    let known: BTreeSet<&str> = registry().iter().map(|r| r.id).collect();
    findings
        .iter()
        .filter(|f| {
            fired
                .get(&f.ip)
                .is_some_and(|ids| ids.contains(&f.rule_id) || !known.contains(f.rule_id.as_str()))
        })
        .cloned()
        .collect()
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
