use std::path::Path;

use super::*;
use crate::model::Family;

fn iface(name: &str, facing: Facing, addr: &str) -> Interface {
    Interface {
        name: name.into(),
        index: 2,
        addrs: vec![addr.parse().unwrap()],
        default_route: Vec::new(),
        facing,
        why: "test".into(),
    }
}

fn cell(interface: &str, facing: Facing, service: Service, verdict: CellVerdict) -> Cell {
    Cell {
        interface: interface.into(),
        facing,
        family: Family::Ipv4,
        service,
        verdict,
        reason: "because".into(),
        rule: None,
        prefixes: Vec::new(),
        listeners: vec!["smbd (pid 1) on 0.0.0.0".into()],
        daemons: vec![Daemon::Smbd],
    }
}

fn block(iface: &str, services: &[Service]) -> Vec<String> {
    services
        .iter()
        .map(|s| format!("drop {s} on {iface}"))
        .collect()
}

fn audit(cells: &[Cell]) -> Vec<Finding> {
    let ifaces = [
        iface("wan0", Facing::Outside, "10.9.0.1/24"),
        iface("lan0", Facing::Inside, "10.1.0.1/24"),
    ];
    let ctx = FixContext {
        interfaces: &ifaces,
        samba_conf: Some(Path::new("/srv/conf/smb.conf")),
        block: &block,
    };
    findings(cells, &ctx)
}

#[test]
fn smb_reachable_outside_is_critical_with_this_machines_fix() {
    let found = audit(&[
        cell("wan0", Facing::Outside, Service::SMB, CellVerdict::Exposed),
        cell("lan0", Facing::Inside, Service::SMB, CellVerdict::Exposed),
    ]);
    assert_eq!(found.len(), 2, "{found:#?}");
    let wan = &found[0];
    assert_eq!(
        (wan.rule_id.as_str(), wan.severity),
        ("audit-reachable-smb", Severity::Critical)
    );
    assert_eq!(wan.ip.to_string(), "10.9.0.1");
    let steps: Vec<&str> = wan.remediation.iter().map(|r| r.steps.as_str()).collect();
    assert!(steps[0].contains("drop 445/tcp on wan0"), "{steps:?}");
    assert!(steps[1].contains("/srv/conf/smb.conf"), "{steps:?}");
    assert!(
        steps[1].contains("interfaces = lo lan0\nbind interfaces only = yes"),
        "{steps:?}"
    );
    assert_eq!(found[1].severity, Severity::Low);
    let inside = &found[1].remediation[1].steps;
    assert!(
        inside.contains("hosts allow = 10.1.0.0/24 127.0.0.1 ::1"),
        "{inside}"
    );
}

#[test]
fn a_source_limited_accept_rates_one_step_lower_and_nbns_says_to_turn_netbios_off() {
    let found = audit(&[cell(
        "wan0",
        Facing::Outside,
        Service::NBNS,
        CellVerdict::ExposedToPrefix,
    )]);
    assert_eq!(
        (found[0].rule_id.as_str(), found[0].severity),
        ("audit-reachable-nbns", Severity::Medium)
    );
    assert!(
        found[0].remediation[1]
            .steps
            .contains("disable netbios = yes")
    );
}

#[test]
fn unjudged_cells_get_their_own_finding_and_closed_cells_none() {
    let found = audit(&[
        cell("wan0", Facing::Outside, Service::NBSS, CellVerdict::Unknown),
        cell("wan0", Facing::Outside, Service::SMB, CellVerdict::Filtered),
        cell(
            "wan0",
            Facing::Outside,
            Service::EPMAP,
            CellVerdict::NotListening,
        ),
        cell(
            "wan0",
            Facing::Outside,
            Service::NBDGM,
            CellVerdict::Restricted,
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        (found[0].rule_id.as_str(), found[0].severity),
        ("audit-unjudged", Severity::Medium)
    );
}

#[test]
fn a_listener_that_is_not_samba_gets_no_smb_conf_fix() {
    let mut other = cell("wan0", Facing::Outside, Service::SMB, CellVerdict::Exposed);
    other.daemons = vec![Daemon::Other];
    let found = audit(&[other]);
    assert_eq!(found[0].remediation.len(), 1);
    assert_eq!(found[0].remediation[0].platform, Platform::Perimeter);
}

#[test]
fn loopback_gets_no_finding() {
    let lo = Interface {
        name: "lo".into(),
        index: 1,
        addrs: vec!["127.0.0.1/8".parse().unwrap()],
        default_route: Vec::new(),
        facing: Facing::Inside,
        why: "loopback".into(),
    };
    let ctx = FixContext {
        interfaces: std::slice::from_ref(&lo),
        samba_conf: None,
        block: &block,
    };
    let cells = [cell(
        "lo",
        Facing::Inside,
        Service::SMB,
        CellVerdict::Exposed,
    )];
    assert_eq!(findings(&cells, &ctx), []);
}
