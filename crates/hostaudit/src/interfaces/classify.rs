//! Which side each interface faces, from its routes and addresses or the user's word.

use std::net::IpAddr;

use super::{Facing, Interface};

/// Sets `facing` and `why` on each interface.
///
/// In order: a name in `outside` (`--outside`) or `inside` (`--inside`) wins; `lo`
/// is inside (only this machine's own traffic arrives on it); an interface that
/// holds a default route (IPv4 or IPv6) or a globally routable address (see
/// [`is_global`]) is outside; any other is inside. CGNAT addresses (100.64.0.0/10)
/// count as not globally routable: an interface with only those is inside unless
/// it holds the default route.
///
/// Errors, naming the machine's real interfaces, when a name given in `outside`
/// or `inside` is not one of them or is given in both.
pub fn classify(
    ifaces: &mut [Interface],
    outside: &[String],
    inside: &[String],
) -> Result<(), String> {
    let known = || {
        let names: Vec<&str> = ifaces.iter().map(|i| i.name.as_str()).collect();
        names.join(", ")
    };
    for (flag, names) in [("--outside", outside), ("--inside", inside)] {
        if let Some(unknown) = names
            .iter()
            .find(|name| !ifaces.iter().any(|i| &i.name == *name))
        {
            return Err(format!(
                "{flag} {unknown}: no such interface; this machine has: {}",
                known()
            ));
        }
    }
    if let Some(both) = outside.iter().find(|name| inside.contains(name)) {
        return Err(format!("{both} is given both as --outside and as --inside"));
    }
    for iface in ifaces.iter_mut() {
        let (facing, why) = if outside.contains(&iface.name) {
            (Facing::Outside, "--outside".to_owned())
        } else if inside.contains(&iface.name) {
            (Facing::Inside, "--inside".to_owned())
        } else {
            by_routes_and_addresses(iface)
        };
        iface.facing = facing;
        iface.why = why;
    }
    Ok(())
}

fn by_routes_and_addresses(iface: &Interface) -> (Facing, String) {
    if iface.name == "lo" {
        return (
            Facing::Inside,
            "loopback: only this machine's own traffic arrives on it".to_owned(),
        );
    }
    match iface.default_route.as_slice() {
        [] => {}
        [family] => return (Facing::Outside, format!("holds the {family} default route")),
        _ => {
            return (
                Facing::Outside,
                "holds the IPv4 and IPv6 default routes".to_owned(),
            );
        }
    }
    if let Some(global) = iface.addrs.iter().find(|net| is_global(net.addr())) {
        return (
            Facing::Outside,
            format!("holds the globally routable address {global}"),
        );
    }
    if iface.addrs.is_empty() {
        return (Facing::Inside, "has no address".to_owned());
    }
    let list: Vec<String> = iface
        .addrs
        .iter()
        .map(|net| {
            format!(
                "{net} ({})",
                smbaudit_netspace::inside_kind(net.addr()).unwrap_or("global")
            )
        })
        .collect();
    (
        Facing::Inside,
        format!(
            "holds only addresses that are not globally routable: {}",
            list.join(", ")
        ),
    )
}

/// Whether this address is globally routable, as the classification counts it: not when
/// an interface holding it faces inside one network ([`smbaudit_netspace::faces_inside`]:
/// private, CGNAT, loopback, link-local, ULA, multicast, reserved ...). Documentation and
/// benchmarking prefixes (192.0.2.0/24, 2001:db8::/32, 198.18.0.0/15, ...) count as global:
/// no standard makes them private, so an interface that holds one is treated the cautious
/// way, as reachable from outside.
pub fn is_global(addr: IpAddr) -> bool {
    !smbaudit_netspace::faces_inside(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Family;

    fn iface(name: &str, addrs: &[&str], default_route: &[Family]) -> Interface {
        Interface {
            name: name.to_owned(),
            index: 1,
            addrs: addrs.iter().map(|a| a.parse().expect("test net")).collect(),
            default_route: default_route.to_vec(),
            facing: Facing::Inside,
            why: String::new(),
        }
    }

    #[test]
    fn is_global_follows_the_documented_ranges() {
        let not_global = [
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "169.254.1.1",
            "224.0.0.251",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "ff02::1",
            "::ffff:10.1.2.3",
            "::ffff:100.64.0.1",
        ];
        let global = [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "203.0.113.9",
            "2001:db8::1",
            "2a00:1450::1",
            "64:ff9b::a00:1",
            "fbff::1",
            "fe00::1",
            "::ffff:8.8.8.8",
        ];
        for a in not_global {
            assert!(
                !is_global(a.parse().expect("test addr")),
                "{a} counted global"
            );
        }
        for a in global {
            assert!(
                is_global(a.parse().expect("test addr")),
                "{a} not counted global"
            );
        }
    }

    #[test]
    fn cgnat_alone_is_inside_and_with_a_default_route_outside() {
        let mut ifaces = [
            iface("cg0", &["100.64.1.2/10"], &[]),
            iface("cg1", &["100.64.1.3/10"], &[Family::Ipv6]),
        ];
        classify(&mut ifaces, &[], &[]).expect("no overrides");
        assert_eq!(ifaces[0].facing, Facing::Inside);
        assert_eq!(
            ifaces[0].why,
            "holds only addresses that are not globally routable: 100.64.1.2/10 (CGNAT)"
        );
        assert_eq!(ifaces[1].facing, Facing::Outside);
        assert_eq!(ifaces[1].why, "holds the IPv6 default route");
    }

    #[test]
    fn lo_is_inside_even_with_a_global_address() {
        let mut ifaces = [iface("lo", &["127.0.0.1/8", "192.0.2.53/32"], &[])];
        classify(&mut ifaces, &[], &[]).expect("no overrides");
        assert_eq!(ifaces[0].facing, Facing::Inside);
        // but the user may say otherwise
        classify(&mut ifaces, &["lo".to_owned()], &[]).expect("known");
        assert_eq!(ifaces[0].facing, Facing::Outside);
    }
}
