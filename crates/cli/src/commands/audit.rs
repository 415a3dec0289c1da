//! `smbaudit audit`: which of this machine's interfaces expose NetBIOS and SMB. Reads
//! only (netlink, /proc, smb.conf, the firewall); sends nothing. Whatever cannot be read
//! is listed, and the audit still exits 0.

use std::io::{self, Write};

use smbaudit_hostaudit::collect::{Options, audit};
use smbaudit_hostaudit::report::Audit;

use crate::args::{AuditArgs, AuditFormat};
use crate::render::audit::{write_csv, write_json, write_jsonl, write_table};
use crate::{Fatal, exit};

pub(crate) fn run(args: &AuditArgs) -> Result<u8, Fatal> {
    #[cfg(not(target_os = "linux"))]
    {
        // The readers are Linux-only: say how to see the same facts here.
        println!("{}", smbaudit_hostaudit::platform::WINDOWS);
        return Ok(exit::OK);
    }
    let report = read(args)?;
    let mut out = io::stdout().lock();
    write(&mut out, &report, args)?;
    out.flush()?;
    if let Some(db) = &args.db {
        let id = super::audits::save(db, &report)?;
        eprintln!("audit: stored as audit {id} in {}", db.display());
    }
    Ok(exit::OK)
}

/// The audit on Linux; `--outside`/`--inside` naming no interface is a usage error.
#[cfg(target_os = "linux")]
fn read(args: &AuditArgs) -> Result<Audit, Fatal> {
    let options = Options {
        outside: args.outside.clone(),
        inside: args.inside.clone(),
    };
    audit(&options).map_err(|e| Fatal::usage(anyhow::anyhow!(e)))
}

fn write(out: &mut impl Write, report: &Audit, args: &AuditArgs) -> io::Result<()> {
    match args.format {
        AuditFormat::Table => write_table(out, report, args.verbose),
        AuditFormat::Json => write_json(out, report),
        AuditFormat::Jsonl => write_jsonl(out, report),
        AuditFormat::FindingsCsv => write_csv(out, report),
        AuditFormat::Html => crate::render::audit_html::write_html(out, report),
    }
}
