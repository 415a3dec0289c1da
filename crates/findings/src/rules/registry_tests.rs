//! Tests of the registry as a whole and of `evaluate`.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::test_host::{INTERNET, LAN, host};
use super::{Check, evaluate, registry};
use crate::finding::{Platform, Severity};

/// The ids, in registry order. Ids are an interface (reports, the store, suppressions):
/// changing this list is a breaking change.
const STABLE_IDS: [&str; 23] = [
    "smb-exposed",
    "netbios-exposed",
    "nbstat-discloses-users-mac",
    "nbstat-discloses-names",
    "smb1-enabled",
    "ms17-010",
    "doublepulsar",
    "smbghost",
    "null-session",
    "guest-fallback",
    "any-share-name",
    "anonymous-share-listing",
    "anonymous-share-read",
    "anonymous-share-write",
    "hidden-share-anonymous-read",
    "smb2-signing-not-required",
    "smb1-signing-not-required",
    "ntlm-discloses-dns-names",
    "ntlm-discloses-os-build",
    "no-smb3",
    "clock-skew",
    "nbss-smbserver-accepted",
    "smb-ipv6-global",
];

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

#[test]
fn ids_are_unique_kebab_case_and_stable() {
    let ids: Vec<&str> = registry().iter().map(|r| r.id).collect();
    assert_eq!(ids, STABLE_IDS);
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate rule id");
    for id in ids {
        assert!(is_kebab(id), "{id:?} is not kebab-case");
    }
    assert!(!is_kebab("Smb1-Enabled") && !is_kebab("smb1--on") && !is_kebab("smb1_on"));
}

#[test]
fn every_rule_is_documented() {
    for rule in registry() {
        assert!(!rule.title.trim().is_empty(), "{}: title", rule.id);
        assert!(
            rule.rationale.len() > 40,
            "{}: rationale too short",
            rule.id
        );
        assert!(!rule.references.is_empty(), "{}: references", rule.id);
        for r in rule.references {
            assert!(r.starts_with("https://"), "{}: reference {r}", rule.id);
        }
        assert_eq!(
            rule.severity.as_str().parse::<Severity>(),
            Ok(rule.severity),
            "{}",
            rule.id
        );
    }
}

#[test]
fn every_rule_has_windows_and_samba_fixes_and_exposure_rules_a_perimeter_fix() {
    for rule in registry() {
        let platforms: Vec<Platform> = rule.remediation.iter().map(|(p, _)| *p).collect();
        for p in Platform::ALL {
            let n = platforms.iter().filter(|q| **q == p).count();
            assert!(n <= 1, "{}: {p} listed {n} times", rule.id);
        }
        for needed in [Platform::Windows, Platform::Samba] {
            assert!(platforms.contains(&needed), "{}: no {needed} fix", rule.id);
        }
        if rule.id.ends_with("-exposed") {
            assert!(platforms.contains(&Platform::Perimeter), "{}", rule.id);
        }
        for (p, steps) in rule.remediation {
            assert!(!steps.trim().is_empty(), "{}: empty {p} fix", rule.id);
            assert!(
                steps.lines().all(|l| l == l.trim_end()),
                "{}: trailing space in the {p} fix",
                rule.id
            );
        }
    }
}

