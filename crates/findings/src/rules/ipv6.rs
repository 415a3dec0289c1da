//! SMB on a global IPv6 address: no NAT stands in front of it, so whatever the host's and
//! the edge's filters let through is reachable from the whole internet.

use std::net::IpAddr;

use super::fix_text::{samba_bind_inside, windows_firewall};
use super::{Check, Context, Rule};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;
use crate::vantage::{Vantage, is_global};
use smbaudit_probe::observation::Role;

/// 445/tcp or 139/tcp open on a global IPv6 address.
pub(super) const SMB_IPV6_GLOBAL: Rule = Rule {
    id: "smb-ipv6-global",
    title: "SMB answers on a global IPv6 address, with no NAT in front of it",
    severity: Severity::Critical,
    rationale: "An IPv4 LAN host usually hides behind NAT, which drops unsolicited inbound \
        connections as a side effect. A global IPv6 address has no NAT: every host is \
        addressable from the internet, and only a firewall (the host's or the edge's) stops \
        an inbound SMB connection. Networks that gained IPv6 after their IPv4 filters were \
        written often lack the IPv6 twin of those rules.",
    remediation: &[
        (Platform::Windows, windows_firewall!()),
        (Platform::Samba, samba_bind_inside!()),
        (
            Platform::Perimeter,
            "# nftables on the router: drop SMB and NetBIOS arriving over IPv6 from outside \
             (wan0 = the internet-facing interface)\n\
             nft add rule inet filter forward iifname \"wan0\" meta nfproto ipv6 tcp dport { 135, 139, 445 } drop\n\
             nft add rule inet filter input iifname \"wan0\" meta nfproto ipv6 tcp dport { 135, 139, 445 } drop\n\
             # ip6tables\n\
             ip6tables -A FORWARD -i wan0 -p tcp -m multiport --dports 135,139,445 -j DROP\n\
             ip6tables -A INPUT -i wan0 -p tcp -m multiport --dports 135,139,445 -j DROP\n\
             # better: a default-deny inbound IPv6 policy on the router (RFC 6092), \
             established and related traffic allowed",
        ),
    ],
    references: &[
        "https://www.rfc-editor.org/rfc/rfc6092",
        "https://www.rfc-editor.org/rfc/rfc4864",
        "https://learn.microsoft.com/en-us/windows-server/storage/file-server/smb-secure-traffic",
    ],
    check: smb_ipv6_global,
};

/// Whether `ip` is a native IPv6 address: not an IPv4 one written in IPv6 (IPv4-mapped, or
/// NAT64's 64:ff9b::/96, which a translator fronts).
fn native_v6(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => false,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_none() && v6.segments()[..6] != NAT64_PREFIX,
    }
}

/// The first six segments of 64:ff9b::/96.
const NAT64_PREFIX: [u16; 6] = [0x64, 0xff9b, 0, 0, 0, 0];

fn smb_ipv6_global(host: &HostRecord, ctx: &Context) -> Check {
    if !native_v6(host.ip) || !is_global(host.ip) {
        return Check::Clear;
    }
    let mut evidence: Vec<Evidence> = [Role::Smb, Role::NetbiosSession]
        .into_iter()
        .filter(|role| host.is_open(*role))
        .map(|role| Evidence::new(format!("ports.{}", host.port_of(role)), "open"))
        .collect();
    if evidence.is_empty() {
        return Check::Clear;
    }
    evidence.push(Evidence::new("ip", format!("{} (global IPv6)", host.ip)));
    let (severity, context) = match ctx.vantage {
        Vantage::Internet => (
            Severity::Critical,
            "reached over IPv6 from an internet vantage: no NAT and no filter in front of it",
        ),
        Vantage::Lan => (
            Severity::High,
            "scanned from the LAN: a global IPv6 address has no NAT, so only the edge's IPv6 \
             filter keeps the internet out (check it from outside)",
        ),
    };
    Check::Hit {
        severity,
        evidence,
        context: Some(context.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{INTERNET, LAN, Outcome, assert_cases, context, host};
    use super::*;

    /// Global per the classifier (in 2000::/3, in no special block): a Google prefix. A
    /// rule reads a record; nothing is ever sent to it.
    const GLOBAL: &str = "2a00:1450:4001:82a::200e";

    #[test]
    fn fires_for_a_global_v6_address_with_smb_open_rated_by_vantage() {
        let ports = |ip: &str, p: &str, state: &str| json!({"ip": ip, "ports": {p: state}});
        assert_cases(
            smb_ipv6_global,
            &[
                (
                    "445 from the internet",
                    INTERNET,
                    ports(GLOBAL, "445/tcp", "open"),
                    Outcome::Hit(Severity::Critical),
                ),
                (
                    "139 from the lan",
                    LAN,
                    ports(GLOBAL, "139/tcp", "open"),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "closed",
                    INTERNET,
                    ports(GLOBAL, "445/tcp", "closed"),
                    Outcome::Clear,
                ),
                (
                    "filtered",
                    INTERNET,
                    ports(GLOBAL, "445/tcp", "filtered"),
                    Outcome::Clear,
                ),
                (
                    "only 135",
                    INTERNET,
                    ports(GLOBAL, "135/tcp", "open"),
                    Outcome::Clear,
                ),
                (
                    "ula",
                    INTERNET,
                    ports("fd00:5a7:1::10", "445/tcp", "open"),
                    Outcome::Clear,
                ),
                (
                    "documentation",
                    INTERNET,
                    ports("2001:db8::10", "445/tcp", "open"),
                    Outcome::Clear,
                ),
                (
                    "link-local",
                    LAN,
                    ports("fe80::10", "445/tcp", "open"),
                    Outcome::Clear,
                ),
                (
                    "global ipv4 (behind no nat either, but smb-exposed says so)",
                    INTERNET,
                    ports("8.8.8.8", "445/tcp", "open"),
                    Outcome::Clear,
                ),
                (
                    "ipv4-mapped global: an IPv4 host",
                    INTERNET,
                    ports("::ffff:8.8.8.8", "445/tcp", "open"),
                    Outcome::Clear,
                ),
                (
                    "nat64 of a global ipv4: a translator in front",
                    INTERNET,
                    ports("64:ff9b::808:808", "445/tcp", "open"),
                    Outcome::Clear,
                ),
            ],
        );
    }

    #[test]
    fn evidence_names_both_ports_and_the_address() {
        let hit = smb_ipv6_global(
            &host(json!({"ip": GLOBAL, "ports": {"445/tcp": "open", "139/tcp": "open"}})),
            &LAN,
        );
        assert!(context(&hit).unwrap().contains("no NAT"));
        let Check::Hit { evidence, .. } = hit else {
            unreachable!("a hit")
        };
        assert_eq!(
            evidence,
            [
                Evidence::new("ports.445/tcp", "open"),
                Evidence::new("ports.139/tcp", "open"),
                Evidence::new("ip", format!("{GLOBAL} (global IPv6)")),
            ]
        );
    }
}
