//! `scan`: many hosts at once — UDP 137 first (one socket for the whole run; in the raw
//! discovery sweep's own schedule when it runs), then each host's TCP ports, the session
//! service and the SMB suite, with a concurrency limit and per-phase timeouts.

mod budget;
mod conn;
mod fdlimit;
mod host;
mod known;
mod route;
mod staged;
mod suite;
mod window;

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use smbaudit_probe::observation::Port;
pub use smbaudit_probe::observation::{HostError, HostScan, Phase, PortObservation};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use budget::Timeouts;
pub use fdlimit::{hosts_for_limit, raise_nofile_limit};
pub use smbaudit_probe::smb::ProbeError;
pub use smbaudit_probe::smb::connection::MAX_REPLY;

use crate::discovery::{
    self, DiscoveryConfig, DiscoveryError, DiscoveryProgress, DiscoveryStats, Sweep,
};
use crate::nbns::{HostResult, Outcome, Query, SweepConfig, SweepStats, sweep};
use crate::targets::{Order, TargetList};

/// TCP sockets one host can hold at once (the 135, 139 and 445 connects; later one at a time).
pub const SOCKETS_PER_HOST: u64 = 3;

/// Which ports to look at (`None`: not looked at). The TCP port numbers can be moved for
/// servers on other ports and for tests on loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSet {
    /// NBSTAT on 137/udp (the sweep's port is in [`SweepConfig`]).
    pub udp137: bool,
    /// The RPC endpoint mapper, 135/tcp (reachability only).
    pub epm: Option<u16>,
    /// The NetBIOS session service, 139/tcp (session request, then SMB).
    pub nbss: Option<u16>,
    /// SMB over TCP, 445/tcp.
    pub direct: Option<u16>,
    /// Whether the SMB suite attempts an anonymous (null) session after the challenge.
    pub null_session: bool,
    /// Whether the sessions granted list shares and check each one's access.
    pub shares: bool,
    /// Whether the share checks prove write access with one DELETE_ON_CLOSE file.
    pub write_check: bool,
}

/// Settings of a scan.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Ports looked at.
    pub ports: PortSet,
    /// TCP and SMB timeouts.
    pub timeouts: Timeouts,
    /// Hosts probed at once over TCP, at most (lowered while handshakes stall).
    pub concurrency: usize,
    /// The UDP 137 sweep.
    pub sweep: SweepConfig,
    /// Targets to leave out (finished by an interrupted scan that is being resumed).
    pub skip: HashSet<IpAddr>,
    /// The user of the credentialed session (`--user`): one login per host, on the port
    /// whose suite runs in full.
    pub credentials: Option<Arc<smbaudit_probe::smb::credentials::Credentials>>,
    /// The order targets are visited in, both phases alike: as listed (`None`) or
    /// permuted by a seed, one shard of it.
    pub order: Option<Order>,
    /// The discovery stage before the fingerprint (`None`: every target's TCP ports are
    /// connected to, as without it). Its order is `order`'s.
    pub discovery: Option<DiscoveryConfig>,
}

/// Live counts for a progress display.
#[derive(Debug, Default)]
pub struct ScanProgress {
    /// Targets whose TCP phase finished.
    pub done: AtomicU64,
    /// Of those, hosts with an open SMB port.
    pub smb_hosts: AtomicU64,
    /// NBSTAT replies.
    pub nbstat_replies: AtomicU64,
    /// Whether the UDP phase is over.
    pub udp_done: std::sync::atomic::AtomicBool,
    /// The discovery stage's counts (untouched when the scan has none).
    pub discovery: DiscoveryProgress,
    /// Hosts discovery handed to the fingerprint (IPv6 targets, not swept, included).
    pub found: AtomicU64,
    /// Of those, hosts whose fingerprint finished.
    pub fingerprinted: AtomicU64,
}

/// Counters for the whole scan.
#[derive(Debug, Clone, Default)]
pub struct ScanStats {
    /// The UDP 137 sweep (None if 137 was not probed).
    pub sweep: Option<SweepStats>,
    /// The discovery stage (None if the scan had none).
    pub discovery: Option<DiscoveryStats>,
    /// Hosts whose TCP phase finished.
    pub hosts: u64,
    /// Of those, hosts fingerprinted after discovery found a port open (0 without
    /// discovery, where every host is).
    pub fingerprinted: u64,
    /// TCP connections opened in all.
    pub connections: u64,
    /// Hosts started but not finished when the scan was cancelled.
    pub unfinished: u64,
    /// Targets never started because the scan was cancelled first.
    pub not_started: u64,
    /// The fewest hosts allowed at once: below the concurrency when stalled handshakes (SYNs
    /// dropped by a full accept queue) made the scan back off.
    pub lowest_concurrency: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Whether the scan was cancelled.
    pub cancelled: bool,
}

