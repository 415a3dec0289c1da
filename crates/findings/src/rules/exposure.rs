//! Reachability: SMB (445/tcp) and NetBIOS (139/tcp, 137/udp) answering at all, rated by the
//! address's range and where the scan ran from.

use super::fix_text::{NETBIOS_OFF, perimeter_block, samba_bind_inside, windows_firewall};
use super::{Check, Context, Rule};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;
use crate::vantage::{Vantage, address_kind, is_global};
use smbaudit_probe::observation::Role;

/// 445/tcp open.
pub(super) const SMB_EXPOSED: Rule = Rule {
    id: "smb-exposed",
    title: "SMB (445/tcp) is reachable",
    severity: Severity::Critical,
    rationale: "SMB is a large, pre-authentication attack surface (EternalBlue/MS17-010, \
        SMBGhost, password spraying, NTLM relay). Reachable from the internet it is how worms \
        and ransomware get in; a private address reached from outside means SMB leaks through \
        a VPN, a route or NAT.",
    remediation: &[
        (Platform::Windows, windows_firewall!()),
        (Platform::Samba, samba_bind_inside!()),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/windows-server/storage/file-server/smb-secure-traffic",
        "https://learn.microsoft.com/en-us/security-updates/securitybulletins/2017/ms17-010",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#HOSTSALLOW",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#BINDINTERFACESONLY",
    ],
    check: smb_exposed,
};

/// 139/tcp open or 137/udp answering NBSTAT.
pub(super) const NETBIOS_EXPOSED: Rule = Rule {
    id: "netbios-exposed",
    title: "NetBIOS (139/tcp or 137/udp) is reachable",
    severity: Severity::High,
    rationale: "The NetBIOS session service carries SMB like 445 does, and the name service \
        answers anyone with the machine's names, domain, logged-on users and MAC. Neither is \
        needed by current Windows or Samba clients, which use 445 and DNS.",
    remediation: NETBIOS_OFF,
    references: &[
        "https://learn.microsoft.com/en-us/windows/win32/cimwin32prov/settcpipnetbios-method-in-class-win32-networkadapterconfiguration",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#DISABLENETBIOS",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#SMBPORTS",
    ],
    check: netbios_exposed,
};

fn smb_exposed(host: &HostRecord, ctx: &Context) -> Check {
    if !host.is_open(Role::Smb) {
        return Check::Clear;
    }
    let port = host.port_of(Role::Smb);
    let mut evidence = vec![Evidence::new(format!("ports.{port}"), "open")];
    if let Some(seen) = host.evidence(Role::Smb) {
        evidence.push(Evidence::new(format!("port_evidence.{port}"), seen));
    }
    rate(host, ctx, evidence, Severity::Critical, Severity::Low)
}

fn netbios_exposed(host: &HostRecord, ctx: &Context) -> Check {
    let mut evidence = Vec::new();
    if host.is_open(Role::NetbiosSession) {
        let port = host.port_of(Role::NetbiosSession);
        evidence.push(Evidence::new(format!("ports.{port}"), "open"));
    }
    let nbstat_answered = host.netbios.as_ref().is_some_and(|n| n.answered());
    if host.is_open(Role::NetbiosName) || nbstat_answered {
        let status = host.netbios.as_ref().map_or("open", |n| n.status.as_str());
        evidence.push(Evidence::new(
            "netbios.status",
            format!("{status} (137/udp answered NBSTAT)"),
        ));
    }
    if evidence.is_empty() {
        return Check::Clear;
    }
    rate(host, ctx, evidence, Severity::High, Severity::Info)
}

