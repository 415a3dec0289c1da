//! `smbaudit scan`: reachability, session service and SMB fingerprint of many hosts.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use indicatif::ProgressBar;
use smbaudit_engine::discovery::Sweep;
use smbaudit_engine::nbns::SweepConfig;
use smbaudit_engine::scan::{
    PortSet, SOCKETS_PER_HOST, ScanConfig, ScanProgress, ScanStats, Timeouts, hosts_for_limit,
    raise_nofile_limit, scan_with,
};

use smbaudit_engine::targets::TargetList;
use smbaudit_findings::identity::relay_targets;
use smbaudit_findings::{Context as RuleContext, Severity, Vantage, default_vantage};
use smbaudit_store::{ScanId, ScanMeta, ScanStatus, ScanStore, ScanSummary, ScanWriter};

use super::order::{self, SeedSource};
use super::progress::{progress_bar, tick};
use super::{confirm, discover, dry_run, queue, resume, shards, stored};
use crate::args::{ScanArgs, ScanFormat};
use crate::pipeline::{Finished, Pipeline, Report, Shown};
use crate::render::findings::{colour_stdout, plural};
use crate::render::{self};
use crate::{Fatal, credentials, exit, input};

/// `smbaudit shares`: the scan of 139 and 445 (unless `-p` says otherwise), every host
/// shown, in the share format (unless `-f` says otherwise), nothing stored.
pub(crate) fn as_shares(mut args: ScanArgs) -> ScanArgs {
    if !args.given.contains("ports") {
        args.ports = vec![139, 445];
    }
    if !args.given.contains("format") {
        args.format = ScanFormat::Shares;
    }
    args.no_store = true;
    args.all = true;
    args
}

