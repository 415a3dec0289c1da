//! The raw SYN stage alone, for benchmarks against ZMap and masscan
//! (`benches/discovery.sh`): sweeps the targets and prints one `key=value` line of
//! figures, and with `--list` every open pair, one `ADDR PORT` per line. `--nbstat` adds a
//! UDP 137 NBSTAT query per address to the same schedule and counts the answers.
//!
//! ```text
//! raw_sweep [--ports 139,445] [--rate 100000] [--tries 2] [--cooldown-ms 3000]
//!           [--seed N] [--interface IF] [--nbstat] [--list] TARGET...
//! ```
//!
//! Needs CAP_NET_RAW. Sends only to the targets given; point it at the shared lab
//! (10.213.0.0/16, routed into its namespaces: check `lab route-check` first).

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use smbaudit_engine::CancellationToken;
use smbaudit_engine::discovery::raw;
use smbaudit_engine::discovery::{
    DiscoveryConfig, DiscoveryProgress, Found, MethodChoice, PortState,
};
use smbaudit_engine::targets::{Order, TargetList};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("raw_sweep: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut cfg = DiscoveryConfig {
        ports: vec![139, 445],
        rate: 100_000,
        tries: raw::DEFAULT_TRIES,
        cooldown: Duration::from_secs(3),
        order: Order::default(),
        interface: None,
        method: MethodChoice::Raw,
    };
    cfg.order.seed = rand_seed();
    let mut targets = TargetList::new();
    let mut list = false;
    let mut nbstat = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--ports" => {
                cfg.ports = value()?
                    .split(',')
                    .map(|p| p.parse().map_err(|e| format!("port {p}: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--rate" => cfg.rate = value()?.parse().map_err(|e| format!("--rate: {e}"))?,
            "--tries" => cfg.tries = value()?.parse().map_err(|e| format!("--tries: {e}"))?,
            "--cooldown-ms" => {
                let ms = value()?
                    .parse()
                    .map_err(|e| format!("--cooldown-ms: {e}"))?;
                cfg.cooldown = Duration::from_millis(ms);
            }
            "--seed" => cfg.order.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--interface" => cfg.interface = Some(value()?),
            "--list" => list = true,
            "--nbstat" => nbstat = true,
            token => targets.include(token).map_err(|e| e.to_string())?,
        }
    }
    let Some(std::net::IpAddr::V4(first)) = targets.iter().next() else {
        return Err("give at least one IPv4 target".into());
    };
    let mut sweep = raw::open(&cfg, first).map_err(|e| e.to_string())?;
    let (ntx, mut nrx) = tokio::sync::mpsc::unbounded_channel();
    if nbstat {
        sweep.with_nbstat(ntx).map_err(|e| e.to_string())?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Found>();
    let progress = DiscoveryProgress::default();
    let cancel = CancellationToken::new();
    let stats = rt
        .block_on(sweep.run(&targets, &cfg, &cancel, &progress, tx))
        .map_err(|e| e.to_string())?;
    let mut open = Vec::new();
    while let Ok(f) = rx.try_recv() {
        if f.state == PortState::Open {
            open.push(f);
        }
    }
    let mut node_status = 0u64;
    while let Ok(n) = nrx.try_recv() {
        node_status += u64::from(matches!(
            n.outcome,
            smbaudit_probe::observation::Outcome::Reply(
                smbaudit_probe::nbns::NbnsReply::NodeStatus(_)
            )
        ));
    }
    if list {
        for f in &open {
            println!("{} {} attempt={}", f.ip, f.port, f.attempt);
        }
    }
    // Over the whole send time: with retries it includes the pauses between passes, so
    // measure the rate with `--tries 1`.
    let first_pass_secs = stats.send_time.as_secs_f64();
    let rate = if first_pass_secs > 0.0 {
        stats.sent as f64 / first_pass_secs
    } else {
        0.0
    };
    println!(
        "open={} closed={} unreachable={} planned={} sent={} retransmitted={} passes={} \
         valid={} rejected={} send_s={:.3} elapsed_s={:.3} pps_over_send_time={:.0} rate={} \
         unsendable={} progress_sent={} nbstat_replies={} node_status={}",
        stats.open,
        stats.closed,
        stats.unreachable,
        stats.planned,
        stats.sent,
        stats.retransmitted,
        stats.passes,
        stats.valid_replies,
        stats.rejected_replies,
        stats.send_time.as_secs_f64(),
        stats.elapsed.as_secs_f64(),
        rate,
        cfg.rate,
        stats.unsendable,
        progress.sent.load(Ordering::Relaxed),
        stats.nbstat_replies,
        node_status,
    );
    Ok(())
}

/// A seed from the clock: every run visits the targets in a new order.
fn rand_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
