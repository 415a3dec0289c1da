//! Clock skew: the server's clock (SMB2 SystemTime) against ours.

use super::{Check, Context, Rule, hit, smb_facts};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;

/// Skew beyond which Kerberos (default tolerance 5 minutes) fails.
const MAX_SKEW_SECS: i64 = 300;

/// |smb.clock_skew_secs| > 300.
pub(super) const CLOCK_SKEW: Rule = Rule {
    id: "clock-skew",
    title: "Server clock is more than 5 minutes off",
    severity: Severity::Low,
    rationale: "Kerberos rejects tickets beyond a 5-minute skew (clients fall back to NTLM), \
        log timestamps no longer line up during an investigation, and an unsynchronised clock \
        often means an unmanaged machine.",
    remediation: &[
        (
            Platform::Windows,
            "# domain member: follow the domain hierarchy\n\
             w32tm /config /syncfromflags:domhier /update\n\
             # workgroup: w32tm /config /manualpeerlist:\"pool.ntp.org\" /syncfromflags:manual /update\n\
             Restart-Service w32time\n\
             w32tm /resync",
        ),
        (
            Platform::Samba,
            "# systemd hosts (or run chronyd / ntpd)\n\
             timedatectl set-ntp true\n\
             timedatectl status",
        ),
    ],
    references: &[
        "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/security-policy-settings/maximum-tolerance-for-computer-clock-synchronization",
        "https://learn.microsoft.com/en-us/windows-server/networking/windows-time-service/windows-time-service-tools-and-settings",
    ],
    check: clock_skew,
};

fn clock_skew(host: &HostRecord, _: &Context) -> Check {
    let smb = match smb_facts(host) {
        Ok(smb) => smb,
        Err(verdict) => return verdict,
    };
    match smb.clock_skew_secs {
        None => Check::NotChecked("no server time was learnt, so no skew".to_owned()),
        Some(skew) if skew.unsigned_abs() > MAX_SKEW_SECS.unsigned_abs() => {
            let mut evidence = vec![Evidence::new("smb.clock_skew_secs", skew.to_string())];
            let smb1_time = smb.smb1_mode.as_ref().and_then(|m| m.system_time.as_ref());
            match (&smb.system_time, smb1_time) {
                (Some(t), _) => evidence.push(Evidence::new("smb.system_time", t.clone())),
                (None, Some(t)) => {
                    evidence.push(Evidence::new("smb.smb1_mode.system_time", t.clone()));
                }
                (None, None) => {}
            }
            hit(Severity::Low, evidence)
        }
        Some(_) => Check::Clear,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases, evidence, host};
    use super::*;

    #[test]
    fn skew_beyond_five_minutes_fires() {
        assert_cases(
            clock_skew,
            &[
                (
                    "ahead",
                    LAN,
                    json!({"smb": {"clock_skew_secs": 301}}),
                    Outcome::Hit(Severity::Low),
                ),
                (
                    "behind",
                    LAN,
                    json!({"smb": {"clock_skew_secs": -3600}}),
                    Outcome::Hit(Severity::Low),
                ),
                (
                    "extreme",
                    LAN,
                    json!({"smb": {"clock_skew_secs": i64::MIN}}),
                    Outcome::Hit(Severity::Low),
                ),
                (
                    "exactly 300",
                    LAN,
                    json!({"smb": {"clock_skew_secs": 300}}),
                    Outcome::Clear,
                ),
                (
                    "exactly -300",
                    LAN,
                    json!({"smb": {"clock_skew_secs": -300}}),
                    Outcome::Clear,
                ),
                (
                    "in sync",
                    LAN,
                    json!({"smb": {"clock_skew_secs": 0}}),
                    Outcome::Clear,
                ),
                ("not measured", LAN, json!({"smb": {}}), Outcome::NotChecked),
                ("no smb", LAN, json!({}), Outcome::Clear),
            ],
        );
        let off =
            host(json!({"smb": {"clock_skew_secs": -400, "system_time": "2024-01-01T00:00:00Z"}}));
        assert_eq!(
            evidence(&clock_skew(&off, &LAN)),
            [
                ("smb.clock_skew_secs".to_owned(), "-400".to_owned()),
                (
                    "smb.system_time".to_owned(),
                    "2024-01-01T00:00:00Z".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn an_smb1_only_host_is_judged_by_its_smb1_clock() {
        let smb1 = host(json!({"smb": {
            "smb1": true,
            "max_dialect": "NT LM 0.12",
            "clock_skew_secs": 7200,
            "smb1_mode": {
                "user_level": true, "challenge_response": true, "extended_security": true,
                "capabilities": 0, "system_time": "2024-01-01T02:00:00Z",
                "time_zone_minutes": 0, "domain_name": null, "server_name": null
            }
        }}));
        assert_eq!(
            evidence(&clock_skew(&smb1, &LAN)),
            [
                ("smb.clock_skew_secs".to_owned(), "7200".to_owned()),
                (
                    "smb.smb1_mode.system_time".to_owned(),
                    "2024-01-01T02:00:00Z".to_owned()
                ),
            ]
        );
    }
}