pub(crate) async fn run(mut args: ScanArgs) -> Result<u8, Fatal> {
    if args.dry_run {
        return dry_run(&args).await;
    }
    if args.ports.contains(&137) {
        input::check_source_port(args.udp.source_port)?;
    }
    // Read first, so a missing password fails before anything is sent; wiped when the
    // last host's suite drops it.
    let credentials = match &args.user {
        Some(user) => Some(std::sync::Arc::new(credentials::read(
            user,
            args.password_file.as_deref(),
        )?)),
        None => None,
    };
    let store = if args.no_store {
        None
    } else {
        if args.resume.is_some() {
            // Nothing to resume in a database that does not exist: say so, create none.
            stored::open_existing(&args.store)?;
        }
        Some(stored::open(&args.store)?)
    };
    let resumed = match (&args.resume, &store) {
        (Some(name), Some(db)) => Some(resume::resumable(&**db, name)?),
        _ => None,
    };
    if let Some(summary) = &resumed {
        resume::adopt_options(&mut args, summary)?;
    }
    let (order, seed_source) = order::choose(&args)?;
    // Stored with the scan, so that `--resume` goes on in the same order.
    args.seed = Some(order.seed);
    let resolver = input::resolver(&args.names, args.udp.timeout, args.udp.retries);
    let given = !args.targets.targets.is_empty() || args.targets.input_file.is_some();
    // With targets given, a resumed scan probes those of them it has not done, and the
    // scan's own target list says when the whole scan is done.
    let (targets, tokens, whole) = match &resumed {
        Some(summary) => {
            let scan_targets = input::load_tokens(&summary.targets, resolver).await?;
            if given {
                resume::check_no_subset_of_shard(&args, summary)?;
                let (subset, _) = input::load_recorded(&args.targets, resolver).await?;
                resume::check_subset(&subset, &scan_targets, summary)?;
                (subset, summary.targets.clone(), Some(scan_targets))
            } else {
                (scan_targets, summary.targets.clone(), None)
            }
        }
        None => {
            let (list, tokens) = input::load_recorded(&args.targets, resolver).await?;
            let from_stdin = args.targets.targets.iter().any(|t| t == "-")
                || args.targets.input_file.as_deref() == Some(std::path::Path::new("-"));
            confirm::confirm_huge(&list, args.yes, from_stdin)?;
            (list, tokens, None)
        }
    };
    // Opened before the scan is stored or anything sent: `--discovery raw` without the
    // privilege stops here.
    let sweep = discover::open(
        &scan_config(&args, HashSet::new(), order),
        &targets,
        args.quiet,
    )?;
    let vantage = args
        .vantage
        .or_else(|| resumed.as_ref().and_then(|s| s.vantage.parse().ok()))
        .unwrap_or_else(|| default_vantage(targets.iter().take(VANTAGE_SAMPLE)));
    if args.queue {
        let db = store.as_deref().ok_or_else(|| {
            Fatal::usage(anyhow::anyhow!("--queue needs a database (not --no-store)"))
        })?;
        let worker = queue::Worker {
            args: &args,
            db,
            tokens,
            targets: &targets,
            vantage,
            seed: order.seed,
            credentials,
        };
        return worker.run().await;
    }
    let storing = match &store {
        Some(db) => Some(start_storing(
            &**db,
            resumed.as_ref(),
            tokens,
            vantage,
            &args,
            (&targets, order),
        )?),
        None => None,
    };
    let (scan_id, writer, skip) = match storing {
        Some(s) => (Some(s.id), Some(s.writer), s.skip),
        None => (None, None, HashSet::new()),
    };
    let already_done = skip.len();
    let mut cfg = scan_config(&args, skip, order);
    cfg.credentials = credentials;
    // An output path that cannot be written fails now, before anything is sent.
    let relay_file = match &args.relay_list {
        Some(path) => Some(
            std::fs::File::create(path)
                .with_context(|| format!("creating the relay list {}", path.display()))?,
        ),
        None => None,
    };
    let run = Run {
        targets: &targets,
        whole_scan: whole.as_ref(),
        cfg: &cfg,
        sweep,
        vantage,
        shown: if args.all { Shown::All } else { Shown::Exposed },
        format: args.format,
        verbose: args.verbose,
        keep_all: args.relay_list.is_some(),
        fail_on: args.fail_on,
        bar: progress_bar(
            &args,
            u64::try_from(targets.len_hint())
                .ok()
                .map(|n| n.div_ceil(order.shard.count())),
        ),
    };
    if seed_source == SeedSource::Drawn && !args.quiet {
        eprintln!(
            "scan: targets in the order of seed {} (--seed {} repeats it)",
            order.seed, order.seed
        );
    }
    let Outcome {
        stats,
        finished,
        worst,
        left,
    } = run.execute(writer, scan_id).await?;
    if let (Some(path), Some(file)) = (&args.relay_list, relay_file) {
        let relay = relay_targets(finished.kept.iter().map(|s| &s.record));
        write_relay_list(path, file, &relay)?;
    }
    if !args.quiet {
        summary(&stats, cfg.concurrency, cfg.ports.udp137, vantage);
        if let Some(id) = scan_id {
            stored_note(id, already_done, left);
        }
    }
    let tripped = args
        .fail_on
        .filter(|gate| worst.is_some_and(|w| w >= *gate));
    if let Some(gate) = tripped {
        fail_on_message(gate, &finished.tripped);
    }
    // A closed stdout (`| head`) stops an unstored scan early: not an interruption.
    Ok(if stats.cancelled && !finished.output_closed {
        exit::interrupted()
    } else if tripped.is_some() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// `--dry-run`: the targets parsed and resolved as for a scan, then the plan printed.
async fn dry_run(args: &ScanArgs) -> Result<u8, Fatal> {
    let resolver = input::resolver(&args.names, args.udp.timeout, args.udp.retries);
    let (order, seed_source) = order::choose(args)?;
    let targets = input::load_targets(&args.targets, resolver).await?;
    let store = if args.no_store {
        "none (--no-store)".to_owned()
    } else {
        stored::describe(&args.store)
    };
    let cfg = scan_config(args, HashSet::new(), order);
    let mut out = std::io::stdout().lock();
    dry_run::print_plan(&mut out, args, &targets, &cfg, seed_source, &store)?;
    Ok(exit::OK)
}

/// Where the scan was stored, and what a resumed one left.
fn stored_note(id: ScanId, already_done: usize, left: u64) {
    let resumed_note = if already_done > 0 {
        format!("; resumed, {already_done} hosts were already done (`smbaudit show {id}` for all)")
    } else {
        String::new()
    };
    eprintln!("scan: stored as scan {id}{resumed_note}");
    if left > 0 {
        eprintln!(
            "scan: scan {id} is not finished: {} never probed; `smbaudit scan --resume {id}` probes them",
            plural(left, "target")
        );
    }
}

/// Which findings made `--fail-on` fail the run (stderr, even with -q: it explains the
/// exit code).
fn fail_on_message(gate: Severity, tripped: &std::collections::BTreeMap<String, u64>) {
    let rules: Vec<String> = tripped
        .iter()
        .map(|(rule, n)| format!("{rule} ({})", plural(*n, "host")))
        .collect();
    eprintln!(
        "scan: --fail-on {gate}: {} at {gate} or worse: {}",
        plural(tripped.values().sum::<u64>(), "finding"),
        rules.join(", ")
    );
}

/// A scan being stored: its number, its writer, and the hosts a resumed scan finished.
struct Storing {
    id: ScanId,
    writer: Box<dyn ScanWriter>,
    skip: HashSet<std::net::IpAddr>,
}

/// Starts (or, with `--resume`, continues) the scan in the store.
fn start_storing(
    db: &dyn ScanStore,
    resumed: Option<&ScanSummary>,
    tokens: Vec<String>,
    vantage: Vantage,
    args: &ScanArgs,
    (targets, order): (&TargetList, smbaudit_engine::targets::Order),
) -> Result<Storing, Fatal> {
    if shards::sharded(args, resumed) {
        let mut options = resume::options_of(args);
        // The scan's options are every worker's: each worker's shard is its own row.
        options.shard = None;
        let meta = ScanMeta {
            targets: tokens,
            command: command_line(),
            vantage: vantage.to_string(),
            options: Some(options),
        };
        let claimed = shards::claim(db, resumed, meta, args, targets, order)?;
        return Ok(Storing {
            id: claimed.id,
            writer: claimed.writer,
            skip: claimed.skip,
        });
    }
    let id = match resumed {
        Some(summary) => summary.id,
        None => db
            .begin_scan(&ScanMeta {
                targets: tokens,
                command: command_line(),
                vantage: vantage.to_string(),
                options: Some(resume::options_of(args)),
            })
            .map_err(Fatal::from)?,
    };
    let skip = if resumed.is_some() {
        db.finished_hosts(id).map_err(Fatal::from)?
    } else {
        HashSet::new()
    };
    let writer = db.writer(id).map_err(Fatal::from)?;
    Ok(Storing { id, writer, skip })
}

/// One run of the engine through the pipeline: what `scan` and `local` share.
pub(crate) struct Run<'a> {
    pub(crate) targets: &'a TargetList,
    /// The whole scan's targets, when this run does only some of them (a resume with
    /// targets given): the scan is finished only when all of them are done.
    pub(crate) whole_scan: Option<&'a TargetList>,
    pub(crate) cfg: &'a ScanConfig,
    /// The discovery sender, opened (`None`: every target's ports connected to).
    pub(crate) sweep: Option<Sweep>,
    pub(crate) vantage: Vantage,
    pub(crate) shown: Shown,
    pub(crate) format: ScanFormat,
    pub(crate) verbose: bool,
    pub(crate) keep_all: bool,
    pub(crate) fail_on: Option<Severity>,
    pub(crate) bar: ProgressBar,
}

impl Run<'_> {
    /// Scans, storing into `writer` if given.
    pub(crate) async fn execute(
        self,
        writer: Option<Box<dyn ScanWriter>>,
        scan_id: Option<ScanId>,
    ) -> Result<Outcome, Fatal> {
        let cancel = super::cancel_on_ctrl_c();
        let progress = Arc::new(ScanProgress::default());
        tick(
            &self.bar,
            Arc::clone(&progress),
            self.cfg.ports.udp137,
            self.sweep.is_some(),
        );
        let stdout = std::io::stdout();
        let sink = render::scan::sink(self.format, self.verbose, colour_stdout(), stdout.lock());
        let ctx = RuleContext {
            vantage: self.vantage,
        };
        let mut pipeline = Pipeline::new(ctx, writer, sink, self.shown, self.keep_all, self.bar)
            .with_gate(self.fail_on);
        pipeline.begin()?;
        let on_host = |host| {
            if !pipeline.host(host) {
                cancel.cancel();
            }
        };
        let stats = scan_with(
            self.targets,
            self.cfg,
            self.sweep,
            &cancel,
            &progress,
            on_host,
        )
        .await
        .context("scan")?;
        let worst = pipeline.worst();
        let left = match (stats.cancelled, self.whole_scan) {
            (false, Some(whole)) => resume::targets_left(whole, &self.cfg.skip, self.targets),
            _ => 0,
        };
        let status = if stats.cancelled || left > 0 {
            ScanStatus::Interrupted
        } else {
            ScanStatus::Finished
        };
        let report = Report {
            scan_id: scan_id.map(|id| id.to_string()),
            vantage: self.vantage,
            command: command_line(),
        };
        let finished = pipeline.finish(status, report)?;
        Ok(Outcome {
            stats,
            finished,
            worst,
            left,
        })
    }
}

