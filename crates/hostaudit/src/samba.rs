//! The Samba configuration each running smbd/nmbd was started with.

use std::path::PathBuf;

use serde::Serialize;

/// One Samba configuration in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SambaConfig {
    /// The config file (`-s`/`--configfile`, else the compiled-in default).
    pub path: PathBuf,
    /// How the values were read.
    pub method: ReadMethod,
    /// The pids of the daemons started with it.
    pub pids: Vec<u32>,
    /// The effective values that decide exposure.
    pub params: SambaParams,
}

/// How the effective values were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadMethod {
    /// `testparm -s --suppress-prompt`.
    Testparm,
    /// Our own parser, following includes.
    Parsed,
}

/// The effective `[global]` values (and share flags) that decide exposure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SambaParams {
    /// `interfaces`, as written (names, wildcards, addresses, address/mask).
    pub interfaces: Vec<String>,
    /// `bind interfaces only`.
    pub bind_interfaces_only: bool,
    /// `smb ports` (Samba's default is 445 139).
    pub smb_ports: Vec<u16>,
    /// `server smb transports`, when the Samba version has it.
    pub server_smb_transports: Option<String>,
    /// `disable netbios`.
    pub disable_netbios: bool,
    /// `server min protocol`.
    pub server_min_protocol: String,
    /// `server signing`.
    pub server_signing: String,
    /// `restrict anonymous` (0, 1 or 2).
    pub restrict_anonymous: u8,
    /// `map to guest`.
    pub map_to_guest: String,
    /// Shares with `guest ok = yes`.
    pub guest_ok_shares: Vec<String>,
    /// `hosts allow` in `[global]`.
    pub hosts_allow: Vec<String>,
    /// `hosts deny` in `[global]`.
    pub hosts_deny: Vec<String>,
}
