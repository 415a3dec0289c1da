use std::net::IpAddr;
use std::path::PathBuf;

use super::*;
use crate::listeners::{Daemon, Process};

fn iface(name: &str, facing: Facing, addrs: &[&str]) -> Interface {
    Interface {
        name: name.into(),
        index: 1,
        addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
        default_route: Vec::new(),
        facing,
        why: String::new(),
    }
}

fn listener(service: Service, addr: &str, v6only: Option<bool>, daemon: Daemon) -> Listener {
    Listener {
        service,
        addr: addr.parse::<IpAddr>().unwrap(),
        v6only,
        device: None,
        process: Some(Process {
            pid: 7,
            exe: PathBuf::from(format!("/usr/sbin/{daemon:?}").to_lowercase()),
            daemon,
            cmdline: Vec::new(),
        }),
    }
}

fn machine() -> Vec<Interface> {
    vec![
        iface("eth0", Facing::Outside, &["10.0.0.1/24", "fd00::1/64"]),
        iface("eth1", Facing::Inside, &["10.0.1.1/24"]),
    ]
}

fn open(_: &Query<'_>) -> Decision {
    Decision {
        verdict: Verdict::Accepted,
        rule: None,
    }
}

fn no_limit(_: &Listener, _: &Interface) -> SambaView {
    SambaView::Allows
}

fn cell<'c>(cells: &'c [Cell], iface: &str, family: Family, service: Service) -> &'c Cell {
    cells
        .iter()
        .find(|c| c.interface == iface && c.family == family && c.service == service)
        .unwrap_or_else(|| panic!("no cell {iface} {family} {service}"))
}

#[test]
fn a_wildcard_listener_with_no_firewall_is_exposed_on_every_interface_of_its_family() {
    let ifaces = machine();
    let listeners = [listener(Service::SMB, "0.0.0.0", None, Daemon::Smbd)];
    let facts = Facts {
        interfaces: &ifaces,
        listeners: Some(&listeners),
    };
    let cells = judge(facts, &open, &no_limit);
    // eth0 has v4 and v6, eth1 v4 only: 3 families x 5 services.
    assert_eq!(cells.len(), 15);
    for name in ["eth0", "eth1"] {
        let c = cell(&cells, name, Family::Ipv4, Service::SMB);
        assert_eq!(c.verdict, CellVerdict::Exposed, "{c:?}");
        assert_eq!(c.listeners, ["smbd (pid 7) on 0.0.0.0"]);
    }
    let v6 = cell(&cells, "eth0", Family::Ipv6, Service::SMB);
    assert_eq!(v6.verdict, CellVerdict::NotListening);
    assert!(v6.reason.contains("0.0.0.0"), "{}", v6.reason);
    assert_eq!(
        cell(&cells, "eth1", Family::Ipv4, Service::NBSS).reason,
        "nothing listens on 139/tcp"
    );
}

#[test]
fn a_v6_wildcard_takes_ipv4_only_without_v6only() {
    let ifaces = machine();
    for (v6only, v4) in [
        (false, CellVerdict::Exposed),
        (true, CellVerdict::NotListening),
    ] {
        let listeners = [listener(Service::SMB, "::", Some(v6only), Daemon::Other)];
        let facts = Facts {
            interfaces: &ifaces,
            listeners: Some(&listeners),
        };
        let cells = judge(facts, &open, &no_limit);
        assert_eq!(cell(&cells, "eth0", Family::Ipv4, Service::SMB).verdict, v4);
        assert_eq!(
            cell(&cells, "eth0", Family::Ipv6, Service::SMB).verdict,
            CellVerdict::Exposed
        );
    }
}

#[test]
fn a_listener_bound_to_the_inside_address_is_not_listening_outside() {
    let ifaces = machine();
    let listeners = [listener(Service::NBSS, "10.0.1.1", None, Daemon::Smbd)];
    let facts = Facts {
        interfaces: &ifaces,
        listeners: Some(&listeners),
    };
    let cells = judge(facts, &open, &no_limit);
    assert_eq!(
        cell(&cells, "eth1", Family::Ipv4, Service::NBSS).verdict,
        CellVerdict::Exposed
    );
    let out = cell(&cells, "eth0", Family::Ipv4, Service::NBSS);
    assert_eq!(out.verdict, CellVerdict::NotListening);
    assert!(
        out.reason.contains("smbd (pid 7) on 10.0.1.1"),
        "{}",
        out.reason
    );
}

