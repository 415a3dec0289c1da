//! What a NODE STATUS response reveals: the name table read for people, and the facts an
//! attacker derives from it (computer name, workgroup, logged-on users, roles, MAC).

use serde::{Deserialize, Serialize};
use smbaudit_wire::nbns::{NameFlags, NbName, NodeName, NodeStatus};

use crate::suffix_meaning;

/// One row of the name table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameEntry {
    /// The name without padding; bytes that are not printable ASCII as `\xNN`.
    pub name: String,
    /// The 16th byte, 0-255.
    pub suffix: u8,
    /// G: a group name (else unique).
    pub group: bool,
    /// NAME_FLAGS as sent.
    pub flags: u16,
    /// ONT: `B`, `P`, `M` or `H`.
    pub node_type: char,
    /// ACT.
    pub active: bool,
    /// PRM.
    pub permanent: bool,
    /// CNF.
    pub conflict: bool,
    /// DRG.
    pub deregistering: bool,
    /// What the suffix stands for.
    pub service: String,
    /// The 16 name bytes in hex, padding and suffix included.
    pub raw_hex: String,
}

impl NameEntry {
    /// The 16 name bytes as sent (from [`Self::raw_hex`]); `None` if that is not 16 bytes
    /// of hex (a stored record edited by hand).
    pub fn wire_name(&self) -> Option<NbName> {
        let bytes = crate::unhex(&self.raw_hex)?;
        Some(NbName(bytes.try_into().ok()?))
    }
}

/// A role a name table shows the host plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A unique `<20>`: the Server service runs, so SMB shares may be offered.
    FileServer,
    /// A group `<1C>`: a domain controller of the domain.
    DomainController,
    /// A unique `<1B>`: the domain master browser (the PDC emulator).
    DomainMasterBrowser,
    /// A unique `<1D>` or `__MSBROWSE__<01>`: the segment's master browser.
    MasterBrowser,
}

/// Everything a NODE STATUS response tells.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NbstatReport {
    /// The name table in the order sent.
    pub names: Vec<NameEntry>,
    /// The unit ID (MAC) as sent, `aa:bb:cc:dd:ee:ff`; `None` if the statistics block was
    /// too short to carry one.
    pub mac: Option<String>,
    /// Whether the MAC is a real one: Samba sends zeros.
    pub mac_disclosed: bool,
    /// The vendor of a disclosed MAC, from the IEEE OUI registry when the system has it
    /// (filled in by the CLI; the probe reads no files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The computer's NetBIOS name: its first unique `<00>`, else its unique `<20>`.
    pub computer: Option<String>,
    /// Other unique names of the machine (NetBIOS aliases).
    pub aliases: Vec<String>,
    /// The workgroup or domain: the group `<00>`, else the group `<1C>`/`<1E>`, else the
    /// unique `<1B>`/`<1D>`.
    pub workgroup: Option<String>,
    /// Logged-on users: unique `<03>` names that are not one of the machine's own names.
    pub users: Vec<String>,
    /// Roles shown by the table.
    pub roles: Vec<Role>,
    /// Node type of the first name: how the host resolves names.
    pub node_type: Option<char>,
    /// Length of the statistics block (46 by the RFC).
    pub statistics_len: usize,
}

impl Role {
    /// The name JSON and CSV spell it with (`file_server`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FileServer => "file_server",
            Self::DomainController => "domain_controller",
            Self::DomainMasterBrowser => "domain_master_browser",
            Self::MasterBrowser => "master_browser",
        }
    }

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::FileServer => "file server",
            Self::DomainController => "domain controller",
            Self::DomainMasterBrowser => "domain master browser",
            Self::MasterBrowser => "master browser",
        }
    }
}

impl NbstatReport {
    /// Reads a decoded NODE STATUS response.
    pub fn from_node_status(ns: &NodeStatus) -> Self {
        let names: Vec<NameEntry> = ns.names.iter().map(entry).collect();
        let unique = |suffix: u8| {
            ns.names
                .iter()
                .filter(move |n| n.name.suffix() == suffix && !n.flags.is_group())
        };
        let group = |suffix: u8| {
            ns.names
                .iter()
                .find(|n| n.name.suffix() == suffix && n.flags.is_group())
        };
        let own: Vec<String> = unique(0x00)
            .chain(unique(0x20))
            .map(|n| n.name.display_name())
            .collect();
        let computer = own.first().cloned();
        let mut aliases: Vec<String> = Vec::new();
        for name in &own {
            if Some(name) != computer.as_ref() && !aliases.contains(name) {
                aliases.push(name.clone());
            }
        }
        let mut users: Vec<String> = Vec::new();
        for n in unique(0x03) {
            let name = n.name.display_name();
            if !own.contains(&name) && !users.contains(&name) {
                users.push(name);
            }
        }
        let workgroup = group(0x00)
            .or_else(|| group(0x1C))
            .or_else(|| group(0x1E))
            .or_else(|| unique(0x1B).next())
            .or_else(|| unique(0x1D).next())
            .map(|n| n.name.display_name());
        let mut roles = Vec::new();
        if unique(0x20).next().is_some() {
            roles.push(Role::FileServer);
        }
        if group(0x1C).is_some() {
            roles.push(Role::DomainController);
        }
        if unique(0x1B).next().is_some() {
            roles.push(Role::DomainMasterBrowser);
        }
        let msbrowse = ns
            .names
            .iter()
            .any(|n| n.name.suffix() == 0x01 && n.name.trimmed().ends_with(b"__MSBROWSE__\x02"));
        if unique(0x1D).next().is_some() || msbrowse {
            roles.push(Role::MasterBrowser);
        }
        let unit_id = ns.statistics.unit_id();
        Self {
            names,
            mac: unit_id.map(format_mac),
            mac_disclosed: unit_id.is_some_and(|m| m != [0; 6]),
            vendor: None,
            computer,
            aliases,
            workgroup,
            users,
            roles,
            node_type: ns.names.first().map(|n| n.flags.node_type().letter()),
            statistics_len: ns.statistics.0.len(),
        }
    }
}

