//! The verdict per interface, family and port: the facts (interfaces, listeners, Samba's
//! own limits, the firewall) folded into one cell each. Pure: the firewall and Samba are
//! passed in as functions, so tests feed captured facts.

use ipnet::IpNet;
use serde::{Serialize, Serializer};

use crate::firewall::{Decision, Query, RuleRef, Verdict};
use crate::interfaces::{Facing, Interface};
use crate::listeners::{Daemon, Listener};
use crate::model::{Family, Service};

/// What one cell concludes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellVerdict {
    /// Something listens, the firewall accepts from anywhere, Samba does not limit it.
    Exposed,
    /// As exposed, but the firewall accepts only some source prefixes.
    ExposedToPrefix,
    /// Something listens and the firewall lets it in, but Samba itself refuses the traffic.
    Restricted,
    /// The firewall drops or rejects it.
    Filtered,
    /// Nothing listens on it for this interface.
    NotListening,
    /// A fact that decides it could not be read or judged.
    Unknown,
}

impl CellVerdict {
    /// The name the reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exposed => "exposed",
            Self::ExposedToPrefix => "exposed-to-prefix",
            Self::Restricted => "restricted",
            Self::Filtered => "filtered",
            Self::NotListening => "not-listening",
            Self::Unknown => "unknown",
        }
    }

    /// Whether an attacker on the interface's side reaches it (from some source).
    pub fn reachable(self) -> bool {
        matches!(self, Self::Exposed | Self::ExposedToPrefix)
    }
}

/// The verdict for one interface, family and service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// The interface name.
    pub interface: String,
    /// Which side it faces.
    pub facing: Facing,
    /// The IP family.
    pub family: Family,
    /// The port, as "445/tcp".
    #[serde(serialize_with = "as_display")]
    pub service: Service,
    /// The conclusion.
    pub verdict: CellVerdict,
    /// Why, in one sentence.
    pub reason: String,
    /// The firewall rule that decided it, if one did.
    pub rule: Option<RuleRef>,
    /// For [`CellVerdict::ExposedToPrefix`]: the accepted source prefixes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<IpNet>,
    /// The listeners (addresses and owners) that answer on it, as "smbd on 0.0.0.0".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listeners: Vec<String>,
    /// The daemons behind those listeners (for the fix: smb.conf or another program).
    #[serde(skip)]
    pub daemons: Vec<Daemon>,
}

fn as_display<S: Serializer>(service: &Service, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(service)
}

/// The facts a verdict needs besides the firewall and Samba.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// The classified interfaces.
    pub interfaces: &'a [Interface],
    /// The listeners, or `None` when the socket table could not be read.
    pub listeners: Option<&'a [Listener]>,
}

/// What Samba itself does with one listener's traffic on one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SambaView {
    /// Samba does not refuse it (or the listener is not Samba's).
    Allows,
    /// Samba refuses it there (nmbd's source filter, `hosts allow`), and why.
    Refuses(String),
    /// Whether Samba refuses it depends on a configuration that could not be read.
    Unknown(String),
}

/// How Samba limits one listener on one interface.
pub type SambaLimit<'a> = dyn Fn(&Listener, &Interface) -> SambaView + 'a;

/// The firewall's decision for new traffic.
pub type Firewall<'a> = dyn Fn(&Query<'_>) -> Decision + 'a;

/// Every cell: each interface, each family it has an address of, each audited service.
pub fn judge(facts: Facts<'_>, firewall: &Firewall<'_>, samba: &SambaLimit<'_>) -> Vec<Cell> {
    let mut cells = Vec::new();
    for iface in facts.interfaces {
        for family in [Family::Ipv4, Family::Ipv6] {
            if !iface.has_family(family) {
                continue;
            }
            for service in Service::AUDITED {
                cells.push(judge_cell(facts, iface, family, service, firewall, samba));
            }
        }
    }
    cells
}