/// Scans `targets`, calling `on_host` with each host as it finishes (in completion order).
/// With [`ScanConfig::discovery`] and TCP ports, the discovery sender is opened here (see
/// [`scan_with`] to open it first).
pub async fn scan(
    targets: &TargetList,
    cfg: &ScanConfig,
    cancel: &CancellationToken,
    progress: &ScanProgress,
    on_host: impl FnMut(HostScan),
) -> Result<ScanStats, DiscoveryError> {
    let sweep = match discovery_config(cfg) {
        Some(dcfg) => Some(discovery::open(
            &dcfg,
            discovery::first_ipv4(targets, &dcfg),
        )?),
        None => None,
    };
    Ok(scan_with(targets, cfg, sweep, cancel, progress, on_host).await?)
}

/// The discovery settings a scan runs with: [`ScanConfig::discovery`] in the scan's order,
/// on its TCP ports; `None` without discovery or TCP ports.
pub fn discovery_config(cfg: &ScanConfig) -> Option<DiscoveryConfig> {
    let mut dcfg = cfg.discovery.clone()?;
    dcfg.ports = known::tcp_ports(cfg.ports)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    dcfg.order = cfg.order.unwrap_or_default();
    (!dcfg.ports.is_empty()).then_some(dcfg)
}

/// As [`scan`], with the discovery sender already opened (`None`: no discovery stage;
/// ignored when the scan has no TCP port).
pub async fn scan_with(
    targets: &TargetList,
    cfg: &ScanConfig,
    sweep: Option<Sweep>,
    cancel: &CancellationToken,
    progress: &ScanProgress,
    mut on_host: impl FnMut(HostScan),
) -> io::Result<ScanStats> {
    let started = Instant::now();
    let mut stats = ScanStats::default();
    let dcfg = discovery_config(cfg);
    let mut sweep = sweep.filter(|_| dcfg.is_some());
    let arriving = sweep.as_mut().and_then(|s| carry_nbstat(cfg, s));
    let mut nbstat = HashMap::new();
    let v4 = |ip: IpAddr| match ip {
        IpAddr::V4(v4) if !cfg.skip.contains(&ip) => Some(v4),
        _ => None,
    };
    if cfg.ports.udp137 && arriving.is_none() {
        let all = visit(targets, cfg)?.filter_map(v4);
        stats.sweep = Some(udp_phase(all, cfg, cancel, progress, &mut nbstat).await?);
    } else if let Some(own) = sweep.as_ref().and_then(Sweep::raw_source)
        && targets.contains(own.into())
        && arriving.is_some()
    {
        // The one target the raw sweep leaves out: our own address, asked by itself.
        let own = v4(own.into()).into_iter();
        udp_phase(own, cfg, cancel, progress, &mut nbstat).await?;
    }
    progress.udp_done.store(true, Ordering::Relaxed);
    match (sweep, dcfg) {
        (Some(sweep), Some(dcfg)) => {
            let tries = match arriving {
                Some(_) => dcfg.tries.max(1),
                None => cfg.sweep.retries.saturating_add(1),
            };
            let nbstat = staged::NbstatSource {
                known: nbstat,
                arriving,
                tries,
            };
            staged::staged_phase(
                targets,
                cfg,
                &dcfg,
                sweep,
                cancel,
                progress,
                nbstat,
                &mut stats,
                &mut on_host,
            )
            .await?;
        }
        _ => {
            tcp_phase(
                targets,
                cfg,
                cancel,
                progress,
                nbstat,
                &mut stats,
                &mut on_host,
            )
            .await?;
        }
    }
    stats.cancelled = cancel.is_cancelled();
    stats.elapsed = started.elapsed();
    Ok(stats)
}

