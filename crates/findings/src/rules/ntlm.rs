//! What the NTLM CHALLENGE of an anonymous session setup discloses (reference b.5): internal
//! DNS names and the OS build.

use smbaudit_probe::smb::NtlmFacts;

use super::fix_text::{perimeter_block, samba_bind_inside, windows_firewall};
use super::{Check, Context, Rule, hit, smb_facts};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;

/// Internal DNS domain / host name in the CHALLENGE.
pub(super) const DNS_NAMES: Rule = Rule {
    id: "ntlm-discloses-dns-names",
    title: "NTLM challenge discloses internal DNS names",
    severity: Severity::Low,
    rationale: "Any client that starts an NTLM login gets the host's DNS name, its DNS domain \
        and forest before authenticating: the internal naming of the network, and the Active \
        Directory domain to attack.",
    remediation: &[
        (
            Platform::Windows,
            concat!(
                "# the CHALLENGE always carries these names; limit who can reach SMB\n",
                windows_firewall!()
            ),
        ),
        (
            Platform::Samba,
            concat!(
                "# the CHALLENGE always carries these names; limit who can reach SMB\n",
                samba_bind_inside!()
            ),
        ),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/83f5e789-660d-4781-8491-5f8c6641f75e",
        "https://learn.microsoft.com/en-us/windows-server/storage/file-server/smb-secure-traffic",
    ],
    check: dns_names,
};

/// OS version in the CHALLENGE.
pub(super) const OS_BUILD: Rule = Rule {
    id: "ntlm-discloses-os-build",
    title: "NTLM challenge discloses the OS version and build",
    severity: Severity::Info,
    rationale: "The VERSION field of the CHALLENGE gives the Windows major.minor.build \
        (Samba sends 6.1.0), which narrows down missing patches without authentication.",
    remediation: &[
        (
            Platform::Windows,
            concat!(
                "# Windows always sends its version; limit who can reach SMB\n",
                windows_firewall!()
            ),
        ),
        (
            Platform::Samba,
            concat!(
                "# Samba sends a fixed 6.1.0; limit who can reach SMB\n",
                samba_bind_inside!()
            ),
        ),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/b1a6ceb2-f8ad-462b-b5af-f18527c48175",
    ],
    check: os_build,
};

/// The CHALLENGE facts and their record path: SMB2's if there, else SMB1's.
fn challenge(host: &HostRecord) -> Result<(&'static str, &NtlmFacts), Check> {
    smb_facts(host)?;
    host.ntlm_with_path().ok_or_else(|| {
        Check::NotChecked(
            "no NTLM CHALLENGE was obtained (NTLM not offered, or the session setup failed)"
                .to_owned(),
        )
    })
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

fn dns_names(host: &HostRecord, _: &Context) -> Check {
    let (path, n) = match challenge(host) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    let fields = [
        ("dns_computer", &n.dns_computer),
        ("dns_domain", &n.dns_domain),
        ("dns_tree", &n.dns_tree),
    ];
    let evidence: Vec<Evidence> = fields
        .iter()
        .filter_map(|(name, v)| non_empty(v).map(|v| Evidence::new(format!("{path}.{name}"), v)))
        .collect();
    if evidence.is_empty() {
        Check::Clear
    } else {
        hit(Severity::Low, evidence)
    }
}

fn os_build(host: &HostRecord, _: &Context) -> Check {
    let (path, n) = match challenge(host) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    match non_empty(&n.os_version) {
        Some(v) => hit(
            Severity::Info,
            vec![Evidence::new(format!("{path}.os_version"), v)],
        ),
        None => Check::Clear,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases, evidence, host};
    use super::*;

    #[test]
    fn dns_names_fire_when_any_is_sent() {
        assert_cases(
            dns_names,
            &[
                (
                    "domain member",
                    LAN,
                    json!({"smb": {"ntlm": {"dns_computer": "ws01.corp.example.com", "dns_domain": "corp.example.com", "negotiate_flags": 0}}}),
                    Outcome::Hit(Severity::Low),
                ),
                (
                    "smb1 only",
                    LAN,
                    json!({"smb": {"smb1_ntlm": {"dns_computer": "nas", "negotiate_flags": 0}}}),
                    Outcome::Hit(Severity::Low),
                ),
                (
                    "empty names",
                    LAN,
                    json!({"smb": {"ntlm": {"dns_computer": "", "dns_domain": "", "negotiate_flags": 0}}}),
                    Outcome::Clear,
                ),
                (
                    "no target info",
                    LAN,
                    json!({"smb": {"ntlm": {"negotiate_flags": 0}}}),
                    Outcome::Clear,
                ),
                (
                    "no challenge",
                    LAN,
                    json!({"smb": {"smb1": false}}),
                    Outcome::NotChecked,
                ),
                ("no smb", LAN, json!({}), Outcome::Clear),
            ],
        );
        let both = host(json!({"smb": {
            "ntlm": {"dns_computer": "dc01.corp.example.com", "dns_domain": "corp.example.com", "dns_tree": "example.com", "negotiate_flags": 0},
            "smb1_ntlm": {"dns_computer": "other", "negotiate_flags": 0},
        }}));
        assert_eq!(
            evidence(&dns_names(&both, &LAN)),
            [
                (
                    "smb.ntlm.dns_computer".to_owned(),
                    "dc01.corp.example.com".to_owned()
                ),
                (
                    "smb.ntlm.dns_domain".to_owned(),
                    "corp.example.com".to_owned()
                ),
                ("smb.ntlm.dns_tree".to_owned(), "example.com".to_owned()),
            ]
        );
    }

    #[test]
    fn os_build_fires_as_info() {
        assert_cases(
            os_build,
            &[
                (
                    "windows",
                    LAN,
                    json!({"smb": {"ntlm": {"os_version": "10.0.20348", "negotiate_flags": 0}}}),
                    Outcome::Hit(Severity::Info),
                ),
                (
                    "no version",
                    LAN,
                    json!({"smb": {"ntlm": {"negotiate_flags": 0}}}),
                    Outcome::Clear,
                ),
                ("no challenge", LAN, json!({"smb": {}}), Outcome::NotChecked),
                ("no smb", LAN, json!({}), Outcome::Clear),
            ],
        );
        let samba =
            host(json!({"smb": {"smb1_ntlm": {"os_version": "6.1.0", "negotiate_flags": 0}}}));
        assert_eq!(
            evidence(&os_build(&samba, &LAN)),
            [("smb.smb1_ntlm.os_version".to_owned(), "6.1.0".to_owned())]
        );
    }
}