/// Global: `global`. Elsewhere: high from the internet, `lan` from the LAN.
fn rate(
    host: &HostRecord,
    ctx: &Context,
    mut evidence: Vec<Evidence>,
    global: Severity,
    lan: Severity,
) -> Check {
    let kind = address_kind(host.ip);
    evidence.push(Evidence::new("ip", format!("{} ({kind})", host.ip)));
    let (severity, context) = match (is_global(host.ip), ctx.vantage) {
        (true, Vantage::Internet) => (
            global,
            "global address, scanned from the internet: exposed to the internet".to_owned(),
        ),
        (true, Vantage::Lan) => (
            global,
            "global address (scanned from the LAN: check whether the edge filters it)".to_owned(),
        ),
        (false, Vantage::Internet) => (
            Severity::High,
            format!(
                "{kind} address reached from an internet vantage: it leaks through a VPN, \
                 routing or NAT"
            ),
        ),
        (false, Vantage::Lan) => (lan, format!("{kind} address, scanned from the LAN")),
    };
    Check::Hit {
        severity,
        evidence,
        context: Some(context),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{INTERNET, LAN, Outcome, assert_cases, context, host};
    use super::*;

    #[test]
    fn smb_exposure_rated_by_address_and_vantage() {
        let open = |ip: &str| json!({"ip": ip, "ports": {"445/tcp": "open"}});
        assert_cases(
            smb_exposed,
            &[
                (
                    "global",
                    INTERNET,
                    open("8.8.8.8"),
                    Outcome::Hit(Severity::Critical),
                ),
                (
                    "global from lan",
                    LAN,
                    open("2606:4700::1111"),
                    Outcome::Hit(Severity::Critical),
                ),
                (
                    "private leak",
                    INTERNET,
                    open("192.168.1.10"),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "ula leak",
                    INTERNET,
                    open("fd00::5"),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "cgnat leak",
                    INTERNET,
                    open("100.64.0.7"),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "private lan",
                    LAN,
                    open("10.0.0.5"),
                    Outcome::Hit(Severity::Low),
                ),
                (
                    "loopback lan",
                    LAN,
                    open("127.0.0.1"),
                    Outcome::Hit(Severity::Low),
                ),
                (
                    "link-local lan",
                    LAN,
                    open("169.254.3.4"),
                    Outcome::Hit(Severity::Low),
                ),
                (
                    "closed",
                    INTERNET,
                    json!({"ip": "8.8.8.8", "ports": {"445/tcp": "closed"}}),
                    Outcome::Clear,
                ),
                (
                    "filtered",
                    INTERNET,
                    json!({"ip": "8.8.8.8", "ports": {"445/tcp": "filtered"}}),
                    Outcome::Clear,
                ),
                (
                    "not scanned",
                    INTERNET,
                    json!({"ip": "8.8.8.8"}),
                    Outcome::Clear,
                ),
                (
                    "only 139",
                    INTERNET,
                    json!({"ip": "8.8.8.8", "ports": {"139/tcp": "open"}}),
                    Outcome::Clear,
                ),
            ],
        );
    }

    #[test]
    fn netbios_exposure_from_139_or_nbstat() {
        let p139 = |ip: &str| json!({"ip": ip, "ports": {"139/tcp": "open"}});
        let nbstat = |ip: &str| json!({"ip": ip, "netbios": {"status": "negative"}});
        assert_cases(
            netbios_exposed,
            &[
                (
                    "139 global",
                    LAN,
                    p139("8.8.8.8"),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "nbstat global",
                    INTERNET,
                    nbstat("1.1.1.1"),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "139 leak",
                    INTERNET,
                    p139("172.16.9.9"),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "nbstat lan",
                    LAN,
                    nbstat("192.168.0.2"),
                    Outcome::Hit(Severity::Info),
                ),
                (
                    "137 open, no report",
                    LAN,
                    json!({"ip": "10.1.1.1", "ports": {"137/udp": "open"}}),
                    Outcome::Hit(Severity::Info),
                ),
                (
                    "137 silent",
                    INTERNET,
                    json!({"ip": "8.8.8.8", "ports": {"137/udp": "open|filtered", "139/tcp": "closed"}}),
                    Outcome::Clear,
                ),
                (
                    "445 only",
                    INTERNET,
                    json!({"ip": "8.8.8.8", "ports": {"445/tcp": "open"}}),
                    Outcome::Clear,
                ),
                ("nothing", INTERNET, json!({}), Outcome::Clear),
            ],
        );
    }

    #[test]
    fn context_and_evidence_say_which_case_applied() {
        let leak = smb_exposed(
            &host(
                json!({"ip": "192.168.1.10", "ports": {"445/tcp": "open"}, "port_evidence": {"445/tcp": "SYN-ACK"}}),
            ),
            &INTERNET,
        );
        let ctx = context(&leak).unwrap();
        assert!(
            ctx.starts_with("private address reached from an internet vantage"),
            "{ctx}"
        );
        let Check::Hit { evidence, .. } = &leak else {
            unreachable!()
        };
        assert_eq!(evidence[0], Evidence::new("ports.445/tcp", "open"));
        assert_eq!(
            evidence[1],
            Evidence::new("port_evidence.445/tcp", "SYN-ACK")
        );
        assert_eq!(evidence[2], Evidence::new("ip", "192.168.1.10 (private)"));
        let lan = netbios_exposed(
            &host(json!({"ip": "fe80::1", "ports": {"139/tcp": "open"}})),
            &LAN,
        );
        assert_eq!(
            context(&lan).unwrap(),
            "link-local address, scanned from the LAN"
        );
    }
}
