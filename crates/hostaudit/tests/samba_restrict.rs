//! `SambaConfig::restricts` on configurations read by the real testparm.

mod common;

use ipnet::IpNet;
use smbaudit_hostaudit::interfaces::{Facing, Interface};
use smbaudit_hostaudit::listeners::{Daemon, Listener, Process};
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
        assert!(
            text.contains(
                "refuses every source on 203.0.113.0/24, 2001:db8::/64 and every globally \
                 routable source via the default route (0.0.0.0/0, ::/0)"
            ),
            "{text}"
        );
        // The allowed subnet is not restricted, over IPv4 or over both families.
        let eth1_v4 = iface("eth1", &["192.168.1.2/24"], &[]);
        assert_eq!(config.restricts(service, &eth1_v4), Restriction::None);
        assert_eq!(config.restricts(service, &inside()), Restriction::None);
        assert_eq!(
            config.restricts_family(service, &inside(), Family::Ipv4),
            Restriction::None
        );
        // Its IPv6 link-local sources are refused.
        let v6 = detail(config.restricts_family(service, &inside(), Family::Ipv6));
        assert!(v6.contains("every source on fe80::/64"), "{v6}");
        // 127.0.0.1 is allowed; ::1 is refused (deny ALL matches it, allow does not).
        assert_eq!(
            config.restricts_family(service, &lo(), Family::Ipv4),
            Restriction::None
        );
        let on_lo = detail(config.restricts_family(service, &lo(), Family::Ipv6));
        assert!(on_lo.contains("every source on ::1/128"), "{on_lo}");
    }
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
fn a_deny_list_restricts_only_the_subnets_it_covers_whole() {
    let lab = common::Lab::new();
    let deny = config(
        &lab,
        "[global]\nhosts deny = 198.51.100.0/24 badhost.example\n",
    );
    // Most of the internet is still allowed through the default route.
    assert_eq!(deny.restricts(Service::SMB, &outside()), Restriction::None);
    assert_eq!(deny.restricts(Service::SMB, &inside()), Restriction::None);
    let dmz = iface("dmz0", &["198.51.100.5/24"], &[]);
    let text = detail(deny.restricts(Service::SMB, &dmz));
    assert!(text.contains("every source on 198.51.100.0/24"), "{text}");
    // Allowing one host of a subnet is not a restriction of that subnet.
    let one_host = config(&lab, "[global]\nhosts allow = 192.168.1.10\n");
    assert_eq!(
        one_host.restricts(Service::SMB, &inside()),
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
    assert_eq!(config.restricts(Service::SMB, &inside()), Restriction::None);
}

fn listener(addr: &str, v6only: Option<bool>, pid: u32, daemon: Daemon) -> Listener {
    Listener {
        service: Service::SMB,
        addr: addr.parse().unwrap(),
        v6only,
        device: None,
        process: Some(Process {
            pid,
            exe: "/usr/sbin/smbd".into(),
            daemon,
            cmdline: vec!["smbd".into()],
        }),
    }
}

#[test]
fn limit_judges_the_families_a_listener_takes_with_its_daemons_config() {
    let lab = common::Lab::new();
    let mut config = config(&lab, common::GUESTS);
    config.pids = vec![42];
    let configs = [config];
    let v4 = listener("0.0.0.0", None, 42, Daemon::Smbd);
    let v6 = listener("::", Some(true), 42, Daemon::Smbd);
    let dual = listener("::", Some(false), 42, Daemon::Smbd);
    assert!(samba::limit(&configs, &v4, &outside()).is_some());
    assert_eq!(samba::limit(&configs, &v4, &inside()), None);
    assert!(
        samba::limit(&configs, &v6, &inside()).is_some(),
        "fe80::/64 is refused"
    );
    assert_eq!(
        samba::limit(&configs, &dual, &inside()),
        None,
        "IPv4 is allowed"
    );
    assert!(samba::limit(&configs, &dual, &outside()).is_some());
    // The only config also covers a Samba pid it does not list; never another program.
    let child = listener("0.0.0.0", None, 43, Daemon::Smbd);
    assert!(samba::limit(&configs, &child, &outside()).is_some());
    let other = listener("0.0.0.0", None, 42, Daemon::Other);
    assert_eq!(samba::limit(&configs, &other, &outside()), None);
    assert_eq!(samba::limit(&[], &v4, &outside()), None);
}

#[test]
fn hosts_lists_are_judged_up_to_their_limit() {
    let lab = common::Lab::new();
    let deny = |count: usize| {
        let mut entries: Vec<String> = (0..count - 1)
            .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
            .collect();
        entries.push("ALL".into());
        format!("[global]\nhosts deny = {}\n", entries.join(" "))
    };
    let at_limit = config(&lab, &deny(samba::MAX_HOSTS_ENTRIES));
    assert_eq!(at_limit.params.hosts_deny.len(), samba::MAX_HOSTS_ENTRIES);
    assert!(matches!(
        at_limit.restricts(Service::SMB, &outside()),
        Restriction::HostsAllow(_)
    ));
    let over = config(&lab, &deny(samba::MAX_HOSTS_ENTRIES + 1));
    assert_eq!(over.restricts(Service::SMB, &outside()), Restriction::None);
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
