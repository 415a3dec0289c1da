//! The firewall commands that close the audited ports on one interface: one command
//! per line, ready to paste into a root shell.

use super::rules::{Hook, TableFamily};
use super::{Backend, Ruleset};
use crate::model::{Proto, Service};

/// The table `default_block_commands` creates.
const OWN_TABLE: &str = "inet smbaudit";

/// See [`Ruleset::block_commands`].
pub(crate) fn block_commands(rs: &Ruleset, iface: &str, services: &[Service]) -> Vec<String> {
    match rs.backend {
        Backend::Iptables => iptables_commands(iface, services),
        Backend::Nftables => match insertion_chains(rs) {
            Some(targets) => targets
                .iter()
                .flat_map(|(table, chain)| {
                    nft_rules(iface, services)
                        .into_iter()
                        .map(move |rule| format!("nft insert rule {table} {chain} {rule}"))
                })
                .collect(),
            None => default_block_commands(iface, services),
        },
    }
}

/// For machines where no firewall could be read: nft commands creating a table
/// `inet smbaudit` with an input chain that drops `services` on `iface`.
pub fn default_block_commands(iface: &str, services: &[Service]) -> Vec<String> {
    let rules = nft_rules(iface, services);
    if rules.is_empty() {
        return Vec::new();
    }
    let mut out = vec![
        format!("nft add table {OWN_TABLE}"),
        format!(
            "nft add chain {OWN_TABLE} input '{{ type filter hook input priority filter; policy accept; }}'"
        ),
    ];
    out.extend(
        rules
            .into_iter()
            .map(|rule| format!("nft add rule {OWN_TABLE} input {rule}")),
    );
    out
}

/// The existing input chains to insert into, as (table, chain): an `inet` one if any
/// (`inet filter input` first), else an `ip` and an `ip6` one; `None` when the ruleset
/// has neither, or only iptables-nft's own tables (which nft rules should not touch).
fn insertion_chains(rs: &Ruleset) -> Option<Vec<(String, String)>> {
    let inputs: Vec<_> = rs
        .chains
        .iter()
        .filter(|c| c.base.as_ref().is_some_and(|b| b.hook == Hook::Input))
        .filter(|c| !is_iptables_nft_table(&c.table))
        .filter(|c| is_plain_name(&c.name))
        .collect();
    let pick = |family: TableFamily| {
        let mut of: Vec<_> = inputs.iter().filter(|c| c.family == family).collect();
        of.sort_by_key(|c| {
            (
                !(c.table.ends_with(" filter") && c.name == "input"),
                c.base.as_ref().map_or(0, |b| b.prio),
            )
        });
        of.first().map(|c| (c.table.clone(), c.name.clone()))
    };
    if let Some(inet) = pick(TableFamily::Inet) {
        return Some(vec![inet]);
    }
    match (pick(TableFamily::Ip), pick(TableFamily::Ip6)) {
        (Some(v4), Some(v6)) => Some(vec![v4, v6]),
        _ => None,
    }
}

/// iptables-nft keeps its rules in `ip filter` / `ip6 filter` (chains INPUT, ...);
/// iptables-legacy tables are not nftables at all.
fn is_iptables_nft_table(table: &str) -> bool {
    super::tools::IPTABLES_NFT_TABLES.contains(&table)
        || table.starts_with(super::tools::LEGACY_TABLE)
}

fn is_plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The rule bodies (after `nft add rule TABLE CHAIN`): one for TCP, one for UDP.
fn nft_rules(iface: &str, services: &[Service]) -> Vec<String> {
    let name = shell_word(&format!(
        "\"{}\"",
        iface.replace('\\', "\\\\").replace('"', "\\\"")
    ));
    [(Proto::Tcp, "tcp"), (Proto::Udp, "udp")]
        .into_iter()
        .filter_map(|(proto, word)| {
            let ports = ports_of(services, proto);
            let set = nft_port_set(&ports)?;
            Some(format!("iifname {name} {word} dport {set} drop"))
        })
        .collect()
}

/// `iptables -I INPUT` / `ip6tables -I INPUT` commands.
fn iptables_commands(iface: &str, services: &[Service]) -> Vec<String> {
    let name = shell_word(iface);
    let mut out = Vec::new();
    for tool in ["iptables", "ip6tables"] {
        for (proto, word) in [(Proto::Tcp, "tcp"), (Proto::Udp, "udp")] {
            let ports = ports_of(services, proto);
            let runs = runs(&ports);
            let list: Vec<String> = runs
                .iter()
                .map(|&(lo, hi)| {
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo}:{hi}")
                    }
                })
                .collect();
            let matcher = match list.as_slice() {
                [] => continue,
                [one] => format!("--dport {one}"),
                many => format!("-m multiport --dports {}", many.join(",")),
            };
            out.push(format!(
                "{tool} -I INPUT -i {name} -p {word} {matcher} -j DROP"
            ));
        }
    }
    out
}

