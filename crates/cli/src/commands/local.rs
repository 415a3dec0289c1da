//! `smbaudit` with no command, or `smbaudit local`: what this machine exposes on loopback.
//! The same pipeline as `scan` (records, rules, output formats) over one target,
//! 127.0.0.1, so it sends nothing beyond loopback and is safe to run anywhere.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use indicatif::ProgressBar;
use smbaudit_engine::nbns::SweepConfig;
use smbaudit_engine::scan::{PortSet, ScanConfig, Timeouts};
use smbaudit_engine::targets::TargetList;
use smbaudit_findings::Vantage;

use super::scan::Run;
use crate::args::LocalArgs;
use crate::pipeline::Shown;
use crate::{Fatal, exit};

/// The only target.
const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

pub(crate) async fn run(args: LocalArgs) -> Result<u8, Fatal> {
    if !args.quiet {
        eprintln!("smbaudit: checking this machine over loopback ({LOOPBACK}) only");
    }
    let mut targets = TargetList::new();
    targets
        .include(&LOOPBACK.to_string())
        .map_err(Fatal::usage)?;
    let cfg = local_config(&args);
    let run = Run {
        targets: &targets,
        whole_scan: None,
        cfg: &cfg,
        sweep: None,
        // What other machines on the network could reach, if the ports are not bound to
        // loopback alone.
        vantage: Vantage::Lan,
        shown: Shown::All,
        format: args.format,
        verbose: args.verbose,
        keep_all: false,
        fail_on: None,
        bar: ProgressBar::hidden(),
    };
    let stats = run.execute(None, None).await?.stats;
    if !args.quiet {
        eprintln!(
            "Run `smbaudit scan <targets>` to see what your network exposes over SMB and NetBIOS, and how to close it."
        );
    }
    Ok(if stats.cancelled {
        exit::interrupted()
    } else {
        exit::OK
    })
}

/// Every port, one host, each probe bounded by `--timeout`.
fn local_config(args: &LocalArgs) -> ScanConfig {
    ScanConfig {
        ports: PortSet {
            udp137: true,
            epm: Some(135),
            nbss: Some(139),
            direct: Some(445),
            null_session: true,
            shares: true,
            write_check: false,
        },
        timeouts: Timeouts {
            connect: args.timeout,
            reply: args.timeout,
            host: args.timeout * 10,
        },
        concurrency: 1,
        sweep: SweepConfig {
            timeout: args.timeout,
            ..SweepConfig::default()
        },
        skip: HashSet::<IpAddr>::new(),
        credentials: None,
        order: None,
        discovery: None,
    }
}
