//! Anonymous and guest access: null sessions, share listing, readable and writable shares.
//!
//! The null session is `smb.null_session`; share listing and access are `smb.shares`,
//! read through [`super::shares`].

use super::fix_text::{
    perimeter_block, samba_no_anonymous, windows_no_anonymous, windows_revoke_open_share_access,
};
use super::shares::{self, Want};
use super::{Check, Context, Rule, smb_facts, tri_state};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;

/// What an anonymous or guest client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// An anonymous SESSION_SETUP succeeds and IPC$ accepts the tree connect.
    NullSession,
}

impl Access {
    fn what(self) -> &'static str {
        match self {
            Self::NullSession => "the null-session check",
        }
    }
}

const REFERENCES: &[&str] = &[
    "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/security-policy-settings/network-access-restrict-anonymous-access-to-named-pipes-and-shares",
    "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/security-policy-settings/network-access-do-not-allow-anonymous-enumeration-of-sam-accounts-and-shares",
    "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#RESTRICTANONYMOUS",
    "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#MAPTOGUEST",
];

/// The Windows fix of every share-access rule: no anonymous access, then no Everyone/Guest
/// on the share.
const WINDOWS_CLOSE_OPEN_SHARES: &str = concat!(
    windows_no_anonymous!(),
    "\n",
    windows_revoke_open_share_access!()
);

const REMEDIATION: &[(Platform, &str)] = &[
    (Platform::Windows, windows_no_anonymous!()),
    (Platform::Samba, samba_no_anonymous!()),
    (Platform::Perimeter, perimeter_block!()),
];

/// Anonymous session accepted.
pub(super) const NULL_SESSION: Rule = Rule {
    id: "null-session",
    title: "Anonymous (null) SMB session accepted",
    severity: Severity::High,
    rationale: "A null session lets anyone open IPC$ and call RPC interfaces (SAMR, LSARPC, \
        SRVSVC) to list users, groups, shares and policies without a password.",
    remediation: REMEDIATION,
    references: REFERENCES,
    check: null_session,
};

/// Shares listed anonymously.
pub(super) const SHARE_LISTING: Rule = Rule {
    id: "anonymous-share-listing",
    title: "Shares can be listed anonymously",
    severity: Severity::High,
    rationale: "An anonymous share list shows every share name and comment: where the data is \
        and which shares to try next.",
    remediation: REMEDIATION,
    references: REFERENCES,
    check: share_listing,
};

/// Unknown user names are logged on as guest.
pub(super) const GUEST_FALLBACK: Rule = Rule {
    id: "guest-fallback",
    title: "Unknown user names are logged on as guest",
    severity: Severity::Medium,
    rationale: "The server maps a logon with a user name it does not know (and any password) \
        to the guest account (Samba `map to guest = bad user`, Windows with the Guest account \
        enabled): anyone reaches every share open to guest, and password-guessing tools cannot \
        tell a right password from a wrong one.",
    remediation: &[
        (
            Platform::Windows,
            "Disable-LocalUser -Name Guest\n\
             Set-SmbServerConfiguration -EnableInsecureGuestLogons $false -Force",
        ),
        (
            Platform::Samba,
            "# smb.conf, [global]\nmap to guest = never",
        ),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#MAPTOGUEST",
        "https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/guest-access-in-smb2-is-disabled-by-default",
    ],
    check: guest_fallback,
};

/// The server accepts a tree connect to any share name.
pub(super) const ANY_SHARE_NAME: Rule = Rule {
    id: "any-share-name",
    title: "The server accepts a tree connect to any share name",
    severity: Severity::Low,
    rationale: "A tree connect to a share name no server has (asked on the null session) \
        succeeded: the server, a proxy or a honeypot in front of it says yes to every name. \
        Any client or scanner then sees shares that do not exist as accessible, so access \
        results for this host cannot be trusted as they are.",
    remediation: &[
        (
            Platform::Windows,
            "# Find what answers for every name: a DFS or SMB proxy, a file-server appliance\n\
             Get-SmbShare; Get-DfsnRoot -ErrorAction SilentlyContinue",
        ),
        (
            Platform::Samba,
            "# Look for a catch-all share: [homes] with browseable and a wildcard path, or a\n\
             # share whose path uses %S\ntestparm -s",
        ),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-smb2/efc9e5bb-6d17-4e8f-8e26-6e5bf55f1bb9",
    ],
    check: any_share_name,
};