fn entry(n: &NodeName) -> NameEntry {
    let f: NameFlags = n.flags;
    NameEntry {
        name: n.name.display_name(),
        suffix: n.name.suffix(),
        group: f.is_group(),
        flags: f.0,
        node_type: f.node_type().letter(),
        active: f.has(NameFlags::ACTIVE),
        permanent: f.has(NameFlags::PERMANENT),
        conflict: f.has(NameFlags::CONFLICT),
        deregistering: f.has(NameFlags::DEREGISTERING),
        service: suffix_meaning(n.name.trimmed(), n.name.suffix(), f.is_group()).to_owned(),
        raw_hex: crate::hex(&n.name.0),
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn format_mac(mac: [u8; 6]) -> String {
    let [a, b, c, d, e, f] = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use smbaudit_wire::nbns::{NbName, Statistics};

    fn table(names: &[(&str, u8, u16)], mac: [u8; 6]) -> NodeStatus {
        let mut stats = vec![0u8; 46];
        stats[..6].copy_from_slice(&mac);
        NodeStatus {
            names: names
                .iter()
                .map(|(n, s, f)| NodeName {
                    name: if n.starts_with('\u{1}') {
                        NbName(*b"\x01\x02__MSBROWSE__\x02\x01")
                    } else {
                        NbName::new(n, *s).unwrap()
                    },
                    flags: NameFlags(*f),
                })
                .collect(),
            statistics: Statistics(stats),
        }
    }

    /// Samba's nmbd with two aliases (lab host D): its `<03>` names are its own, not users.
    #[test]
    fn samba_aliases_are_not_users() {
        let ns = table(
            &[
                ("NBONLY", 0x00, 0x0400),
                ("NBONLY", 0x03, 0x0400),
                ("NBONLY", 0x20, 0x0400),
                ("INTRANET", 0x00, 0x0400),
                ("INTRANET", 0x03, 0x0400),
                ("INTRANET", 0x20, 0x0400),
                ("LABWG", 0x00, 0x8400),
                ("LABWG", 0x1E, 0x8400),
            ],
            [0; 6],
        );
        let r = NbstatReport::from_node_status(&ns);
        assert_eq!(r.computer.as_deref(), Some("NBONLY"));
        assert_eq!(r.aliases, ["INTRANET"]);
        assert_eq!(r.workgroup.as_deref(), Some("LABWG"));
        assert!(r.users.is_empty());
        assert_eq!(r.roles, [Role::FileServer]);
        assert_eq!(r.mac.as_deref(), Some("00:00:00:00:00:00"));
        assert!(!r.mac_disclosed);
        assert_eq!(r.names[6].service, "domain/workgroup name");
    }

    /// A Windows domain controller with a logged-on user and the browser names.
    #[test]
    fn windows_dc_reveals_user_roles_and_mac() {
        let ns = table(
            &[
                ("DC01", 0x00, 0x4400),
                ("CORP", 0x00, 0xC400),
                ("CORP", 0x1C, 0xC400),
                ("DC01", 0x20, 0x4400),
                ("CORP", 0x1B, 0x4400),
                ("CORP", 0x1D, 0x4400),
                ("\u{1}", 0x01, 0xC400),
                ("ALICE", 0x03, 0x4400),
            ],
            [0x00, 0x1C, 0xC4, 0x10, 0x79, 0x0F],
        );
        let r = NbstatReport::from_node_status(&ns);
        assert_eq!(r.computer.as_deref(), Some("DC01"));
        assert_eq!(r.workgroup.as_deref(), Some("CORP"));
        assert_eq!(r.users, ["ALICE"]);
        assert_eq!(
            r.roles,
            [
                Role::FileServer,
                Role::DomainController,
                Role::DomainMasterBrowser,
                Role::MasterBrowser
            ]
        );
        assert_eq!(r.mac.as_deref(), Some("00:1c:c4:10:79:0f"));
        assert!(r.mac_disclosed);
        assert_eq!(r.node_type, Some('M'));
        assert_eq!(r.names[6].name, "\\x01\\x02__MSBROWSE__\\x02");
        assert_eq!(r.names[6].service, "master browser announcement");
    }

    /// nmap#1239: a table without `<20>` still yields the computer name from `<00>`.
    #[test]
    fn computer_name_without_server_service() {
        let ns = table(
            &[("WORKGROUP", 0x00, 0xC400), ("HOST", 0x00, 0x4400)],
            [1, 2, 3, 4, 5, 6],
        );
        let r = NbstatReport::from_node_status(&ns);
        assert_eq!(r.computer.as_deref(), Some("HOST"));
        assert!(r.roles.is_empty());
    }
}
