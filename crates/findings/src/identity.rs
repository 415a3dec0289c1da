//! Which addresses are one machine, and which hosts are NTLM relay targets.
//!
//! A machine with several NICs (or behind several NATs) shows up as several hosts. They share
//! the SMB2 ServerGuid, the NTLM DNS computer name and the NBSTAT MAC; any one of these in
//! common joins two addresses (union-find). That is how SMB found on an outside address is
//! traced to the inside machine that leaks it.
//!
//! Caveat: cloned VMs can share a ServerGuid, and devices left at a factory host name share a
//! DNS computer name; the keys of a [`Machine`] say what joined it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::record::HostRecord;
use crate::rules::relay_target;

/// Addresses judged to be one machine, and the identity keys that joined them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// Its addresses, sorted.
    pub addresses: Vec<IpAddr>,
    /// Its identity keys, sorted: `guid:<server guid>`, `dns:<dns computer name>`,
    /// `mac:<aa:bb:cc:dd:ee:ff>` (all lower case).
    pub keys: Vec<String>,
}

/// The identity keys of one host.
fn keys(host: &HostRecord) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(smb) = &host.smb {
        if let Some(guid) = smb.server_guid.as_deref().map(str::to_ascii_lowercase) {
            if guid.bytes().any(|b| b.is_ascii_hexdigit() && b != b'0') {
                keys.push(format!("guid:{guid}"));
            }
        }
        for ntlm in [&smb.ntlm, &smb.smb1_ntlm].into_iter().flatten() {
            if let Some(name) = ntlm.dns_computer.as_deref().map(str::to_ascii_lowercase) {
                if !name.is_empty() && name != "localhost" {
                    keys.push(format!("dns:{name}"));
                }
            }
        }
    }
    if let Some(nb) = &host.netbios {
        if let (true, Some(mac)) = (nb.report.mac_disclosed, &nb.report.mac) {
            let mac = mac.to_ascii_lowercase();
            if mac != "00:00:00:00:00:00" && mac != "ff:ff:ff:ff:ff:ff" {
                keys.push(format!("mac:{mac}"));
            }
        }
    }
    keys
}

/// Union-find over host indices.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        // The lower index becomes the root, so the result does not depend on call order.
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        self.0[hi] = lo;
    }
}

