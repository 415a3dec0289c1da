//! Listening sockets from NETLINK_SOCK_DIAG (`inet_diag`), the way `ss -ltu` reads them.

use std::net::IpAddr;

use netlink_packet_sock_diag::inet::nlas::Nla;
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_packet_sock_diag::{
    AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, SockDiagMessage, TCP_CLOSE, TCP_LISTEN,
};
use netlink_sys::protocols::NETLINK_SOCK_DIAG;

use super::RawSocket;
use crate::model::{Family, Proto};
use crate::netlink::dump;

/// The sockets of `family` and `proto` that take new traffic: TCP in LISTEN, UDP
/// unconnected (state CLOSE; a connected UDP socket only hears its one peer), and
/// how many replies could not be decoded.
pub(super) fn sockets(family: Family, proto: Proto) -> Result<(Vec<RawSocket>, usize), String> {
    let (af, socket_id) = match family {
        Family::Ipv4 => (AF_INET, SocketId::new_v4()),
        Family::Ipv6 => (AF_INET6, SocketId::new_v6()),
    };
    let (protocol, states, state) = match proto {
        Proto::Tcp => (IPPROTO_TCP, StateFlags::LISTEN, TCP_LISTEN),
        Proto::Udp => (IPPROTO_UDP, StateFlags::CLOSE, TCP_CLOSE),
    };
    let request = SockDiagMessage::InetRequest(InetRequest {
        family: af,
        protocol,
        extensions: ExtensionFlags::empty(),
        states,
        socket_id,
    });
    let reply = dump(NETLINK_SOCK_DIAG, request)?;
    let mut out = Vec::new();
    for msg in reply.messages {
        let SockDiagMessage::InetResponse(resp) = msg else {
            continue;
        };
        if resp.header.state != state || resp.header.family != af {
            continue;
        }
        let id = &resp.header.socket_id;
        let v6only = resp.nlas.iter().find_map(|nla| match nla {
            Nla::SkV6Only(v) => Some(*v),
            _ => None,
        });
        out.push(RawSocket::new(
            proto,
            id.source_port,
            id.source_address,
            match id.source_address {
                IpAddr::V4(_) => None,
                IpAddr::V6(_) => v6only,
            },
            (id.interface_id != 0).then_some(id.interface_id),
            u64::from(resp.header.inode),
        ));
    }
    Ok((out, reply.undecodable))
}
