//! SMB1: the protocol being on at all, and MS17-010 (EternalBlue), which needs it.

use super::fix_text::{perimeter_block, samba_smb1_off, windows_smb1_off};
use super::{Check, Context, Rule, hit, smb_facts, tri_state};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;

/// `smb.smb1 == true`.
pub(super) const SMB1_ENABLED: Rule = Rule {
    id: "smb1-enabled",
    title: "SMB1 is enabled",
    severity: Severity::High,
    rationale: "SMB1 (NT LM 0.12) has no pre-authentication integrity and weak signing, and \
        carries the wormable bugs of MS17-010 (WannaCry, NotPetya). Microsoft deprecated it; \
        Windows 10 1709+ and Samba 4.11+ ship with it off.",
    remediation: &[
        (Platform::Windows, windows_smb1_off!()),
        (Platform::Samba, samba_smb1_off!()),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/windows-server/storage/file-server/troubleshoot/detect-enable-and-disable-smbv1-v2-v3",
        "https://learn.microsoft.com/en-us/windows-server/storage/file-server/troubleshoot/smbv1-not-installed-by-default-in-windows",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#SERVERMINPROTOCOL",
    ],
    check: smb1_enabled,
};

/// MS17-010 unpatched.
pub(super) const MS17_010: Rule = Rule {
    id: "ms17-010",
    title: "Vulnerable to MS17-010 (EternalBlue)",
    severity: Severity::Critical,
    rationale: "MS17-010 (CVE-2017-0143 to 0148) lets an unauthenticated attacker run code as \
        SYSTEM over SMB1; it spread WannaCry and NotPetya.",
    remediation: &[
        (
            Platform::Windows,
            concat!(
                "# install the MS17-010 update (or any later cumulative update), then:\n",
                windows_smb1_off!()
            ),
        ),
        (Platform::Samba, samba_smb1_off!()),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/security-updates/securitybulletins/2017/ms17-010",
        "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2017-0144",
        "https://nvd.nist.gov/vuln/detail/CVE-2017-0144",
    ],
    check: ms17_010,
};

fn smb1_enabled(host: &HostRecord, _: &Context) -> Check {
    let smb = match smb_facts(host) {
        Ok(smb) => smb,
        Err(verdict) => return verdict,
    };
    if smb.smb1 != Some(true) {
        // Off, or unknown: unknown makes no finding (the scan's errors say why).
        return Check::Clear;
    }
    let mut evidence = vec![Evidence::new("smb.smb1", "true")];
    if let Some(reason) = &smb.smb1_reason {
        evidence.push(Evidence::new("smb.smb1_reason", reason.clone()));
    }
    if let Some(os) = &smb.native_os {
        evidence.push(Evidence::new("smb.native_os", os.clone()));
    }
    hit(Severity::High, evidence)
}

/// The verdict of the non-intrusive MS17-010 probe (TRANS_PEEK_NMPIPE on IPC$), once the
/// record carries it. The record has no such field yet: when it does, map
/// `vulnerable → Hit(Critical)`, `patched → Clear`, anything else → `NotChecked(reason)`
/// here, and nothing else in this file changes.
/// The DoublePulsar implant answers.
pub(super) const DOUBLEPULSAR: Rule = Rule {
    id: "doublepulsar",
    title: "The DoublePulsar backdoor is installed",
    severity: Severity::Critical,
    rationale: "The host answered the DoublePulsar ping (MID 81): the NSA implant that \
        EternalBlue installs (WannaCry, NotPetya) is running in its kernel and runs code \
        for anyone who sends it. The host is compromised, not merely vulnerable.",
    remediation: &[
        (
            Platform::Windows,
            "# Take the host off the network, reimage it (the implant lives in memory and is \
             gone at reboot, but what it installed is not), then install MS17-010 (KB4012212 \
             or later) and disable SMB1 before reconnecting:\n\
             Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force",
        ),
        (
            Platform::Samba,
            "# Samba is not affected; a Samba host cannot carry this implant.",
        ),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/security-updates/securitybulletins/2017/ms17-010",
        "https://www.cisa.gov/news-events/alerts/2017/05/12/indicators-associated-wannacry-ransomware",
    ],
    check: doublepulsar,
};

fn doublepulsar(host: &HostRecord, _: &Context) -> Check {
    let smb = match smb_facts(host) {
        Ok(smb) => smb,
        Err(verdict) => return verdict,
    };
    if smb.smb1 == Some(false) {
        return Check::Clear; // not applicable: SMB1 off
    }
    let Some(verdict) = &smb.doublepulsar else {
        return Check::NotChecked(
            "needs the DoublePulsar ping, which runs after the MS17-010 check reaches IPC$".into(),
        );
    };
    let mut evidence = vec![Evidence::new("smb.doublepulsar.reason", &verdict.reason)];
    for (field, value) in [("xor_key", &verdict.xor_key), ("arch", &verdict.arch)] {
        if let Some(value) = value {
            evidence.push(Evidence::new(format!("smb.doublepulsar.{field}"), value));
        }
    }
    tri_state(verdict.present, Severity::Critical, evidence, || {
        format!("the DoublePulsar ping could not tell: {}", verdict.reason)
    })
}

