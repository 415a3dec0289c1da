//! Output formats. Results go to stdout; summaries and errors to stderr.

pub(crate) mod lookup;
pub(crate) mod nbstat;
