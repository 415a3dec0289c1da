//! Reads every fact source, each on its own, and judges: one [`Audit`].

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::findings::{FixContext, findings};
use crate::firewall::{self, Decision, Query, Ruleset, Verdict};
use crate::interfaces::{self, Interface};
use crate::listeners::{self, Listener};
use crate::model::{Service, Unreadable};
use crate::report::{Audit, FirewallSummary};
use crate::samba;
use crate::verdict::{Facts, judge};

/// What the user said about the interfaces.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--outside IFACE`.
    pub outside: Vec<String>,
    /// `--inside IFACE`.
    pub inside: Vec<String>,
}

/// Audits this machine (the calling thread's network namespace). Every unreadable fact
/// becomes a line in [`Audit::unreadable`]; `Err` only for an `--outside`/`--inside`
/// name that is not an interface here.
pub fn audit(options: &Options) -> Result<Audit, String> {
    let start = Instant::now();
    // The firewall (an `nft` or `iptables-save` child) is read beside the rest: the
    // slowest sources are child processes (nft, testparm, `smbd -b`).
    let (ifaces, found, table_read, configs, ruleset, unreadable) = std::thread::scope(|scope| {
        let firewall = scope.spawn(firewall::read);
        let mut unreadable = Vec::new();
        let ifaces = interfaces::read().unwrap_or_else(|u| {
            unreadable.push(u);
            Vec::new()
        });
        let (found, mut why) = listeners::read(&Service::AUDITED);
        let table_read = socket_table_read(&found, &why);
        unreadable.append(&mut why);
        let (processes, mut why) = listeners::samba_processes();
        unreadable.append(&mut why);
        let (configs, mut why) = samba::read(&processes);
        unreadable.append(&mut why);
        let ruleset = match firewall.join() {
            Ok(Ok(ruleset)) => {
                unreadable.extend(ruleset.unreadable());
                Some(ruleset)
            }
            Ok(Err(u)) => {
                unreadable.push(u);
                None
            }
            Err(_) => {
                unreadable.push(Unreadable::new("firewall ruleset", "its reader failed"));
                None
            }
        };
        (ifaces, found, table_read, configs, ruleset, unreadable)
    });
    let mut ifaces = ifaces;
    interfaces::classify(&mut ifaces, &options.outside, &options.inside)?;
    let decide = |q: &Query<'_>| decide(ruleset.as_ref(), q);
    let limit = |l: &Listener, i: &Interface| samba::view(&configs, l, i);
    let facts = Facts {
        interfaces: &ifaces,
        listeners: table_read.then_some(found.as_slice()),
    };
    let cells = judge(facts, &decide, &limit);
    let block = |iface: &str, services: &[Service]| match &ruleset {
        Some(r) => r.block_commands(iface, services),
        None => firewall::default_block_commands(iface, services),
    };
    let ctx = FixContext {
        interfaces: &ifaces,
        samba_conf: configs.first().map(|c| c.path.as_path()),
        block: &block,
    };
    let findings = findings(&cells, &ctx);
    Ok(Audit {
        hostname: hostname(),
        started_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        interfaces: ifaces,
        listeners: found,
        samba: configs,
        firewall: ruleset.as_ref().map(summary),
        cells,
        findings,
        unreadable,
    })
}

/// The socket table counts as read unless the reader found nothing and said why.
fn socket_table_read(found: &[Listener], why: &[Unreadable]) -> bool {
    !found.is_empty() || why.is_empty()
}

fn decide(ruleset: Option<&Ruleset>, q: &Query<'_>) -> Decision {
    match ruleset {
        Some(r) => r.decide(q),
        None => Decision {
            verdict: Verdict::Unknown("the firewall could not be read".into()),
            rule: None,
        },
    }
}

fn summary(r: &Ruleset) -> FirewallSummary {
    FirewallSummary {
        backend: r.backend(),
        input_chains: r.input_chains(),
    }
}

/// The kernel's host name (the UTS name of this process).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}
