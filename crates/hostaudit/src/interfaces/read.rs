//! Interfaces, addresses and default routes from rtnetlink.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::route::{RouteAttribute, RouteHeader, RouteMessage, RouteType};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::protocols::NETLINK_ROUTE;

use super::{Facing, Interface};
use crate::model::{Family, Unreadable};
use crate::netlink::{Dump, dump};

/// The kernel's local routing table (routes to the machine's own addresses).
const RT_TABLE_LOCAL: u32 = 255;

/// Reads every interface, its addresses and which families' default route it
/// holds, from rtnetlink of the calling thread's network namespace.
///
/// `facing` is left [`Facing::Inside`] and `why` empty: [`super::classify`] sets both.
/// A default route counts in any routing table but `local` (policy-routed VPN
/// tables included), when it is a unicast route; its interface is its `RTA_OIF`
/// or each next hop of a multipath route. Routes through nexthop objects
/// (`RTA_NH_ID`) name no interface and are not counted. Links that are down are
/// listed too. Errs when a dump fails or any reply does not decode (a partial list
/// could misplace an interface).
pub fn read() -> Result<Vec<Interface>, Unreadable> {
    let links = rtnl(
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        "links",
    )?;
    let addrs = rtnl(
        RouteNetlinkMessage::GetAddress(AddressMessage::default()),
        "addresses",
    )?;
    let routes = rtnl(
        RouteNetlinkMessage::GetRoute(RouteMessage::default()),
        "routes",
    )?;

    let mut by_index: BTreeMap<u32, Interface> = BTreeMap::new();
    for msg in links {
        if let RouteNetlinkMessage::NewLink(link) = msg {
            let name = link_name(&link).unwrap_or_else(|| format!("if{}", link.header.index));
            by_index.insert(
                link.header.index,
                Interface {
                    name,
                    index: link.header.index,
                    addrs: Vec::new(),
                    default_route: Vec::new(),
                    facing: Facing::Inside,
                    why: String::new(),
                },
            );
        }
    }
    for msg in addrs {
        if let RouteNetlinkMessage::NewAddress(addr) = msg {
            if let (Some(iface), Some(net)) =
                (by_index.get_mut(&addr.header.index), address_net(&addr))
            {
                if !iface.addrs.contains(&net) {
                    iface.addrs.push(net);
                }
            }
        }
    }
    for msg in routes {
        if let RouteNetlinkMessage::NewRoute(route) = msg {
            let Some(family) = default_route_family(&route) else {
                continue;
            };
            for index in route_interfaces(&route) {
                if let Some(iface) = by_index.get_mut(&index) {
                    if !iface.default_route.contains(&family) {
                        iface.default_route.push(family);
                    }
                }
            }
        }
    }
    let mut out: Vec<Interface> = by_index.into_values().collect();
    for iface in &mut out {
        iface.default_route.sort();
    }
    Ok(out)
}

/// One rtnetlink dump, its failure (or any reply that does not decode) as an [`Unreadable`].
fn rtnl(request: RouteNetlinkMessage, what: &str) -> Result<Vec<RouteNetlinkMessage>, Unreadable> {
    let Dump {
        messages,
        undecodable,
    } = dump(NETLINK_ROUTE, request)
        .map_err(|why| Unreadable::new(format!("network interfaces ({what})"), why))?;
    // a missing link, address or default route would misplace an interface: refuse
    // the whole list rather than show a wrong one
    if undecodable > 0 {
        return Err(Unreadable::new(
            format!("network interfaces ({what})"),
            format!(
                "{undecodable} of the kernel's {} replies could not be decoded, \
                 so the list would be incomplete",
                undecodable + messages.len()
            ),
        ));
    }
    Ok(messages)
}

fn link_name(link: &LinkMessage) -> Option<String> {
    link.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(name) => Some(name.clone()),
        _ => None,
    })
}

/// The address with its prefix: `IFA_LOCAL` (the own address; `IFA_ADDRESS`
/// is the peer's on point-to-point links), else `IFA_ADDRESS`.
fn address_net(addr: &AddressMessage) -> Option<IpNet> {
    let local = addr.attributes.iter().find_map(|a| match a {
        AddressAttribute::Local(ip) => Some(*ip),
        _ => None,
    });
    let address = addr.attributes.iter().find_map(|a| match a {
        AddressAttribute::Address(ip) => Some(*ip),
        _ => None,
    });
    let ip: IpAddr = local.or(address)?;
    IpNet::new(ip, addr.header.prefix_len).ok()
}

/// `Some(family)` when `route` is a unicast default route outside the local table.
fn default_route_family(route: &RouteMessage) -> Option<Family> {
    let header: &RouteHeader = &route.header;
    if header.destination_prefix_length != 0 || header.kind != RouteType::Unicast {
        return None;
    }
    let table = route
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or_else(|| u32::from(header.table));
    if table == RT_TABLE_LOCAL {
        return None;
    }
    match header.address_family {
        AddressFamily::Inet => Some(Family::Ipv4),
        AddressFamily::Inet6 => Some(Family::Ipv6),
        _ => None,
    }
}

/// The interfaces a route leaves through: its `RTA_OIF` and every next hop's.
fn route_interfaces(route: &RouteMessage) -> Vec<u32> {
    let mut out = Vec::new();
    for attr in &route.attributes {
        match attr {
            RouteAttribute::Oif(index) => out.push(*index),
            RouteAttribute::MultiPath(hops) => {
                out.extend(hops.iter().map(|hop| hop.interface_index));
            }
            _ => {}
        }
    }
    out
}

/// Interface index → name, for the listeners' bound devices.
pub(crate) fn link_names() -> Result<BTreeMap<u32, String>, Unreadable> {
    let links = rtnl(
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        "links",
    )?;
    Ok(links
        .into_iter()
        .filter_map(|msg| match msg {
            RouteNetlinkMessage::NewLink(link) => {
                link_name(&link).map(|name| (link.header.index, name))
            }
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use netlink_packet_route::RouteNetlinkMessage;
    use netlink_packet_route::address::AddressMessage;
    use netlink_packet_route::link::LinkMessage;
    use netlink_packet_route::route::RouteMessage;
    use netlink_sys::protocols::NETLINK_ROUTE;

    use crate::netlink::dump;

    /// [`super::read`] refuses a dump with an undecodable reply: make sure this
    /// kernel's replies (links, addresses, routes of the test's namespace) all decode.
    #[test]
    fn this_kernels_replies_all_decode() {
        for request in [
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            RouteNetlinkMessage::GetRoute(RouteMessage::default()),
        ] {
            let what = format!("{request:?}");
            let reply = dump(NETLINK_ROUTE, request).expect("dump");
            assert!(
                !reply.messages.is_empty(),
                "{what}: lo and its routes at least"
            );
            assert_eq!(reply.undecodable, 0, "{what}");
        }
    }
}