/// What a [`Run`] leaves.
pub(crate) struct Outcome {
    /// The engine's counts.
    pub(crate) stats: ScanStats,
    /// What the pipeline kept.
    pub(crate) finished: Finished,
    /// The worst finding shown.
    pub(crate) worst: Option<Severity>,
    /// The scan's targets still not done (a resume of some of them).
    pub(crate) left: u64,
}

/// The engine settings the flags ask for.
pub(crate) fn scan_config(
    args: &ScanArgs,
    skip: HashSet<std::net::IpAddr>,
    order: smbaudit_engine::targets::Order,
) -> ScanConfig {
    // Half the descriptors for the fingerprint, half for a connect() discovery beside it.
    let nofile = raise_nofile_limit().unwrap_or(1024) / 2;
    ScanConfig {
        ports: PortSet {
            udp137: args.ports.contains(&137),
            epm: args.ports.contains(&135).then_some(135),
            nbss: args.ports.contains(&139).then_some(139),
            direct: args.ports.contains(&445).then_some(445),
            null_session: !args.no_null_session,
            shares: !args.no_shares,
            write_check: args.write_check,
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
            // Without raw discovery (the raw sweep carries the queries in its own schedule
            // and --rate): adaptive (AIMD on loss).
            rate: 0,
            timeout: args.udp.timeout,
            retries: args.udp.retries,
            source_port: args.udp.source_port,
            ..SweepConfig::default()
        },
        skip,
        credentials: None,
        order: Some(order),
        discovery: Some(discover::settings(&args.discovery, order)),
    }
}

