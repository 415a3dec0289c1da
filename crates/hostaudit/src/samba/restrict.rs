//! How Samba itself limits traffic arriving on one interface, beyond its listeners.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::SambaConfig;
use super::hosts::{HostsAccess, Refusal};
use crate::interfaces::Interface;
use crate::model::{Family, Service};

/// How Samba limits traffic to one service arriving on one interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Restriction {
    /// Samba does not limit it.
    None,
    /// nmbd with `bind interfaces only = yes` still binds 0.0.0.0:137/138 but drops
    /// packets whose source is not on a subnet of an `interfaces` entry; the interface is
    /// not among them. This is how nmbd works, not a misconfiguration.
    SourceFiltered(String),
    /// `hosts allow`/`hosts deny` in `[global]`: smbd accepts the TCP connection and then
    /// closes it for sources on this interface that the lists refuse.
    HostsAllow(String),
}

/// Whether an `interfaces` list covers an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// An entry names it or holds one of its addresses.
    Covered,
    /// No entry does, and every entry could be judged.
    NotCovered,
    /// No entry that could be judged covers it, but some (host names) could not be.
    Unsure,
}

/// Glob match with `*` and `?` (Samba's `gen_fnmatch` for interface names).
fn glob(pattern: &[char], name: &[char]) -> bool {
    match (pattern.split_first(), name.split_first()) {
        (None, None) => true,
        (Some(('*', rest)), _) => {
            glob(rest, name)
                || name
                    .split_first()
                    .is_some_and(|(_, tail)| glob(pattern, tail))
        }
        (Some(('?', rest)), Some((_, tail))) => glob(rest, tail),
        (Some((p, rest)), Some((n, tail))) if p == n => glob(rest, tail),
        _ => false,
    }
}

/// An `interfaces` entry's network: `addr`, `addr/len` or `addr/mask`.
fn entry_net(entry: &str) -> Option<IpNet> {
    if let Ok(addr) = entry.parse::<IpAddr>() {
        return Some(IpNet::from(addr));
    }
    let (addr, mask) = entry.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let prefix = match mask.parse::<u8>() {
        Ok(prefix) => prefix,
        Err(_) => {
            let mask: IpAddr = mask.parse().ok()?;
            if Family::of(mask) != Family::of(addr) {
                return None;
            }
            ipnet::ip_mask_to_prefix(mask).ok()?
        }
    };
    IpNet::new(addr, prefix).ok().map(|net| net.trunc())
}

/// Whether `interfaces` covers `iface`: an entry (options after `;` dropped) is its
/// name, a `*`/`?` pattern matching its name, one of its addresses, or a network
/// holding one of them.
pub fn interfaces_cover(entries: &[String], iface: &Interface) -> Coverage {
    let name: Vec<char> = iface.name.chars().collect();
    let mut unsure = false;
    for entry in entries {
        let entry = entry.split(';').next().unwrap_or(entry);
        if entry == iface.name {
            return Coverage::Covered;
        }
        if entry.contains(['*', '?']) {
            if glob(&entry.chars().collect::<Vec<_>>(), &name) {
                return Coverage::Covered;
            }
        } else if let Some(net) = entry_net(entry) {
            if iface.addrs.iter().any(|a| net.contains(&a.addr())) {
                return Coverage::Covered;
            }
        } else if entry.contains('/') || !looks_like_interface_name(entry) {
            // A host name Samba would resolve, or something it cannot parse.
            unsure = true;
        }
    }
    if unsure {
        Coverage::Unsure
    } else {
        Coverage::NotCovered
    }
}

/// Linux interface names are at most 15 bytes and have no dots or slashes; anything
/// else in `interfaces` is a host name Samba resolves.
fn looks_like_interface_name(entry: &str) -> bool {
    !entry.is_empty() && entry.len() <= 15 && !entry.contains(['.', '/', ':'])
}

/// The networks whose sources can arrive on `iface`: its subnets (only 127.0.0.1 and ::1
/// for loopback, the kernel's source for local traffic), and everything for a family
/// whose default route leaves through it.
fn sources(iface: &Interface) -> Vec<IpNet> {
    let mut nets: Vec<IpNet> = iface
        .addrs
        .iter()
        .map(|net| {
            if net.addr().is_loopback() {
                IpNet::from(match net.addr() {
                    IpAddr::V4(_) => IpAddr::from([127, 0, 0, 1]),
                    IpAddr::V6(_) => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
                })
            } else {
                net.trunc()
            }
        })
        .collect();
    for family in &iface.default_route {
        nets.push(match family {
            Family::Ipv4 => "0.0.0.0/0".parse().unwrap_or_default(),
            Family::Ipv6 => "::/0".parse().unwrap_or_default(),
        });
    }
    nets.sort();
    nets.dedup();
    nets
}

/// `a b c`, or `(empty)`.
fn words(list: &[String]) -> String {
    if list.is_empty() {
        "(empty)".to_owned()
    } else {
        list.join(" ")
    }
}

impl SambaConfig {
    /// How Samba itself limits traffic to `service` arriving on `iface`, beyond what the
    /// listener table already shows. Conservative: when unsure, [`Restriction::None`].
    pub fn restricts(&self, service: Service, iface: &Interface) -> Restriction {
        let params = &self.params;
        if service == Service::NBNS || service == Service::NBDGM {
            if !params.bind_interfaces_only || params.interfaces.is_empty() {
                return Restriction::None;
            }
            return match interfaces_cover(&params.interfaces, iface) {
                Coverage::NotCovered => Restriction::SourceFiltered(format!(
                    "nmbd binds 0.0.0.0:{port} even with bind interfaces only = yes, but drops \
                     packets whose source is not on a subnet of interfaces = {list} ({path}); \
                     {name} is not among them, so nmbd answers nobody on it. This is how nmbd \
                     works, not a misconfiguration",
                    port = service.port,
                    list = words(&params.interfaces),
                    path = self.path.display(),
                    name = iface.name,
                )),
                Coverage::Covered | Coverage::Unsure => Restriction::None,
            };
        }
        if service != Service::NBSS && service != Service::SMB {
            return Restriction::None;
        }
        let access = HostsAccess::new(&params.hosts_allow, &params.hosts_deny);
        if !access.is_set() {
            return Restriction::None;
        }
        let refused: Vec<String> = sources(iface)
            .iter()
            .filter_map(|net| {
                let how = match access.refusal(net) {
                    Refusal::NoneSure => return None,
                    Refusal::Some => "part of",
                    Refusal::All => "every source on",
                };
                let route = if net.prefix_len() == 0 {
                    " (via the default route)"
                } else {
                    ""
                };
                Some(format!("{how} {net}{route}"))
            })
            .collect();
        if refused.is_empty() {
            return Restriction::None;
        }
        Restriction::HostsAllow(format!(
            "smbd accepts the TCP connection on {port} and then closes it for sources refused \
             by hosts allow = {allow}, hosts deny = {deny} ({path}); arriving on {name} it \
             refuses {refused}",
            port = service.port,
            allow = words(&params.hosts_allow),
            deny = words(&params.hosts_deny),
            path = self.path.display(),
            name = iface.name,
            refused = refused.join(", "),
        ))
    }
}
