//! Rendering name query answers.

use std::io::{self, Write};
use std::net::Ipv4Addr;

use serde::Serialize;
use smbaudit_engine::nbns::LookupAnswer;
use smbaudit_probe::nbns::NbnsReply;
use smbaudit_wire::nbns::NbName;

use crate::args::LookupFormat;

/// One address a name resolved to, or one responder's refusal.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LookupRecord {
    /// The name asked for, without padding.
    pub(crate) name: String,
    /// Its suffix, 0-255.
    pub(crate) suffix: u8,
    /// Who answered.
    pub(crate) responder: Ipv4Addr,
    /// The address the name has (absent for a negative answer).
    pub(crate) address: Option<Ipv4Addr>,
    /// Whether the name is a group name.
    pub(crate) group: Option<bool>,
    /// The owner's node type, `B`, `P`, `M` or `H`.
    pub(crate) node_type: Option<char>,
    /// Why there is no address.
    pub(crate) error: Option<String>,
}

impl LookupRecord {
    pub(crate) fn from_answers(name: &NbName, answers: &[LookupAnswer]) -> Vec<Self> {
        let base = |responder| Self {
            name: name.display_name(),
            suffix: name.suffix(),
            responder,
            address: None,
            group: None,
            node_type: None,
            error: None,
        };
        let mut out = Vec::new();
        for a in answers {
            match &a.reply {
                NbnsReply::Addresses(list) => out.extend(list.iter().map(|e| Self {
                    address: Some(Ipv4Addr::from(e.address)),
                    group: Some(e.is_group()),
                    node_type: Some(e.node_type().letter()),
                    ..base(a.responder)
                })),
                NbnsReply::Negative(rcode) => out.push(Self {
                    error: Some(rcode.to_string()),
                    ..base(a.responder)
                }),
                other => out.push(Self {
                    error: Some(format!("{other:?}")),
                    ..base(a.responder)
                }),
            }
        }
        out
    }
}

pub(crate) fn render(
    format: LookupFormat,
    records: &[LookupRecord],
    out: &mut impl Write,
) -> io::Result<()> {
    match format {
        LookupFormat::Table => {
            for r in records {
                match (&r.address, &r.error) {
                    (Some(addr), _) => writeln!(
                        out,
                        "{addr} {}<{:02x}> {} {}-node (from {})",
                        r.name,
                        r.suffix,
                        if r.group == Some(true) {
                            "GROUP"
                        } else {
                            "UNIQUE"
                        },
                        r.node_type.unwrap_or('?'),
                        r.responder
                    )?,
                    (None, Some(e)) => writeln!(
                        out,
                        "{}<{:02x}>: {} (from {})",
                        r.name, r.suffix, e, r.responder
                    )?,
                    (None, None) => {}
                }
            }
        }
        LookupFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, records)?;
            writeln!(out)?;
        }
        LookupFormat::Jsonl => {
            for r in records {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()
}
