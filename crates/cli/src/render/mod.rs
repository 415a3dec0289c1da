//! Output formats. Results go to stdout; summaries, progress and errors to stderr.

use std::io::{self, Write};

pub(crate) mod audit;
pub(crate) mod audit_html;
pub(crate) mod findings;
pub(crate) mod html;
pub(crate) mod lookup;
pub(crate) mod nbstat;
pub(crate) mod scan;

/// Writes one CSV row, quoted as RFC 4180 wants (names may hold commas and quotes).
pub(crate) fn write_csv_row<I, T>(out: &mut impl Write, fields: I) -> io::Result<()>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields)?;
    let bytes = w
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    out.write_all(&bytes)
}
