//! The highest SMB dialect: below 3.0 there is no SMB encryption at all.

use smbaudit_wire::smb2::Dialect;

use super::fix_text::windows_smb1_off;
use super::{Check, Context, Rule, hit, smb_facts};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;

/// Highest dialect 2.1 or lower.
pub(super) const NO_SMB3: Rule = Rule {
    id: "no-smb3",
    title: "Highest SMB dialect is 2.1 or lower (no SMB3 encryption)",
    severity: Severity::Medium,
    rationale: "SMB encryption, secure dialect negotiation and AES signing arrived with SMB 3.0; \
        a server that stops at 2.1 sends every file in clear text and is usually an \
        unsupported OS (Windows 7 / Server 2008 R2) or an old NAS firmware.",
    remediation: &[
        (
            Platform::Windows,
            concat!(
                "# SMB 3 needs Windows 8 / Server 2012 or later: upgrade the OS, then\n",
                "Set-SmbServerConfiguration -EncryptData $true -Force\n",
                windows_smb1_off!()
            ),
        ),
        (
            Platform::Samba,
            "# smb.conf, [global] (Samba 4.15+; older: smb encrypt = desired)\n\
             server max protocol = SMB3\n\
             server min protocol = SMB2_10\n\
             server smb encrypt = desired",
        ),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/windows-server/storage/file-server/smb-security",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#SERVERMAXPROTOCOL",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#SERVERSMBENCRYPT",
    ],
    check: no_smb3,
};

/// The dialect a record names ("2.1", "3.1.1", ...); `None` for anything else.
fn parse(name: &str) -> Option<Dialect> {
    Dialect::ALL.into_iter().find(|d| d.as_str() == name)
}

fn no_smb3(host: &HostRecord, _: &Context) -> Check {
    let smb = match smb_facts(host) {
        Ok(smb) => smb,
        Err(verdict) => return verdict,
    };
    // An SMB1-only host refused every SMB2 dialect: its best is NT LM 0.12.
    if let Some(nt1) = smb.max_dialect.as_deref().filter(|_| smb.smb1_only()) {
        return hit(
            Severity::Medium,
            vec![Evidence::new("smb.max_dialect", nt1)],
        );
    }
    // The dialect chosen when every dialect was offered, else the best one seen accepted.
    let chosen = smb.max_dialect.as_deref().and_then(parse);
    let best_listed = smb.dialects.iter().filter_map(|d| parse(d)).max();
    let (field, dialect) = match (chosen, best_listed) {
        (Some(c), _) => ("smb.max_dialect", c),
        (None, Some(b)) if b >= Dialect::Smb300 || smb.dialects_complete => ("smb.dialects", b),
        _ => {
            return Check::NotChecked(
                "no SMB 2/3 dialect was learnt (SMB1-only host, or the negotiate failed)"
                    .to_owned(),
            );
        }
    };
    if dialect >= Dialect::Smb300 {
        Check::Clear
    } else {
        hit(
            Severity::Medium,
            vec![Evidence::new(field, dialect.as_str())],
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases, evidence, host};
    use super::*;

    #[test]
    fn dialect_below_3_fires() {
        assert_cases(
            no_smb3,
            &[
                (
                    "2.1",
                    LAN,
                    json!({"smb": {"max_dialect": "2.1", "dialects": ["2.0.2", "2.1"], "dialects_complete": true}}),
                    Outcome::Hit(Severity::Medium),
                ),
                (
                    "2.0.2",
                    LAN,
                    json!({"smb": {"max_dialect": "2.0.2"}}),
                    Outcome::Hit(Severity::Medium),
                ),
                (
                    "3.0",
                    LAN,
                    json!({"smb": {"max_dialect": "3.0"}}),
                    Outcome::Clear,
                ),
                (
                    "3.1.1",
                    LAN,
                    json!({"smb": {"max_dialect": "3.1.1", "dialects": ["2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"]}}),
                    Outcome::Clear,
                ),
                (
                    "list with 3.x, no max",
                    LAN,
                    json!({"smb": {"dialects": ["2.1", "3.0.2"]}}),
                    Outcome::Clear,
                ),
                (
                    "complete list up to 2.1",
                    LAN,
                    json!({"smb": {"dialects": ["2.0.2", "2.1"], "dialects_complete": true}}),
                    Outcome::Hit(Severity::Medium),
                ),
                (
                    "incomplete list up to 2.1",
                    LAN,
                    json!({"smb": {"dialects": ["2.1"], "dialects_complete": false}}),
                    Outcome::NotChecked,
                ),
                (
                    "wildcard only",
                    LAN,
                    json!({"smb": {"max_dialect": "0x02ff"}}),
                    Outcome::NotChecked,
                ),
                (
                    "smb1 on, smb2 unknown",
                    LAN,
                    json!({"smb": {"smb1": true}}),
                    Outcome::NotChecked,
                ),
                (
                    "smb1-only host",
                    LAN,
                    json!({"smb": {"smb1": true, "max_dialect": "NT LM 0.12", "dialects_complete": true}}),
                    Outcome::Hit(Severity::Medium),
                ),
                ("no smb", LAN, json!({}), Outcome::Clear),
            ],
        );
        let old = host(json!({"smb": {"max_dialect": "2.1"}}));
        assert_eq!(
            evidence(&no_smb3(&old, &LAN)),
            [("smb.max_dialect".to_owned(), "2.1".to_owned())]
        );
    }
}
