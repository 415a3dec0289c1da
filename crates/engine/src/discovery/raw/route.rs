//! Where the SYNs leave from: the interface and source address of the route to the
//! targets, or those of the interface the caller named.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};

use nix::ifaddrs::getifaddrs;

use super::RawUnavailable;

/// The interface the sweep sends on and the address its SYNs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Egress {
    /// Interface name (what SO_BINDTODEVICE takes).
    pub(super) interface: String,
    /// Interface index (what the receive filter checks).
    pub(super) ifindex: u32,
    /// Our IPv4 address on it.
    pub(super) source: Ipv4Addr,
}

/// The egress towards `target`, or through `interface` when one is named.
///
/// The route is found as `ip route get` finds it, without netlink: a UDP socket
/// `connect`ed to the target sends nothing but makes the kernel pick the route, and its
/// local address is that route's source. The interface is the one holding that address.
pub(super) fn egress(target: Ipv4Addr, interface: Option<&str>) -> Result<Egress, RawUnavailable> {
    let (interface, source) = match interface {
        Some(name) => (name.to_owned(), address_of(name)?),
        None => {
            let source = route_source(target).map_err(|e| RawUnavailable::NoRoute {
                target,
                error: e.to_string(),
            })?;
            (interface_with(source)?, source)
        }
    };
    let ifindex = nix::net::if_::if_nametoindex(interface.as_str())
        .map_err(|_| RawUnavailable::NoSuchInterface(interface.clone()))?;
    Ok(Egress {
        interface,
        ifindex,
        source,
    })
}

/// The source address the kernel's route to `target` would use.
fn route_source(target: Ipv4Addr) -> io::Result<Ipv4Addr> {
    let probe = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    // The port is irrelevant: connect() on UDP sends nothing.
    probe.connect((target, 9))?;
    match probe.local_addr()? {
        SocketAddr::V4(a) if !a.ip().is_unspecified() => Ok(*a.ip()),
        other => Err(io::Error::other(format!("route gives source {other}"))),
    }
}

/// The interface holding `source`.
fn interface_with(source: Ipv4Addr) -> Result<String, RawUnavailable> {
    ipv4_addresses()?
        .into_iter()
        .find(|(_, a)| *a == source)
        .map(|(name, _)| name)
        .ok_or(RawUnavailable::NoInterfaceFor(source))
}

/// The first IPv4 address of interface `name`.
fn address_of(name: &str) -> Result<Ipv4Addr, RawUnavailable> {
    let all = ipv4_addresses()?;
    if let Some((_, a)) = all.iter().find(|(n, _)| n == name) {
        return Ok(*a);
    }
    match nix::net::if_::if_nametoindex(name) {
        Ok(_) => Err(RawUnavailable::NoIpv4Address(name.to_owned())),
        Err(_) => Err(RawUnavailable::NoSuchInterface(name.to_owned())),
    }
}

/// Every (interface, IPv4 address) of this network namespace.
fn ipv4_addresses() -> Result<Vec<(String, Ipv4Addr)>, RawUnavailable> {
    let addrs = getifaddrs().map_err(|e| RawUnavailable::Io {
        what: "listing interfaces",
        error: e.to_string(),
    })?;
    Ok(addrs
        .filter_map(|a| {
            let sin = a.address?.as_sockaddr_in().map(|s| s.ip())?;
            Some((a.interface_name, sin))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_loopback_route_and_names_a_missing_interface() {
        let e = egress(Ipv4Addr::LOCALHOST, None).unwrap();
        assert_eq!(
            (e.interface.as_str(), e.source),
            ("lo", Ipv4Addr::LOCALHOST)
        );
        assert!(e.ifindex > 0);
        let named = egress(Ipv4Addr::new(10, 215, 0, 1), Some("lo")).unwrap();
        assert_eq!(named, e);
        assert_eq!(
            egress(Ipv4Addr::LOCALHOST, Some("synr-nonesuch")).unwrap_err(),
            RawUnavailable::NoSuchInterface("synr-nonesuch".into())
        );
    }
}