/// Puts the UDP 137 NBSTAT queries into `sweep`'s schedule when it is the raw one and the
/// scan asks for 137 on its real port; the answers then arrive on the receiver returned.
/// `None`: the NBSTAT sweep runs before discovery, as without raw packets.
fn carry_nbstat(
    cfg: &ScanConfig,
    sweep: &mut Sweep,
) -> Option<tokio::sync::mpsc::UnboundedReceiver<discovery::raw::NbstatFound>> {
    if !cfg.ports.udp137 || cfg.sweep.port != discovery::raw::NBNS_PORT {
        return None;
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    sweep.carry_nbstat(tx).then_some(rx)
}

/// NBSTAT of the addresses `v4` over one socket; the hosts that answered anything go
/// into `nbstat`.
async fn udp_phase(
    v4: impl Iterator<Item = std::net::Ipv4Addr>,
    cfg: &ScanConfig,
    cancel: &CancellationToken,
    progress: &ScanProgress,
    nbstat: &mut HashMap<std::net::Ipv4Addr, HostResult>,
) -> io::Result<SweepStats> {
    sweep(v4, Query::node_status(), &cfg.sweep, cancel, |r| {
        if !matches!(r.outcome, Outcome::NoReply) {
            if matches!(r.outcome, Outcome::Reply(_)) {
                progress.nbstat_replies.fetch_add(1, Ordering::Relaxed);
            }
            nbstat.insert(r.ip, r);
        }
    })
    .await
}

/// Every target's TCP ports and SMB suite, as many at once as the window allows.
async fn tcp_phase(
    targets: &TargetList,
    cfg: &ScanConfig,
    cancel: &CancellationToken,
    progress: &ScanProgress,
    mut nbstat: HashMap<std::net::Ipv4Addr, HostResult>,
    stats: &mut ScanStats,
    on_host: &mut impl FnMut(HostScan),
) -> io::Result<()> {
    let mut running: JoinSet<HostScan> = JoinSet::new();
    let mut pending = visit(targets, cfg)?.filter(|ip| !cfg.skip.contains(ip));
    let mut window = window::Window::new(cfg.concurrency);
    let congestion = Arc::new(window::Congestion::default());
    loop {
        while !cancel.is_cancelled() && running.len() < window.limit() {
            let Some(ip) = pending.next() else { break };
            let nb = match ip {
                IpAddr::V4(v4) if cfg.ports.udp137 => {
                    Some(nbstat.remove(&v4).unwrap_or_else(|| {
                        HostResult::silent(v4, cfg.sweep.retries.saturating_add(1))
                    }))
                }
                _ => None,
            };
            let budget = budget::Budget::start(cfg.timeouts, Arc::clone(&congestion));
            let credentials = cfg.credentials.clone();
            running.spawn(probe_host(
                ip,
                cfg.ports,
                cfg.sweep.port,
                budget,
                nb,
                credentials,
                None,
            ));
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                stats.unfinished = running.len() as u64;
                running.abort_all();
                while let Some(done) = running.join_next().await {
                    if let Ok(host) = done {
                        stats.unfinished -= 1;
                        finish(host, stats, progress, on_host);
                    }
                }
                break;
            }
            Some(done) = running.join_next() => {
                window.host_finished(&congestion, Instant::now());
                if let Ok(host) = done {
                    finish(host, stats, progress, on_host);
                }
            }
        }
    }
    stats.lowest_concurrency = window.lowest();
    if cancel.is_cancelled() {
        stats.not_started = pending.count() as u64;
    }
    Ok(())
}

/// The targets in `cfg`'s order.
fn visit<'a>(targets: &'a TargetList, cfg: &ScanConfig) -> io::Result<crate::targets::Visit<'a>> {
    targets
        .visit(cfg.order)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// One host's TCP phase, with what its UDP 137 answer (`nb`) and discovery (`prior`) said.
async fn probe_host(
    ip: IpAddr,
    ports: PortSet,
    udp_port: u16,
    budget: budget::Budget,
    nb: Option<HostResult>,
    credentials: Option<Arc<smbaudit_probe::smb::credentials::Credentials>>,
    prior: Option<(known::Known, known::Evidence)>,
) -> HostScan {
    let tcp_wanted = ports.epm.is_some() || ports.nbss.is_some() || ports.direct.is_some();
    // The name table only matters for the called name on 139.
    let report = nb
        .as_ref()
        .filter(|_| ports.nbss.is_some())
        .and_then(HostResult::node_status_report);
    let host = if tcp_wanted {
        let prior = prior.as_ref().map(|(k, e)| (k, *e));
        host::scan_host(ip, ports, budget, report.as_ref(), credentials, prior).await
    } else {
        HostScan::new(ip)
    };
    with_nbstat(host, nb, udp_port)
}

/// `host` with its UDP 137 result (first among its ports).
fn with_nbstat(mut host: HostScan, nb: Option<HostResult>, udp_port: u16) -> HostScan {
    if let Some(nb) = &nb {
        host.ports
            .insert(0, nb.port_observation(Port::udp(udp_port)));
    }
    host.nbstat = nb;
    host
}

fn finish(
    host: HostScan,
    stats: &mut ScanStats,
    progress: &ScanProgress,
    on_host: &mut impl FnMut(HostScan),
) {
    stats.hosts += 1;
    stats.connections += u64::from(host.connections);
    progress.done.fetch_add(1, Ordering::Relaxed);
    if host.smb.is_some() {
        progress.smb_hosts.fetch_add(1, Ordering::Relaxed);
    }
    on_host(host);
}