/// One cell. The order of the checks is the order in which the facts stop a packet:
/// nothing listening, then the firewall, then Samba's own refusal.
fn judge_cell(
    facts: Facts<'_>,
    iface: &Interface,
    family: Family,
    service: Service,
    firewall: &Firewall<'_>,
    samba: &SambaLimit<'_>,
) -> Cell {
    let mut cell = Cell {
        interface: iface.name.clone(),
        facing: iface.facing,
        family,
        service,
        verdict: CellVerdict::Unknown,
        reason: String::new(),
        rule: None,
        prefixes: Vec::new(),
        listeners: Vec::new(),
        daemons: Vec::new(),
    };
    let Some(all) = facts.listeners else {
        cell.reason = "the socket table could not be read".into();
        return cell;
    };
    let here: Vec<&Listener> = all
        .iter()
        .filter(|l| l.service == service && l.reachable_on(iface, family))
        .collect();
    cell.listeners = here.iter().map(|l| describe(l)).collect();
    cell.daemons = here
        .iter()
        .map(|l| l.process.as_ref().map_or(Daemon::Other, |p| p.daemon))
        .collect();
    if here.is_empty() {
        cell.verdict = CellVerdict::NotListening;
        cell.reason = not_listening_reason(all, service, iface, family);
        return cell;
    }
    let decision = firewall(&Query {
        iface: &iface.name,
        family,
        service,
    });
    cell.rule = decision.rule;
    let samba_view = samba_view(&here, iface, samba);
    let (verdict, reason) = match (decision.verdict, samba_view) {
        (Verdict::Dropped, _) => (CellVerdict::Filtered, "the firewall drops it".to_owned()),
        (Verdict::Rejected, _) => (CellVerdict::Filtered, "the firewall rejects it".to_owned()),
        (_, SambaView::Refuses(limit)) => (CellVerdict::Restricted, limit),
        (Verdict::Unknown(why), _) | (_, SambaView::Unknown(why)) => (CellVerdict::Unknown, why),
        (Verdict::AcceptedFrom(prefixes), SambaView::Allows) => {
            let from = prefixes.iter().map(ToString::to_string).collect::<Vec<_>>();
            cell.prefixes = prefixes;
            (
                CellVerdict::ExposedToPrefix,
                format!(
                    "listening; the firewall accepts it from {} only",
                    from.join(", ")
                ),
            )
        }
        (Verdict::Accepted, SambaView::Allows) => {
            (CellVerdict::Exposed, accepted_reason(cell.rule.is_some()))
        }
    };
    cell.verdict = verdict;
    cell.reason = reason;
    cell
}

/// Samba refuses the traffic only if it refuses it on every listener that takes it; one
/// that allows it lets it in; otherwise an unknown one leaves it unknown.
fn samba_view(here: &[&Listener], iface: &Interface, samba: &SambaLimit<'_>) -> SambaView {
    let views: Vec<SambaView> = here.iter().map(|l| samba(l, iface)).collect();
    if views.contains(&SambaView::Allows) {
        return SambaView::Allows;
    }
    let mut unknown: Vec<String> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for view in views {
        let (list, why) = match view {
            SambaView::Unknown(why) => (&mut unknown, why),
            SambaView::Refuses(why) => (&mut refused, why),
            SambaView::Allows => continue,
        };
        if !list.contains(&why) {
            list.push(why);
        }
    }
    if unknown.is_empty() {
        SambaView::Refuses(refused.join("; "))
    } else {
        SambaView::Unknown(unknown.join("; "))
    }
}

fn accepted_reason(by_rule: bool) -> String {
    if by_rule {
        "listening, and the firewall accepts it".into()
    } else {
        "listening, and no firewall rule filters it".into()
    }
}

/// "nothing listens" with, when the port is bound elsewhere, where; and, for a socket
/// bound to another interface's address, that a neighbour on this link can still send to
/// it (Linux accepts a packet for any local address on any interface).
fn not_listening_reason(
    all: &[Listener],
    service: Service,
    iface: &Interface,
    family: Family,
) -> String {
    let elsewhere: Vec<&Listener> = all.iter().filter(|l| l.service == service).collect();
    if elsewhere.is_empty() {
        return format!("nothing listens on {service}");
    }
    let listed: Vec<String> = elsewhere.iter().map(|l| describe(l)).collect();
    let mut reason = format!(
        "{service} is bound only where {} {family} traffic cannot reach it: {}",
        iface.name,
        listed.join(", ")
    );
    let weak_host = elsewhere.iter().any(|l| {
        Family::of(l.addr) == family
            && !l.addr.is_loopback()
            && !l.addr.is_unspecified()
            && l.device.is_none()
    });
    if weak_host && iface.facing == Facing::Outside {
        reason.push_str(&format!(
            " (a host on {}'s own link can still address that socket, since Linux takes packets for any local address on any interface; dropping the port on {} in the firewall stops that)",
            iface.name, iface.name
        ));
    }
    reason
}

/// "smbd (pid 42) on 0.0.0.0", "python3 (pid 7) on :: (takes IPv4 too)".
pub fn describe(l: &Listener) -> String {
    let owner = l.process.as_ref().map_or_else(
        || "unknown process".to_owned(),
        |p| {
            let name = p.exe.file_name().map_or_else(
                || p.exe.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            format!("{name} (pid {})", p.pid)
        },
    );
    let mut text = format!("{owner} on {}", l.addr);
    if l.v6only == Some(false) && l.addr.is_unspecified() {
        text.push_str(" (takes IPv4 too)");
    }
    if let Some(dev) = &l.device {
        text.push_str(&format!(" (bound to {dev})"));
    }
    text
}

#[cfg(test)]
mod tests;
