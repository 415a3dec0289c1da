//! `smbaudit scan`: reachability, session service and SMB fingerprint of many hosts.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use smbaudit_engine::nbns::SweepConfig;
use smbaudit_engine::scan::{
    PortSet, SOCKETS_PER_HOST, ScanConfig, ScanProgress, ScanStats, Timeouts, hosts_for_limit,
    raise_nofile_limit, scan,
};

use crate::args::ScanArgs;
use smbaudit_findings::identity::{correlate, relay_targets};
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Context as RuleContext, Severity, Vantage, default_vantage, evaluate};

use crate::render::findings::colour_stdout;
use crate::render::scan::{Ending, ScanRenderer, Scanned};
use crate::{Fatal, exit, input};

pub(crate) async fn run(args: ScanArgs) -> Result<u8, Fatal> {
    let resolver = input::resolver(&args.names, args.udp.timeout, args.udp.retries);
    let targets = input::load_targets(&args.targets, resolver).await?;
    let ports = PortSet {
        udp137: args.ports.contains(&137),
        epm: args.ports.contains(&135).then_some(135),
        nbss: args.ports.contains(&139).then_some(139),
        direct: args.ports.contains(&445).then_some(445),
    };
    let nofile = raise_nofile_limit().unwrap_or(1024);
    let concurrency = args
        .concurrency
        .clamp(1, hosts_for_limit(nofile, SOCKETS_PER_HOST));
    let cfg = ScanConfig {
        ports,
        timeouts: Timeouts {
            connect: args.connect_timeout,
            reply: args.reply_timeout,
            host: args.host_timeout,
        },
        concurrency,
        sweep: SweepConfig {
            rate: args.udp.rate,
            timeout: args.udp.timeout,
            retries: args.udp.retries,
            source_port: args.udp.source_port,
            ..SweepConfig::default()
        },
        skip: HashSet::new(),
    };
    let cancel = super::cancel_on_ctrl_c();
    let progress = Arc::new(ScanProgress::default());
    let bar = progress_bar(
        &args,
        u64::try_from(targets.len_hint()).ok(),
        Arc::clone(&progress),
    );

    let vantage = args
        .vantage
        .unwrap_or_else(|| default_vantage(targets.iter().take(VANTAGE_SAMPLE)));
    let ctx = RuleContext { vantage };
    let stdout = std::io::stdout();
    let mut renderer = ScanRenderer::new(args.format, args.verbose, colour_stdout(), stdout.lock());
    let keep_all = renderer.needs_all() || args.relay_list.is_some();
    renderer.begin()?;
    let mut kept: Vec<Scanned> = Vec::new();
    let mut worst: Option<Severity> = None;
    let mut write_error: Option<std::io::Error> = None;
    let stats = scan(&targets, &cfg, &cancel, &progress, |host| {
        if !(args.all || host.exposed()) || write_error.is_some() {
            return;
        }
        let record = HostRecord::from_scan(host);
        let eval = evaluate(&record, &ctx);
        worst = worst.max(eval.findings.first().map(|f| f.severity));
        let scanned = Scanned { record, eval };
        if let Err(e) = bar.suspend(|| renderer.host(&scanned)) {
            write_error = Some(e);
            cancel.cancel();
        }
        if keep_all {
            kept.push(scanned);
        }
    })
    .await
    .context("scan")?;
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(Fatal::from(
            anyhow::Error::from(e).context("writing results"),
        ));
    }
    let records: Vec<HostRecord> = kept.iter().map(|s| s.record.clone()).collect();
    let machines = correlate(&records);
    renderer.end(&Ending {
        hosts: &kept,
        machines: &machines,
        scan_id: None,
        vantage,
        command: command_line(),
    })?;
    if let Some(path) = &args.relay_list {
        write_relay_list(path, &relay_targets(&records))?;
    }
    if !args.quiet {
        summary(&stats, concurrency, vantage);
    }
    Ok(if stats.cancelled {
        exit::INTERRUPTED
    } else if args
        .fail_on
        .is_some_and(|gate| worst.is_some_and(|w| w >= gate))
    {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// A progress bar on stderr when it is a terminal (none when piped or with -q), ticking
/// from the engine's counters.
fn progress_bar(args: &ScanArgs, total: Option<u64>, progress: Arc<ScanProgress>) -> ProgressBar {
    if args.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} hosts, ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let ticker = bar.clone();
    tokio::spawn(async move {
        while !ticker.is_finished() {
            let udp_done = progress.udp_done.load(Ordering::Relaxed);
            ticker.set_position(progress.done.load(Ordering::Relaxed));
            ticker.set_message(format!(
                "{}: {} NBSTAT replies, {} SMB hosts",
                if udp_done { "TCP" } else { "UDP 137" },
                progress.nbstat_replies.load(Ordering::Relaxed),
                progress.smb_hosts.load(Ordering::Relaxed),
            ));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    bar
}

/// Targets looked at to pick the default vantage (a /8 is not walked for it).
const VANTAGE_SAMPLE: usize = 65_536;

/// The command line as run, for reports.
fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// Writes the relay targets, one address per line.
fn write_relay_list(path: &std::path::Path, ips: &[std::net::IpAddr]) -> Result<(), Fatal> {
    let text: String = ips.iter().map(|ip| format!("{ip}\n")).collect();
    std::fs::write(path, text)
        .with_context(|| format!("writing the relay list {}", path.display()))?;
    Ok(())
}

fn summary(stats: &ScanStats, concurrency: usize, vantage: Vantage) {
    let mut err = std::io::stderr().lock();
    let udp = stats.sweep.as_ref().map_or_else(String::new, |s| {
        format!("; 137/udp: {} of {} answered NBSTAT", s.replied, s.targets)
    });
    let _ = writeln!(
        err,
        "scan: {} hosts in {:.2} s, {} TCP connections, {} at once, vantage {vantage}{udp}{}",
        stats.hosts,
        stats.elapsed.as_secs_f64(),
        stats.connections,
        concurrency,
        if stats.cancelled {
            format!(
                "; interrupted ({} hosts unfinished, not shown)",
                stats.unfinished
            )
        } else {
            String::new()
        },
    );
}
