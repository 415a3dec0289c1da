//! The TCP phase as two stages at once: discovery sweeps the IPv4 targets, and every host
//! it finds a port open on goes on to the fingerprint ([`super::host::scan_host`]) while
//! the sweep goes on.
//!
//! A host is handed on as soon as a port of it is found open or each of its ports is
//! decided (open, closed, unreachable; silent too when the `connect()` sweep says so), else
//! when discovery ends (its undecided ports are then silent). One with a port open is
//! fingerprinted with what discovery found, so a port found closed or silent gets no second
//! connection (one still undecided gets the fingerprint's own); one with none open is
//! recorded from discovery alone. When the raw sweep carries the UDP 137 NBSTAT queries
//! ([`NbstatSource::arriving`]), a host also waits for its answer (the name table gives
//! the called name on 139) until discovery ends. IPv6 targets are not swept, nor is the raw sender's own
//! address (a raw SYN to it is never answered through the packet socket): they go to the
//! fingerprint as without discovery.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use smbaudit_probe::observation::Outcome;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::known::{Decided, Evidence, Known, discovered_host, tcp_ports};
use super::{HostScan, ScanConfig, ScanProgress, ScanStats, budget, window};
use crate::discovery::raw::NbstatFound;
use crate::discovery::{DiscoveryConfig, Found, Sweep};
use crate::nbns::HostResult;
use crate::targets::TargetList;

/// A host ready for the fingerprint, with what discovery knew (`None`: IPv6, not swept).
type Job = (IpAddr, Option<Known>);

/// Where the hosts' UDP 137 results come from.
pub(super) struct NbstatSource {
    /// Results of the NBSTAT sweep that ran before discovery (hosts that answered).
    pub(super) known: HashMap<Ipv4Addr, HostResult>,
    /// The raw sweep's NBSTAT answers, when it carries the queries.
    pub(super) arriving: Option<mpsc::UnboundedReceiver<NbstatFound>>,
    /// Queries a host that never answered was sent.
    pub(super) tries: u8,
}

/// The state of the two stages.
struct Stages<'a> {
    targets: &'a TargetList,
    cfg: &'a ScanConfig,
    ports: Vec<u16>,
    evidence: Evidence,
    nbstat: HashMap<Ipv4Addr, HostResult>,
    /// Whether NBSTAT answers arrive during discovery (a host then waits for its own).
    nbstat_arriving: bool,
    /// Queries a host that never answered NBSTAT was sent.
    nbstat_tries: u8,
    known: HashMap<Ipv4Addr, Known>,
    queue: VecDeque<Job>,
    running: JoinSet<HostScan>,
    window: window::Window,
    congestion: Arc<window::Congestion>,
    /// Hosts recorded from discovery alone.
    recorded: u64,
    /// The raw sender's own address (fingerprinted without discovery).
    own: Option<Ipv4Addr>,
}

/// Runs discovery with `sweep` and the fingerprint of what it finds, calling `on_host`
/// for every target (fingerprinted or recorded from discovery) as it is done.
#[allow(clippy::too_many_arguments)]
pub(super) async fn staged_phase(
    targets: &TargetList,
    cfg: &ScanConfig,
    dcfg: &DiscoveryConfig,
    mut sweep: Sweep,
    cancel: &CancellationToken,
    progress: &ScanProgress,
    nbstat: NbstatSource,
    stats: &mut ScanStats,
    on_host: &mut impl FnMut(HostScan),
) -> io::Result<()> {
    let (found_tx, mut found_rx) = mpsc::unbounded_channel();
    let (silent_tx, mut silent_rx) = mpsc::unbounded_channel();
    let raw = matches!(sweep, Sweep::Raw(_));
    let own = sweep.raw_source();
    if let Sweep::Connect(connect) = &mut sweep {
        connect.report_silence(silent_tx);
    } else {
        drop(silent_tx);
    }
    let mut stages = Stages {
        targets,
        cfg,
        ports: tcp_ports(cfg.ports).into_iter().map(|(p, _)| p).collect(),
        evidence: Evidence {
            raw,
            tries: dcfg.tries,
        },
        nbstat: nbstat.known,
        nbstat_arriving: nbstat.arriving.is_some(),
        nbstat_tries: nbstat.tries,
        known: HashMap::new(),
        queue: not_swept(targets, cfg, own)?,
        own,
        running: JoinSet::new(),
        window: window::Window::new(cfg.concurrency),
        congestion: Arc::default(),
        recorded: 0,
    };
    // A resumed scan's finished targets are not probed again.
    let sweep = sweep.skipping(&cfg.skip);
    let discovery = sweep.run(targets, dcfg, cancel, &progress.discovery, found_tx);
    tokio::pin!(discovery);
    let mut nbstat_rx = nbstat.arriving;
    let (mut swept, mut found_open, mut silent_open) = (false, true, true);
    let mut nbstat_open = nbstat_rx.is_some();
    let mut flushed = false;
    loop {
        stages.launch(cancel, progress);
        let over = swept && !found_open && !silent_open && !nbstat_open;
        if over && stages.queue.is_empty() && stages.running.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                stages.stop(stats, progress, on_host).await;
                break;
            }
            result = &mut discovery, if !swept => {
                stats.discovery = Some(result?);
                swept = true;
            }
            found = found_rx.recv(), if found_open => match found {
                Some(found) => stages.found(found, progress, on_host),
                None => found_open = false,
            },
            silent = silent_rx.recv(), if silent_open => match silent {
                Some((ip, port)) => stages.decided(ip, port, Decided::Silent, progress, on_host),
                None => silent_open = false,
            },
            nb = next(&mut nbstat_rx), if nbstat_open => match nb {
                Some(nb) => stages.nbstat_found(nb, progress, on_host),
                None => nbstat_open = false,
            },
            Some(done) = stages.running.join_next() => {
                stages.window.host_finished(&stages.congestion, Instant::now());
                if let Ok(host) = done {
                    stats.fingerprinted += 1;
                    progress.fingerprinted.fetch_add(1, Ordering::Relaxed);
                    super::finish(host, stats, progress, on_host);
                }
            }
        }
        if swept && !found_open && !silent_open && !nbstat_open && !flushed {
            stages.flush(progress, on_host);
            flushed = true;
        }
    }
    stats.lowest_concurrency = stages.window.lowest();
    stages.record_the_rest(targets, stats, cancel, progress, on_host)
}

