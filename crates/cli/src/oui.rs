//! MAC vendors from the IEEE OUI registry as Debian's `ieee-data` installs it
//! (`/usr/share/ieee-data/oui.csv`: `Registry,Assignment,Organization Name,...`), or the
//! file `SMBAUDIT_OUI_FILE` names. Read once, on the first disclosed MAC; no file, no
//! vendor, no error. Lines that do not parse are skipped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use smbaudit_findings::record::NbstatHost;

/// Where Debian's `ieee-data` puts the MA-L (24-bit prefix) registry.
const SYSTEM_FILE: &str = "/usr/share/ieee-data/oui.csv";

/// The registry, keyed by the 24-bit prefix.
fn registry() -> &'static HashMap<u32, String> {
    static REGISTRY: OnceLock<HashMap<u32, String>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let path = std::env::var_os("SMBAUDIT_OUI_FILE")
            .map_or_else(|| PathBuf::from(SYSTEM_FILE), PathBuf::from);
        std::fs::read(path).map(|b| parse(&b)).unwrap_or_default()
    })
}

/// The MA-L rows of an `oui.csv`: prefix (6 hex digits) to organisation name.
fn parse(csv_bytes: &[u8]) -> HashMap<u32, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_bytes);
    reader
        .byte_records()
        .filter_map(Result::ok)
        .filter_map(|row| {
            let assignment = std::str::from_utf8(row.get(1)?).ok()?;
            let name = String::from_utf8_lossy(row.get(2)?).trim().to_owned();
            let prefix = (assignment.len() == 6)
                .then(|| u32::from_str_radix(assignment, 16).ok())
                .flatten()?;
            (!name.is_empty()).then_some((prefix, name))
        })
        .collect()
}

/// The 24-bit prefix of `aa:bb:cc:dd:ee:ff` (or with `-`).
fn prefix(mac: &str) -> Option<u32> {
    let hex: String = mac
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(6)
        .collect();
    (hex.len() == 6)
        .then(|| u32::from_str_radix(&hex, 16).ok())
        .flatten()
}

/// Fills in the vendor of a disclosed MAC (Samba sends zeros: not disclosed).
pub(crate) fn annotate(host: &mut NbstatHost) {
    let report = &mut host.report;
    if !report.mac_disclosed || report.vendor.is_some() {
        return;
    }
    if let Some(p) = report.mac.as_deref().and_then(prefix) {
        report.vendor = registry().get(&p).cloned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ma_l_rows_and_skips_odd_lines() {
        let text = b"Registry,Assignment,Organization Name,Organization Address\n\
            MA-L,00D0EF,IGT,9295 PROTOTYPE DRIVE RENO NV US 89511\n\
            MA-L,001A2B,\"Ayecom Technology, Co., Ltd.\",Taipei TW\n\
            MA-L,XYZ,Broken,\n\
            garbage line\n\
            MA-L,0050F2,,empty name\n\
            \xff\xfe,\xff\n";
        let reg = parse(text);
        assert_eq!(reg.len(), 2, "{reg:?}");
        assert_eq!(reg[&0x00D0EF], "IGT");
        assert_eq!(reg[&0x001A2B], "Ayecom Technology, Co., Ltd.");
    }

    #[test]
    fn prefixes_of_mac_spellings() {
        assert_eq!(prefix("00:d0:ef:12:34:56"), Some(0x00D0EF));
        assert_eq!(prefix("00-D0-EF-12-34-56"), Some(0x00D0EF));
        assert_eq!(prefix("00:d0"), None);
    }
}
