//! `smbaudit` with no command, or `smbaudit local`: what this machine exposes on loopback.
//! Sends nothing beyond 127.0.0.1, so it is safe to run anywhere.

use std::net::{IpAddr, Ipv4Addr};

use smbaudit_engine::nbns::{Query, SweepConfig, sweep};
use smbaudit_engine::tcp::probe_port;

use crate::args::LocalArgs;
use crate::{Fatal, exit};
use smbaudit_findings::record::{NbstatHost, NbstatStatus};

/// The ports an attacker looks at: RPC endpoint mapper, NetBIOS session service, SMB.
const TCP_PORTS: [(u16, &str); 3] = [(135, "msrpc"), (139, "netbios-ssn"), (445, "microsoft-ds")];

pub(crate) async fn run(args: LocalArgs) -> Result<u8, Fatal> {
    let ip = Ipv4Addr::LOCALHOST;
    println!("smbaudit: checking this machine over loopback ({ip}) only");
    for (port, service) in TCP_PORTS {
        let state = probe_port(IpAddr::V4(ip), port, args.timeout).await;
        println!(
            "  {port:>3}/tcp  {:<13} {:<13} {}",
            state.as_str(),
            service,
            state.evidence()
        );
    }
    let cfg = SweepConfig {
        timeout: args.timeout,
        ..SweepConfig::default()
    };
    let cancel = super::cancel_on_ctrl_c();
    let mut host = None;
    sweep(
        std::iter::once(ip),
        Query::node_status(),
        &cfg,
        &cancel,
        |r| host = Some(NbstatHost::from_result(&r)),
    )
    .await?;
    match host {
        Some(h) if h.status == NbstatStatus::Ok => {
            let r = &h.report;
            println!(
                "  137/udp  open          netbios-ns    answers NODE STATUS: computer {}, workgroup {}, {} names",
                r.computer.as_deref().unwrap_or("-"),
                r.workgroup.as_deref().unwrap_or("-"),
                r.names.len()
            );
        }
        Some(h) if h.answered() => {
            println!(
                "  137/udp  open          netbios-ns    {}",
                h.error.unwrap_or_default()
            );
        }
        Some(h) if h.status == NbstatStatus::Closed => println!(
            "  137/udp  closed        netbios-ns    {}",
            h.error.unwrap_or_default()
        ),
        _ => println!("  137/udp  open|filtered netbios-ns    no NODE STATUS reply"),
    }
    println!(
        "Run `smbaudit scan <targets>` to see what your network exposes over SMB and NetBIOS, and how to close it."
    );
    Ok(exit::OK)
}
