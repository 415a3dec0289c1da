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
use smbaudit_findings::record::HostRecord;

use crate::render::scan::ScanRenderer;
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

    let stdout = std::io::stdout();
    let mut renderer = ScanRenderer::new(args.format, args.verbose, stdout.lock());
    renderer.begin()?;
    let mut write_error: Option<std::io::Error> = None;
    let stats = scan(&targets, &cfg, &cancel, &progress, |host| {
        if (args.all || host.exposed()) && write_error.is_none() {
            let shown = HostRecord::from_scan(host);
            let result = bar.suspend(|| renderer.host(shown));
            if let Err(e) = result {
                write_error = Some(e);
                cancel.cancel();
            }
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
    renderer.end()?;
    if !args.quiet {
        summary(&stats, concurrency);
    }
    Ok(if stats.cancelled {
        exit::INTERRUPTED
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

fn summary(stats: &ScanStats, concurrency: usize) {
    let mut err = std::io::stderr().lock();
    let udp = stats.sweep.as_ref().map_or_else(String::new, |s| {
        format!("; 137/udp: {} of {} answered NBSTAT", s.replied, s.targets)
    });
    let _ = writeln!(
        err,
        "scan: {} hosts in {:.2} s, {} TCP connections, {} at once{udp}{}",
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
