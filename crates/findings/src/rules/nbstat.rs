//! What an NBSTAT (NODE STATUS) answer on 137/udp gives away to anyone who asks.

use super::fix_text::{NETBIOS_OFF, perimeter_block, samba_netbios_off, windows_netbios_off};
use super::{Check, Context, Rule, hit};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;

/// Logged-on user names and/or a real MAC address.
pub(super) const USERS_AND_MAC: Rule = Rule {
    id: "nbstat-discloses-users-mac",
    title: "NBSTAT discloses logged-on users or the MAC address",
    severity: Severity::Medium,
    rationale: "Anyone can ask 137/udp for the name table: user names are half of a login for \
        password spraying and phishing, and the MAC names the hardware vendor and ties the \
        machine's addresses together.",
    remediation: NETBIOS_OFF,
    references: &[
        "https://learn.microsoft.com/en-us/windows/win32/cimwin32prov/settcpipnetbios-method-in-class-win32-networkadapterconfiguration",
        "https://www.rfc-editor.org/rfc/rfc1002#section-4.2.18",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#DISABLENETBIOS",
    ],
    check: users_and_mac,
};

/// Workgroup or domain, and roles.
pub(super) const NAMES_AND_ROLES: Rule = Rule {
    id: "nbstat-discloses-names",
    title: "NBSTAT discloses the workgroup or domain and the machine's roles",
    severity: Severity::Info,
    rationale: "The name table tells an unauthenticated caller the domain or workgroup, and \
        which machines are domain controllers, master browsers or file servers: a map for the \
        next step of an attack.",
    remediation: &[
        (Platform::Windows, windows_netbios_off!()),
        (Platform::Samba, samba_netbios_off!()),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://www.rfc-editor.org/rfc/rfc1002#section-4.2.18",
        "https://learn.microsoft.com/en-us/windows/win32/cimwin32prov/settcpipnetbios-method-in-class-win32-networkadapterconfiguration",
    ],
    check: names_and_roles,
};

fn users_and_mac(host: &HostRecord, _: &Context) -> Check {
    let Some(nb) = &host.netbios else {
        return Check::Clear;
    };
    let mut evidence = Vec::new();
    if !nb.report.users.is_empty() {
        evidence.push(Evidence::new("netbios.users", nb.report.users.join(", ")));
    }
    if let (true, Some(mac)) = (nb.report.mac_disclosed, &nb.report.mac) {
        evidence.push(Evidence::new("netbios.mac", mac.clone()));
    }
    if evidence.is_empty() {
        Check::Clear
    } else {
        hit(Severity::Medium, evidence)
    }
}

fn names_and_roles(host: &HostRecord, _: &Context) -> Check {
    let Some(nb) = &host.netbios else {
        return Check::Clear;
    };
    let r = &nb.report;
    let mut evidence = Vec::new();
    if let Some(wg) = &r.workgroup {
        evidence.push(Evidence::new("netbios.workgroup", wg.clone()));
    }
    if !r.roles.is_empty() {
        let roles: Vec<&str> = r.roles.iter().map(|role| role.label()).collect();
        evidence.push(Evidence::new("netbios.roles", roles.join(", ")));
    }
    if evidence.is_empty() {
        return Check::Clear;
    }
    if let Some(computer) = &r.computer {
        evidence.insert(0, Evidence::new("netbios.computer", computer.clone()));
    }
    hit(Severity::Info, evidence)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases, evidence, host};
    use super::*;

    #[test]
    fn users_or_real_mac_fire() {
        assert_cases(
            users_and_mac,
            &[
                (
                    "user",
                    LAN,
                    json!({"netbios": {"users": ["ALICE"]}}),
                    Outcome::Hit(Severity::Medium),
                ),
                (
                    "mac",
                    LAN,
                    json!({"netbios": {"mac": "00:1c:c4:10:79:0f", "mac_disclosed": true}}),
                    Outcome::Hit(Severity::Medium),
                ),
                (
                    "samba zero mac",
                    LAN,
                    json!({"netbios": {"mac": "00:00:00:00:00:00", "mac_disclosed": false}}),
                    Outcome::Clear,
                ),
                (
                    "names only",
                    LAN,
                    json!({"netbios": {"computer": "WS01", "workgroup": "CORP"}}),
                    Outcome::Clear,
                ),
                (
                    "negative answer",
                    LAN,
                    json!({"netbios": {"status": "negative"}}),
                    Outcome::Clear,
                ),
                (
                    "no nbstat",
                    LAN,
                    json!({"ports": {"137/udp": "open|filtered"}}),
                    Outcome::Clear,
                ),
            ],
        );
        let both = users_and_mac(
            &host(
                json!({"netbios": {"users": ["ALICE", "BOB"], "mac": "00:1c:c4:10:79:0f", "mac_disclosed": true}}),
            ),
            &LAN,
        );
        assert_eq!(
            evidence(&both),
            [
                ("netbios.users".to_owned(), "ALICE, BOB".to_owned()),
                ("netbios.mac".to_owned(), "00:1c:c4:10:79:0f".to_owned()),
            ]
        );
    }

    #[test]
    fn workgroup_or_roles_fire_as_info() {
        assert_cases(
            names_and_roles,
            &[
                (
                    "workgroup",
                    LAN,
                    json!({"netbios": {"workgroup": "LABWG"}}),
                    Outcome::Hit(Severity::Info),
                ),
                (
                    "dc roles",
                    LAN,
                    json!({"netbios": {"roles": ["domain_controller"]}}),
                    Outcome::Hit(Severity::Info),
                ),
                (
                    "computer only",
                    LAN,
                    json!({"netbios": {"computer": "HOST"}}),
                    Outcome::Clear,
                ),
                ("no nbstat", LAN, json!({}), Outcome::Clear),
            ],
        );
        let dc = names_and_roles(
            &host(
                json!({"netbios": {"computer": "DC01", "workgroup": "CORP", "roles": ["file_server", "domain_controller"]}}),
            ),
            &LAN,
        );
        assert_eq!(
            evidence(&dc),
            [
                ("netbios.computer".to_owned(), "DC01".to_owned()),
                ("netbios.workgroup".to_owned(), "CORP".to_owned()),
                (
                    "netbios.roles".to_owned(),
                    "file server, domain controller".to_owned()
                ),
            ]
        );
    }
}