impl Stages<'_> {
    /// Starts queued hosts while the window has room.
    fn launch(&mut self, cancel: &CancellationToken, progress: &ScanProgress) {
        while !cancel.is_cancelled() && self.running.len() < self.window.limit() {
            let Some((ip, known)) = self.queue.pop_front() else {
                break;
            };
            let nb = self.take_nbstat(ip);
            let budget = budget::Budget::start(self.cfg.timeouts, Arc::clone(&self.congestion));
            let prior = known.map(|k| (k, self.evidence));
            progress.found.fetch_add(1, Ordering::Relaxed);
            self.running.spawn(super::probe_host(
                ip,
                self.cfg.ports,
                self.cfg.sweep.port,
                budget,
                nb,
                self.cfg.credentials.clone(),
                prior,
            ));
        }
    }

    /// The host's UDP 137 result (silent if it did not answer), when 137 is probed.
    fn take_nbstat(&mut self, ip: IpAddr) -> Option<HostResult> {
        match ip {
            IpAddr::V4(v4) if self.cfg.ports.udp137 => Some(
                self.nbstat
                    .remove(&v4)
                    .unwrap_or_else(|| HostResult::silent(v4, self.nbstat_tries)),
            ),
            _ => None,
        }
    }

    fn found(&mut self, found: Found, progress: &ScanProgress, on_host: &mut impl FnMut(HostScan)) {
        if let IpAddr::V4(ip) = found.ip {
            self.decided(ip, found.port, found.state.into(), progress, on_host);
        }
    }

    /// Whether `ip` is a target whose verdicts count (the sender's own address is not).
    fn counts(&self, ip: Ipv4Addr) -> bool {
        !self.cfg.skip.contains(&IpAddr::V4(ip))
            && self.own != Some(ip)
            && self.targets.contains(IpAddr::V4(ip))
    }

    /// Notes one port's verdict; hands the host on once it is ready.
    fn decided(
        &mut self,
        ip: Ipv4Addr,
        port: u16,
        decided: Decided,
        progress: &ScanProgress,
        on_host: &mut impl FnMut(HostScan),
    ) {
        // Only targets are reported, whatever the sender hands on.
        if !self.ports.contains(&port) || !self.counts(ip) {
            return;
        }
        let known = self.known.entry(ip).or_default();
        if known.handed_on {
            return;
        }
        known.record(port, decided);
        self.hand_on_if_ready(ip, progress, on_host);
    }

    /// Notes a target's answer (or ICMP error) to the sweep's NBSTAT query.
    fn nbstat_found(
        &mut self,
        found: NbstatFound,
        progress: &ScanProgress,
        on_host: &mut impl FnMut(HostScan),
    ) {
        if !self.counts(found.ip) || self.nbstat.contains_key(&found.ip) {
            return;
        }
        if matches!(found.outcome, Outcome::Reply(_)) {
            progress.nbstat_replies.fetch_add(1, Ordering::Relaxed);
        }
        let result = HostResult {
            ip: found.ip,
            outcome: found.outcome,
            rtt: None,
            attempts: 1,
        };
        self.nbstat.insert(found.ip, result);
        self.hand_on_if_ready(found.ip, progress, on_host);
    }

    /// Hands `ip` on once a port of it is open or every port is decided, and its NBSTAT
    /// answer is in when answers arrive during discovery. An open port is enough: the
    /// fingerprint connects to the ports still undecided itself, and starting it then, not
    /// when the last of the host's probes comes up in the permutation, keeps the
    /// fingerprint busy from the start of the sweep.
    fn hand_on_if_ready(
        &mut self,
        ip: Ipv4Addr,
        progress: &ScanProgress,
        on_host: &mut impl FnMut(HostScan),
    ) {
        let Some(known) = self.known.get(&ip) else {
            return;
        };
        let awaits_nbstat = self.nbstat_arriving && !self.nbstat.contains_key(&ip);
        let decided = known.any_open() || known.all_decided(&self.ports);
        if !known.handed_on && decided && !awaits_nbstat {
            self.hand_on(ip, progress, on_host);
        }
    }

    /// Queues `ip` for the fingerprint if a port of it is open, else records it.
    fn hand_on(
        &mut self,
        ip: Ipv4Addr,
        progress: &ScanProgress,
        on_host: &mut impl FnMut(HostScan),
    ) {
        let Some(known) = self.known.get_mut(&ip) else {
            return;
        };
        known.handed_on = true;
        let known = known.clone();
        if known.any_open() {
            self.queue.push_back((ip.into(), Some(known)));
        } else {
            let host = discovered_host(ip.into(), self.cfg.ports, Some(&known), self.evidence);
            self.record(host, progress, on_host);
        }
    }

    /// Discovery is over: every host not yet handed on whose ports are all decided goes on
    /// (it waited for an NBSTAT answer that never came), and every other host that
    /// answered on some port goes to the fingerprint, which connects to its undecided
    /// ports itself. A host that is up and lost a SYN there (a busy server's full accept
    /// queue drops SYNs in bursts, often while its other ports are being fingerprinted)
    /// is then not called filtered on a port it serves; silent space never gets here.
    fn flush(&mut self, progress: &ScanProgress, on_host: &mut impl FnMut(HostScan)) {
        let waiting: Vec<Ipv4Addr> = self
            .known
            .iter()
            .filter(|(_, k)| !k.handed_on && k.any_answer())
            .map(|(ip, _)| *ip)
            .collect();
        for ip in waiting {
            let Some(known) = self.known.get_mut(&ip) else {
                continue;
            };
            if known.all_decided(&self.ports) {
                self.hand_on(ip, progress, on_host);
            } else {
                known.handed_on = true;
                let known = known.clone();
                self.queue.push_back((ip.into(), Some(known)));
            }
        }
    }

    /// A host recorded from discovery alone, with its UDP 137 result.
    fn record(
        &mut self,
        host: HostScan,
        progress: &ScanProgress,
        on_host: &mut impl FnMut(HostScan),
    ) {
        let nb = self.take_nbstat(host.ip);
        let host = super::with_nbstat(host, nb, self.cfg.sweep.port);
        self.recorded += 1;
        progress.done.fetch_add(1, Ordering::Relaxed);
        on_host(host);
    }

    /// Cancelled: the hosts in flight are stopped; those that finished are handed on.
    async fn stop(
        &mut self,
        stats: &mut ScanStats,
        progress: &ScanProgress,
        on_host: &mut impl FnMut(HostScan),
    ) {
        stats.unfinished = self.running.len() as u64;
        self.running.abort_all();
        while let Some(done) = self.running.join_next().await {
            if let Ok(host) = done {
                stats.unfinished -= 1;
                super::finish(host, stats, progress, on_host);
            }
        }
    }

    /// After discovery and the fingerprints: every IPv4 target not handed on is recorded
    /// from what discovery knew (nothing: silent). Cancelled, they are counted as never
    /// started instead.
    fn record_the_rest(
        mut self,
        targets: &TargetList,
        stats: &mut ScanStats,
        cancel: &CancellationToken,
        progress: &ScanProgress,
        on_host: &mut impl FnMut(HostScan),
    ) -> io::Result<()> {
        let mut never = self.queue.len() as u64;
        for ip in super::visit(targets, self.cfg)? {
            let IpAddr::V4(v4) = ip else { continue };
            let handed_on = self.known.get(&v4).is_some_and(|k| k.handed_on);
            if self.cfg.skip.contains(&ip) || handed_on || self.own == Some(v4) {
                continue;
            }
            if cancel.is_cancelled() {
                never += 1;
                continue;
            }
            let host = discovered_host(ip, self.cfg.ports, self.known.get(&v4), self.evidence);
            self.record(host, progress, on_host);
        }
        stats.hosts += self.recorded;
        if cancel.is_cancelled() {
            stats.not_started = never;
        }
        Ok(())
    }
}

/// The next NBSTAT answer of the sweep (`None`: it carries none, or it is over).
async fn next(rx: &mut Option<mpsc::UnboundedReceiver<NbstatFound>>) -> Option<NbstatFound> {
    match rx {
        Some(rx) => rx.recv().await,
        None => None,
    }
}

/// The targets discovery does not sweep (IPv6, and `own`), in order, resumed ones left
/// out.
fn not_swept(
    targets: &TargetList,
    cfg: &ScanConfig,
    own: Option<Ipv4Addr>,
) -> io::Result<VecDeque<Job>> {
    let swept = |ip: &IpAddr| match ip {
        IpAddr::V4(v4) => own != Some(*v4),
        IpAddr::V6(_) => false,
    };
    Ok(super::visit(targets, cfg)?
        .filter(|ip| !swept(ip) && !cfg.skip.contains(ip))
        .map(|ip| (ip, None))
        .collect())
}