/// The MS17-010 check's verdict, when it ran: critical when vulnerable, clear when
/// patched, not checked (with the reason) when it could not tell.
fn ms17_010_verdict(host: &HostRecord) -> Option<Check> {
    let verdict = host.smb.as_ref()?.ms17_010.as_ref()?;
    let mut evidence = vec![Evidence::new("smb.ms17_010.reason", &verdict.reason)];
    if let Some(status) = &verdict.status {
        evidence.push(Evidence::new("smb.ms17_010.status", status));
    }
    Some(tri_state(
        verdict.vulnerable,
        Severity::Critical,
        evidence,
        || format!("the MS17-010 check could not tell: {}", verdict.reason),
    ))
}

fn ms17_010(host: &HostRecord, _: &Context) -> Check {
    let smb = match smb_facts(host) {
        Ok(smb) => smb,
        Err(verdict) => return verdict,
    };
    match smb.smb1 {
        Some(false) => Check::Clear, // not applicable: SMB1 off
        None => Check::NotChecked("SMB1 state unknown; MS17-010 needs SMB1".to_owned()),
        Some(true) => ms17_010_verdict(host).unwrap_or_else(|| {
            Check::NotChecked("needs the MS17-010 check; not run (--no-null-session)".to_owned())
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases, evidence, host};
    use super::*;

    #[test]
    fn smb1_on_fires_off_and_unknown_do_not() {
        assert_cases(
            smb1_enabled,
            &[
                (
                    "on",
                    LAN,
                    json!({"smb": {"smb1": true}}),
                    Outcome::Hit(Severity::High),
                ),
                ("off", LAN, json!({"smb": {"smb1": false}}), Outcome::Clear),
                (
                    "unknown",
                    LAN,
                    json!({"smb": {"smb1": null}}),
                    Outcome::Clear,
                ),
                (
                    "445 open, no facts",
                    LAN,
                    json!({"ports": {"445/tcp": "open"}}),
                    Outcome::NotChecked,
                ),
                (
                    "no smb",
                    LAN,
                    json!({"ports": {"445/tcp": "closed"}}),
                    Outcome::Clear,
                ),
            ],
        );
        let on = smb1_enabled(
            &host(
                json!({"smb": {"smb1": true, "smb1_reason": "NT LM 0.12 accepted", "native_os": "Windows 5.1"}}),
            ),
            &LAN,
        );
        assert_eq!(evidence(&on).len(), 3);
        assert_eq!(evidence(&on)[2].1, "Windows 5.1");
    }

    #[test]
    fn doublepulsar_fires_only_on_the_implants_answer() {
        let pinged = |present: serde_json::Value| {
            json!({"smb": {"smb1": true, "doublepulsar": {"present": present, "mid": 81,
                "xor_key": "0x57d0c042", "arch": "x64", "reason": "MID 81"}}})
        };
        assert_cases(
            doublepulsar,
            &[
                (
                    "implant",
                    LAN,
                    pinged(json!(true)),
                    Outcome::Hit(Severity::Critical),
                ),
                ("clean", LAN, pinged(json!(false)), Outcome::Clear),
                ("unknown", LAN, pinged(json!(null)), Outcome::NotChecked),
                (
                    "not pinged",
                    LAN,
                    json!({"smb": {"smb1": true}}),
                    Outcome::NotChecked,
                ),
                (
                    "smb1 off",
                    LAN,
                    json!({"smb": {"smb1": false}}),
                    Outcome::Clear,
                ),
            ],
        );
    }

    #[test]
    fn ms17_010_follows_the_check_and_is_never_clear_when_unknown() {
        let checked = |vulnerable: serde_json::Value| {
            json!({"smb": {"smb1": true, "ms17_010": {"vulnerable": vulnerable,
                "status": "STATUS_INSUFF_SERVER_RESOURCES (0xc0000205)", "reason": "peek"}}})
        };
        assert_cases(
            ms17_010,
            &[
                (
                    "vulnerable",
                    LAN,
                    checked(json!(true)),
                    Outcome::Hit(Severity::Critical),
                ),
                ("patched", LAN, checked(json!(false)), Outcome::Clear),
                ("unknown", LAN, checked(json!(null)), Outcome::NotChecked),
                (
                    "smb1 on, not run",
                    LAN,
                    json!({"smb": {"smb1": true}}),
                    Outcome::NotChecked,
                ),
                (
                    "smb1 off: not applicable",
                    LAN,
                    json!({"smb": {"smb1": false}}),
                    Outcome::Clear,
                ),
                (
                    "smb1 unknown",
                    LAN,
                    json!({"smb": {"smb1": null}}),
                    Outcome::NotChecked,
                ),
                (
                    "139 open, no facts",
                    LAN,
                    json!({"ports": {"139/tcp": "open"}}),
                    Outcome::NotChecked,
                ),
                ("no smb", LAN, json!({}), Outcome::Clear),
            ],
        );
        assert_eq!(
            ms17_010(&host(json!({"smb": {"smb1": true}})), &LAN),
            Check::NotChecked("needs the MS17-010 check; not run (--no-null-session)".to_owned())
        );
    }
}
