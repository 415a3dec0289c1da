//! What the raw sweep tests share: a configuration, a target list, one sweep run inside
//! the scanner namespace, and reading nft counters of the target.

use std::net::IpAddr;
use std::time::Duration;

use smbaudit_engine::CancellationToken;
use smbaudit_engine::discovery::raw;
use smbaudit_engine::discovery::{
    DiscoveryConfig, DiscoveryProgress, DiscoveryStats, Found, MethodChoice,
};
use smbaudit_engine::targets::{Order, TargetList};

use super::netns::{Net, Role};

/// A sweep that has not ended after this is a failure.
pub(crate) const SWEEP_LIMIT: Duration = Duration::from_secs(60);

pub(crate) fn config(ports: &[u16], rate: u32, tries: u8) -> DiscoveryConfig {
    DiscoveryConfig {
        ports: ports.to_vec(),
        rate,
        tries,
        cooldown: Duration::from_millis(500),
        order: Order {
            seed: 11,
            ..Order::default()
        },
        interface: None,
        method: MethodChoice::Raw,
    }
}

pub(crate) fn targets(include: &[String], exclude: &[String]) -> TargetList {
    let mut t = TargetList::new();
    include.iter().for_each(|s| t.include(s).unwrap());
    exclude.iter().for_each(|s| t.exclude(s).unwrap());
    t
}

/// Opens the sweep in the scanner namespace, runs `between` (after the sockets are open,
/// before the first send), then sweeps. Returns the stats and every pair found.
pub(crate) fn sweep(
    net: &Net,
    targets: &TargetList,
    cfg: &DiscoveryConfig,
    between: impl FnOnce() + Send,
) -> (DiscoveryStats, Vec<Found>) {
    sweep_adjusted(net, targets, cfg, |s| {
        between();
        s
    })
}

/// As [`sweep`], the opened sweep passed through `adjust` before it runs.
pub(crate) fn sweep_adjusted(
    net: &Net,
    targets: &TargetList,
    cfg: &DiscoveryConfig,
    adjust: impl FnOnce(raw::RawSweep) -> raw::RawSweep + Send,
) -> (DiscoveryStats, Vec<Found>) {
    let first = match targets.iter().next() {
        Some(IpAddr::V4(v4)) => v4,
        other => panic!("first target {other:?}"),
    };
    net.enter(Role::Scanner, || {
        let sweep = raw::open(cfg, first).expect("raw sweep opens as root");
        assert_eq!(sweep.interface(), "s0");
        assert_eq!(sweep.source(), net.scanner());
        let sweep = adjust(sweep);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let progress = DiscoveryProgress::default();
        let stats = rt.block_on(async {
            tokio::time::timeout(SWEEP_LIMIT, sweep.run(targets, cfg, &cancel, &progress, tx))
                .await
                .expect("the sweep ends")
                .expect("the sweep runs")
        });
        let mut found = Vec::new();
        while let Ok(f) = rx.try_recv() {
            found.push(f);
        }
        assert!(progress.done.load(std::sync::atomic::Ordering::Acquire));
        (stats, found)
    })
}

/// Packets an nft counter named `name` in the target's table `synr` has counted.
pub(crate) fn counter(net: &Net, name: &str) -> u64 {
    let out = net.output(Role::Target, &format!("nft list counter ip synr {name}"));
    let packets = out
        .split_whitespace()
        .skip_while(|w| *w != "packets")
        .nth(1)
        .unwrap_or_else(|| panic!("counter {name}: {out}"));
    packets.parse().unwrap()
}

/// `python3 ARGS...` as one shell command line, each argument single-quoted.
pub(crate) fn shell_words(args: &[&str]) -> String {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    format!("python3 {}", quoted.join(" "))
}
