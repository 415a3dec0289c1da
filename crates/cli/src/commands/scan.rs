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
use smbaudit_findings::identity::relay_targets;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Context as RuleContext, Severity, Vantage, default_vantage, evaluate};

use smbaudit_store::{ScanMeta, ScanStatus, ScanStore, ScanSummary};

use super::stored;
use crate::render::findings::colour_stdout;
use crate::render::scan::{Ending, ScanRenderer, Scanned};
use crate::{Fatal, exit, input};

pub(crate) async fn run(args: ScanArgs) -> Result<u8, Fatal> {
    let resolver = input::resolver(&args.names, args.udp.timeout, args.udp.retries);
    let store = if args.no_store {
        None
    } else {
        Some(stored::open(&args.store)?)
    };
    let resumed = match (&args.resume, &store) {
        (Some(name), Some(db)) => Some(resumable(&**db, name)?),
        _ => None,
    };
    let given = !args.targets.targets.is_empty() || args.targets.input_file.is_some();
    let (targets, tokens) = match &resumed {
        Some(summary) if !given => (
            input::load_tokens(&summary.targets, resolver).await?,
            summary.targets.clone(),
        ),
        _ => input::load_recorded(&args.targets, resolver).await?,
    };
    let vantage = args
        .vantage
        .or_else(|| resumed.as_ref().and_then(|s| s.vantage.parse().ok()))
        .unwrap_or_else(|| default_vantage(targets.iter().take(VANTAGE_SAMPLE)));
    let (scan_id, writer, skip) = match &store {
        Some(db) => {
            let id = match &resumed {
                Some(summary) => summary.id,
                None => db
                    .begin_scan(&ScanMeta {
                        targets: tokens,
                        command: command_line(),
                        vantage: vantage.to_string(),
                    })
                    .map_err(Fatal::from)?,
            };
            let skip = if resumed.is_some() {
                db.finished_hosts(id).map_err(Fatal::from)?
            } else {
                HashSet::new()
            };
            (Some(id), Some(db.writer(id).map_err(Fatal::from)?), skip)
        }
        None => (None, None, HashSet::new()),
    };
    let already_done = skip.len();
    let cfg = scan_config(&args, skip);
    let cancel = super::cancel_on_ctrl_c();
    let progress = Arc::new(ScanProgress::default());
    let bar = progress_bar(
        &args,
        u64::try_from(targets.len_hint()).ok(),
        Arc::clone(&progress),
    );

    let ctx = RuleContext { vantage };
    let stdout = std::io::stdout();
    let mut renderer = ScanRenderer::new(args.format, args.verbose, colour_stdout(), stdout.lock());
    let keep_all = renderer.needs_all() || args.relay_list.is_some();
    renderer.begin()?;
    let mut kept: Vec<Scanned> = Vec::new();
    let mut worst: Option<Severity> = None;
    let mut failure: Option<anyhow::Error> = None;
    let stats = scan(&targets, &cfg, &cancel, &progress, |host| {
        if failure.is_some() {
            return;
        }
        let record = HostRecord::from_scan(host);
        let shown = args.all || record.exposed();
        if writer.is_none() && !shown {
            return;
        }
        let eval = evaluate(&record, &ctx);
        if let Some(w) = &writer {
            // Every finished host is stored (silent ones too), so --resume skips it.
            if let Err(e) = w.send(&record, &eval.findings) {
                failure = Some(anyhow::Error::from(e).context("storing results"));
                cancel.cancel();
                return;
            }
        }
        if !shown {
            return;
        }
        worst = worst.max(eval.findings.first().map(|f| f.severity));
        let scanned = Scanned { record, eval };
        if let Err(e) = bar.suspend(|| renderer.host(&scanned)) {
            failure = Some(anyhow::Error::from(e).context("writing results"));
            cancel.cancel();
        }
        if keep_all {
            kept.push(scanned);
        }
    })
    .await
    .context("scan")?;
    bar.finish_and_clear();
    let cancelled = stats.cancelled && failure.is_none();
    if let Some(w) = writer {
        let status = if stats.cancelled {
            ScanStatus::Interrupted
        } else {
            ScanStatus::Finished
        };
        w.finish(status).map_err(Fatal::from)?;
    }
    if let Some(e) = failure {
        return Err(Fatal::from(e));
    }
    renderer.end(&Ending {
        hosts: &kept,
        scan_id: scan_id.map(|id| id.to_string()),
        vantage,
        command: command_line(),
    })?;
    if let Some(path) = &args.relay_list {
        write_relay_list(path, &relay_targets(kept.iter().map(|s| &s.record)))?;
    }
    if !args.quiet {
        summary(&stats, cfg.concurrency, vantage);
        if let Some(id) = scan_id {
            let resumed_note = if already_done > 0 {
                format!(
                    "; resumed, {already_done} hosts were already done (`smbaudit show {id}` for all)"
                )
            } else {
                String::new()
            };
            eprintln!("scan: stored as scan {id}{resumed_note}");
        }
    }
    Ok(if cancelled {
        exit::interrupted()
    } else if args
        .fail_on
        .is_some_and(|gate| worst.is_some_and(|w| w >= gate))
    {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// The scan `--resume` names: the last unfinished one, or the one given, if unfinished.
fn resumable(db: &dyn ScanStore, name: &str) -> Result<ScanSummary, Fatal> {
    let summary = if name == "last" {
        db.last_unfinished().map_err(Fatal::from)?.ok_or_else(|| {
            Fatal::usage(anyhow::anyhow!(
                "--resume: no interrupted scan in the database"
            ))
        })?
    } else {
        stored::resolve(db, name)?
    };
    if !summary.unfinished() {
        return Err(Fatal::usage(anyhow::anyhow!(
            "--resume: scan {} is already finished",
            summary.id
        )));
    }
    Ok(summary)
}

/// The engine settings the flags ask for.
fn scan_config(args: &ScanArgs, skip: HashSet<std::net::IpAddr>) -> ScanConfig {
    let nofile = raise_nofile_limit().unwrap_or(1024);
    ScanConfig {
        ports: PortSet {
            udp137: args.ports.contains(&137),
            epm: args.ports.contains(&135).then_some(135),
            nbss: args.ports.contains(&139).then_some(139),
            direct: args.ports.contains(&445).then_some(445),
        },
        timeouts: Timeouts {
            connect: args.connect_timeout,
            reply: args.reply_timeout,
            host: args.host_timeout,
        },
        concurrency: args
            .concurrency
            .clamp(1, hosts_for_limit(nofile, SOCKETS_PER_HOST)),
        sweep: SweepConfig {
            rate: args.udp.rate,
            timeout: args.udp.timeout,
            retries: args.udp.retries,
            source_port: args.udp.source_port,
            ..SweepConfig::default()
        },
        skip,
    }
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
    let at_once = if stats.lowest_concurrency < concurrency {
        format!(
            "{concurrency} at once (down to {} after stalled handshakes)",
            stats.lowest_concurrency
        )
    } else {
        format!("{concurrency} at once")
    };
    let _ = writeln!(
        err,
        "scan: {} hosts in {:.2} s, {} TCP connections, {at_once}, vantage {vantage}{udp}{}",
        stats.hosts,
        stats.elapsed.as_secs_f64(),
        stats.connections,
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