fn ports_of(services: &[Service], proto: Proto) -> Vec<u16> {
    let mut ports: Vec<u16> = services
        .iter()
        .filter(|s| s.proto == proto)
        .map(|s| s.port)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Sorted, deduplicated ports as inclusive runs.
fn runs(ports: &[u16]) -> Vec<(u16, u16)> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for &p in ports {
        match out.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(p) => *hi = p,
            _ => out.push((p, p)),
        }
    }
    out
}

/// `445`, `137-138` or `{ 135, 139, 445 }`; `None` for no ports.
fn nft_port_set(ports: &[u16]) -> Option<String> {
    let items: Vec<String> = runs(ports)
        .iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        })
        .collect();
    match items.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(format!("{{ {} }}", many.join(", "))),
    }
}

/// `word` as the shell passes it on: unchanged when it holds only safe characters
/// (double quotes included, which the shell strips and nft does not need), else in
/// single quotes.
fn shell_word(word: &str) -> String {
    let safe = word.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '_' | '-' | '.' | '@' | '%' | '+' | '=' | ':' | ',' | '/' | '"'
            )
    });
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{parse_iptables_save, parse_nft_json};

    #[test]
    fn default_commands_create_an_own_table() {
        let got = default_block_commands("eth0", &Service::AUDITED);
        assert_eq!(
            got,
            [
                "nft add table inet smbaudit",
                "nft add chain inet smbaudit input '{ type filter hook input priority filter; policy accept; }'",
                r#"nft add rule inet smbaudit input iifname "eth0" tcp dport { 135, 139, 445 } drop"#,
                r#"nft add rule inet smbaudit input iifname "eth0" udp dport 137-138 drop"#,
            ]
        );
        assert!(default_block_commands("eth0", &[]).is_empty());
    }

    #[test]
    fn inserts_into_the_existing_inet_input_chain() {
        let json = r#"{"nftables": [
            {"chain": {"family": "inet", "table": "fw", "name": "early", "hook": "input", "prio": -5, "policy": "accept"}},
            {"chain": {"family": "inet", "table": "filter", "name": "input", "hook": "input", "prio": 0, "policy": "drop"}}]}"#;
        let rs = parse_nft_json(json).expect("parses");
        assert_eq!(
            rs.block_commands("eth0", &[Service::SMB, Service::NBSS, Service::NBNS]),
            [
                r#"nft insert rule inet filter input iifname "eth0" tcp dport { 139, 445 } drop"#,
                r#"nft insert rule inet filter input iifname "eth0" udp dport 137 drop"#,
            ]
        );
    }

    #[test]
    fn ip_and_ip6_chains_get_one_insert_each_and_iptables_nft_tables_are_left_alone() {
        let json = r#"{"nftables": [
            {"chain": {"family": "ip", "table": "v4", "name": "in", "hook": "input", "prio": 0}},
            {"chain": {"family": "ip6", "table": "v6", "name": "in", "hook": "input", "prio": 0}}]}"#;
        let got = parse_nft_json(json)
            .expect("parses")
            .block_commands("eth0", &[Service::SMB]);
        assert_eq!(
            got,
            [
                r#"nft insert rule ip v4 in iifname "eth0" tcp dport 445 drop"#,
                r#"nft insert rule ip6 v6 in iifname "eth0" tcp dport 445 drop"#,
            ]
        );
        let json = r#"{"nftables": [
            {"chain": {"family": "ip", "table": "filter", "name": "INPUT", "hook": "input", "prio": 0}}]}"#;
        let got = parse_nft_json(json)
            .expect("parses")
            .block_commands("eth0", &[Service::SMB]);
        assert_eq!(got[0], "nft add table inet smbaudit");
    }

    #[test]
    fn iptables_commands_for_both_families() {
        let rs = parse_iptables_save("", "").expect("empty");
        assert_eq!(
            rs.block_commands("wlan0", &Service::AUDITED),
            [
                "iptables -I INPUT -i wlan0 -p tcp -m multiport --dports 135,139,445 -j DROP",
                "iptables -I INPUT -i wlan0 -p udp --dport 137:138 -j DROP",
                "ip6tables -I INPUT -i wlan0 -p tcp -m multiport --dports 135,139,445 -j DROP",
                "ip6tables -I INPUT -i wlan0 -p udp --dport 137:138 -j DROP",
            ]
        );
        assert_eq!(
            rs.block_commands("eth0", &[Service::SMB])[0],
            "iptables -I INPUT -i eth0 -p tcp --dport 445 -j DROP"
        );
    }

    #[test]
    fn odd_interface_names_are_quoted_for_the_shell() {
        let got = default_block_commands("we'ird$", &[Service::SMB]);
        assert_eq!(
            got[2],
            r#"nft add rule inet smbaudit input iifname '"we'\''ird$"' tcp dport 445 drop"#
        );
    }
}
