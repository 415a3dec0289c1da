//! What a NetBIOS name's 16th byte says about the service behind it (the table nbtscan `-h`,
//! nbtstat and enum4linux use).

/// The service a name with `suffix` stands for; `group` distinguishes `<00>` workstation from
/// `<00>` domain. `name` matters for `__MSBROWSE__<01>`.
pub fn suffix_meaning(name: &[u8], suffix: u8, group: bool) -> &'static str {
    match (suffix, group) {
        (0x00, false) => "workstation",
        (0x00, true) => "domain/workgroup name",
        (0x01, _) if name.windows(10).any(|w| w == b"__MSBROWSE") => "master browser announcement",
        (0x01, false) => "messenger (other)",
        (0x03, _) => "messenger",
        (0x06, _) => "RAS server",
        (0x1B, _) => "domain master browser",
        (0x1C, true) => "domain controllers",
        (0x1C, false) => "IIS or domain controller",
        (0x1D, _) => "master browser",
        (0x1E, _) => "browser elections",
        (0x1F, _) => "NetDDE",
        (0x20, _) => "file server",
        (0x21, _) => "RAS client",
        (0x22, _) => "Exchange interchange",
        (0x23, _) => "Exchange store",
        (0x24, _) => "Exchange directory",
        (0x2B, _) => "Lotus Notes server",
        (0x30, _) => "modem sharing server",
        (0x31, _) => "modem sharing client",
        (0x42, _) => "McAfee antivirus",
        (0x43, _) => "SMS client remote control",
        (0x44, _) => "SMS administrator remote control",
        (0x45, _) => "SMS client remote chat",
        (0x46, _) => "SMS client remote transfer",
        (0x4C | 0x52, _) => "DEC Pathworks",
        (0x6A, _) => "Exchange IMC",
        (0x87, _) => "Exchange MTA",
        (0xBE, _) => "network monitor agent",
        (0xBF, _) => "network monitor application",
        _ => "unknown service",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_workstation_from_domain_and_msbrowse() {
        assert_eq!(suffix_meaning(b"HOST", 0x00, false), "workstation");
        assert_eq!(suffix_meaning(b"WG", 0x00, true), "domain/workgroup name");
        assert_eq!(
            suffix_meaning(b"\x01\x02__MSBROWSE__\x02", 0x01, true),
            "master browser announcement"
        );
        assert_eq!(suffix_meaning(b"DOM", 0x1C, true), "domain controllers");
        assert_eq!(suffix_meaning(b"X", 0x99, false), "unknown service");
    }
}