fn any_share_name(host: &HostRecord, _: &Context) -> Check {
    if let Err(verdict) = smb_facts(host) {
        return verdict;
    }
    let Some(verdict) = host.smb.as_ref().and_then(|s| s.any_share_name.as_ref()) else {
        return Check::NotChecked(
            "needs the random share name check, which runs on a null session".into(),
        );
    };
    let status = verdict.status.clone().unwrap_or_default();
    let evidence = vec![
        Evidence::new("smb.any_share_name.name", &verdict.name),
        Evidence::new("smb.any_share_name.status", &status),
    ];
    tri_state(verdict.accepts_any, Severity::Low, evidence, || {
        format!("the random share name check told nothing: {status}")
    })
}

/// A share readable anonymously or as guest.
pub(super) const SHARE_READ: Rule = Rule {
    id: "anonymous-share-read",
    title: "A share is readable anonymously or as guest",
    severity: Severity::High,
    rationale: "Anyone who reaches the host can copy the share's files.",
    remediation: &[
        (Platform::Windows, WINDOWS_CLOSE_OPEN_SHARES),
        (Platform::Samba, samba_no_anonymous!()),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: REFERENCES,
    check: share_read,
};

/// A share writable anonymously or as guest.
pub(super) const SHARE_WRITE: Rule = Rule {
    id: "anonymous-share-write",
    title: "A share is writable anonymously or as guest",
    severity: Severity::Critical,
    rationale: "Anyone who reaches the host can plant or encrypt files on the share \
        (ransomware, malicious shortcuts that leak NTLM hashes).",
    remediation: &[
        (Platform::Windows, WINDOWS_CLOSE_OPEN_SHARES),
        (
            Platform::Samba,
            concat!(samba_no_anonymous!(), "\nread only = yes"),
        ),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: REFERENCES,
    check: share_write,
};

fn null_session(host: &HostRecord, _: &Context) -> Check {
    anonymous_check(host, Access::NullSession)
}

fn guest_fallback(host: &HostRecord, _: &Context) -> Check {
    if let Err(verdict) = smb_facts(host) {
        return verdict;
    }
    let Some(verdict) = host.smb.as_ref().and_then(|s| s.guest_session.as_ref()) else {
        return Check::NotChecked("needs the guest logon attempt; not run".into());
    };
    let mut evidence = vec![Evidence::new("smb.guest_session.reason", &verdict.reason)];
    if let Some(status) = &verdict.status {
        evidence.push(Evidence::new("smb.guest_session.status", status));
    }
    tri_state(verdict.accepted, Severity::Medium, evidence, || {
        format!("the guest attempt told nothing: {}", verdict.reason)
    })
}

/// A hidden (`$`) share readable anonymously or as guest.
pub(super) const HIDDEN_SHARE_READ: Rule = Rule {
    id: "hidden-share-anonymous-read",
    title: "A hidden ($) share is readable anonymously or as guest",
    severity: Severity::High,
    rationale: "A share whose name ends in $ is left out of browse lists, so its owner often \
        believes it private; NetrShareEnum lists it anyway, and anyone can read its files.",
    remediation: &[
        (Platform::Windows, WINDOWS_CLOSE_OPEN_SHARES),
        (
            Platform::Samba,
            concat!(
                samba_no_anonymous!(),
                "\n# in the share's section\nguest ok = no"
            ),
        ),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: REFERENCES,
    check: hidden_share_read,
};

fn share_listing(host: &HostRecord, _: &Context) -> Check {
    smb_facts(host).map_or_else(|c| c, shares::listing)
}

fn share_read(host: &HostRecord, _: &Context) -> Check {
    smb_facts(host).map_or_else(|c| c, |s| shares::access(s, Want::Read, Severity::High))
}

fn share_write(host: &HostRecord, _: &Context) -> Check {
    smb_facts(host).map_or_else(
        |c| c,
        |s| shares::access(s, Want::Write, Severity::Critical),
    )
}

fn hidden_share_read(host: &HostRecord, _: &Context) -> Check {
    smb_facts(host).map_or_else(
        |c| c,
        |s| shares::access(s, Want::HiddenRead, Severity::High),
    )
}

/// What the record says about `access`: `Hit(High)` with evidence when granted, `Clear` when
/// refused, `NotChecked` with the reason when the attempt told nothing, `None` when no
/// attempt was made.
fn access_verdict(host: &HostRecord) -> Option<Check> {
    let verdict = host.smb.as_ref()?.null_session.as_ref()?;
    let mut evidence = vec![Evidence::new("smb.null_session.reason", &verdict.reason)];
    if let Some(status) = &verdict.status {
        evidence.push(Evidence::new("smb.null_session.status", status));
    }
    if let Some(flags) = verdict.session_flags {
        evidence.push(Evidence::new(
            "smb.null_session.session_flags",
            format!("{flags:#06x}"),
        ));
    }
    Some(tri_state(
        verdict.accepted,
        Severity::High,
        evidence,
        || format!("the anonymous logon told nothing: {}", verdict.reason),
    ))
}

fn anonymous_check(host: &HostRecord, access: Access) -> Check {
    if let Err(verdict) = smb_facts(host) {
        return verdict;
    }
    access_verdict(host)
        .unwrap_or_else(|| Check::NotChecked(format!("needs {}; not run", access.what())))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases, host};
    use super::*;

    #[test]
    fn null_session_follows_the_verdict() {
        let verdict = |accepted: serde_json::Value| {
            json!({"smb": {"null_session": {"accepted": accepted, "status": "STATUS_SUCCESS (0x00000000)",
                "session_flags": 2, "guest": false, "reason": "granted"}}})
        };
        assert_cases(
            null_session,
            &[
                (
                    "granted",
                    LAN,
                    verdict(json!(true)),
                    Outcome::Hit(Severity::High),
                ),
                ("refused", LAN, verdict(json!(false)), Outcome::Clear),
                ("unknown", LAN, verdict(json!(null)), Outcome::NotChecked),
            ],
        );
    }

    #[test]
    fn any_share_name_fires_only_when_a_random_name_is_accepted() {
        let tried = |accepts: serde_json::Value| {
            json!({"smb": {"any_share_name": {"accepts_any": accepts, "name": "smbaudit-0a0b0c0d",
                "status": "STATUS_SUCCESS (0x00000000)"}}})
        };
        assert_cases(
            any_share_name,
            &[
                (
                    "accepted",
                    LAN,
                    tried(json!(true)),
                    Outcome::Hit(Severity::Low),
                ),
                ("refused", LAN, tried(json!(false)), Outcome::Clear),
                ("unknown", LAN, tried(json!(null)), Outcome::NotChecked),
                ("not tried", LAN, json!({"smb": {}}), Outcome::NotChecked),
            ],
        );
    }

    #[test]
    fn guest_fallback_follows_the_guest_attempt() {
        let attempt = |accepted: serde_json::Value| {
            json!({"smb": {"guest_session": {"accepted": accepted, "status": null,
                "session_flags": 1, "guest": true, "reason": "as guest"}}})
        };
        assert_cases(
            guest_fallback,
            &[
                (
                    "mapped",
                    LAN,
                    attempt(json!(true)),
                    Outcome::Hit(Severity::Medium),
                ),
                ("refused", LAN, attempt(json!(false)), Outcome::Clear),
                ("unknown", LAN, attempt(json!(null)), Outcome::NotChecked),
                ("not tried", LAN, json!({"smb": {}}), Outcome::NotChecked),
            ],
        );
    }

    #[test]
    fn anonymous_rules_wait_for_access_data() {
        for check in [null_session, share_listing, share_read, share_write] {
            assert_cases(
                check,
                &[
                    (
                        "smb host",
                        LAN,
                        json!({"smb": {"smb1": false}}),
                        Outcome::NotChecked,
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
                        json!({"ports": {"445/tcp": "closed", "139/tcp": "closed"}}),
                        Outcome::Clear,
                    ),
                ],
            );
        }
        assert_eq!(
            share_write(&host(json!({"smb": {}})), &LAN),
            Check::NotChecked(
                "needs the share checks on a null or guest session; not run".to_owned()
            )
        );
    }
}
