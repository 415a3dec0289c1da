//! `smbaudit nbstat`: NODE STATUS of every target over one UDP socket.

use std::io::Write;
use std::net::IpAddr;

use anyhow::Context;
use smbaudit_engine::nbns::{Query, SweepConfig, SweepStats, dry_run, sweep};

use crate::args::NbstatArgs;
use smbaudit_findings::record::NbstatHost;

use crate::render::nbstat;
use crate::{Fatal, exit, input};

pub(crate) async fn run(args: NbstatArgs) -> Result<u8, Fatal> {
    let resolver = input::resolver(&args.names, args.udp.timeout, args.udp.retries);
    let targets = input::load_targets(&args.targets, resolver).await?;
    let mut skipped_v6 = 0u64;
    let v4 = targets.iter().filter_map(|ip| match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => {
            skipped_v6 += 1;
            None
        }
    });
    if args.dry_run {
        let (count, bytes) = dry_run(v4, Query::node_status());
        println!("dry run: {count} NODE STATUS queries built ({bytes} bytes), none sent");
        return Ok(exit::OK);
    }
    input::check_source_port(args.udp.source_port)?;
    let cfg = SweepConfig {
        rate: args.rate,
        timeout: args.udp.timeout,
        retries: args.udp.retries,
        source_port: args.udp.source_port,
        ..SweepConfig::default()
    };
    let cancel = super::cancel_on_ctrl_c();
    let stdout = std::io::stdout();
    let mut renderer = nbstat::sink(args.format, args.verbose, stdout.lock());
    renderer.begin()?;
    let mut write_error: Option<std::io::Error> = None;
    let stats = sweep(v4, Query::node_status(), &cfg, &cancel, |result| {
        let mut host = NbstatHost::from_result(&result);
        crate::oui::annotate(&mut host);
        if (args.all || host.answered()) && write_error.is_none() {
            if let Err(e) = renderer.host(host) {
                write_error = Some(e);
                cancel.cancel();
            }
        }
    })
    .await
    .context("NBNS sweep")?;
    if let Some(e) = write_error {
        return Err(Fatal::from(
            anyhow::Error::from(e).context("writing results"),
        ));
    }
    renderer.end()?;
    if !args.quiet {
        summary(&stats, skipped_v6);
    }
    Ok(if stats.cancelled {
        exit::interrupted()
    } else {
        exit::OK
    })
}

fn summary(stats: &SweepStats, skipped_v6: u64) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "nbstat: {} of {} addresses answered in {:.2} s ({} queries sent, {} retransmitted, {} silent, {} ICMP unreachable, {} unsendable, {} stray replies ignored){}",
        stats.replied,
        stats.targets,
        stats.elapsed.as_secs_f64(),
        stats.sent,
        stats.retransmitted,
        stats.silent,
        stats.unreachable,
        stats.send_failed,
        stats.stray,
        if stats.cancelled { "; interrupted" } else { "" },
    );
    if skipped_v6 > 0 {
        let _ = writeln!(
            err,
            "nbstat: skipped {skipped_v6} IPv6 targets: NetBIOS name service is IPv4 only"
        );
    }
}
