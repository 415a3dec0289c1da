//! Findings for the audit's cells: what is reachable on which interface, how bad that is
//! for the side the interface faces, and the fix for this machine (its interface names,
//! its smb.conf, its firewall).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use smbaudit_findings::{Evidence, Finding, Platform, Remediation, Severity};

use crate::interfaces::{Facing, Interface};
use crate::listeners::Daemon;
use crate::model::Service;
use crate::verdict::{Cell, CellVerdict};

/// What the fixes need to name this machine's real parts.
pub struct FixContext<'a> {
    /// The classified interfaces (the inside ones go into `interfaces =`).
    pub interfaces: &'a [Interface],
    /// The smb.conf the running Samba uses (else Debian's default path is named).
    pub samba_conf: Option<&'a Path>,
    /// Firewall commands that drop the services on one interface.
    pub block: &'a dyn Fn(&str, &[Service]) -> Vec<String>,
}

/// One finding per interface and service that something reaches or that could not be
/// judged, most severe first. Loopback gets none: only this machine's own traffic
/// arrives on it (its cells still show what listens there).
pub fn findings(cells: &[Cell], ctx: &FixContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for iface in ctx.interfaces.iter().filter(|i| !is_loopback(i)) {
        for service in Service::AUDITED {
            let group: Vec<&Cell> = cells
                .iter()
                .filter(|c| c.interface == iface.name && c.service == service)
                .collect();
            if let Some(finding) = finding_for(iface, service, &group, ctx) {
                out.push(finding);
            }
        }
    }
    out.sort_by(Finding::report_order);
    out
}

fn finding_for(
    iface: &Interface,
    service: Service,
    group: &[&Cell],
    ctx: &FixContext<'_>,
) -> Option<Finding> {
    let worst = group
        .iter()
        .map(|c| c.verdict)
        .filter(|v| v.reachable() || *v == CellVerdict::Unknown)
        .min()?;
    let (rule_id, title, severity) = match worst {
        CellVerdict::Unknown => (
            "audit-unjudged".to_owned(),
            format!(
                "{service} on {} ({}) listens, and the firewall's verdict could not be judged",
                iface.name,
                iface.facing.as_str()
            ),
            if iface.facing == Facing::Outside {
                Severity::Medium
            } else {
                Severity::Info
            },
        ),
        verdict => (
            format!("audit-reachable-{}", short_name(service)),
            format!(
                "{service} ({}) is reachable on {}, which faces {}",
                label(service),
                iface.name,
                iface.facing.as_str()
            ),
            severity(service, iface.facing, verdict),
        ),
    };
    let evidence = group
        .iter()
        .map(|c| {
            Evidence::new(
                format!("audit.{}.{}.{}", c.interface, family_key(c), c.service),
                format!("{}: {}", c.verdict.as_str(), c.reason),
            )
        })
        .chain(group.iter().filter_map(|c| c.rule.as_ref()).map(|r| {
            Evidence::new(
                "firewall.rule",
                format!("{} {}: {}", r.table, r.chain, r.text),
            )
        }))
        .collect();
    let samba = group
        .iter()
        .any(|c| c.daemons.iter().any(|d| *d != Daemon::Other));
    Some(Finding {
        rule_id,
        ip: primary_address(iface),
        title,
        severity,
        rationale: rationale(service).to_owned(),
        evidence,
        context: Some(format!("{}: {}", iface.name, iface.why)),
        remediation: remediation(iface, service, samba, ctx),
        references: vec![
            "https://www.samba.org/samba/docs/current/man-html/smb.conf.5.html".into(),
        ],
    })
}

/// Outside: SMB and NetBIOS sessions critical, name service and RPC high; a source-limited
/// accept one step lower. Inside: sessions low, the rest info.
fn severity(service: Service, facing: Facing, verdict: CellVerdict) -> Severity {
    let base = match (facing, service) {
        (Facing::Outside, Service::SMB | Service::NBSS) => Severity::Critical,
        (Facing::Outside, Service::NBNS | Service::EPMAP) => Severity::High,
        (Facing::Outside, _) => Severity::Medium,
        (Facing::Inside, Service::SMB | Service::NBSS) => Severity::Low,
        (Facing::Inside, _) => Severity::Info,
    };
    if verdict == CellVerdict::ExposedToPrefix {
        lower(base)
    } else {
        base
    }
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

/// `lo`, or an interface with loopback addresses only.
fn is_loopback(iface: &Interface) -> bool {
    iface.name == "lo"
        || (!iface.addrs.is_empty() && iface.addrs.iter().all(|a| a.addr().is_loopback()))
}

fn family_key(c: &Cell) -> &'static str {
    match c.family {
        crate::Family::Ipv4 => "ipv4",
        crate::Family::Ipv6 => "ipv6",
    }
}

