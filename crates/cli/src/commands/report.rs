//! `smbaudit report`: one summary across a stored scan (all shards of a scan of many
//! workers): hosts per finding rule and severity, per /16 (IPv6: per /32) and per group
//! of a `--groups` file. It reads only what `show` reads, so every backend gives the same.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};

use super::groups::Groups;
use super::stored;
use crate::args::{ReportArgs, ReportFormat};
use crate::{Fatal, exit};

/// The group of addresses no `--groups` prefix holds.
const UNGROUPED: &str = "(no group)";

pub(crate) fn run(args: &ReportArgs) -> Result<u8, Fatal> {
    // Read before the database, so a bad file fails first (exit 2, file:line).
    let groups = args.groups.as_deref().map(Groups::read).transpose()?;
    let store = stored::open_existing(&args.store)?;
    let scan = stored::resolve(&*store, args.scan.as_deref().unwrap_or("last"))?;
    let hosts = store.hosts(scan.id).map_err(Fatal::from)?;
    let findings = store.findings(scan.id).map_err(Fatal::from)?;
    let mut report = Report::of(&hosts, &findings, groups.as_ref());
    report.scan = scan.id.0;
    report.name = scan.name.clone();
    report.status = scan.status.to_string();
    report.shards = scan.shards.map(|s| s.to_string());
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        ReportFormat::Csv => write_csv(&mut out, &report)?,
        ReportFormat::Table => write_table(&mut out, &report)?,
    }
    Ok(exit::OK)
}

/// The summary.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Report {
    /// The scan's id.
    pub(crate) scan: i64,
    /// Its name, if any.
    pub(crate) name: Option<String>,
    /// Its status.
    pub(crate) status: String,
    /// "3/4 shards", for a scan of many workers.
    pub(crate) shards: Option<String>,
    /// Hosts stored (every target probed, silent ones too).
    pub(crate) hosts: u64,
    /// Hosts with at least one finding.
    pub(crate) hosts_with_findings: u64,
    /// Per rule and severity, the hosts with that finding; most severe first.
    pub(crate) rules: Vec<RuleRow>,
    /// Per /16 (IPv6: /32), by address.
    pub(crate) networks: Vec<Bucket>,
    /// Per `--groups` group, by name (empty without `--groups`).
    pub(crate) groups: Vec<Bucket>,
}

/// Hosts with one rule's finding at one severity.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct RuleRow {
    pub(crate) rule_id: String,
    pub(crate) severity: Severity,
    pub(crate) hosts: u64,
}

/// The hosts of one network or group.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Bucket {
    /// The network (`10.214.0.0/16`) or group name.
    pub(crate) key: String,
    /// Hosts stored.
    pub(crate) hosts: u64,
    /// Hosts with at least one finding.
    pub(crate) hosts_with_findings: u64,
    /// Hosts by their worst finding's severity.
    pub(crate) worst: BTreeMap<Severity, u64>,
}

impl Bucket {
    fn add(&mut self, worst: Option<Severity>) {
        self.hosts += 1;
        if let Some(sev) = worst {
            self.hosts_with_findings += 1;
            *self.worst.entry(sev).or_default() += 1;
        }
    }
}

