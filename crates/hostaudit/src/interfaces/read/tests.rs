//! The attribute-by-attribute decoding, against the crate's whole-message decoder
//! on this kernel's replies and on replies with attributes it cannot decode.

use netlink_packet_core::Parseable;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::route::RouteMessage;
use netlink_sys::protocols::NETLINK_ROUTE;

use super::{address, link};
use crate::netlink::dump;

/// An NLA: length, kind, value, padded to 4.
fn nla(kind: u16, value: &[u8]) -> Vec<u8> {
    let len = u16::try_from(4 + value.len()).expect("small");
    let mut out = len.to_ne_bytes().to_vec();
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

/// `ifinfomsg` for link `index` (AF_UNSPEC, ARPHRD_ETHER, IFF_UP).
fn ifinfomsg(index: u32) -> Vec<u8> {
    let mut out = vec![0, 0];
    out.extend_from_slice(&1u16.to_ne_bytes());
    out.extend_from_slice(&index.to_ne_bytes());
    out.extend_from_slice(&1u32.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out
}

#[test]
fn this_kernels_links_decode_as_the_whole_message_decoder_has_them() {
    let strict = dump::<_, RouteNetlinkMessage>(
        NETLINK_ROUTE,
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
    )
    .expect("dump");
    assert_eq!(strict.undecodable, 0);
    let mut expected: Vec<(u32, String)> = strict
        .messages
        .iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => l.attributes.iter().find_map(|a| match a {
                LinkAttribute::IfName(n) => Some((l.header.index, n.clone())),
                _ => None,
            }),
            _ => None,
        })
        .collect();
    expected.sort();
    let mut got: Vec<(u32, String)> = super::link_names()
        .expect("link names")
        .into_iter()
        .collect();
    got.sort();
    assert!(got.iter().any(|(_, n)| n == "lo"), "{got:?}");
    assert_eq!(got, expected);
    for request in [
        RouteNetlinkMessage::GetAddress(AddressMessage::default()),
        RouteNetlinkMessage::GetRoute(RouteMessage::default()),
    ] {
        let what = format!("{request:?}");
        let strict = dump::<_, RouteNetlinkMessage>(NETLINK_ROUTE, request).expect("dump");
        assert_eq!(strict.undecodable, 0, "{what}");
    }
}

#[test]
fn an_attribute_the_crate_cannot_decode_costs_nothing_but_itself() {
    let mut payload = ifinfomsg(7);
    payload.extend(nla(3, b"eth7\0"));
    // IFLA_LINKINFO (18) whose nested IFLA_INFO_KIND claims more bytes than it has
    payload.extend(nla(18, &[200, 0, 1, 0, b'x', 0, 0, 0]));
    assert!(
        LinkMessage::parse(payload.as_slice()).is_err(),
        "the whole-message decoder refuses it"
    );
    assert_eq!(link(&payload), Ok((7, Some("eth7".to_owned()))));
}

#[test]
fn refuses_a_short_header_and_broken_attribute_framing() {
    assert!(link(&[0; 8]).is_err());
    let mut payload = ifinfomsg(3);
    payload.extend_from_slice(&[255, 0, 3, 0, b'e']); // an NLA claiming 255 bytes
    assert!(link(&payload).is_err());
    assert!(address(&[2, 24, 0, 0]).is_err());
}

#[test]
fn an_address_prefers_ifa_local_over_the_peer_address() {
    // ifaddrmsg: AF_INET, /32, index 5; IFA_ADDRESS peer 10.0.0.2, IFA_LOCAL 10.0.0.1
    let mut payload = vec![2, 32, 0, 0];
    payload.extend_from_slice(&5u32.to_ne_bytes());
    payload.extend(nla(1, &[10, 0, 0, 2]));
    payload.extend(nla(2, &[10, 0, 0, 1]));
    let (index, net) = address(&payload).expect("decodes");
    assert_eq!(index, 5);
    assert_eq!(net, Some("10.0.0.1/32".parse().expect("net")));
}