/// Targets looked at to pick the default vantage (a /8 is not walked for it).
const VANTAGE_SAMPLE: usize = 65_536;

/// The command line as run, for reports.
pub(crate) fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// Writes the relay targets, one address per line, to the file opened before the scan.
fn write_relay_list(
    path: &std::path::Path,
    mut file: std::fs::File,
    ips: &[std::net::IpAddr],
) -> Result<(), Fatal> {
    let text: String = ips.iter().map(|ip| format!("{ip}\n")).collect();
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing the relay list {}", path.display()))?;
    Ok(())
}

fn summary(stats: &ScanStats, concurrency: usize, udp137: bool, vantage: Vantage) {
    let mut err = std::io::stderr().lock();
    let carried = stats
        .discovery
        .as_ref()
        .filter(|_| udp137 && stats.sweep.is_none());
    let udp = match (&stats.sweep, carried) {
        (Some(s), _) => format!("; 137/udp: {} of {} answered NBSTAT", s.replied, s.targets),
        (None, Some(d)) => format!(
            "; 137/udp: {} answered NBSTAT (queries in the discovery schedule)",
            d.nbstat_replies
        ),
        (None, None) => String::new(),
    };
    let discovery = stats.discovery.as_ref().map_or_else(String::new, |d| {
        format!(
            "; {}; {} fingerprinted",
            discover::summary(d),
            plural(stats.fingerprinted, "host")
        )
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
        "scan: {} in {:.2} s, {}, {at_once}, vantage {vantage}{udp}{discovery}{}",
        plural(stats.hosts, "host"),
        stats.elapsed.as_secs_f64(),
        plural(stats.connections, "TCP connection"),
        if stats.cancelled {
            format!(
                "; interrupted ({} unfinished, not shown; {} never started)",
                plural(stats.unfinished, "host"),
                plural(stats.not_started, "target")
            )
        } else {
            String::new()
        },
    );
}