#[test]
fn the_firewall_decides_before_samba_and_keeps_its_rule_as_evidence() {
    let ifaces = machine();
    let listeners = [
        listener(Service::SMB, "0.0.0.0", None, Daemon::Smbd),
        listener(Service::NBNS, "0.0.0.0", None, Daemon::Nmbd),
    ];
    let facts = Facts {
        interfaces: &ifaces,
        listeners: Some(&listeners),
    };
    let rule = RuleRef {
        table: "inet filter".into(),
        chain: "input".into(),
        handle: Some(4),
        text: "iifname \"eth0\" tcp dport 445 drop".into(),
    };
    let firewall = |q: &Query<'_>| match (q.iface, q.service) {
        ("eth0", Service::SMB) => Decision {
            verdict: Verdict::Dropped,
            rule: Some(rule.clone()),
        },
        ("eth0", _) => Decision {
            verdict: Verdict::Unknown("a `meter` rule".into()),
            rule: None,
        },
        _ => Decision {
            verdict: Verdict::AcceptedFrom(vec!["10.0.1.0/24".parse().unwrap()]),
            rule: None,
        },
    };
    // nmbd drops what does not come from eth1's subnet.
    let samba = |l: &Listener, i: &Interface| {
        if l.service == Service::NBNS && i.name == "eth0" {
            SambaView::Refuses("nmbd source filter".to_owned())
        } else {
            SambaView::Allows
        }
    };
    let cells = judge(facts, &firewall, &samba);
    let smb = cell(&cells, "eth0", Family::Ipv4, Service::SMB);
    assert_eq!(
        (smb.verdict, smb.rule.as_ref()),
        (CellVerdict::Filtered, Some(&rule))
    );
    // The unjudgeable rule leaves it unknown, but Samba's refusal holds whatever the rule does.
    assert_eq!(
        cell(&cells, "eth0", Family::Ipv4, Service::NBNS).verdict,
        CellVerdict::Restricted
    );
    let inside = cell(&cells, "eth1", Family::Ipv4, Service::SMB);
    assert_eq!(inside.verdict, CellVerdict::ExposedToPrefix);
    assert_eq!(inside.prefixes, ["10.0.1.0/24".parse::<IpNet>().unwrap()]);
    assert_eq!(
        cell(&cells, "eth1", Family::Ipv4, Service::NBNS).verdict,
        CellVerdict::ExposedToPrefix
    );
}

#[test]
fn an_unjudgeable_rule_is_unknown_never_filtered() {
    let ifaces = machine();
    let listeners = [listener(Service::SMB, "0.0.0.0", None, Daemon::Smbd)];
    let facts = Facts {
        interfaces: &ifaces,
        listeners: Some(&listeners),
    };
    let firewall = |_: &Query<'_>| Decision {
        verdict: Verdict::Unknown("osf match".into()),
        rule: None,
    };
    let cells = judge(facts, &firewall, &no_limit);
    let c = cell(&cells, "eth0", Family::Ipv4, Service::SMB);
    assert_eq!(
        (c.verdict, c.reason.as_str()),
        (CellVerdict::Unknown, "osf match")
    );
}

#[test]
fn an_unreadable_socket_table_makes_every_cell_unknown() {
    let ifaces = machine();
    let facts = Facts {
        interfaces: &ifaces,
        listeners: None,
    };
    let cells = judge(facts, &open, &no_limit);
    assert!(cells.iter().all(|c| c.verdict == CellVerdict::Unknown));
    let json = serde_json::to_value(&cells[0]).unwrap();
    assert_eq!(json["service"], "135/tcp");
    assert_eq!(json["verdict"], "unknown");
}

#[test]
fn a_samba_listener_whose_config_could_not_be_read_is_unknown_unless_the_firewall_drops_it() {
    let ifaces = machine();
    let listeners = [listener(Service::NBNS, "0.0.0.0", None, Daemon::Nmbd)];
    let facts = Facts {
        interfaces: &ifaces,
        listeners: Some(&listeners),
    };
    let samba = |_: &Listener, _: &Interface| {
        SambaView::Unknown("nmbd's smb.conf could not be read".into())
    };
    let cells = judge(facts, &open, &samba);
    let c = cell(&cells, "eth0", Family::Ipv4, Service::NBNS);
    assert_eq!(
        (c.verdict, c.reason.as_str()),
        (CellVerdict::Unknown, "nmbd's smb.conf could not be read")
    );
    let dropped = |_: &Query<'_>| Decision {
        verdict: Verdict::Dropped,
        rule: None,
    };
    let cells = judge(facts, &dropped, &samba);
    assert_eq!(
        cell(&cells, "eth0", Family::Ipv4, Service::NBNS).verdict,
        CellVerdict::Filtered
    );
}
