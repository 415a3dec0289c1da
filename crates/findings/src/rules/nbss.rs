//! The NetBIOS session service on 139 accepting the generic `*SMBSERVER` name.

use super::fix_text::{samba_netbios_off, windows_netbios_off};
use super::{Check, Context, Rule, hit};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;
use smbaudit_probe::observation::Role;

/// nbss.smbserver_accepted == true.
pub(super) const SMBSERVER_ACCEPTED: Rule = Rule {
    id: "nbss-smbserver-accepted",
    title: "The NetBIOS session service accepts *SMBSERVER",
    severity: Severity::Info,
    rationale: "A client that does not know the server's name can still open SMB over 139 by \
        calling *SMBSERVER, so hiding the name does not hide the service. Normal for Windows \
        and Samba while NetBIOS over TCP/IP is on.",
    remediation: &[
        (Platform::Windows, windows_netbios_off!()),
        (Platform::Samba, samba_netbios_off!()),
    ],
    references: &[
        "https://www.rfc-editor.org/rfc/rfc1002#section-4.3.2",
        "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html#SMBPORTS",
    ],
    check: smbserver_accepted,
};

fn smbserver_accepted(host: &HostRecord, _: &Context) -> Check {
    match host.nbss.as_ref().and_then(|n| n.smbserver_accepted) {
        Some(true) => hit(
            Severity::Info,
            vec![Evidence::new("nbss.smbserver_accepted", "true")],
        ),
        Some(false) => Check::Clear,
        None if host.is_open(Role::NetbiosSession) => {
            Check::NotChecked("*SMBSERVER was not tried on 139, or its attempt failed".to_owned())
        }
        None => Check::Clear,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases};
    use super::*;

    #[test]
    fn accepted_smbserver_fires_as_info() {
        assert_cases(
            smbserver_accepted,
            &[
                (
                    "accepted",
                    LAN,
                    json!({"ports": {"139/tcp": "open"}, "nbss": {"smbserver_accepted": true}}),
                    Outcome::Hit(Severity::Info),
                ),
                (
                    "refused",
                    LAN,
                    json!({"ports": {"139/tcp": "open"}, "nbss": {"smbserver_accepted": false}}),
                    Outcome::Clear,
                ),
                (
                    "not tried",
                    LAN,
                    json!({"ports": {"139/tcp": "open"}, "nbss": {"accepted_name": "FILESRV"}}),
                    Outcome::NotChecked,
                ),
                (
                    "139 open, no facts",
                    LAN,
                    json!({"ports": {"139/tcp": "open"}}),
                    Outcome::NotChecked,
                ),
                (
                    "139 closed",
                    LAN,
                    json!({"ports": {"139/tcp": "closed"}}),
                    Outcome::Clear,
                ),
            ],
        );
    }
}
