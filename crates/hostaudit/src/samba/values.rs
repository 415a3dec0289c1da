//! Samba's parameter names and value syntax for the parameters the audit reads, and the
//! step from a loaded configuration to [`SambaParams`].
//!
//! Samba (lib/param/loadparm.c) matches names with `strwicmp`, ignoring case and
//! whitespace but NOT underscores (`bind_interfaces_only` is an "Unknown parameter" to
//! testparm 4.17), and prints each enum value by the first name in its table that has
//! the same value (`SMB3_11` prints as `SMB3`). The tables here are checked against the
//! installed testparm by `tests/samba.rs`.

use std::collections::BTreeMap;

use super::SambaParams;

/// Parameters of one section, by [`fold`]ed name, after synonyms.
pub(crate) type Params = BTreeMap<String, String>;

/// Folded names of the parameters read here.
pub(crate) mod key {
    pub(crate) const INTERFACES: &str = "interfaces";
    pub(crate) const BIND_INTERFACES_ONLY: &str = "bindinterfacesonly";
    pub(crate) const SMB_PORTS: &str = "smbports";
    pub(crate) const SERVER_SMB_TRANSPORTS: &str = "serversmbtransports";
    pub(crate) const DISABLE_NETBIOS: &str = "disablenetbios";
    pub(crate) const SERVER_MIN_PROTOCOL: &str = "serverminprotocol";
    pub(crate) const SERVER_SIGNING: &str = "serversigning";
    pub(crate) const SERVER_ROLE: &str = "serverrole";
    pub(crate) const RESTRICT_ANONYMOUS: &str = "restrictanonymous";
    pub(crate) const MAP_TO_GUEST: &str = "maptoguest";
    pub(crate) const GUEST_OK: &str = "guestok";
    pub(crate) const HOSTS_ALLOW: &str = "hostsallow";
    pub(crate) const HOSTS_DENY: &str = "hostsdeny";
    pub(crate) const INCLUDE: &str = "include";
    pub(crate) const CONFIG_FILE: &str = "configfile";
}

/// Synonyms Samba accepts for the parameters read here (folded).
const SYNONYMS: &[(&str, &str)] = &[
    ("public", key::GUEST_OK),
    ("allowhosts", key::HOSTS_ALLOW),
    ("denyhosts", key::HOSTS_DENY),
    ("minprotocol", key::SERVER_MIN_PROTOCOL),
];

/// Global parameters read here: Samba ignores them in a share section
/// ("Global parameter smb ports found in service section!").
const GLOBAL_ONLY: &[&str] = &[
    key::INTERFACES,
    key::BIND_INTERFACES_ONLY,
    key::SMB_PORTS,
    key::SERVER_SMB_TRANSPORTS,
    key::DISABLE_NETBIOS,
    key::SERVER_MIN_PROTOCOL,
    key::SERVER_SIGNING,
    key::SERVER_ROLE,
    key::RESTRICT_ANONYMOUS,
    key::MAP_TO_GUEST,
    key::CONFIG_FILE,
];

/// Share parameters read here: in `[global]` they set the default for shares defined
/// after that point.
pub(crate) const SHARE_LEVEL: &[&str] = &[key::GUEST_OK, key::HOSTS_ALLOW, key::HOSTS_DENY];

/// `server min protocol` (enum_protocol), in Samba's table order.
const PROTOCOLS: &[(&str, &str)] = &[
    ("default", "default"),
    ("SMB3", "SMB3"),
    ("SMB3_11", "SMB3"),
    ("SMB3_02", "SMB3_02"),
    ("SMB3_00", "SMB3_00"),
    ("SMB2", "SMB2"),
    ("SMB2_10", "SMB2"),
    ("SMB2_02", "SMB2_02"),
    ("NT1", "NT1"),
    ("LANMAN2", "LANMAN2"),
    ("LANMAN1", "LANMAN1"),
    ("CORE", "CORE"),
    ("COREPLUS", "COREPLUS"),
    ("CORE+", "COREPLUS"),
];

/// `server signing` (enum_smb_signing_vals): (accepted name, printed name).
const SIGNING: &[(&str, &str)] = &[
    ("default", "default"),
    ("No", "No"),
    ("False", "No"),
    ("0", "No"),
    ("Off", "No"),
    ("disabled", "No"),
    ("if_required", "if_required"),
    ("Yes", "if_required"),
    ("True", "if_required"),
    ("1", "if_required"),
    ("On", "if_required"),
    ("enabled", "if_required"),
    ("auto", "if_required"),
    ("desired", "desired"),
    ("required", "required"),
    ("mandatory", "required"),
    ("force", "required"),
    ("forced", "required"),
    ("enforced", "required"),
];

