//! interfaces::read and classify on real links, addresses and routes in a namespace.

use std::collections::BTreeMap;

use ipnet::IpNet;
use smbaudit_hostaudit::Family;
use smbaudit_hostaudit::interfaces::{self, Facing, Interface};

use crate::netns::{Pair, available};

/// host namespace:
/// - `out0` 10.77.1.1/24 + fd77:1::1/64, IPv4 and IPv6 default routes via its peer
/// - `in0` 10.77.2.1/24 + ULA fd77:2::1/64 + link-local fe80::1/64
/// - `pub0` 2001:db8:77::1/64 (a documentation prefix: counted as global, no route)
/// - `cg0` CGNAT 100.64.7.1/24
/// - `vpn0` 10.77.3.1/24 with a default route in table 100 (policy routing)
/// - `dum0` a link with no address
fn lab() -> Pair {
    let pair = Pair::new();
    for link in ["out0", "in0", "pub0", "cg0", "vpn0", "dum0"] {
        pair.link(link);
    }
    pair.addr("out0", "10.77.1.1/24");
    pair.addr("out0", "fd77:1::1/64");
    pair.addr("in0", "10.77.2.1/24");
    pair.addr("in0", "fd77:2::1/64");
    pair.addr("in0", "fe80::1/64");
    pair.addr("pub0", "2001:db8:77::1/64");
    pair.addr("cg0", "100.64.7.1/24");
    pair.addr("vpn0", "10.77.3.1/24");
    pair.host
        .ip(&["route", "add", "default", "via", "10.77.1.2", "dev", "out0"]);
    pair.host.ip(&[
        "-6",
        "route",
        "add",
        "default",
        "via",
        "fd77:1::2",
        "dev",
        "out0",
    ]);
    pair.host
        .ip(&["route", "add", "default", "dev", "vpn0", "table", "100"]);
    pair
}

fn read_in(pair: &Pair) -> Vec<Interface> {
    pair.host
        .run(|| interfaces::read().unwrap_or_else(|e| panic!("{}: {}", e.what, e.why)))
}

fn nets(list: &[&str]) -> Vec<IpNet> {
    list.iter().map(|s| s.parse().expect("test net")).collect()
}

fn by_name(ifaces: &[Interface]) -> BTreeMap<&str, &Interface> {
    ifaces.iter().map(|i| (i.name.as_str(), i)).collect()
}

#[test]
fn reads_links_addresses_and_default_routes_as_ip_shows_them() {
    if !available() {
        return;
    }
    let pair = lab();
    let ifaces = read_in(&pair);
    let got = by_name(&ifaces);

    // names and indexes as `ip -j link` prints them
    let shown: serde_json::Value =
        serde_json::from_str(&pair.host.ip(&["-j", "link", "show"])).expect("ip -j link");
    let mut expected: Vec<(String, u32)> = shown
        .as_array()
        .expect("array")
        .iter()
        .map(|l| {
            (
                l["ifname"].as_str().expect("ifname").to_owned(),
                u32::try_from(l["ifindex"].as_u64().expect("ifindex")).expect("u32"),
            )
        })
        .collect();
    expected.sort();
    let mut read: Vec<(String, u32)> = ifaces.iter().map(|i| (i.name.clone(), i.index)).collect();
    read.sort();
    assert_eq!(read, expected);

    assert_eq!(got["lo"].addrs, nets(&["127.0.0.1/8", "::1/128"]));
    assert_eq!(got["out0"].addrs, nets(&["10.77.1.1/24", "fd77:1::1/64"]));
    assert_eq!(
        got["in0"].addrs,
        nets(&["10.77.2.1/24", "fd77:2::1/64", "fe80::1/64"])
    );
    assert_eq!(got["pub0"].addrs, nets(&["2001:db8:77::1/64"]));
    assert_eq!(got["cg0"].addrs, nets(&["100.64.7.1/24"]));
    assert!(got["dum0"].addrs.is_empty());

    assert_eq!(got["out0"].default_route, vec![Family::Ipv4, Family::Ipv6]);
    assert_eq!(got["vpn0"].default_route, vec![Family::Ipv4]);
    for name in ["lo", "in0", "pub0", "cg0", "dum0"] {
        assert!(got[name].default_route.is_empty(), "{name}");
    }
}

#[test]
fn classifies_by_default_route_global_address_and_private_ranges() {
    if !available() {
        return;
    }
    let pair = lab();
    let mut ifaces = read_in(&pair);
    interfaces::classify(&mut ifaces, &[], &[]).expect("no overrides");
    let got = by_name(&ifaces);
    let expect = [
        ("lo", Facing::Inside, "loopback"),
        (
            "out0",
            Facing::Outside,
            "holds the IPv4 and IPv6 default routes",
        ),
        ("vpn0", Facing::Outside, "holds the IPv4 default route"),
        (
            "pub0",
            Facing::Outside,
            "holds the globally routable address 2001:db8:77::1/64",
        ),
        (
            "in0",
            Facing::Inside,
            "not globally routable: 10.77.2.1/24 (private), fd77:2::1/64 (ULA), fe80::1/64 (link-local)",
        ),
        ("cg0", Facing::Inside, "100.64.7.1/24 (CGNAT)"),
        ("dum0", Facing::Inside, "has no address"),
    ];
    for (name, facing, why) in expect {
        assert_eq!(got[name].facing, facing, "{name}: {}", got[name].why);
        assert!(
            got[name].why.contains(why),
            "{name}: {:?} lacks {why:?}",
            got[name].why
        );
    }
}

#[test]
fn overrides_win_and_unknown_names_are_refused_with_the_real_ones() {
    if !available() {
        return;
    }
    let pair = lab();
    let mut ifaces = read_in(&pair);
    let s = |v: &str| vec![v.to_owned()];
    interfaces::classify(&mut ifaces, &s("in0"), &s("out0")).expect("known names");
    let got = by_name(&ifaces);
    assert_eq!(
        (got["in0"].facing, got["in0"].why.as_str()),
        (Facing::Outside, "--outside")
    );
    assert_eq!(
        (got["out0"].facing, got["out0"].why.as_str()),
        (Facing::Inside, "--inside")
    );
    assert_eq!(
        got["pub0"].facing,
        Facing::Outside,
        "others keep their own reasons"
    );

    let err = interfaces::classify(&mut ifaces, &s("eth9"), &[]).expect_err("unknown");
    assert!(err.contains("--outside eth9"), "{err}");
    for real in ["lo", "out0", "in0", "pub0", "cg0", "vpn0", "dum0"] {
        assert!(err.contains(real), "{err} lacks {real}");
    }
    let err = interfaces::classify(&mut ifaces, &[], &s("wlan0")).expect_err("unknown");
    assert!(err.contains("--inside wlan0"), "{err}");
    let err = interfaces::classify(&mut ifaces, &s("in0"), &s("in0")).expect_err("both");
    assert!(err.contains("both"), "{err}");
}

#[test]
fn cgnat_with_the_default_route_is_outside() {
    if !available() {
        return;
    }
    let pair = Pair::new();
    pair.link("wan0");
    pair.addr("wan0", "100.64.9.2/24");
    pair.host.ip(&[
        "route",
        "add",
        "default",
        "via",
        "100.64.9.1",
        "dev",
        "wan0",
    ]);
    let mut ifaces = read_in(&pair);
    interfaces::classify(&mut ifaces, &[], &[]).expect("no overrides");
    let wan = ifaces.iter().find(|i| i.name == "wan0").expect("wan0");
    assert_eq!(wan.facing, Facing::Outside);
    assert_eq!(wan.why, "holds the IPv4 default route");
}
