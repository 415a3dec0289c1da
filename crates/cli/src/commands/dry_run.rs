//! `scan --dry-run`: what a scan would probe, and with what, without sending anything or
//! touching the store.

use std::io::Write;

use smbaudit_engine::discovery::MethodChoice;
use smbaudit_engine::scan::ScanConfig;
use smbaudit_engine::targets::{Order, TargetList};

use super::order::{SeedSource, describe};
use crate::args::ScanArgs;

/// Targets listed one by one up to this many.
const LISTED: usize = 16;
/// Targets counted one by one up to this many (past it, before exclusions).
const COUNTED: u128 = 1 << 24;

/// Prints the plan of a scan of `targets` with `cfg` to `out`.
pub(crate) fn print_plan(
    out: &mut impl Write,
    args: &ScanArgs,
    targets: &TargetList,
    cfg: &ScanConfig,
    seed: SeedSource,
    store: &str,
) -> std::io::Result<()> {
    writeln!(out, "dry run: nothing sent, nothing stored")?;
    let hint = targets.len_hint();
    let count = if hint <= COUNTED {
        match targets.iter().count() {
            1 => "1 address".to_owned(),
            n => format!("{n} addresses"),
        }
    } else {
        format!("about {hint} addresses (before exclusions)")
    };
    writeln!(out, "targets: {count} from {}", args_targets(args))?;
    match cfg.order {
        Some(order) => print_order(out, targets, order, seed)?,
        None => print_first(out, targets.iter(), "")?,
    }
    writeln!(out, "probes per host:")?;
    let ports = &cfg.ports;
    if ports.udp137 {
        let sweep = format!(
            "{} tries, {:?} apart",
            u32::from(cfg.sweep.retries) + 1,
            cfg.sweep.timeout
        );
        // As the scan decides: raw discovery with a TCP port carries the queries.
        let how = match smbaudit_engine::scan::discovery_config(cfg) {
            Some(d) if d.method != MethodChoice::Connect => format!(
                "in the raw discovery schedule, {} tries at --rate (without raw packets its own sweep first, {sweep})",
                d.tries
            ),
            _ => sweep,
        };
        writeln!(out, "  137/udp  NODE STATUS query (NBSTAT), {how}")?;
    }
    if let Some(p) = ports.epm {
        writeln!(
            out,
            "  {p}/tcp  TCP connect (RPC endpoint mapper reachability)"
        )?;
    }
    if let Some(p) = ports.nbss {
        writeln!(
            out,
            "  {p}/tcp  TCP connect, NetBIOS session request, SMB NEGOTIATE over it"
        )?;
    }
    if let Some(p) = ports.direct {
        writeln!(
            out,
            "  {p}/tcp  TCP connect, SMB2/3 NEGOTIATE per dialect, SMB1 NEGOTIATE, SESSION_SETUP to the NTLM challenge (no login)"
        )?;
    }
    let t = &cfg.timeouts;
    writeln!(
        out,
        "timeouts: connect {:?}, reply {:?}, host {:?}",
        t.connect, t.reply, t.host
    )?;
    writeln!(out, "concurrency: {} hosts at once", cfg.concurrency)?;
    let ipv4 = (hint <= COUNTED).then(|| targets.iter().filter(|ip| ip.is_ipv4()).count() as u64);
    super::discover::print_plan(out, cfg, targets, ipv4)?;
    writeln!(out, "store: {store}")
}

/// The seed, the shard's share and its first targets in the order visited.
fn print_order(
    out: &mut impl Write,
    targets: &TargetList,
    order: Order,
    seed: SeedSource,
) -> std::io::Result<()> {
    let walk = match targets.walk(order) {
        Ok(walk) => walk,
        Err(e) => return writeln!(out, "order: {}: {e}", describe(order)),
    };
    let repeat = match seed {
        SeedSource::Drawn => format!(" (drawn for this run; --seed {} repeats it)", order.seed),
        SeedSource::Given => String::new(),
    };
    let share = if order.shard.is_whole() {
        String::new()
    } else if targets.len_hint() <= COUNTED {
        let n = walk.clone().count();
        format!(": {n} of the targets")
    } else {
        format!(": about 1/{} of the targets", order.shard.count())
    };
    writeln!(out, "order: {}{share}{repeat}", describe(order))?;
    print_first(out, walk, "first in order: ")
}

/// The targets of `visit`, all of them on one line if there are at most [`LISTED`], else
/// the first [`LISTED`] after `more`.
fn print_first(
    out: &mut impl Write,
    visit: impl Iterator<Item = std::net::IpAddr>,
    more: &str,
) -> std::io::Result<()> {
    let first: Vec<String> = visit.take(LISTED + 1).map(|ip| ip.to_string()).collect();
    match first.get(..LISTED) {
        Some(shown) if first.len() > LISTED => {
            if more.is_empty() {
                return Ok(());
            }
            writeln!(out, "  {more}{} ...", shown.join(" "))
        }
        _ if first.is_empty() => Ok(()),
        _ => writeln!(out, "  {}", first.join(" ")),
    }
}

fn args_targets(args: &ScanArgs) -> String {
    let mut from: Vec<String> = args.targets.targets.clone();
    if let Some(file) = &args.targets.input_file {
        from.push(format!("-i {}", file.display()));
    }
    from.extend(
        args.targets
            .exclude
            .iter()
            .map(|e| format!("--exclude {e}")),
    );
    from.join(" ")
}
