//! Rendering NODE STATUS results: table, JSON, JSON lines, CSV, hosts and lmhosts.

use std::io::{self, Write};

use smbaudit_findings::record::{NbstatHost, NbstatStatus};

use super::write_csv_row;
use crate::args::NbstatFormat;

/// Writes hosts as they come in one of the formats.
pub(crate) struct NbstatRenderer<W: Write> {
    format: NbstatFormat,
    verbose: bool,
    out: W,
    collected: Vec<NbstatHost>,
}

impl<W: Write> NbstatRenderer<W> {
    pub(crate) fn new(format: NbstatFormat, verbose: bool, out: W) -> Self {
        Self {
            format,
            verbose,
            out,
            collected: Vec::new(),
        }
    }

    pub(crate) fn begin(&mut self) -> io::Result<()> {
        match self.format {
            NbstatFormat::Table => writeln!(
                self.out,
                "{:<16} {:<16} {:<16} {:<17} {:<16} Roles",
                "IP address", "Computer", "Workgroup", "MAC address", "Users"
            ),
            NbstatFormat::Csv => write_csv_row(
                &mut self.out,
                [
                    "ip",
                    "status",
                    "computer",
                    "workgroup",
                    "users",
                    "roles",
                    "mac",
                    "mac_disclosed",
                    "aliases",
                    "names",
                    "error",
                ],
            ),
            _ => Ok(()),
        }
    }

    pub(crate) fn host(&mut self, host: NbstatHost) -> io::Result<()> {
        let r = &host.report;
        match self.format {
            NbstatFormat::Table => {
                let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                let users = if r.users.is_empty() {
                    "-".into()
                } else {
                    r.users.join(",")
                };
                let roles: Vec<&str> = r.roles.iter().map(|role| role.label()).collect();
                let tail = match &host.error {
                    Some(e) => e.clone(),
                    None if host.status == NbstatStatus::NoReply => "no reply".into(),
                    None => roles.join(", "),
                };
                writeln!(
                    self.out,
                    "{:<16} {:<16} {:<16} {:<17} {:<16} {}",
                    host.ip.to_string(),
                    shown(&r.computer),
                    shown(&r.workgroup),
                    r.mac.as_deref().unwrap_or("-"),
                    users,
                    tail
                )?;
                if self.verbose {
                    for n in &r.names {
                        let kind = if n.group { "GROUP" } else { "UNIQUE" };
                        let mut flags = vec![n.node_type.to_string() + "-node"];
                        for (on, label) in [
                            (n.active, "active"),
                            (n.permanent, "permanent"),
                            (n.conflict, "conflict"),
                            (n.deregistering, "deregistering"),
                        ] {
                            if on {
                                flags.push(label.into());
                            }
                        }
                        writeln!(
                            self.out,
                            "    {:<15} <{:02x}> {:<6} {:<28} {}",
                            n.name,
                            n.suffix,
                            kind,
                            n.service,
                            flags.join(" ")
                        )?;
                    }
                }
                Ok(())
            }
            NbstatFormat::Json => {
                self.collected.push(host);
                Ok(())
            }
            NbstatFormat::Jsonl => {
                serde_json::to_writer(&mut self.out, &host)?;
                writeln!(self.out)?;
                self.out.flush()
            }
            NbstatFormat::Csv => {
                let names: Vec<String> = r
                    .names
                    .iter()
                    .map(|n| {
                        format!(
                            "{}<{:02x}>{}",
                            n.name,
                            n.suffix,
                            if n.group { 'G' } else { 'U' }
                        )
                    })
                    .collect();
                let roles: Vec<&str> = r.roles.iter().map(|role| role.label()).collect();
                write_csv_row(
                    &mut self.out,
                    [
                        host.ip.to_string(),
                        host.status.as_str().to_owned(),
                        r.computer.clone().unwrap_or_default(),
                        r.workgroup.clone().unwrap_or_default(),
                        r.users.join(";"),
                        roles.join(";"),
                        r.mac.clone().unwrap_or_default(),
                        r.mac_disclosed.to_string(),
                        r.aliases.join(";"),
                        names.join(" "),
                        host.error.clone().unwrap_or_default(),
                    ],
                )
            }
            NbstatFormat::Hosts | NbstatFormat::Lmhosts => {
                let Some(computer) = &r.computer else {
                    return Ok(());
                };
                if self.format == NbstatFormat::Hosts {
                    writeln!(self.out, "{}\t{}", host.ip, computer)
                } else {
                    writeln!(self.out, "{}\t{}\t#PRE", host.ip, computer)
                }
            }
        }
    }

    pub(crate) fn end(&mut self) -> io::Result<()> {
        if self.format == NbstatFormat::Json {
            self.collected.sort_by_key(|h| u32::from(h.ip));
            serde_json::to_writer_pretty(&mut self.out, &self.collected)?;
            writeln!(self.out)?;
        }
        self.out.flush()
    }
}
