//! Interfaces, addresses and default routes from rtnetlink.
//!
//! Replies are decoded attribute by attribute, with netlink-packet-route's header
//! and attribute decoders, and only the attributes the audit uses are decoded:
//! an attribute the crate cannot decode (a new kernel's link info, say) costs
//! nothing unless it is one of those.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_core::{NlaBuffer, NlasIterator, Parseable, ParseableParametrized};
use netlink_packet_route::address::{AddressAttribute, AddressHeader, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkHeader, LinkMessage};
use netlink_packet_route::route::{
    RouteAttribute, RouteHeader, RouteLwEnCapType, RouteMessage, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::protocols::NETLINK_ROUTE;

use super::{Facing, Interface};
use crate::model::{Family, Unreadable};
use crate::netlink::{RawReply, dump};

/// The kernel's local routing table (routes to the machine's own addresses).
const RT_TABLE_LOCAL: u32 = 255;
/// `rtnetlink.h` message types of the replies.
const RTM_NEWLINK: u16 = 16;
const RTM_NEWADDR: u16 = 20;
const RTM_NEWROUTE: u16 = 24;
/// Fixed header sizes: `ifinfomsg`, `ifaddrmsg`, `rtmsg`.
const IFINFOMSG_LEN: usize = 16;
const IFADDRMSG_LEN: usize = 8;
const RTMSG_LEN: usize = 12;
/// The attributes used: `IFLA_IFNAME`; `IFA_ADDRESS`, `IFA_LOCAL`;
/// `RTA_OIF`, `RTA_MULTIPATH`, `RTA_TABLE`.
const IFLA_IFNAME: u16 = 3;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const RTA_OIF: u16 = 4;
const RTA_MULTIPATH: u16 = 9;
const RTA_TABLE: u16 = 15;

/// Reads every interface, its addresses and which families' default route it
/// holds, from rtnetlink of the calling thread's network namespace.
///
/// `facing` is left [`Facing::Inside`] and `why` empty: [`super::classify`] sets both.
/// A default route counts in any routing table but `local` (policy-routed VPN
/// tables included), when it is a unicast route; its interface is its `RTA_OIF`
/// or each next hop of a multipath route. Routes through nexthop objects
/// (`RTA_NH_ID`) name no interface and are not counted. Links that are down are
/// listed too. Errs when a dump fails or a reply's header or one of the attributes
/// used does not decode (a partial list could misplace an interface).
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
    for reply in links.iter().filter(|r| r.kind == RTM_NEWLINK) {
        let (index, name) = link(&reply.payload).map_err(|why| damaged("links", why))?;
        by_index.insert(
            index,
            Interface {
                name: name.unwrap_or_else(|| format!("if{index}")),
                index,
                addrs: Vec::new(),
                default_route: Vec::new(),
                facing: Facing::Inside,
                why: String::new(),
            },
        );
    }
    for reply in addrs.iter().filter(|r| r.kind == RTM_NEWADDR) {
        let (index, net) = address(&reply.payload).map_err(|why| damaged("addresses", why))?;
        if let (Some(iface), Some(net)) = (by_index.get_mut(&index), net) {
            if !iface.addrs.contains(&net) {
                iface.addrs.push(net);
            }
        }
    }
    for reply in routes.iter().filter(|r| r.kind == RTM_NEWROUTE) {
        let Some((family, indexes)) =
            default_route(&reply.payload).map_err(|why| damaged("routes", why))?
        else {
            continue;
        };
        for index in indexes {
            if let Some(iface) = by_index.get_mut(&index) {
                if !iface.default_route.contains(&family) {
                    iface.default_route.push(family);
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

fn damaged(what: &str, why: String) -> Unreadable {
    Unreadable::new(
        format!("network interfaces ({what})"),
        format!("a reply from the kernel did not decode ({why}), so the list would be incomplete"),
    )
}

/// One rtnetlink dump, its failure as an [`Unreadable`].
fn rtnl(request: RouteNetlinkMessage, what: &str) -> Result<Vec<RawReply>, Unreadable> {
    dump::<_, RawReply>(NETLINK_ROUTE, request)
        .map(|d| d.messages)
        .map_err(|why| Unreadable::new(format!("network interfaces ({what})"), why))
}

/// The attributes after a fixed header of `header_len` bytes.
fn attributes(payload: &[u8], header_len: usize) -> Result<Vec<NlaBuffer<&[u8]>>, String> {
    let rest = payload
        .get(header_len..)
        .ok_or_else(|| format!("{} bytes, shorter than its header", payload.len()))?;
    NlasIterator::new(rest)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// A link: its index and `IFLA_IFNAME`.
fn link(payload: &[u8]) -> Result<(u32, Option<String>), String> {
    let header = LinkHeader::parse(payload).map_err(|e| e.to_string())?;
    let mut name = None;
    for nla in attributes(payload, IFINFOMSG_LEN)? {
        if nla.kind() == IFLA_IFNAME {
            if let LinkAttribute::IfName(n) =
                LinkAttribute::parse_with_param(&nla, header.interface_family)
                    .map_err(|e| e.to_string())?
            {
                name = Some(n);
            }
        }
    }
    Ok((header.index, name))
}

/// An address: its interface index and the address with its prefix: `IFA_LOCAL`
/// (the own address; `IFA_ADDRESS` is the peer's on point-to-point links), else
/// `IFA_ADDRESS`.
fn address(payload: &[u8]) -> Result<(u32, Option<IpNet>), String> {
    let header = AddressHeader::parse(payload).map_err(|e| e.to_string())?;
    let (mut local, mut address) = (None, None);
    for nla in attributes(payload, IFADDRMSG_LEN)? {
        if nla.kind() != IFA_LOCAL && nla.kind() != IFA_ADDRESS {
            continue;
        }
        match AddressAttribute::parse(&nla).map_err(|e| e.to_string())? {
            AddressAttribute::Local(ip) => local = Some(ip),
            AddressAttribute::Address(ip) => address = Some(ip),
            _ => {}
        }
    }
    let ip: Option<IpAddr> = local.or(address);
    Ok((
        header.index,
        ip.and_then(|ip| IpNet::new(ip, header.prefix_len).ok()),
    ))
}

/// `Some((family, interfaces))` when the route is a unicast default route outside
/// the local table: the interfaces are its `RTA_OIF` and every next hop's.
fn default_route(payload: &[u8]) -> Result<Option<(Family, Vec<u32>)>, String> {
    let header = RouteHeader::parse(payload).map_err(|e| e.to_string())?;
    if header.destination_prefix_length != 0 || header.kind != RouteType::Unicast {
        return Ok(None);
    }
    let family = match header.address_family {
        AddressFamily::Inet => Family::Ipv4,
        AddressFamily::Inet6 => Family::Ipv6,
        _ => return Ok(None),
    };
    let mut table = u32::from(header.table);
    let mut out = Vec::new();
    let param = (header.address_family, header.kind, RouteLwEnCapType::None);
    for nla in attributes(payload, RTMSG_LEN)? {
        if ![RTA_OIF, RTA_MULTIPATH, RTA_TABLE].contains(&nla.kind()) {
            continue;
        }
        match RouteAttribute::parse_with_param(&nla, param).map_err(|e| e.to_string())? {
            RouteAttribute::Oif(index) => out.push(index),
            RouteAttribute::MultiPath(hops) => {
                out.extend(hops.iter().map(|hop| hop.interface_index));
            }
            RouteAttribute::Table(t) => table = t,
            _ => {}
        }
    }
    Ok((table != RT_TABLE_LOCAL).then_some((family, out)))
}

/// Interface index → name, for the listeners' bound devices.
pub(crate) fn link_names() -> Result<BTreeMap<u32, String>, Unreadable> {
    let links = rtnl(
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        "links",
    )?;
    let mut names = BTreeMap::new();
    for reply in links.iter().filter(|r| r.kind == RTM_NEWLINK) {
        if let (index, Some(name)) = link(&reply.payload).map_err(|why| damaged("links", why))? {
            names.insert(index, name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests;