/// Hosts that together make every rule fire at its worst.
fn corpus() -> Vec<Value> {
    let optional = json!({"enabled": true, "required": false});
    vec![
        json!({}),
        json!({"ip": "8.8.8.8", "ports": {"445/tcp": "open", "139/tcp": "open", "137/udp": "open"}}),
        json!({"ip": "192.168.1.2", "ports": {"445/tcp": "open", "139/tcp": "open"}}),
        json!({"ip": "2a00:1450:4001::1", "ports": {"445/tcp": "open"}}),
        // Windows 10 1909 with 3.1.1 compression.
        json!({"smb": {
            "contexts": [{"type": 3, "name": "compression", "data": "",
                "decoded": {"flags": 0, "algorithms": ["LZ77"]}}],
            "ntlm": {"os_version": "10.0.18363", "negotiate_flags": 0}}}),
        json!({
            "ip": "10.0.0.9",
            "ports": {"445/tcp": "open", "139/tcp": "open"},
            "netbios": {"users": ["ALICE"], "mac": "00:1c:c4:10:79:0f", "mac_disclosed": true, "workgroup": "CORP", "roles": ["domain_controller"]},
            "nbss": {"smbserver_accepted": true},
            "smb": {
                "smb1": true, "max_dialect": "2.1", "clock_skew_secs": 9000,
                "signing": {"smb2": optional, "smb1": optional},
                "ntlm": {"dns_computer": "dc.corp.example", "os_version": "6.1.7601", "negotiate_flags": 0},
                "null_session": {"accepted": true, "status": "STATUS_SUCCESS (0x00000000)",
                    "session_flags": 0, "guest": false, "ipc": "connected", "reason": "granted"},
                "guest_session": {"accepted": true, "status": "STATUS_SUCCESS (0x00000000)",
                    "session_flags": 1, "guest": true, "reason": "as guest"},
                "ms17_010": {"vulnerable": true,
                    "status": "STATUS_INSUFF_SERVER_RESOURCES (0xc0000205)", "reason": "peek"},
                "any_share_name": {"accepts_any": true, "name": "smbaudit-01020304",
                    "status": "STATUS_SUCCESS (0x00000000)"},
                "doublepulsar": {"present": true, "mid": 81, "xor_key": "0x57d0c042",
                    "arch": "x64", "reason": "MID 81"},
                "shares": {"listed_by": "anonymous", "listed": true, "reason": "level 1", "level": 1,
                    "shares": [{"name": "data$", "kind": "disk", "special": false, "hidden": true,
                        "comment": "", "access": [{"identity": "guest", "connect": true,
                        "connect_status": "connected", "root_access": 2032127, "read": true,
                        "entries": 3, "write": true, "write_evidence": "inferred"}]}]},
            },
        }),
    ]
}

#[test]
fn hits_never_exceed_the_base_severity_and_every_rule_can_fire() {
    let mut fired = HashSet::new();
    for patch in corpus() {
        let h = host(patch);
        for ctx in [LAN, INTERNET] {
            for rule in registry() {
                if let Check::Hit { severity, .. } = (rule.check)(&h, &ctx) {
                    assert!(severity <= rule.severity, "{} rated {severity}", rule.id);
                    fired.insert(rule.id);
                }
            }
        }
    }
    let never: Vec<&str> = registry()
        .iter()
        .map(|r| r.id)
        .filter(|id| !fired.contains(id))
        .collect();
    assert!(never.is_empty(), "never fired: {never:?}");
}

#[test]
fn evaluate_sorts_by_severity_then_id_and_lists_what_it_could_not_check() {
    let h = host(corpus().pop().unwrap());
    let eval = evaluate(&h, &INTERNET);
    let got: Vec<(Severity, &str)> = eval
        .findings
        .iter()
        .map(|f| (f.severity, f.rule_id.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Severity::Critical, "anonymous-share-write"),
            (Severity::Critical, "doublepulsar"),
            (Severity::Critical, "ms17-010"),
            (Severity::High, "anonymous-share-listing"),
            (Severity::High, "anonymous-share-read"),
            (Severity::High, "hidden-share-anonymous-read"),
            (Severity::High, "netbios-exposed"),
            (Severity::High, "null-session"),
            (Severity::High, "smb-exposed"),
            (Severity::High, "smb1-enabled"),
            (Severity::Medium, "guest-fallback"),
            (Severity::Medium, "nbstat-discloses-users-mac"),
            (Severity::Medium, "no-smb3"),
            (Severity::Medium, "smb1-signing-not-required"),
            (Severity::Medium, "smb2-signing-not-required"),
            (Severity::Low, "any-share-name"),
            (Severity::Low, "clock-skew"),
            (Severity::Low, "ntlm-discloses-dns-names"),
            (Severity::Info, "nbss-smbserver-accepted"),
            (Severity::Info, "nbstat-discloses-names"),
            (Severity::Info, "ntlm-discloses-os-build"),
        ]
    );
    assert!(eval.not_checked.is_empty(), "{:?}", eval.not_checked);
    let f = &eval.findings[9];
    let rule = registry().iter().find(|r| r.id == "smb1-enabled").unwrap();
    assert_eq!(f.ip, h.ip);
    assert_eq!(f.title, rule.title);
    assert_eq!(f.rationale, rule.rationale);
    assert_eq!(f.references.len(), rule.references.len());
    assert_eq!(f.remediation, rule.remediations());
    assert_eq!(f.remediation[0].platform, Platform::Windows);
    assert!(
        f.remediation[0]
            .steps
            .contains("Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force")
    );
}

#[test]
fn evaluate_of_a_host_with_nothing_open_is_empty() {
    let eval = evaluate(
        &host(json!({"ports": {"445/tcp": "closed", "139/tcp": "filtered"}})),
        &LAN,
    );
    assert!(eval.findings.is_empty(), "{:?}", eval.findings);
    assert!(eval.not_checked.is_empty(), "{:?}", eval.not_checked);
}