/// Groups the hosts into machines: hosts sharing an address or an identity key are one.
/// Every address is in exactly one machine (singletons included); machines are ordered by
/// their lowest address.
pub fn correlate<'a>(hosts: impl IntoIterator<Item = &'a HostRecord>) -> Vec<Machine> {
    let hosts: Vec<&HostRecord> = hosts.into_iter().collect();
    let host_keys: Vec<Vec<String>> = hosts.iter().map(|h| keys(h)).collect();
    let mut sets = Sets((0..hosts.len()).collect());
    let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, host) in hosts.iter().enumerate() {
        let tokens = host_keys[i]
            .iter()
            .cloned()
            .chain([format!("ip:{}", host.ip)]);
        for token in tokens {
            match first_seen.get(&token) {
                Some(&j) => sets.union(i, j),
                None => {
                    first_seen.insert(token, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Machine> = BTreeMap::new();
    for (i, host) in hosts.iter().enumerate() {
        let root = sets.find(i);
        let m = groups.entry(root).or_insert_with(|| Machine {
            addresses: Vec::new(),
            keys: Vec::new(),
        });
        m.addresses.push(host.ip);
        m.keys.extend(host_keys[i].iter().cloned());
    }
    let mut machines: Vec<Machine> = groups
        .into_values()
        .map(|mut m| {
            m.addresses.sort();
            m.addresses.dedup();
            m.keys.sort();
            m.keys.dedup();
            m
        })
        .collect();
    machines.sort_by(|a, b| a.addresses.cmp(&b.addresses));
    machines
}

/// Hosts that accept unsigned sessions on a protocol they speak (SMB2 signing not required,
/// or SMB1 on without required signing), whatever their OS: NTLM relay targets, sorted.
pub fn relay_targets<'a>(hosts: impl IntoIterator<Item = &'a HostRecord>) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = hosts
        .into_iter()
        .filter(|h| relay_target(h))
        .map(|h| h.ip)
        .collect();
    ips.sort();
    ips.dedup();
    ips
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::rules::test_host::host;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| ip(s)).collect()
    }

    fn smb_host(addr: &str, smb: Value) -> HostRecord {
        host(json!({"ip": addr, "smb": smb}))
    }

    #[test]
    fn joins_addresses_by_guid_dns_name_and_mac() {
        let guid = "6a1b2c3d-0000-4000-8000-00aabbccddee";
        let hosts = [
            smb_host("203.0.113.7", json!({"server_guid": guid})),
            smb_host(
                "192.168.1.20",
                json!({"server_guid": guid.to_uppercase(), "ntlm": {"dns_computer": "FS01.corp.example", "negotiate_flags": 0}}),
            ),
            smb_host(
                "10.8.0.3",
                json!({"smb1_ntlm": {"dns_computer": "fs01.CORP.example", "negotiate_flags": 0}}),
            ),
            host(
                json!({"ip": "10.9.9.9", "netbios": {"mac": "00:1C:C4:10:79:0F", "mac_disclosed": true}}),
            ),
            host(
                json!({"ip": "172.16.0.4", "netbios": {"mac": "00:1c:c4:10:79:0f", "mac_disclosed": true}}),
            ),
            smb_host(
                "192.168.1.30",
                json!({"server_guid": "11111111-2222-3333-4444-555555555555"}),
            ),
        ];
        let machines = correlate(&hosts);
        assert_eq!(
            machines,
            [
                Machine {
                    addresses: ips(&["10.8.0.3", "192.168.1.20", "203.0.113.7"]),
                    keys: vec!["dns:fs01.corp.example".into(), format!("guid:{guid}"),],
                },
                Machine {
                    addresses: ips(&["10.9.9.9", "172.16.0.4"]),
                    keys: vec!["mac:00:1c:c4:10:79:0f".into()],
                },
                Machine {
                    addresses: ips(&["192.168.1.30"]),
                    keys: vec!["guid:11111111-2222-3333-4444-555555555555".into()],
                },
            ]
        );
    }

    #[test]
    fn ignores_empty_and_placeholder_identities() {
        let zero_guid = "00000000-0000-0000-0000-000000000000";
        let hosts = [
            smb_host(
                "10.0.0.1",
                json!({"server_guid": zero_guid, "ntlm": {"dns_computer": "", "negotiate_flags": 0}}),
            ),
            smb_host(
                "10.0.0.2",
                json!({"server_guid": zero_guid, "ntlm": {"dns_computer": "", "negotiate_flags": 0}}),
            ),
            host(
                json!({"ip": "10.0.0.3", "netbios": {"mac": "00:00:00:00:00:00", "mac_disclosed": false}}),
            ),
            host(
                json!({"ip": "10.0.0.4", "netbios": {"mac": "00:00:00:00:00:00", "mac_disclosed": false}}),
            ),
            host(
                json!({"ip": "10.0.0.5", "netbios": {"mac": "52:54:00:12:34:56", "mac_disclosed": false}}),
            ),
            host(
                json!({"ip": "10.0.0.6", "netbios": {"mac": "52:54:00:12:34:56", "mac_disclosed": false}}),
            ),
        ];
        let machines = correlate(&hosts);
        assert_eq!(machines.len(), 6);
        assert!(
            machines
                .iter()
                .all(|m| m.addresses.len() == 1 && m.keys.is_empty())
        );
    }

    #[test]
    fn output_is_deterministic_and_merges_repeated_addresses() {
        let a = smb_host(
            "192.168.1.5",
            json!({"server_guid": "aaaaaaaa-0000-0000-0000-000000000001"}),
        );
        let b = smb_host(
            "192.168.1.4",
            json!({"server_guid": "aaaaaaaa-0000-0000-0000-000000000001"}),
        );
        let c = host(json!({"ip": "192.168.1.3"}));
        let again = host(json!({"ip": "192.168.1.5"}));
        let one = correlate(&[a.clone(), b.clone(), c.clone(), again.clone()]);
        let other = correlate(&[again, c, b, a]);
        assert_eq!(one, other);
        assert_eq!(one.len(), 2);
        assert_eq!(one[0].addresses, ips(&["192.168.1.3"]));
        assert_eq!(one[1].addresses, ips(&["192.168.1.4", "192.168.1.5"]));
        assert!(correlate(&[]).is_empty());
    }

    #[test]
    fn relay_targets_include_any_os_and_both_families() {
        let optional = json!({"enabled": true, "required": false});
        let required = json!({"enabled": true, "required": true});
        let hosts = [
            smb_host(
                "10.0.0.9",
                json!({"signing": {"smb2": optional}, "ntlm": {"os_version": "6.1.0", "negotiate_flags": 0}}),
            ),
            smb_host(
                "10.0.0.2",
                json!({"smb1": true, "signing": {"smb2": required, "smb1": optional}}),
            ),
            smb_host(
                "10.0.0.3",
                json!({"smb1": false, "signing": {"smb2": required, "smb1": optional}}),
            ),
            smb_host("10.0.0.4", json!({"signing": {"smb2": required}})),
            host(json!({"ip": "10.0.0.5", "ports": {"445/tcp": "open"}})),
            smb_host("10.0.0.9", json!({"signing": {"smb2": optional}})),
        ];
        assert_eq!(relay_targets(&hosts), ips(&["10.0.0.2", "10.0.0.9"]));
    }
}
