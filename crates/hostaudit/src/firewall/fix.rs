//! The firewall commands that close the audited ports on one interface.

use super::Ruleset;
use crate::model::Service;

/// See [`Ruleset::block_commands`].
pub(crate) fn block_commands(_rs: &Ruleset, _iface: &str, _services: &[Service]) -> Vec<String> {
    Vec::new()
}

/// For machines where no firewall could be read: nft commands creating `inet smbaudit`.
pub fn default_block_commands(_iface: &str, _services: &[Service]) -> Vec<String> {
    Vec::new()
}