/// The interface's first IPv4 address, else its first address, else 0.0.0.0.
fn primary_address(iface: &Interface) -> IpAddr {
    let addrs = || iface.addrs.iter().map(ipnet::IpNet::addr);
    addrs()
        .find(IpAddr::is_ipv4)
        .or_else(|| addrs().next())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn short_name(service: Service) -> &'static str {
    match service {
        Service::EPMAP => "epmap",
        Service::NBNS => "nbns",
        Service::NBDGM => "nbdgm",
        Service::NBSS => "nbss",
        _ => "smb",
    }
}

fn label(service: Service) -> &'static str {
    match service {
        Service::EPMAP => "DCE/RPC endpoint mapper",
        Service::NBNS => "NetBIOS name service",
        Service::NBDGM => "NetBIOS datagram service",
        Service::NBSS => "NetBIOS session service",
        _ => "SMB",
    }
}

fn rationale(service: Service) -> &'static str {
    match service {
        Service::NBNS => {
            "A NODE STATUS query to 137/udp tells anyone who can send it the computer name, workgroup, logged-on names and MAC address."
        }
        Service::NBDGM => {
            "138/udp carries NetBIOS browser announcements: names and workgroups, and a path for browser-protocol attacks."
        }
        Service::EPMAP => {
            "The endpoint mapper lists the machine's RPC services to anyone who asks and is the first step of many remote exploits."
        }
        _ => {
            "SMB reachable from a network is how worms (WannaCry, NotPetya) spread and how anonymous or guest sessions expose shares; its handshake leaks names, OS build and signing policy."
        }
    }
}

fn remediation(
    iface: &Interface,
    service: Service,
    samba: bool,
    ctx: &FixContext<'_>,
) -> Vec<Remediation> {
    let mut fixes = vec![Remediation {
        platform: Platform::Perimeter,
        steps: format!(
            "# drop it on {} with this machine's firewall\n{}",
            iface.name,
            (ctx.block)(&iface.name, &[service]).join("\n")
        ),
    }];
    if samba {
        fixes.push(Remediation {
            platform: Platform::Samba,
            steps: samba_steps(iface, service, ctx),
        });
    }
    fixes
}

/// The smb.conf lines: outside, keep smbd off the interface (bind to the inside ones);
/// inside, keep NetBIOS off and SMB to the interface's own subnets.
fn samba_steps(iface: &Interface, service: Service, ctx: &FixContext<'_>) -> String {
    let conf = ctx.samba_conf.map_or_else(
        || "/etc/samba/smb.conf".to_owned(),
        |p| p.display().to_string(),
    );
    if matches!(service, Service::NBNS | Service::NBDGM) {
        return format!(
            "# {conf}, [global]: nmbd binds 0.0.0.0:137/138 even with `bind interfaces only`,\n\
             # and only filters by source address; turn NetBIOS off (NetworkManager and\n\
             # systemd-networkd have no NetBIOS of their own: on Linux it is Samba's nmbd)\n\
             disable netbios = yes\n\
             # then: systemctl disable --now nmbd"
        );
    }
    let netbios_off = if service == Service::NBSS {
        "# SMB over 445 alone serves every client since Windows 2000\nsmb ports = 445\ndisable netbios = yes\n"
    } else {
        ""
    };
    let restart = if service == Service::NBSS {
        "# then: systemctl restart smbd; systemctl disable --now nmbd"
    } else {
        "# then: systemctl restart smbd"
    };
    match iface.facing {
        Facing::Outside => format!(
            "# {conf}, [global]: listen on the inside interfaces only\n\
             interfaces = {}\n\
             bind interfaces only = yes\n\
             {netbios_off}{restart}",
            inside_names(ctx).join(" ")
        ),
        Facing::Inside => {
            let subnets: Vec<String> = iface.addrs.iter().map(|n| n.trunc().to_string()).collect();
            format!(
                "# {conf}, [global]: if every client is on {}'s subnets, refuse the rest\n\
                 hosts allow = {} 127.0.0.1 ::1\n\
                 {netbios_off}{restart}",
                iface.name,
                subnets.join(" ")
            )
        }
    }
}

/// `lo` and every inside interface, for `interfaces =`.
fn inside_names<'a>(ctx: &FixContext<'a>) -> Vec<&'a str> {
    let mut inside: Vec<&str> = ctx
        .interfaces
        .iter()
        .filter(|i| i.facing == Facing::Inside)
        .map(|i| i.name.as_str())
        .collect();
    if !inside.contains(&"lo") {
        inside.insert(0, "lo");
    }
    inside
}

#[cfg(test)]
mod tests;
