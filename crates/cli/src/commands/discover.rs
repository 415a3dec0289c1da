//! `scan`'s discovery stage on the command line: its settings from the flags, the sender
//! opened before anything is sent (with the one line that says when it falls back to
//! `connect()`), its part of the summary, and its first packets for `--dry-run`.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};

use smbaudit_engine::discovery::{
    self, DiscoveryConfig, DiscoveryError, DiscoveryStats, Method, MethodChoice, Sweep,
};
use smbaudit_engine::scan::{ScanConfig, discovery_config};
use smbaudit_engine::targets::{Order, Permutation, TargetList};
use smbaudit_wire::tcpip::IpPair;
use smbaudit_wire::tcpip::cookie::SynCookie;

use crate::Fatal;
use crate::args::{DiscoveryArgs, DiscoveryMethod};

/// Packets `--dry-run` lists.
const FIRST_PACKETS: usize = 8;

/// The stage's settings from the flags (ports and order are the scan's, filled in by
/// [`discovery_config`]).
pub(crate) fn settings(args: &DiscoveryArgs, order: Order) -> DiscoveryConfig {
    DiscoveryConfig {
        ports: Vec::new(),
        rate: args.rate,
        tries: args.tries,
        cooldown: args.cooldown,
        order,
        interface: None,
        method: match args.discovery {
            DiscoveryMethod::Auto => MethodChoice::Auto,
            DiscoveryMethod::Raw => MethodChoice::Raw,
            DiscoveryMethod::Connect => MethodChoice::Connect,
        },
    }
}

/// Opens the sender for a scan of `targets` with `cfg` (`None` when the scan has no TCP
/// port). `--discovery raw` without the means to send raw packets is bad input (exit 2);
/// `auto` falling back says so in one line on stderr, as nmap does for `-sT` (not with
/// `quiet`: `-q` prints nothing on stderr).
pub(crate) fn open(
    cfg: &ScanConfig,
    targets: &TargetList,
    quiet: bool,
) -> Result<Option<Sweep>, Fatal> {
    let Some(dcfg) = discovery_config(cfg) else {
        return Ok(None);
    };
    let sweep = match discovery::open(&dcfg, discovery::first_ipv4(targets, &dcfg)) {
        Ok(sweep) => sweep,
        Err(e @ DiscoveryError::RawUnavailable(_)) => return Err(Fatal::usage(e)),
        Err(e) => return Err(e.into()),
    };
    if dcfg.method == MethodChoice::Auto
        && !quiet
        && let Some(reason) = sweep.fallback_reason()
    {
        eprintln!("scan: {reason}: discovery falls back to connect() (slower)");
    }
    Ok(Some(sweep))
}

/// The summary's words for the stage: how it ran, what it sent and found.
pub(crate) fn summary(stats: &DiscoveryStats) -> String {
    let method = match &stats.method {
        Method::Raw { interface } => format!("raw SYNs on {interface}"),
        Method::Connect { reason } => format!("connect() ({reason})"),
    };
    let retransmitted = if stats.retransmitted > 0 {
        format!(" ({} resent)", stats.retransmitted)
    } else {
        String::new()
    };
    format!(
        "discovery by {method}: {} sent{retransmitted} in {:.2} s, done at {:.2} s, {} open, {} closed, {} unreachable",
        stats.sent,
        stats.send_time.as_secs_f64(),
        stats.elapsed.as_secs_f64(),
        stats.open,
        stats.closed,
        stats.unreachable
    )
}

/// `--dry-run`'s discovery lines: the settings, how many probes, and the first SYNs in the
/// order the sender would send them (raw's unless `--discovery connect`), with the source
/// address the route gives, source port and sequence cookie under a key drawn for the dry
/// run (a real scan draws its own).
pub(crate) fn print_plan(
    out: &mut impl Write,
    cfg: &ScanConfig,
    targets: &TargetList,
    count: Option<u64>,
) -> std::io::Result<()> {
    let Some(dcfg) = discovery_config(cfg) else {
        return Ok(());
    };
    let method = match dcfg.method {
        MethodChoice::Auto => "raw SYNs if CAP_NET_RAW allows, else connect()",
        MethodChoice::Raw => "raw SYNs",
        MethodChoice::Connect => "connect()",
    };
    let ports: Vec<String> = dcfg.ports.iter().map(u16::to_string).collect();
    let probes = count.map_or_else(
        || "IPv4 targets".to_owned(),
        |n| format!("{} probes", n * dcfg.ports.len() as u64),
    );
    writeln!(
        out,
        "discovery: {method}, {probes} to tcp {} at {} pps, up to {} tries, cooldown {:?}",
        ports.join(","),
        dcfg.rate,
        dcfg.tries,
        dcfg.cooldown
    )?;
    let cookie = SynCookie::new(rand::random());
    let first = match dcfg.method {
        MethodChoice::Connect => connect_order(targets, &dcfg),
        MethodChoice::Auto | MethodChoice::Raw => raw_order(targets, &dcfg),
    };
    for (ip, port) in first {
        let src = source_for(ip);
        let line = match IpPair::new(src.into(), ip.into()) {
            Some(ips) => {
                let sport = cookie.source_port(ip.into(), port, 0);
                format!(
                    "  SYN {src}:{sport} -> {ip}:{port} seq {:#010x}",
                    cookie.seq(ips, sport, port)
                )
            }
            None => format!("  SYN -> {ip}:{port}"),
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The first pairs of the `connect()` sweep: addresses in the keyed order, each with its
/// ports.
fn connect_order(targets: &TargetList, dcfg: &DiscoveryConfig) -> Vec<(Ipv4Addr, u16)> {
    let Ok(walk) = targets.walk(dcfg.order) else {
        return Vec::new();
    };
    walk.filter_map(|ip| match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    })
    .flat_map(|ip| dcfg.ports.iter().map(move |&p| (ip, p)))
    .take(FIRST_PACKETS)
    .collect()
}

/// The first pairs of the raw sweep: its keyed permutation runs over (address × port)
/// together (pair `j` is address `j / ports`, port `j % ports`; `discovery::raw`).
fn raw_order(targets: &TargetList, dcfg: &DiscoveryConfig) -> Vec<(Ipv4Addr, u16)> {
    let Ok(index) = targets.index() else {
        return Vec::new();
    };
    let slots = dcfg.ports.len() as u64;
    let permutation = Permutation::new(index.len().saturating_mul(slots), dcfg.order.seed);
    dcfg.order
        .shard
        .indices(permutation)
        .filter_map(|j| {
            let port = *dcfg.ports.get(usize::try_from(j % slots).ok()?)?;
            match index.address(j / slots)? {
                IpAddr::V4(v4) if targets.contains(v4.into()) => Some((v4, port)),
                _ => None,
            }
        })
        .take(FIRST_PACKETS)
        .collect()
}

/// The source address the routing table picks for `dst` (a UDP socket connected, which
/// sends nothing); 0.0.0.0 without a route.
fn source_for(dst: Ipv4Addr) -> Ipv4Addr {
    let probe = || -> std::io::Result<Ipv4Addr> {
        let socket = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        socket.connect((dst, 9))?;
        match socket.local_addr()?.ip() {
            IpAddr::V4(v4) => Ok(v4),
            IpAddr::V6(_) => Ok(Ipv4Addr::UNSPECIFIED),
        }
    };
    probe().unwrap_or(Ipv4Addr::UNSPECIFIED)
}
