//! Shares as `smbclient -L` and `nxc --shares` show them: per host the list and who
//! listed it, then one line per share with each identity's access ("READ,WRITE",
//! "READ", "CONNECT", "DENIED", "?"). Used by `smbaudit shares`, `-f shares` and the
//! `-v` table.

use std::io::{self, Write};

use smbaudit_probe::smb::shares::{Identity, ShareAccess, ShareListing};

use super::{Ending, ScanSink, Scanned};

/// Identities in the order their columns appear.
const COLUMNS: [Identity; 3] = [Identity::Anonymous, Identity::Guest, Identity::User];

/// The `shares` format.
pub(super) struct Shares<W: Write> {
    pub(super) out: W,
    pub(super) verbose: bool,
}

impl<W: Write> ScanSink for Shares<W> {
    fn host(&mut self, scanned: &Scanned) -> io::Result<()> {
        let record = &scanned.record;
        let Some(smb) = &record.smb else {
            return Ok(());
        };
        match &smb.shares {
            Some(listing) => {
                writeln!(self.out, "{}", record.ip)?;
                write_listing(&mut self.out, listing, "  ", self.verbose)?;
            }
            None => writeln!(
                self.out,
                "{}  no share list: no null, guest or --user session reached IPC$",
                record.ip
            )?,
        }
        writeln!(self.out)
    }

    fn end(&mut self, _: &Ending<'_>) -> io::Result<()> {
        self.out.flush()
    }
}

/// The listing's header line and one line per share, each indented by `indent`.
pub(super) fn write_listing(
    out: &mut impl Write,
    listing: &ShareListing,
    indent: &str,
    verbose: bool,
) -> io::Result<()> {
    let who = listing.listed_by.map_or("-", Identity::as_str);
    writeln!(out, "{indent}listed by {who}: {}", listing.reason)?;
    if listing.shares.is_empty() {
        return Ok(());
    }
    let columns: Vec<Identity> = COLUMNS
        .into_iter()
        .filter(|id| listing.shares.iter().any(|s| s.access_of(*id).is_some()))
        .collect();
    let width = listing
        .shares
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(9);
    let heads: String = columns
        .iter()
        .map(|id| format!("  {:<10}", id.as_str()))
        .collect();
    writeln!(
        out,
        "{indent}{:<width$}  {:<7}{heads}  Comment",
        "Sharename", "Type"
    )?;
    for share in &listing.shares {
        let cells: String = columns
            .iter()
            .map(|id| {
                format!(
                    "  {:<10}",
                    share
                        .access_of(*id)
                        .map_or_else(|| "-".into(), ShareAccess::word)
                )
            })
            .collect();
        writeln!(
            out,
            "{indent}{:<width$}  {:<7}{cells}  {}",
            share.name, share.kind, share.comment
        )?;
        if verbose {
            for found in &share.access {
                writeln!(
                    out,
                    "{indent}    {}: {}",
                    found.identity.as_str(),
                    evidence(found)
                )?;
            }
        }
    }
    Ok(())
}

/// The status codes and masks behind a cell.
fn evidence(found: &ShareAccess) -> String {
    let mask = |m: Option<u32>| m.map_or_else(|| "-".into(), |m| format!("{m:#010x}"));
    let mut parts = vec![
        format!("connect {}", found.connect_status),
        format!("share access {}", mask(found.share_access)),
        format!("root access {}", mask(found.root_access)),
    ];
    if let Some(n) = found.entries {
        parts.push(format!("{n} entries listed"));
    }
    if let Some(status) = &found.read_status {
        parts.push(status.clone());
    }
    if let Some(w) = &found.write_evidence {
        parts.push(format!("write {w}"));
    }
    parts.join("; ")
}