/// `map to guest` (enum_map_to_guest).
const MAP_TO_GUEST: &[(&str, &str)] = &[
    ("Never", "Never"),
    ("Bad User", "Bad User"),
    ("Bad Password", "Bad Password"),
    ("Bad Uid", "Bad Uid"),
];

/// `server role` (enum_server_role).
const SERVER_ROLES: &[(&str, &str)] = &[
    ("auto", "auto"),
    ("standalone server", "standalone server"),
    ("standalone", "standalone server"),
    ("member server", "member server"),
    ("member", "member server"),
    (
        "classic primary domain controller",
        "classic primary domain controller",
    ),
    (
        "classic backup domain controller",
        "classic backup domain controller",
    ),
    (
        "active directory domain controller",
        "active directory domain controller",
    ),
    ("dc", "active directory domain controller"),
    ("domain controller", "active directory domain controller"),
];

/// Folds a parameter or section name as `strwicmp` compares it (case and whitespace
/// ignored), then maps synonyms to the canonical name.
pub(crate) fn fold(name: &str) -> String {
    let folded: String = name
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    match SYNONYMS.iter().find(|(alias, _)| *alias == folded) {
        Some((_, canonical)) => (*canonical).to_owned(),
        None => folded,
    }
}

/// Whether a folded name is a global parameter read here.
pub(crate) fn is_global_only(key: &str) -> bool {
    GLOBAL_ONLY.contains(&key)
}

/// Samba's boolean syntax (`set_boolean`).
pub(crate) fn boolean(value: &str) -> Option<bool> {
    const TRUE: [&str; 4] = ["yes", "true", "on", "1"];
    const FALSE: [&str; 4] = ["no", "false", "off", "0"];
    let value = value.trim();
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(value)) {
        Some(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(value)) {
        Some(false)
    } else {
        None
    }
}

/// The name Samba prints for an enum value, if `value` is one of its names.
fn enum_name(table: &[(&str, &'static str)], value: &str) -> Option<&'static str> {
    let value = fold(value);
    table
        .iter()
        .find(|(name, _)| fold(name) == value)
        .map(|(_, printed)| *printed)
}

/// The enum table of a folded parameter name, for the enums read here.
fn enum_table(key: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match key {
        key::SERVER_MIN_PROTOCOL => Some(PROTOCOLS),
        key::SERVER_SIGNING => Some(SIGNING),
        key::MAP_TO_GUEST => Some(MAP_TO_GUEST),
        key::SERVER_ROLE => Some(SERVER_ROLES),
        _ => None,
    }
}

/// Checks a value as Samba does when it sets the parameter: a bad boolean or enum value
/// makes Samba refuse the whole file ("Error loading services"). Returns why, if bad.
pub(crate) fn check(key: &str, value: &str) -> Result<(), String> {
    let is_bool = matches!(
        key,
        key::BIND_INTERFACES_ONLY | key::DISABLE_NETBIOS | key::GUEST_OK
    );
    if is_bool && boolean(value).is_none() {
        return Err(format!("{value:?} is not a boolean"));
    }
    if let Some(table) = enum_table(key) {
        if enum_name(table, value).is_none() {
            return Err(format!("{value:?} is not a valid value"));
        }
    }
    Ok(())
}

/// How list values are split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListStyle {
    /// As written in smb.conf: Samba's `str_list_make_v3`, separators ` \t,;\r\n`, with
    /// double quotes grouping (`"eth1;speed=1000"` stays one entry).
    Written,
    /// As printed by testparm: entries joined by single spaces, quotes already removed.
    Printed,
}

/// Splits a list parameter.
pub(crate) fn list(value: &str, style: ListStyle) -> Vec<String> {
    match style {
        ListStyle::Printed => value.split_ascii_whitespace().map(str::to_owned).collect(),
        ListStyle::Written => {
            let mut entries = Vec::new();
            let mut current = String::new();
            let mut quoted = false;
            for c in value.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ' ' | '\t' | ',' | ';' | '\r' | '\n' if !quoted => {
                        if !current.is_empty() {
                            entries.push(std::mem::take(&mut current));
                        }
                    }
                    _ => current.push(c),
                }
            }
            if !current.is_empty() {
                entries.push(current);
            }
            entries
        }
    }
}

/// C `atoi`: optional sign and leading digits, 0 when none.
fn atoi(value: &str) -> i64 {
    let value = value.trim_start();
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    let number = digits
        .chars()
        .take_while(char::is_ascii_digit)
        .take(18)
        .fold(0_i64, |n, d| {
            n * 10 + i64::from(d.to_digit(10).unwrap_or(0))
        });
    if negative { -number } else { number }
}

