//! `scan --dry-run`: what a scan would probe, and with what, without sending anything or
//! touching the store.

use std::io::Write;

use smbaudit_engine::scan::ScanConfig;
use smbaudit_engine::targets::TargetList;

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
    let first: Vec<String> = targets
        .iter()
        .take(LISTED + 1)
        .map(|ip| ip.to_string())
        .collect();
    if first.len() <= LISTED {
        writeln!(out, "  {}", first.join(" "))?;
    }
    writeln!(out, "probes per host:")?;
    let ports = &cfg.ports;
    if ports.udp137 {
        writeln!(
            out,
            "  137/udp  NODE STATUS query (NBSTAT), {} tries, {:?} apart",
            u32::from(cfg.sweep.retries) + 1,
            cfg.sweep.timeout
        )?;
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
    writeln!(out, "store: {store}")
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
