//! Reads `iptables-save` / `ip6tables-save` output into chains of [`Rule`]s.

use super::rules::Chain;
use crate::model::{Family, Unreadable};

/// The chains of one family's save output.
pub(crate) fn parse(_text: &str, _family: Family) -> Result<Vec<Chain>, Unreadable> {
    Ok(Vec::new())
}
