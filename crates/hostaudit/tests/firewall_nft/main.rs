//! decide() on real `nft -j list ruleset` captures (see tests/data/nft/SOURCES.md).

#[path = "../firewall_common/mod.rs"]
mod firewall_common;
use firewall_common::{decide, nets, unknown_why};

mod hooks;

use smbaudit_hostaudit::firewall::{Backend, Ruleset, Verdict, parse_nft_json};
use smbaudit_hostaudit::{Family, Service};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/nft/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ruleset(name: &str) -> Ruleset {
    parse_nft_json(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

use Family::{Ipv4, Ipv6};

#[test]
fn empty_ruleset_accepts_everything_with_no_rule() {
    let rs = ruleset("empty");
    assert_eq!(rs.backend(), Backend::Nftables);
    for family in [Ipv4, Ipv6] {
        for service in Service::AUDITED {
            let d = decide(&rs, "eth0", family, service);
            assert_eq!(d.verdict, Verdict::Accepted);
            assert_eq!(d.rule, None);
        }
    }
}

#[test]
fn named_set_drop_on_outside_interface() {
    let rs = ruleset("outside-drop-set");
    for family in [Ipv4, Ipv6] {
        for service in [Service::EPMAP, Service::NBSS, Service::SMB] {
            let d = decide(&rs, "eth0", family, service);
            assert_eq!(d.verdict, Verdict::Dropped, "{service} {family}");
            let rule = d.rule.expect("the drop rule");
            assert_eq!(rule.table, "inet filter");
            assert_eq!(rule.chain, "input");
            assert_eq!(rule.handle, Some(6));
            assert_eq!(rule.text, r#"iifname "eth0" tcp dport @smb_tcp drop"#);
        }
        for service in [Service::NBNS, Service::NBDGM] {
            let d = decide(&rs, "eth0", family, service);
            assert_eq!(d.verdict, Verdict::Dropped);
            let rule = d.rule.expect("the drop rule");
            assert_eq!(rule.handle, Some(7));
            assert_eq!(
                rule.text,
                r#"iifname "eth0" udp dport @nb_udp counter packets 0 bytes 0 drop comment "no NetBIOS from outside""#
            );
        }
        // The inside interface falls through to the policy.
        let d = decide(&rs, "eth1", family, Service::SMB);
        assert_eq!(d.verdict, Verdict::Accepted);
        assert_eq!(d.rule.expect("policy").text, "policy accept");
        // lo is accepted by its own rule, before the drops.
        let d = decide(&rs, "lo", family, Service::SMB);
        assert_eq!(d.verdict, Verdict::Accepted);
        assert_eq!(d.rule.expect("rule").text, r#"iif "lo" accept"#);
    }
    // Port 446 is not in the set.
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::tcp(446)).verdict,
        Verdict::Accepted
    );
}

#[test]
fn accept_from_inside_prefix_only() {
    let rs = ruleset("inside-prefix");
    for iface in ["eth0", "eth1"] {
        let d = decide(&rs, iface, Ipv4, Service::SMB);
        assert_eq!(
            d.verdict,
            Verdict::AcceptedFrom(nets(&["10.9.0.0/16", "192.168.56.0/24"]))
        );
        assert_eq!(
            d.rule.expect("accept").text,
            "ip saddr @inside4 tcp dport { 139, 445 } accept"
        );
        let d = decide(&rs, iface, Ipv6, Service::NBSS);
        assert_eq!(d.verdict, Verdict::AcceptedFrom(nets(&["fd56::/64"])));
        assert_eq!(
            d.rule.expect("accept").text,
            "ip6 saddr fd56::/64 tcp dport { 139, 445 } accept"
        );
        let d = decide(&rs, iface, Ipv4, Service::NBDGM);
        assert_eq!(d.verdict, Verdict::AcceptedFrom(nets(&["192.168.56.0/24"])));
        // No IPv6 rule for NetBIOS: the policy drops it.
        let d = decide(&rs, iface, Ipv6, Service::NBNS);
        assert_eq!(d.verdict, Verdict::Dropped);
        let rule = d.rule.expect("policy");
        assert_eq!((rule.text.as_str(), rule.handle), ("policy drop", None));
        assert_eq!(
            decide(&rs, iface, Ipv4, Service::EPMAP).verdict,
            Verdict::Dropped
        );
    }
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::tcp(22)).verdict,
        Verdict::Accepted
    );
}

