//! `SambaConfig::restricts` on configurations read by the real testparm.

mod common;

use ipnet::IpNet;
use smbaudit_hostaudit::interfaces::{Facing, Interface};
use smbaudit_hostaudit::samba::{self, Coverage, Preferred, Restriction, SambaConfig};
use smbaudit_hostaudit::{Family, Service};

fn iface(name: &str, addrs: &[&str], default_route: &[Family]) -> Interface {
    Interface {
        name: name.to_owned(),
        index: 1,
        addrs: addrs.iter().map(|a| a.parse::<IpNet>().unwrap()).collect(),
        default_route: default_route.to_vec(),
        facing: if default_route.is_empty() {
            Facing::Inside
        } else {
            Facing::Outside
        },
        why: "test".to_owned(),
    }
}

fn outside() -> Interface {
    iface(
        "eth0",
        &["203.0.113.7/24", "2001:db8::7/64"],
        &[Family::Ipv4, Family::Ipv6],
    )
}

fn inside() -> Interface {
    iface("eth1", &["192.168.1.2/24", "fe80::2/64"], &[])
}

fn lo() -> Interface {
    iface("lo", &["127.0.0.1/8", "::1/128"], &[])
}

fn config(lab: &common::Lab, text: &str) -> SambaConfig {
    let path = lab.write("smb.conf", text);
    let config = samba::read_file(&path, Preferred::Testparm).expect("testparm read");
    assert_eq!(config.method, samba::ReadMethod::Testparm);
    config
}

fn detail(restriction: Restriction) -> String {
    match restriction {
        Restriction::SourceFiltered(d) | Restriction::HostsAllow(d) => d,
        Restriction::None => panic!("expected a restriction"),
    }
}

#[test]
fn samba_defaults_restrict_nothing_anywhere() {
    let lab = common::Lab::new();
    let config = config(&lab, common::DEFAULTS);
    for iface in [outside(), inside(), lo()] {
        for service in Service::AUDITED {
            assert_eq!(
                config.restricts(service, &iface),
                Restriction::None,
                "{service} on {}",
                iface.name
            );
        }
    }
}

#[test]
fn nmbd_with_bind_interfaces_only_filters_sources_on_unlisted_interfaces() {
    let lab = common::Lab::new();
    let config = config(&lab, common::INTERFACES);
    for service in [Service::NBNS, Service::NBDGM] {
        let restriction = config.restricts(service, &outside());
        assert!(
            matches!(restriction, Restriction::SourceFiltered(_)),
            "{restriction:?}"
        );
        let text = detail(restriction);
        assert!(
            text.contains(&format!("0.0.0.0:{}", service.port)),
            "{text}"
        );
        assert!(text.contains("interfaces = lo eth1"), "{text}");
        assert!(text.contains("eth0 is not among them"), "{text}");
        assert!(text.contains("not a misconfiguration"), "{text}");
        assert_eq!(config.restricts(service, &inside()), Restriction::None);
        assert_eq!(config.restricts(service, &lo()), Restriction::None);
    }
    // smbd binds only the listed addresses: that shows in the listener table, not here.
    for service in [Service::EPMAP, Service::NBSS, Service::SMB] {
        assert_eq!(config.restricts(service, &outside()), Restriction::None);
    }
}

#[test]
fn interfaces_without_bind_interfaces_only_restrict_nothing() {
    let lab = common::Lab::new();
    let config = config(&lab, "[global]\ninterfaces = lo eth1\n");
    assert_eq!(
        config.restricts(Service::NBNS, &outside()),
        Restriction::None
    );
}

