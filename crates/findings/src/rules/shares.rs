//! The share rules' reading of `smb.shares`: who listed the shares, and which disk shares an
//! anonymous or guest client could read or write. A share list the null session and the
//! guest both failed to obtain is a "no"; an attempt that told nothing is never a "no".

use smbaudit_probe::smb::SmbFacts;
use smbaudit_probe::smb::shares::{Identity, Share, ShareAccess};

use super::Check;
use crate::finding::{Evidence, Severity};

/// Identities a stranger has: no name, or any unknown name mapped to guest.
const STRANGERS: [Identity; 2] = [Identity::Anonymous, Identity::Guest];

/// What an access rule looks for in one share's verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    /// The root could be listed.
    Read,
    /// The identity may add files.
    Write,
    /// A hidden (`$`) share could be listed.
    HiddenRead,
}

/// `anonymous-share-listing`: NetrShareEnum answered the null session or the guest.
pub(super) fn listing(smb: &SmbFacts) -> Check {
    let Some(listing) = &smb.shares else {
        return no_list(smb);
    };
    let who = listing.listed_by.map_or("nobody", Identity::as_str);
    let evidence = vec![
        Evidence::new("smb.shares.listed_by", who),
        Evidence::new("smb.shares.reason", &listing.reason),
        Evidence::new(
            "smb.shares.names",
            listing
                .shares
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    super::tri_state(listing.listed, Severity::High, evidence, || {
        format!("the share listing told nothing: {}", listing.reason)
    })
}

/// `anonymous-share-read`, `anonymous-share-write` and `hidden-share-anonymous-read`.
pub(super) fn access(smb: &SmbFacts, want: Want, severity: Severity) -> Check {
    let Some(listing) = &smb.shares else {
        return no_list(smb);
    };
    if listing.listed != Some(true) {
        return match listing.listed {
            Some(false) => Check::Clear,
            _ => Check::NotChecked(format!("no share list: {}", listing.reason)),
        };
    }
    let candidates = listing
        .shares
        .iter()
        .filter(|s| s.holds_files() && (want != Want::HiddenRead || s.hidden));
    let mut evidence = Vec::new();
    let mut unknown = Vec::new();
    for share in candidates {
        for found in STRANGERS.iter().filter_map(|id| share.access_of(*id)) {
            match answer(found, want) {
                Some(true) => evidence.push(Evidence::new(
                    format!("smb.shares[{}].{}", share.name, found.identity.as_str()),
                    describe(share, found, want),
                )),
                None => unknown.push(share.name.clone()),
                Some(false) => {}
            }
        }
    }
    if !evidence.is_empty() {
        return super::hit(severity, evidence);
    }
    if unknown.is_empty() {
        Check::Clear
    } else {
        unknown.dedup();
        Check::NotChecked(format!("no verdict for {}", unknown.join(", ")))
    }
}

/// Without a share list: a "no" when neither stranger reached a session that could ask.
fn no_list(smb: &SmbFacts) -> Check {
    let refused = |v: &Option<smbaudit_probe::smb::session::SessionVerdict>| {
        v.as_ref().is_some_and(|v| {
            v.accepted == Some(false)
                || (v.accepted == Some(true) && v.ipc.as_deref().is_some_and(|i| i != "connected"))
        })
    };
    if refused(&smb.null_session) && refused(&smb.guest_session) {
        return Check::Clear;
    }
    Check::NotChecked("needs the share checks on a null or guest session; not run".into())
}

fn answer(found: &ShareAccess, want: Want) -> Option<bool> {
    if found.connect == Some(false) {
        return Some(false);
    }
    match want {
        Want::Read | Want::HiddenRead => found.read,
        Want::Write => found.write,
    }
}

fn describe(share: &Share, found: &ShareAccess, want: Want) -> String {
    match want {
        Want::Write => found.write_evidence.clone().unwrap_or_default(),
        Want::Read | Want::HiddenRead => format!(
            "listed the root of {} ({} entries; maximal access {})",
            share.name,
            found.entries.unwrap_or(0),
            found
                .root_access
                .or(found.share_access)
                .map_or_else(|| "unknown".into(), |m| format!("{m:#010x}"))
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases};
    use super::*;
    use crate::rules::Context;

    fn listed(
        read: serde_json::Value,
        write: serde_json::Value,
        hidden: bool,
    ) -> serde_json::Value {
        json!({"smb": {"shares": {"listed_by": "anonymous", "listed": true, "reason": "r",
            "shares": [{"name": if hidden { "d$" } else { "d" }, "kind": "disk", "special": false,
                "hidden": hidden, "comment": "", "access": [{"identity": "anonymous",
                "connect": true, "connect_status": "connected", "read": read, "write": write}]}]}}})
    }

    fn run(h: &crate::record::HostRecord, want: Want) -> Check {
        super::super::smb_facts(h).map_or_else(|c| c, |s| access(s, want, Severity::High))
    }
    fn write(h: &crate::record::HostRecord, _: &Context) -> Check {
        run(h, Want::Write)
    }
    fn hidden(h: &crate::record::HostRecord, _: &Context) -> Check {
        run(h, Want::HiddenRead)
    }
    fn read(h: &crate::record::HostRecord, _: &Context) -> Check {
        run(h, Want::Read)
    }

    #[test]
    fn access_rules_fire_on_a_yes_clear_on_a_no_and_never_clear_an_unknown() {
        let t = json!(true);
        let (f, n) = (json!(false), json!(null));
        assert_cases(
            write,
            &[
                (
                    "writable",
                    LAN,
                    listed(t.clone(), t.clone(), false),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "read only",
                    LAN,
                    listed(t.clone(), f.clone(), false),
                    Outcome::Clear,
                ),
                (
                    "unknown",
                    LAN,
                    listed(t.clone(), n.clone(), false),
                    Outcome::NotChecked,
                ),
            ],
        );
        assert_cases(
            hidden,
            &[
                (
                    "hidden",
                    LAN,
                    listed(t.clone(), f.clone(), true),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "visible",
                    LAN,
                    listed(t.clone(), f.clone(), false),
                    Outcome::Clear,
                ),
            ],
        );
        let refused = json!({"smb": {"shares": {"listed_by": "anonymous", "listed": false,
            "reason": "IPC$ refused"}}});
        assert_cases(read, &[("no list", LAN, refused, Outcome::Clear)]);
    }
}
