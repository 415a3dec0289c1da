//! Signing not required: the host is an NTLM relay target (reference b.8). SMB1 and SMB2 are
//! configured separately, so each has its own rule. Hosts are not filtered on OS: Samba and
//! NAS devices are relay targets too.

use smbaudit_probe::smb::SmbFacts;

use super::fix_text::{samba_require_signing, windows_require_signing};
use smbaudit_wire::spnego::OID_NTLMSSP;

use super::{Check, Context, Rule, smb_facts};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;

const REFERENCES: &[&str] = &[
    "https://learn.microsoft.com/en-us/windows-server/storage/file-server/smb-signing",
    "https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/overview-server-message-block-signing",
    "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#SERVERSIGNING",
];

/// SMB2/3 signing not required.
pub(super) const SMB2_SIGNING: Rule = Rule {
    id: "smb2-signing-not-required",
    title: "SMB2/3 signing is not required",
    severity: Severity::Medium,
    rationale: "Without required signing, an attacker who captures an NTLM authentication \
        (LLMNR/NBT-NS poisoning, coerced authentication) can relay it to this host and act as \
        that user: read and write files, or run code when the user is an administrator.",
    remediation: &[
        (Platform::Windows, windows_require_signing!()),
        (Platform::Samba, samba_require_signing!()),
    ],
    references: REFERENCES,
    check: smb2_signing,
};

/// SMB1 on and SMB1 signing not required.
pub(super) const SMB1_SIGNING: Rule = Rule {
    id: "smb1-signing-not-required",
    title: "SMB1 is on and SMB1 signing is not required",
    severity: Severity::Medium,
    rationale: "A relayed NTLM authentication over SMB1 works when SMB1 signing is not \
        required, whatever SMB2 requires: SMB1 signing is negotiated separately.",
    remediation: &[
        (
            Platform::Windows,
            concat!(
                windows_require_signing!(),
                "\n# better: turn SMB1 off\nSet-SmbServerConfiguration -EnableSMB1Protocol $false -Force"
            ),
        ),
        (
            Platform::Samba,
            concat!(
                samba_require_signing!(),
                "\n# better: turn SMB1 off\nserver min protocol = SMB2_10"
            ),
        ),
    ],
    references: REFERENCES,
    check: smb1_signing,
};

/// Whether SMB2 signing is known not to be required (on the host or on any SMB port).
fn smb2_optional(smb: &SmbFacts) -> bool {
    smb.signing.smb2.is_some_and(|s| !s.required)
        || smb
            .by_port
            .values()
            .any(|p| p.signing_required == Some(false))
}

/// Whether SMB1 is on with signing known not to be required.
fn smb1_optional(smb: &SmbFacts) -> bool {
    smb.smb1 == Some(true) && smb.signing.smb1.is_some_and(|s| !s.required)
}

/// Whether the host accepts unsigned SMB sessions on a protocol it speaks: an NTLM relay target.
pub(crate) fn relay_target(host: &HostRecord) -> bool {
    host.smb
        .as_ref()
        .is_some_and(|smb| smb2_optional(smb) || smb1_optional(smb))
}

fn smb2_signing(host: &HostRecord, _: &Context) -> Check {
    let smb = match smb_facts(host) {
        Ok(smb) => smb,
        Err(verdict) => return verdict,
    };
    if smb2_optional(smb) {
        let mut evidence = Vec::new();
        if let Some(s) = smb.signing.smb2 {
            evidence.push(Evidence::new(
                "smb.signing.smb2.required",
                s.required.to_string(),
            ));
        }
        for (port, p) in &smb.by_port {
            if p.signing_required == Some(false) {
                evidence.push(Evidence::new(
                    format!("smb.by_port.{port}.signing_required"),
                    "false",
                ));
            }
        }
        return relay_hit(smb, evidence);
    }
    match smb.signing.smb2 {
        Some(_) => Check::Clear,
        None if smb.smb1_only() => Check::Clear, // not applicable: no SMB2 at all
        None => {
            Check::NotChecked("no SMB2 NEGOTIATE response, so no SMB2 signing policy".to_owned())
        }
    }
}

fn smb1_signing(host: &HostRecord, _: &Context) -> Check {
    let smb = match smb_facts(host) {
        Ok(smb) => smb,
        Err(verdict) => return verdict,
    };
    match (smb.smb1, smb.signing.smb1) {
        (Some(false), _) => Check::Clear, // not applicable: SMB1 off
        (None, _) => Check::NotChecked("SMB1 state unknown".to_owned()),
        (Some(true), None) => {
            Check::NotChecked("SMB1 is on but its signing policy was not learnt".to_owned())
        }
        (Some(true), Some(s)) if s.required => Check::Clear,
        (Some(true), Some(s)) => relay_hit(
            smb,
            vec![
                Evidence::new("smb.smb1", "true"),
                Evidence::new("smb.signing.smb1.required", s.required.to_string()),
            ],
        ),
    }
}