impl Report {
    /// Summarises `hosts` and their `findings`.
    pub(crate) fn of(hosts: &[HostRecord], findings: &[Finding], groups: Option<&Groups>) -> Self {
        let mut worst: BTreeMap<IpAddr, Severity> = BTreeMap::new();
        let mut rules: BTreeMap<(Severity, &str), BTreeSet<IpAddr>> = BTreeMap::new();
        for f in findings {
            let w = worst.entry(f.ip).or_insert(f.severity);
            *w = (*w).max(f.severity);
            rules
                .entry((f.severity, f.rule_id.as_str()))
                .or_default()
                .insert(f.ip);
        }
        let mut networks: BTreeMap<IpNet, Bucket> = BTreeMap::new();
        let mut by_group: BTreeMap<&str, Bucket> = BTreeMap::new();
        for h in hosts {
            let w = worst.get(&h.ip).copied();
            networks.entry(network_of(h.ip)).or_default().add(w);
            if let Some(g) = groups {
                by_group
                    .entry(g.of(h.ip).unwrap_or(UNGROUPED))
                    .or_default()
                    .add(w);
            }
        }
        let keyed = |key: String, mut b: Bucket| {
            b.key = key;
            b
        };
        Self {
            hosts: hosts.len() as u64,
            hosts_with_findings: hosts.iter().filter(|h| worst.contains_key(&h.ip)).count() as u64,
            rules: rules
                .into_iter()
                .rev()
                .map(|((severity, rule), ips)| RuleRow {
                    rule_id: rule.to_owned(),
                    severity,
                    hosts: ips.len() as u64,
                })
                .collect(),
            networks: networks
                .into_iter()
                .map(|(net, b)| keyed(net.to_string(), b))
                .collect(),
            groups: by_group
                .into_iter()
                .map(|(name, b)| keyed(name.to_owned(), b))
                .collect(),
            ..Self::default()
        }
    }
}

/// The /16 of an IPv4 address, the /32 of an IPv6 one.
fn network_of(ip: IpAddr) -> IpNet {
    let len = if ip.is_ipv4() { 16 } else { 32 };
    IpNet::new(ip, len).map_or_else(|_| IpNet::from(ip), |n| n.trunc())
}

/// "2/1/0/0/3": hosts by worst severity, most severe first (as `history` counts findings).
fn worst_counts(b: &Bucket) -> String {
    super::history::severity_counts(&b.worst)
}

fn write_table(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let name = r
        .name
        .as_ref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let shards = r
        .shards
        .as_ref()
        .map(|s| format!(", {s}"))
        .unwrap_or_default();
    writeln!(
        out,
        "Scan {}{name}: {}{shards}; {} hosts, {} with findings",
        r.scan, r.status, r.hosts, r.hosts_with_findings
    )?;
    writeln!(out, "\n{:<9} {:>6}  Rule", "Severity", "Hosts")?;
    for row in &r.rules {
        writeln!(
            out,
            "{:<9} {:>6}  {}",
            row.severity.as_str(),
            row.hosts,
            row.rule_id
        )?;
    }
    let buckets = |out: &mut dyn Write, title: &str, list: &[Bucket]| -> std::io::Result<()> {
        writeln!(
            out,
            "\n{title:<28} {:>6} {:>9}  Worst (crit/high/med/low/info)",
            "Hosts", "Findings"
        )?;
        for b in list {
            writeln!(
                out,
                "{:<28} {:>6} {:>9}  {}",
                b.key,
                b.hosts,
                b.hosts_with_findings,
                worst_counts(b)
            )?;
        }
        Ok(())
    };
    buckets(out, "Network", &r.networks)?;
    if !r.groups.is_empty() {
        buckets(out, "Group", &r.groups)?;
    }
    Ok(())
}

/// One row per fact, in long form: `kind,key,severity,hosts` (kind `rule`, `network` or
/// `group`; severity `any` and `with-findings` for a network's or group's totals).
fn write_csv(out: &mut impl Write, r: &Report) -> Result<(), Fatal> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["kind", "key", "severity", "hosts"])?;
    for row in &r.rules {
        w.write_record([
            "rule",
            &row.rule_id,
            row.severity.as_str(),
            &row.hosts.to_string(),
        ])?;
    }
    for (kind, list) in [("network", &r.networks), ("group", &r.groups)] {
        for b in list {
            w.write_record([kind, &b.key, "any", &b.hosts.to_string()])?;
            w.write_record([
                kind,
                &b.key,
                "with-findings",
                &b.hosts_with_findings.to_string(),
            ])?;
            for (sev, n) in b.worst.iter().rev() {
                w.write_record([kind, &b.key, sev.as_str(), &n.to_string()])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