#[test]
fn vmaps_jumps_gotos_and_returns() {
    let rs = ruleset("jumps");
    // eth0: goto outside, jump common (no match), back, reject.
    for family in [Ipv4, Ipv6] {
        let d = decide(&rs, "eth0", family, Service::SMB);
        assert_eq!(d.verdict, Verdict::Rejected);
        let rule = d.rule.expect("reject");
        assert_eq!((rule.chain.as_str(), rule.handle), ("outside", Some(14)));
        assert_eq!(
            rule.text,
            "tcp dport { 135, 139, 445 } reject with tcp reset"
        );
        assert_eq!(
            decide(&rs, "eth0", family, Service::NBDGM).verdict,
            Verdict::Dropped
        );
    }
    // 137/udp from 203.0.113.0/24 is accepted in common; from anywhere else it returns
    // to outside and is dropped. `ip saddr !=` never matches IPv6, which is accepted.
    let d = decide(&rs, "eth0", Ipv4, Service::NBNS);
    assert_eq!(d.verdict, Verdict::AcceptedFrom(nets(&["203.0.113.0/24"])));
    assert_eq!(d.rule.expect("accept").handle, Some(19));
    assert_eq!(
        decide(&rs, "eth0", Ipv6, Service::NBNS).verdict,
        Verdict::Accepted
    );
    // wg*: jump vpn, accepted from 10.8.0.0/24 only.
    let d = decide(&rs, "wg0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::AcceptedFrom(nets(&["10.8.0.0/24"])));
    assert_eq!(
        decide(&rs, "wg7", Ipv6, Service::SMB).verdict,
        Verdict::Dropped
    );
    // Other interfaces: jump inside, accept 445; 139 returns to the policy.
    let d = decide(&rs, "eth1", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(d.rule.expect("accept").handle, Some(20));
    let d = decide(&rs, "eth1", Ipv4, Service::NBSS);
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(d.rule.expect("policy").text, "policy accept");
    let d = decide(&rs, "lo", Ipv4, Service::NBSS);
    assert_eq!(d.rule.expect("vmap").handle, Some(10));
}

#[test]
fn every_base_chain_must_accept() {
    let rs = ruleset("two-bases");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Dropped);
    let rule = d.rule.expect("drop");
    assert_eq!(
        (rule.table.as_str(), rule.text.as_str()),
        ("ip late", r#"iifname "eth0" tcp dport 445 drop"#)
    );
    let d = decide(&rs, "eth0", Ipv4, Service::NBNS);
    assert_eq!(d.verdict, Verdict::Rejected);
    // 139 is accepted by early and not touched by late: the accept is the evidence.
    let d = decide(&rs, "eth0", Ipv4, Service::NBSS);
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(d.rule.expect("accept").table, "inet early");
    // IPv6: early accepts, late6 (prio 20) drops all but eth1 by policy.
    let d = decide(&rs, "eth0", Ipv6, Service::SMB);
    assert_eq!(d.verdict, Verdict::Dropped);
    assert_eq!(d.rule.expect("policy").table, "ip6 late6");
    assert_eq!(
        decide(&rs, "eth1", Ipv6, Service::SMB).verdict,
        Verdict::Accepted
    );
    assert_eq!(
        decide(&rs, "eth1", Ipv4, Service::SMB).verdict,
        Verdict::Accepted
    );
}

#[test]
fn rules_it_cannot_judge_make_unknown_never_dropped() {
    let rs = ruleset("unknown-exprs");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert!(unknown_why(&d).contains("limit"), "{d:?}");
    assert_eq!(d.rule.expect("the limit rule").handle, Some(5));
    let d = decide(&rs, "eth0", Ipv6, Service::NBSS);
    assert!(unknown_why(&d).contains("osf"), "{d:?}");
    // `fib daddr type local` holds for traffic to this machine: judged, not unknown.
    let d = decide(&rs, "eth0", Ipv4, Service::NBNS);
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(
        d.rule.expect("accept").text,
        "udp dport 137 fib daddr type local accept"
    );
    let d = decide(&rs, "eth0", Ipv4, Service::NBDGM);
    assert!(unknown_why(&d).contains("socket"), "{d:?}");
    let d = decide(&rs, "eth0", Ipv4, Service::EPMAP);
    assert!(unknown_why(&d).contains("daddr"), "{d:?}");
    assert!(unknown_why(&decide(&rs, "eth0", Ipv4, Service::tcp(22))).contains("meter"));
    // A limit that can only choose between two drops does not matter.
    let d = decide(&rs, "eth0", Ipv4, Service::tcp(8080));
    assert_eq!(d.verdict, Verdict::Dropped);
    // Nor do unknown rules on other ports.
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::tcp(9)).verdict,
        Verdict::Dropped
    );
}