/// A medium hit, with what the host showed of NTLM (relay needs it).
fn relay_hit(smb: &SmbFacts, mut evidence: Vec<Evidence>) -> Check {
    let offered = smb.spnego_mechs.iter().any(|m| m.oid == OID_NTLMSSP);
    if offered {
        evidence.push(Evidence::new("smb.spnego_mechs", "NTLMSSP offered"));
    }
    let challenged = smb.ntlm.is_some() || smb.smb1_ntlm.is_some();
    if challenged {
        evidence.push(Evidence::new(
            "smb.ntlm",
            "NTLM CHALLENGE returned to an anonymous client",
        ));
    }
    let context = if offered || challenged {
        "NTLM accepted: an NTLM relay target"
    } else {
        "NTLM not seen in this scan; a relay target if the host accepts NTLM"
    };
    Check::Hit {
        severity: Severity::Medium,
        evidence,
        context: Some(context.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::test_host::{LAN, Outcome, assert_cases, context, evidence, host};
    use super::*;

    fn signing(required: bool) -> Value {
        json!({"enabled": true, "required": required})
    }

    #[test]
    fn smb2_signing_not_required_fires() {
        assert_cases(
            smb2_signing,
            &[
                (
                    "optional",
                    LAN,
                    json!({"smb": {"signing": {"smb2": signing(false)}}}),
                    Outcome::Hit(Severity::Medium),
                ),
                (
                    "required",
                    LAN,
                    json!({"smb": {"signing": {"smb2": signing(true)}}}),
                    Outcome::Clear,
                ),
                (
                    "139 port optional",
                    LAN,
                    json!({"smb": {"signing": {"smb2": signing(true)}, "by_port": {"139/tcp": {"max_dialect": "3.1.1", "signing_required": false, "error": null}}}}),
                    Outcome::Hit(Severity::Medium),
                ),
                (
                    "smb1-only host",
                    LAN,
                    json!({"smb": {"smb1": true, "signing": {"smb1": signing(false)}}}),
                    Outcome::NotChecked,
                ),
                (
                    "445 open, no facts",
                    LAN,
                    json!({"ports": {"445/tcp": "open"}}),
                    Outcome::NotChecked,
                ),
                ("no smb", LAN, json!({}), Outcome::Clear),
            ],
        );
    }

    #[test]
    fn smb1_signing_only_matters_when_smb1_is_on() {
        assert_cases(
            smb1_signing,
            &[
                (
                    "on, optional",
                    LAN,
                    json!({"smb": {"smb1": true, "signing": {"smb1": signing(false)}}}),
                    Outcome::Hit(Severity::Medium),
                ),
                (
                    "on, required",
                    LAN,
                    json!({"smb": {"smb1": true, "signing": {"smb1": signing(true)}}}),
                    Outcome::Clear,
                ),
                (
                    "off",
                    LAN,
                    json!({"smb": {"smb1": false, "signing": {"smb1": signing(false)}}}),
                    Outcome::Clear,
                ),
                (
                    "unknown",
                    LAN,
                    json!({"smb": {"smb1": null}}),
                    Outcome::NotChecked,
                ),
                (
                    "on, policy unknown",
                    LAN,
                    json!({"smb": {"smb1": true}}),
                    Outcome::NotChecked,
                ),
                ("no smb", LAN, json!({}), Outcome::Clear),
            ],
        );
    }

    #[test]
    fn evidence_mentions_ntlm_when_offered() {
        let samba = host(json!({"smb": {
            "signing": {"smb2": signing(false)},
            "spnego_mechs": [{"oid": "1.3.6.1.4.1.311.2.2.10", "name": "NTLMSSP"}],
            "ntlm": {"netbios_computer": "NAS", "negotiate_flags": 0},
        }}));
        let check = smb2_signing(&samba, &LAN);
        assert_eq!(
            evidence(&check),
            [
                ("smb.signing.smb2.required".to_owned(), "false".to_owned()),
                ("smb.spnego_mechs".to_owned(), "NTLMSSP offered".to_owned()),
                (
                    "smb.ntlm".to_owned(),
                    "NTLM CHALLENGE returned to an anonymous client".to_owned()
                ),
            ]
        );
        assert_eq!(
            context(&check).unwrap(),
            "NTLM accepted: an NTLM relay target"
        );
        let kerberos_only = host(
            json!({"smb": {"signing": {"smb2": signing(false)}, "spnego_mechs": [{"oid": "1.2.840.113554.1.2.2", "name": "Kerberos"}]}}),
        );
        let check = smb2_signing(&kerberos_only, &LAN);
        assert!(context(&check).unwrap().starts_with("NTLM not seen"));
        assert_eq!(evidence(&check).len(), 1);
    }

    #[test]
    fn relay_target_covers_both_families() {
        assert!(relay_target(&host(
            json!({"smb": {"signing": {"smb2": signing(false)}}})
        )));
        assert!(relay_target(&host(
            json!({"smb": {"smb1": true, "signing": {"smb2": signing(true), "smb1": signing(false)}}})
        )));
        assert!(!relay_target(&host(
            json!({"smb": {"smb1": false, "signing": {"smb2": signing(true), "smb1": signing(false)}}})
        )));
        assert!(!relay_target(&host(
            json!({"smb": {"signing": {"smb2": signing(true)}}})
        )));
        assert!(!relay_target(&host(json!({"ports": {"445/tcp": "open"}}))));
    }
}