#[test]
fn interfaces_entries_match_by_name_pattern_address_and_network() {
    let words = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
    let br0 = iface("br0", &["192.168.1.2/24"], &[]);
    let cases = [
        ("eth*", &outside(), Coverage::Covered),
        ("e?h0", &outside(), Coverage::Covered),
        ("wlan*", &outside(), Coverage::NotCovered),
        ("192.168.1.0/255.255.255.0", &br0, Coverage::Covered),
        ("192.168.1.77/24", &br0, Coverage::Covered),
        ("192.168.1.2", &br0, Coverage::Covered),
        ("192.168.1.3", &br0, Coverage::NotCovered),
        ("2001:db8::/64", &outside(), Coverage::Covered),
        (
            "eth1;speed=1000,capability=RSS",
            &inside(),
            Coverage::Covered,
        ),
        ("lo eth1", &br0, Coverage::NotCovered),
        ("lo fileserver.lan", &br0, Coverage::Unsure),
    ];
    for (entries, iface, want) in cases {
        assert_eq!(
            samba::interfaces_cover(&words(entries), iface),
            want,
            "{entries} on {}",
            iface.name
        );
    }
    // An entry that might cover the interface never yields a restriction.
    let lab = common::Lab::new();
    let unsure = config(
        &lab,
        "[global]\ninterfaces = lo fileserver.lan\nbind interfaces only = yes\n",
    );
    assert_eq!(unsure.restricts(Service::NBNS, &br0), Restriction::None);
}

#[test]
fn hosts_allow_refuses_the_outside_and_ipv6_loopback_but_not_the_inside() {
    let lab = common::Lab::new();
    let config = config(&lab, common::GUESTS);
    for service in [Service::NBSS, Service::SMB] {
        let restriction = config.restricts(service, &outside());
        assert!(
            matches!(restriction, Restriction::HostsAllow(_)),
            "{restriction:?}"
        );
        let text = detail(restriction);
        assert!(
            text.contains("hosts allow = 192.168.1.0/24 127.0.0.1, hosts deny = ALL"),
            "{text}"
        );
        assert!(text.contains("every source on 203.0.113.0/24"), "{text}");
        assert!(
            text.contains("part of 0.0.0.0/0 (via the default route)"),
            "{text}"
        );
        assert!(
            text.contains("every source on ::/0 (via the default route)"),
            "{text}"
        );
        assert!(text.contains("every source on 2001:db8::/64"), "{text}");
        assert_eq!(
            config.restricts(service, &iface("eth1", &["192.168.1.2/24"], &[])),
            Restriction::None
        );
        // 127.0.0.1 is allowed; ::1 is refused (deny ALL matches it, allow does not).
        let on_lo = detail(config.restricts(service, &lo()));
        assert!(
            on_lo.contains("every source on ::1/128") && !on_lo.contains("127.0.0.1/32"),
            "{on_lo}"
        );
    }
    // Link-local IPv6 on the inside interface is not in hosts allow either.
    let text = detail(config.restricts(Service::SMB, &inside()));
    assert!(
        text.contains("every source on fe80::/64") && !text.contains("on 192.168.1.0/24"),
        "{text}"
    );
    // nmbd does not apply hosts allow.
    assert_eq!(
        config.restricts(Service::NBNS, &outside()),
        Restriction::None
    );
    assert_eq!(
        config.restricts(Service::EPMAP, &outside()),
        Restriction::None
    );
}

#[test]
fn hosts_lists_it_cannot_judge_restrict_nothing() {
    let lab = common::Lab::new();
    let config = config(&lab, "[global]\nhosts allow = .example.lan @trusted\n");
    assert_eq!(
        config.restricts(Service::SMB, &outside()),
        Restriction::None
    );
    let deny_only = config_with_deny(&lab);
    let text = detail(deny_only.restricts(Service::SMB, &outside()));
    assert!(text.contains("part of 0.0.0.0/0"), "{text}");
    assert_eq!(
        deny_only.restricts(Service::SMB, &inside()),
        Restriction::None
    );
}

fn config_with_deny(lab: &common::Lab) -> SambaConfig {
    config(
        lab,
        "[global]\nhosts deny = 198.51.100.0/24 badhost.example\n",
    )
}

#[test]
fn restrictions_serialize_with_kind_and_detail() {
    let json = serde_json::to_value(Restriction::HostsAllow("x".into())).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "hosts_allow", "detail": "x"})
    );
    let json = serde_json::to_value(Restriction::None).unwrap();
    assert_eq!(json, serde_json::json!({"kind": "none"}));
}