#[test]
fn mixed_expressions() {
    let rs = ruleset("mixed");
    // meta l4proto { tcp, udp } th dport 445 accept (the ingress drop on vx0 makes eth0 unknown).
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert!(unknown_why(&d).contains("ingress"), "{d:?}");
    let d = decide(&rs, "eth0", Ipv4, Service::udp(445));
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(
        d.rule.expect("accept").text,
        "meta l4proto { tcp, udp } th dport 445 accept"
    );
    // ip protocol udp udp dport != 53 drop
    let d = decide(&rs, "eth0", Ipv4, Service::NBNS);
    assert_eq!(d.verdict, Verdict::Dropped);
    assert_eq!(
        d.rule.expect("drop").text,
        "ip protocol udp udp dport != 53 drop"
    );
    // IPv6 on eth1: iifname vmap goto sub, which returns: the base chain ends, policy drop.
    let d = decide(&rs, "eth1", Ipv6, Service::NBNS);
    assert_eq!(d.verdict, Verdict::Dropped);
    assert_eq!(d.rule.expect("policy").text, "policy drop");
    // On eth0 it reaches `socket transparent 1 accept`.
    let d = decide(&rs, "eth0", Ipv6, Service::NBNS);
    assert!(unknown_why(&d).contains("socket"), "{d:?}");
    // ip6 nexthdr tcp tcp dport < 1024 drop
    let d = decide(&rs, "lo", Ipv6, Service::NBSS);
    assert_eq!(d.verdict, Verdict::Dropped, "{d:?}");
    assert_eq!(
        d.rule.expect("drop").text,
        "ip6 nexthdr tcp tcp dport < 1024 drop"
    );
    let d = decide(&rs, "lo", Ipv4, Service::tcp(81));
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(
        d.rule.expect("accept").text,
        "meta nfproto ipv4 tcp dport 1-100 accept"
    );
}

#[test]
fn garbage_and_truncated_json_are_unreadable() {
    let full = fixture("outside-drop-set");
    for bad in [
        &full[..full.len() / 2],
        "",
        "garbage",
        "[1, 2",
        "{\"nftables\": 3}",
        "{}",
    ] {
        let err = parse_nft_json(bad).expect_err("must not parse");
        assert_eq!(err.what, "nftables ruleset");
        assert!(!err.why.is_empty());
    }
    let err = parse_nft_json(&full[..full.len() - 3]).expect_err("truncated");
    assert!(err.why.contains("not valid JSON"), "{}", err.why);
}

#[test]
fn unknown_objects_and_statements_do_not_fail_the_parse() {
    let doc = r#"{"nftables": [
        {"future_object": {"x": 1}},
        {"table": {"family": "inet", "name": "t", "handle": 1}},
        {"chain": {"family": "inet", "table": "t", "name": "input", "handle": 1,
                   "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
        {"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 2,
                  "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 445}},
                           {"brand_new_stmt": {"a": 1}}, {"accept": null}]}},
        {"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 3,
                  "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 137}},
                           {"jump": {"target": "missing"}}]}},
        {"rule": {"family": "inet", "table": "t", "chain": "nowhere", "expr": []}}
    ]}"#;
    let rs = parse_nft_json(doc).expect("parses");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert!(unknown_why(&d).contains("brand_new_stmt"), "{d:?}");
    assert!(unknown_why(&decide(&rs, "eth0", Ipv4, Service::NBNS)).contains("missing"));
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBSS).verdict,
        Verdict::Dropped
    );
}
