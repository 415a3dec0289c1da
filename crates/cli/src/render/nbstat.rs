//! NODE STATUS results in every output format, each a type behind [`NbstatSink`]: table,
//! JSON, JSON lines, CSV, hosts and lmhosts. [`sink`] is the one place a format is chosen.

use std::io::{self, Write};

use smbaudit_findings::record::{NbstatHost, NbstatStatus};
use smbaudit_probe::nbstat::NbstatReport;

use super::write_csv_row;
use crate::args::NbstatFormat;

/// An output format of NODE STATUS results.
pub(crate) trait NbstatSink {
    /// Before the first host (headers).
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// One host, as it answers (or times out).
    fn host(&mut self, host: NbstatHost) -> io::Result<()>;

    /// After the last host.
    fn end(&mut self) -> io::Result<()>;
}

/// The sink of `format`, writing to `out`.
pub(crate) fn sink<'a, W: Write + 'a>(
    format: NbstatFormat,
    verbose: bool,
    out: W,
) -> Box<dyn NbstatSink + 'a> {
    match format {
        NbstatFormat::Table => Box::new(Table { out, verbose }),
        NbstatFormat::Json => Box::new(Json {
            out,
            collected: Vec::new(),
        }),
        NbstatFormat::Jsonl => Box::new(Jsonl(out)),
        NbstatFormat::Csv => Box::new(Csv(out)),
        NbstatFormat::Hosts => Box::new(HostsFile {
            out,
            flavour: Flavour::Hosts,
        }),
        NbstatFormat::Lmhosts => Box::new(HostsFile {
            out,
            flavour: Flavour::Lmhosts,
        }),
    }
}

/// One line per host; with `-v`, its name table.
struct Table<W> {
    out: W,
    verbose: bool,
}

impl<W: Write> NbstatSink for Table<W> {
    fn begin(&mut self) -> io::Result<()> {
        writeln!(
            self.out,
            "{:<16} {:<16} {:<16} {:<17} {:<20} {:<16} Roles",
            "IP address", "Computer", "Workgroup", "MAC address", "Vendor", "Users"
        )
    }

    fn host(&mut self, host: NbstatHost) -> io::Result<()> {
        let r = &host.report;
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
            "{:<16} {:<16} {:<16} {:<17} {:<20} {:<16} {}",
            host.ip.to_string(),
            shown(&r.computer),
            shown(&r.workgroup),
            r.mac.as_deref().unwrap_or("-"),
            r.vendor
                .as_deref()
                .map_or_else(|| "-".to_owned(), |v| v.chars().take(20).collect()),
            users,
            tail
        )?;
        if self.verbose {
            name_table(&mut self.out, r)?;
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The `-v` lines: every name with its suffix, kind, service and flags.
fn name_table(out: &mut impl Write, r: &NbstatReport) -> io::Result<()> {
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
            out,
            "    {:<15} <{:02x}> {:<6} {:<28} {}",
            n.name,
            n.suffix,
            kind,
            n.service,
            flags.join(" ")
        )?;
    }
    Ok(())
}

/// One JSON array of every host, sorted by address, at the end.
struct Json<W> {
    out: W,
    collected: Vec<NbstatHost>,
}

