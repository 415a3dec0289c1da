//! The bodies of the `smbaudit audit` fuzz targets: the firewall readers (nft JSON,
//! iptables-save) with every query the audit asks, and the smb.conf parser and testparm
//! reader with Samba's restrictions judged on the result. Included by the targets in
//! `fuzz_targets/audit_*.rs` and by `crates/hostaudit/tests/fuzz_corpus.rs`, which replays
//! `corpus/audit_*` on stable.

use std::path::Path;

use smbaudit_hostaudit::firewall::{Query, Ruleset, parse_iptables_save, parse_nft_json};
use smbaudit_hostaudit::interfaces::{Facing, Interface};
use smbaudit_hostaudit::samba::{self, ReadMethod, SambaConfig};
use smbaudit_hostaudit::{Family, Service};

/// Every question the audit asks a ruleset, on two interfaces.
fn ask(rs: &Ruleset) {
    for iface in ["eth0", "lo"] {
        for family in [Family::Ipv4, Family::Ipv6] {
            for service in Service::AUDITED {
                let _ = rs.decide(&Query {
                    iface,
                    family,
                    service,
                });
            }
        }
        let _ = rs.block_commands(iface, &Service::AUDITED);
    }
    let _ = (rs.input_chains(), rs.unreadable());
}

/// `nft -j list ruleset` output.
pub fn nft_json(data: &[u8]) {
    if let Ok(rs) = parse_nft_json(&String::from_utf8_lossy(data)) {
        ask(&rs);
    }
}

/// `iptables-save` then, after the first NUL, `ip6tables-save` output.
pub fn iptables_save(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (v4, v6) = text.split_once('\0').unwrap_or((&text, ""));
    if let Ok(rs) = parse_iptables_save(v4, v6) {
        ask(&rs);
    }
}

/// An smb.conf (every include reads the same bytes, so includes loop) and the same bytes
/// as testparm output; Samba's restrictions judged on what parses.
pub fn smb_conf(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let path = Path::new("/fuzz/smb.conf");
    let parsed = [
        samba::parse(&|_| Ok(text.clone()), path),
        samba::parse_testparm_output(path, &text),
    ];
    let iface = Interface {
        name: "eth0".into(),
        index: 2,
        addrs: vec![
            "192.0.2.1/24".parse().expect("literal"),
            "2001:db8::1/64".parse().expect("literal"),
        ],
        default_route: vec![Family::Ipv4],
        facing: Facing::Outside,
        why: String::new(),
    };
    for params in parsed.into_iter().flatten() {
        let conf = SambaConfig {
            path: path.to_owned(),
            method: ReadMethod::Parsed,
            pids: vec![1],
            params,
            notes: Vec::new(),
        };
        for service in Service::AUDITED {
            let _ = conf.restricts(service, &iface);
        }
    }
}
