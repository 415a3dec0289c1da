//! SMBGhost (CVE-2020-0796): the SMB 3.1.1 compression flaw of Windows 10 and Server 1903
//! and 1909 (builds 18362 and 18363). The patch level is not visible remotely, so the
//! verdict is at most "potentially vulnerable": when the server really returned the
//! 3.1.1 COMPRESSION context with LZNT1, LZ77 or LZ77+Huffman, and its NTLM OS build is
//! 18362 or 18363. Anything else is clear (not applicable), or not checked when the build
//! is not known.

use super::fix_text::perimeter_block;
use super::{Check, Context, Rule, hit, smb_facts};
use crate::finding::{Evidence, Platform, Severity};
use crate::record::HostRecord;
use smbaudit_probe::smb::ContextValue;

/// The builds CVE-2020-0796 affects (Windows 10 / Server 1903 and 1909).
const AFFECTED_BUILDS: [&str; 2] = ["18362", "18363"];
/// The compression algorithms whose decompression the flaw is in.
const FLAWED_ALGORITHMS: [&str; 3] = ["LZNT1", "LZ77", "LZ77+Huffman"];

/// Potentially vulnerable to SMBGhost.
pub(super) const SMBGHOST: Rule = Rule {
    id: "smbghost",
    title: "Potentially vulnerable to SMBGhost (CVE-2020-0796)",
    severity: Severity::High,
    rationale: "Windows 10 and Server builds 18362/18363 with SMB 3.1.1 compression \
        overflow a buffer while decompressing a request: unauthenticated remote code \
        execution, wormable. The patch level (KB4551762) is not visible remotely: this host \
        has the affected build and compression on, so check its updates.",
    remediation: &[
        (
            Platform::Windows,
            "# Install KB4551762 (March 2020) or later; until then:\n\
             Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters' -Name DisableCompression -Type DWord -Value 1 -Force",
        ),
        (
            Platform::Samba,
            "# Samba is not affected (the flaw is in Windows' srv2.sys); nothing to change.",
        ),
        (Platform::Perimeter, perimeter_block!()),
    ],
    references: &[
        "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2020-0796",
        "https://learn.microsoft.com/en-us/security-updates/securityadvisories/2020/adv200005",
    ],
    check: smbghost,
};

fn smbghost(host: &HostRecord, _: &Context) -> Check {
    let smb = match smb_facts(host) {
        Ok(smb) => smb,
        Err(verdict) => return verdict,
    };
    let algorithms: Vec<&str> = smb
        .contexts
        .iter()
        .filter_map(|c| match &c.decoded {
            Some(ContextValue::Compression { algorithms, .. }) => Some(algorithms),
            _ => None,
        })
        .flatten()
        .map(String::as_str)
        .filter(|a| FLAWED_ALGORITHMS.contains(a))
        .collect();
    if algorithms.is_empty() {
        return Check::Clear;
    }
    let Some(version) = host.ntlm().and_then(|n| n.os_version.as_deref()) else {
        return Check::NotChecked(
            "3.1.1 compression is on but the NTLM OS build is not known".to_owned(),
        );
    };
    let build = version.rsplit('.').next().unwrap_or_default();
    if !AFFECTED_BUILDS.contains(&build) {
        return Check::Clear;
    }
    hit(
        Severity::High,
        vec![
            Evidence::new("smb.contexts.compression", algorithms.join(",")),
            Evidence::new("smb.ntlm.os_version", version),
        ],
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_host::{LAN, Outcome, assert_cases};
    use super::*;

    fn host(algorithms: &[&str], os: Option<&str>) -> serde_json::Value {
        json!({"smb": {
            "contexts": [{"type": 3, "name": "compression", "data": "",
                "decoded": {"flags": 0, "algorithms": algorithms}}],
            "ntlm": {"os_version": os, "negotiate_flags": 0}}})
    }

    #[test]
    fn only_the_affected_builds_with_compression_are_potentially_vulnerable() {
        assert_cases(
            smbghost,
            &[
                (
                    "1909 + LZ77",
                    LAN,
                    host(&["LZ77"], Some("10.0.18363")),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "1903 + LZNT1",
                    LAN,
                    host(&["LZNT1"], Some("10.0.18362")),
                    Outcome::Hit(Severity::High),
                ),
                (
                    "2004",
                    LAN,
                    host(&["LZ77"], Some("10.0.19041")),
                    Outcome::Clear,
                ),
                (
                    "no compression",
                    LAN,
                    host(&["NONE"], Some("10.0.18363")),
                    Outcome::Clear,
                ),
                (
                    "build unknown",
                    LAN,
                    host(&["LZ77"], None),
                    Outcome::NotChecked,
                ),
                (
                    "Samba",
                    LAN,
                    json!({"smb": {"contexts": []}}),
                    Outcome::Clear,
                ),
            ],
        );
    }
}
