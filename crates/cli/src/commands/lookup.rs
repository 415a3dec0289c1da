//! `smbaudit lookup NAME[#XX]`: one NAME QUERY, to a WINS server or by broadcast.

use anyhow::{Context, anyhow};
use smbaudit_engine::nbns::{LookupConfig, LookupTarget, name_query};
use smbaudit_engine::resolve::parse_netbios_name;
use smbaudit_wire::nbns::QualifiedName;

use crate::args::LookupArgs;
use crate::render::lookup::{LookupRecord, render};
use crate::{Fatal, exit};

pub(crate) async fn run(args: LookupArgs) -> Result<u8, Fatal> {
    let name = parse_netbios_name(&args.name, 0x00).map_err(Fatal::usage)?;
    let target = match (args.names.wins, args.names.broadcast) {
        (Some(ip), _) => LookupTarget::Wins(ip),
        (None, Some(ip)) => LookupTarget::Broadcast(ip),
        (None, None) => {
            return Err(Fatal::usage(anyhow!(
                "lookup needs --wins IP (ask a WINS server) or --broadcast ADDR (ask the segment)"
            )));
        }
    };
    let cfg = LookupConfig {
        timeout: args.timeout,
        retries: args.retries,
    };
    let answers = match name_query(QualifiedName::new(name), target, cfg).await {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            let LookupTarget::Wins(ip) = target else {
                return Err(Fatal::from(anyhow!(e).context("name query")));
            };
            eprintln!(
                "lookup: port 137 unreachable (ICMP) from {ip}: no NetBIOS name server listens there"
            );
            return Ok(exit::FAILURE);
        }
        other => other.context("name query")?,
    };
    let records = LookupRecord::from_answers(&name, &answers);
    render(args.format, &records, &mut std::io::stdout().lock())?;
    if answers.is_empty() {
        eprintln!("lookup: no answer for {:?}", name);
        if let LookupTarget::Broadcast(ip) = target {
            eprintln!(
                "lookup: note: routers do not forward directed broadcasts, so {ip} reaches only a segment this machine is on"
            );
        }
        return Ok(exit::FAILURE);
    }
    Ok(exit::OK)
}
