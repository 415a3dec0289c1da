//! How Samba itself limits traffic arriving on one interface, beyond its listeners.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::SambaConfig;
use super::hosts::{HostsAccess, Refusal};
use crate::interfaces::Interface;
use crate::listeners::{Daemon, Listener};
use crate::model::{Family, Service};
use crate::verdict::SambaView;

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

/// The most `hosts allow` + `hosts deny` entries judged: each tested point walks every
/// entry, so the work grows with the square; beyond this the lists are not judged
/// (no restriction claimed). Real lists have a handful.
pub const MAX_HOSTS_ENTRIES: usize = 2048;

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

/// Glob match with `*` and `?` (Samba's `gen_fnmatch` for interface names), by dynamic
/// programming so a hostile pattern costs at most pattern × name steps.
fn glob(pattern: &[char], name: &[char]) -> bool {
    // matches[j]: the pattern so far matches name[..j].
    let mut matches = vec![false; name.len() + 1];
    matches[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            next[j] = match p {
                '*' => matches[j] || (j > 0 && next[j - 1]),
                '?' => j > 0 && matches[j - 1],
                c => j > 0 && matches[j - 1] && name[j - 1] == c,
            };
        }
        matches = next;
    }
    matches[name.len()]
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
    /// How Samba itself limits traffic to `service` arriving on `iface` over any of its
    /// families, beyond what the listener table already shows: a restriction only when
    /// it holds for every family. Conservative: when unsure, [`Restriction::None`].
    pub fn restricts(&self, service: Service, iface: &Interface) -> Restriction {
        self.restricts_families(service, iface, &[Family::Ipv4, Family::Ipv6])
    }

    /// [`restricts`](Self::restricts) for the traffic of one family.
    pub fn restricts_family(
        &self,
        service: Service,
        iface: &Interface,
        family: Family,
    ) -> Restriction {
        self.restricts_families(service, iface, &[family])
    }

    fn restricts_families(
        &self,
        service: Service,
        iface: &Interface,
        families: &[Family],
    ) -> Restriction {
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
        if params.hosts_allow.len() + params.hosts_deny.len() > MAX_HOSTS_ENTRIES {
            return Restriction::None;
        }
        let access = HostsAccess::new(&params.hosts_allow, &params.hosts_deny);
        if !access.is_set() {
            return Restriction::None;
        }
        let nets: Vec<IpNet> = sources(iface)
            .into_iter()
            .filter(|net| families.contains(&Family::of(net.addr())))
            .collect();
        // Refused only if every source that can arrive is: all of each subnet, and every
        // globally routable source behind a default route.
        let refused = |net: &IpNet| {
            if net.prefix_len() == 0 {
                !access.may_allow_global(net)
            } else {
                access.refusal(net) == Refusal::All
            }
        };
        if nets.is_empty() || !nets.iter().all(refused) {
            return Restriction::None;
        }
        let (routes, subnets): (Vec<&IpNet>, Vec<&IpNet>) =
            nets.iter().partition(|net| net.prefix_len() == 0);
        let mut parts = Vec::new();
        if !subnets.is_empty() {
            parts.push(format!("every source on {}", joined(&subnets)));
        }
        if !routes.is_empty() {
            parts.push(format!(
                "every globally routable source via the default route ({})",
                joined(&routes)
            ));
        }
        Restriction::HostsAllow(format!(
            "smbd accepts the TCP connection on {port} and then closes it for sources refused \
             by hosts allow = {allow}, hosts deny = {deny} ({path}); arriving on {name} it \
             refuses {parts}",
            port = service.port,
            allow = words(&params.hosts_allow),
            deny = words(&params.hosts_deny),
            path = self.path.display(),
            name = iface.name,
            parts = parts.join(" and "),
        ))
    }
}

/// Networks joined by ", ".
fn joined(nets: &[&IpNet]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The config a Samba daemon runs with: the one that lists its pid, else the only one.
pub fn config_of(configs: &[SambaConfig], pid: u32) -> Option<&SambaConfig> {
    configs
        .iter()
        .find(|c| c.pids.contains(&pid))
        .or(match configs {
            [only] => Some(only),
            _ => None,
        })
}

/// Samba's own limit on `listener` arriving on `iface`, for the verdict
/// (`verdict::SambaLimit`): the config of the daemon that owns the listener (else the
/// only config, when a Samba daemon owns it), judged for the families the socket takes
/// (both for a `::` socket without v6only). `Some(detail)` when Samba refuses it there.
pub fn limit(configs: &[SambaConfig], listener: &Listener, iface: &Interface) -> Option<String> {
    let process = listener.process.as_ref()?;
    if process.daemon == Daemon::Other {
        return None;
    }
    let config = config_of(configs, process.pid)?;
    let families: &[Family] = match listener.addr {
        IpAddr::V6(v6) if v6.is_unspecified() && listener.v6only == Some(false) => {
            &[Family::Ipv4, Family::Ipv6]
        }
        addr => &[Family::of(addr)],
    };
    match config.restricts_families(listener.service, iface, families) {
        Restriction::None => None,
        Restriction::SourceFiltered(detail) | Restriction::HostsAllow(detail) => Some(detail),
    }
}

/// What Samba does with `l`'s traffic on `i`, for the verdict (`verdict::SambaLimit`):
/// [`limit`]'s refusal; unknown for an nmbd whose configuration could
/// not be read, since its `interfaces` decide whom it answers. (smbd's listeners already
/// show its binding; its `hosts allow` refuses only after the handshake.)
pub fn view(configs: &[SambaConfig], l: &Listener, i: &Interface) -> SambaView {
    if let Some(why) = limit(configs, l, i) {
        return SambaView::Refuses(why);
    }
    match &l.process {
        Some(p) if p.daemon == Daemon::Nmbd && config_of(configs, p.pid).is_none() => {
            SambaView::Unknown(format!(
                "nmbd (pid {}) answers only the subnets of its `interfaces`, and its configuration could not be read",
                p.pid
            ))
        }
        _ => SambaView::Allows,
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn globs_like_fnmatch() {
        for (pattern, name, want) in [
            ("eth*", "eth0", true),
            ("eth*", "eth", true),
            ("e?h0", "eth0", true),
            ("*0", "wlan0", true),
            ("eth?", "eth10", false),
            ("", "", true),
            ("*", "", true),
            ("br*x", "br0", false),
        ] {
            assert_eq!(
                glob(&chars(pattern), &chars(name)),
                want,
                "{pattern} {name}"
            );
        }
        // Many stars cost pattern × name steps, not exponential time.
        let hostile = "*a".repeat(2000) + "b";
        assert!(!glob(&chars(&hostile), &chars("aaaaaaaaaaaaaaa")));
    }
}