/// One share as loaded: its name as written and its parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Share {
    /// The section name between the brackets, as written.
    pub(crate) name: String,
    /// Its parameters, including the share defaults copied from `[global]` when it was
    /// first defined.
    pub(crate) params: Params,
}

/// A configuration as Samba loads it, before interpretation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Loaded {
    /// Global parameters.
    pub(crate) global: Params,
    /// Share parameters set in `[global]`: the defaults for shares defined later.
    pub(crate) share_defaults: Params,
    /// Shares in order of first definition.
    pub(crate) shares: Vec<Share>,
}

impl Loaded {
    /// The effective values, filling Samba 4.17's defaults for what is not set.
    pub(crate) fn params(&self, style: ListStyle) -> SambaParams {
        let global = |key: &str| self.global.get(key).map(String::as_str);
        let flag = |key: &str| global(key).and_then(boolean).unwrap_or(false);
        let named = |key: &str, default: &str| {
            let value = global(key).unwrap_or(default);
            enum_table(key)
                .and_then(|table| enum_name(table, value))
                .map_or_else(|| value.to_owned(), str::to_owned)
        };
        let smb_ports = match global(key::SMB_PORTS) {
            Some(ports) => list(ports, style)
                .iter()
                .filter_map(|p| u16::try_from(atoi(p)).ok().filter(|&p| p != 0))
                .collect(),
            None => vec![445, 139],
        };
        let guest_ok_shares = self
            .shares
            .iter()
            .filter(|share| {
                share
                    .params
                    .get(key::GUEST_OK)
                    .and_then(|v| boolean(v))
                    .unwrap_or(false)
            })
            .map(|share| share.name.clone())
            .collect();
        let share_default_list = |key: &str| {
            self.share_defaults
                .get(key)
                .map(|v| list(v, style))
                .unwrap_or_default()
        };
        SambaParams {
            interfaces: global(key::INTERFACES)
                .map(|v| list(v, style))
                .unwrap_or_default(),
            bind_interfaces_only: flag(key::BIND_INTERFACES_ONLY),
            smb_ports,
            server_smb_transports: global(key::SERVER_SMB_TRANSPORTS).map(str::to_owned),
            disable_netbios: flag(key::DISABLE_NETBIOS),
            server_min_protocol: named(key::SERVER_MIN_PROTOCOL, "SMB2_02"),
            server_signing: named(key::SERVER_SIGNING, "default"),
            server_role: named(key::SERVER_ROLE, "auto"),
            restrict_anonymous: u8::try_from(
                global(key::RESTRICT_ANONYMOUS)
                    .map_or(0, atoi)
                    .clamp(0, 255),
            )
            .unwrap_or(u8::MAX),
            map_to_guest: named(key::MAP_TO_GUEST, "Never"),
            guest_ok_shares,
            hosts_allow: share_default_list(key::HOSTS_ALLOW),
            hosts_deny: share_default_list(key::HOSTS_DENY),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_spaces_but_not_underscores() {
        assert_eq!(fold("Bind Interfaces  Only"), key::BIND_INTERFACES_ONLY);
        assert_eq!(fold("bind_interfaces_only"), "bind_interfaces_only");
        assert_eq!(fold("Allow Hosts"), key::HOSTS_ALLOW);
        assert_eq!(fold("PUBLIC"), key::GUEST_OK);
    }

    #[test]
    fn splits_written_lists_like_str_list_make_v3() {
        assert_eq!(
            list(
                r#"lo, "eth1;speed=1000,capability=RSS" 10.0.0.1/8;eth2"#,
                ListStyle::Written
            ),
            ["lo", "eth1;speed=1000,capability=RSS", "10.0.0.1/8", "eth2"]
        );
        assert_eq!(
            list("eth1;speed=1000 lo", ListStyle::Printed),
            ["eth1;speed=1000", "lo"]
        );
    }

    #[test]
    fn checks_booleans_and_enums_as_samba_does() {
        assert!(check(key::DISABLE_NETBIOS, "maybe").is_err());
        assert!(check(key::DISABLE_NETBIOS, "On").is_ok());
        assert!(check(key::MAP_TO_GUEST, "bogus").is_err());
        assert!(check(key::MAP_TO_GUEST, "bad  user").is_ok());
        assert!(check(key::SERVER_MIN_PROTOCOL, "SMB2_24").is_err());
        assert_eq!(enum_name(PROTOCOLS, "smb3_11"), Some("SMB3"));
    }

    #[test]
    fn atoi_takes_leading_digits() {
        assert_eq!(atoi("9x"), 9);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(" -2"), -2);
        assert_eq!(atoi(&"9".repeat(100)), 999_999_999_999_999_999);
    }
}