impl<W: Write> NbstatSink for Json<W> {
    fn host(&mut self, host: NbstatHost) -> io::Result<()> {
        self.collected.push(host);
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        self.collected.sort_by_key(|h| u32::from(h.ip));
        serde_json::to_writer_pretty(&mut self.out, &self.collected)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

/// One JSON object per host and line, as hosts answer.
struct Jsonl<W>(W);

impl<W: Write> NbstatSink for Jsonl<W> {
    fn host(&mut self, host: NbstatHost) -> io::Result<()> {
        serde_json::to_writer(&mut self.0, &host)?;
        writeln!(self.0)?;
        self.0.flush()
    }

    fn end(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// One CSV row per host.
struct Csv<W>(W);

impl<W: Write> NbstatSink for Csv<W> {
    fn begin(&mut self) -> io::Result<()> {
        write_csv_row(
            &mut self.0,
            [
                "ip",
                "status",
                "computer",
                "workgroup",
                "users",
                "roles",
                "mac",
                "mac_disclosed",
                "vendor",
                "aliases",
                "names",
                "error",
            ],
        )
    }

    fn host(&mut self, host: NbstatHost) -> io::Result<()> {
        let r = &host.report;
        let names: Vec<String> = r
            .names
            .iter()
            .map(|n| {
                let kind = if n.group { 'G' } else { 'U' };
                format!("{}<{:02x}>{kind}", n.name, n.suffix)
            })
            .collect();
        let roles: Vec<&str> = r.roles.iter().map(|role| role.as_str()).collect();
        write_csv_row(
            &mut self.0,
            [
                host.ip.to_string(),
                host.status.as_str().to_owned(),
                r.computer.clone().unwrap_or_default(),
                r.workgroup.clone().unwrap_or_default(),
                r.users.join(";"),
                roles.join(";"),
                r.mac.clone().unwrap_or_default(),
                r.mac_disclosed.to_string(),
                r.vendor.clone().unwrap_or_default(),
                r.aliases.join(";"),
                names.join(" "),
                host.error.clone().unwrap_or_default(),
            ],
        )
    }

    fn end(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Which hosts file a [`HostsFile`] writes.
#[derive(Clone, Copy)]
enum Flavour {
    /// /etc/hosts lines: IP and computer name (nbtscan -e).
    Hosts,
    /// lmhosts lines: IP, computer name, #PRE (nbtscan -l).
    Lmhosts,
}

/// A hosts or lmhosts file of the hosts that named themselves.
struct HostsFile<W> {
    out: W,
    flavour: Flavour,
}

impl<W: Write> NbstatSink for HostsFile<W> {
    fn host(&mut self, host: NbstatHost) -> io::Result<()> {
        let Some(computer) = &host.report.computer else {
            return Ok(());
        };
        match self.flavour {
            Flavour::Hosts => match host_name_problem(computer) {
                None => writeln!(self.out, "{}\t{}", host.ip, computer),
                Some(why) => {
                    eprintln!(
                        "nbstat: {} left out of the hosts file: {computer:?} {why}",
                        host.ip
                    );
                    Ok(())
                }
            },
            // lmhosts takes NetBIOS names as they are; one with a space is quoted.
            Flavour::Lmhosts if computer.contains(' ') => {
                writeln!(self.out, "{}\t\"{}\"\t#PRE", host.ip, computer)
            }
            Flavour::Lmhosts => writeln!(self.out, "{}\t{}\t#PRE", host.ip, computer),
        }
    }

    fn end(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Why `name` is not a valid host name (RFC 952 / RFC 1123 2.1: 1-63 letters, digits and
/// hyphens, not starting or ending with a hyphen), if it is not. NetBIOS names may hold
/// spaces, `$`, `_`, dots and bytes of the OEM code page, which /etc/hosts cannot.
fn host_name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 63 {
        return Some("is not 1 to 63 characters long".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Some(format!("holds {c:?}, which a host name cannot"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("starts or ends with a hyphen".into());
    }
    None
}

#[cfg(test)]
mod host_name_tests {
    use super::host_name_problem;

    #[test]
    fn only_valid_host_names_go_into_a_hosts_file() {
        for ok in ["FILESRV1", "web-01", "A"] {
            assert_eq!(host_name_problem(ok), None, "{ok}");
        }
        for (bad, why) in [
            ("MY PC", "' '"),
            ("SRV$", "'$'"),
            ("under_score", "'_'"),
            ("-LEAD", "hyphen"),
            ("", "1 to 63"),
            ("CAFÉ", "'É'"),
        ] {
            let got = host_name_problem(bad).unwrap_or_default();
            assert!(got.contains(why), "{bad:?}: {got}");
        }
    }
}
