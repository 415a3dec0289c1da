//! Hooks, chain depth, work bounds and source-address sets.

use std::time::{Duration, Instant};

use smbaudit_hostaudit::firewall::{Verdict, parse_nft_json};
use smbaudit_hostaudit::{Family::Ipv4, Family::Ipv6, Service};

use super::{decide, fixture, nets, ruleset, unknown_why};

#[test]
fn ingress_chain_without_a_device_makes_its_drops_unknown() {
    let rs = ruleset("netdev-ingress");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert!(unknown_why(&d).contains("ingress"), "{d:?}");
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBSS).verdict,
        Verdict::Accepted
    );
}

#[test]
fn fifteen_nested_jumps_are_followed() {
    let rs = ruleset("deep-jumps");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(d.rule.expect("accept").chain, "c15");
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBSS).verdict,
        Verdict::Dropped
    );
}

#[test]
fn jump_loop_is_unknown() {
    let mut doc: serde_json::Value = serde_json::from_str(&fixture("deep-jumps")).expect("json");
    let items = doc["nftables"].as_array_mut().expect("array");
    let mut replaced = 0;
    for item in items.iter_mut() {
        if item["rule"]["chain"] == "c15" {
            item["rule"]["expr"][1] = serde_json::json!({"jump": {"target": "c1"}});
            replaced += 1;
        }
    }
    assert_eq!(replaced, 1);
    let rs = parse_nft_json(&doc.to_string()).expect("parses");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert!(unknown_why(&d).contains("jump loop"), "{d:?}");
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBSS).verdict,
        Verdict::Dropped
    );
}

#[test]
fn thousand_rules_are_judged_correctly_and_quickly() {
    let rs = ruleset("thousand");
    let start = Instant::now();
    for family in [Ipv4, Ipv6] {
        for service in Service::AUDITED {
            let d = decide(&rs, "eth0", family, service);
            assert_eq!(d.verdict, Verdict::Dropped, "{service}");
            assert_eq!(
                decide(&rs, "eth1", family, service).verdict,
                Verdict::Accepted
            );
        }
    }
    let d = decide(&rs, "eth3", Ipv4, Service::tcp(10001));
    assert_eq!(
        d.rule.expect("accept").text,
        r#"iifname "eth3" tcp dport 10001 accept"#
    );
    // Not a benchmark: a bound that only an exponential walk would break.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn source_conditioned_drops_and_accepts() {
    // A 5000-address blocklist set, a /24 dropped for 445, then a general accept.
    let rs = ruleset("source-rules");
    let start = Instant::now();
    // Dropped from a few sources, accepted from anywhere else: Accepted.
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(d.rule.expect("accept").text, "tcp dport 445 accept");
    // `ip saddr != 10.0.0.0/8 drop` then accept: accepted from 10.0.0.0/8 only.
    let d = decide(&rs, "eth0", Ipv4, Service::NBSS);
    assert_eq!(d.verdict, Verdict::AcceptedFrom(nets(&["10.0.0.0/8"])));
    assert_eq!(d.rule.expect("accept").text, "tcp dport 139 accept");
    let d = decide(&rs, "eth0", Ipv6, Service::NBNS);
    assert_eq!(
        d.verdict,
        Verdict::AcceptedFrom(nets(&["fd00::/8", "fe80::/10"]))
    );
    // `ip saddr != 10.0.0.0/8` never matches IPv6: the accept after it takes all of it.
    assert_eq!(
        decide(&rs, "eth0", Ipv6, Service::NBSS).verdict,
        Verdict::Accepted
    );
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBNS).verdict,
        Verdict::Accepted
    );
    // Blocked for every source, by the blocklist for some and the policy for the most:
    // the policy, which decides for more sources, is the evidence.
    let d = decide(&rs, "eth0", Ipv4, Service::EPMAP);
    assert_eq!(d.verdict, Verdict::Dropped);
    assert_eq!(d.rule.expect("policy").text, "policy drop");
    // Not a benchmark: a bound that only a quadratic walk over the set would break.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn prerouting_chains_count_too() {
    let rs = ruleset("prerouting");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Dropped);
    let rule = d.rule.expect("raw drop");
    assert_eq!(
        (rule.table.as_str(), rule.chain.as_str()),
        ("ip raw", "prerouting")
    );
    assert_eq!(rule.text, r#"iifname "eth0" tcp dport 445 drop"#);
    // The raw table is IPv4 only.
    assert_eq!(
        decide(&rs, "eth0", Ipv6, Service::SMB).verdict,
        Verdict::Accepted
    );
    // ct state at raw priority runs before conntrack: unknown.
    let d = decide(&rs, "eth0", Ipv4, Service::NBDGM);
    assert!(unknown_why(&d).contains("before conntrack"), "{d:?}");
    assert_eq!(
        decide(&rs, "eth0", Ipv6, Service::NBDGM).verdict,
        Verdict::Accepted
    );
    // fib daddr type != local, the reverse-path filter and pkttype != host do not fire.
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::EPMAP).verdict,
        Verdict::Accepted
    );
    assert_eq!(
        decide(&rs, "eth1", Ipv4, Service::SMB).verdict,
        Verdict::Accepted
    );
    assert_eq!(
        decide(&rs, "eth0", Ipv6, Service::NBNS).verdict,
        Verdict::Accepted
    );
    // A dnat in a chain jumped to from nat prerouting: forwarded, not judged here.
    let d = decide(&rs, "eth0", Ipv4, Service::NBSS);
    assert!(unknown_why(&d).contains("dnat"), "{d:?}");
    assert_eq!(d.rule.expect("dnat").chain, "forwards");
    assert_eq!(
        decide(&rs, "eth1", Ipv4, Service::NBSS).verdict,
        Verdict::Accepted
    );
}

#[test]
fn ingress_chain_with_a_device_is_judged() {
    // nft 1.0.6 omits the device; later versions print "dev". Add it to the capture.
    let mut doc: serde_json::Value =
        serde_json::from_str(&fixture("netdev-ingress")).expect("json");
    let items = doc["nftables"].as_array_mut().expect("array");
    let mut added = 0;
    for item in items.iter_mut() {
        if item["chain"]["hook"] == "ingress" {
            item["chain"]["dev"] = serde_json::json!("vx0");
            added += 1;
        }
    }
    assert_eq!(added, 1);
    let rs = parse_nft_json(&doc.to_string()).expect("parses");
    let d = decide(&rs, "vx0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Dropped);
    let rule = d.rule.expect("ingress drop");
    assert_eq!(
        (rule.table.as_str(), rule.chain.as_str()),
        ("netdev edge", "ingress")
    );
    assert_eq!(
        decide(&rs, "vx0", Ipv6, Service::SMB).verdict,
        Verdict::Dropped
    );
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::SMB).verdict,
        Verdict::Accepted
    );
}

#[test]
fn forks_that_rejoin_are_followed_once() {
    // 40 non-terminal limit rules: each forks, both sides go on to the same next rule
    // with the same traffic, so the walk stays linear and the drop is certain.
    let rs = ruleset("forks");
    let start = Instant::now();
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Dropped);
    assert_eq!(d.rule.expect("drop").text, "tcp dport 445 drop");
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBSS).verdict,
        Verdict::Accepted
    );
    // Not a benchmark: 2^40 branches would never finish.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_firewalld_style_ruleset() {
    // Zones by interface with goto, policy chains, ct status dnat, the IPv6 reverse-path
    // filter in prerouting, a netbios-ns conntrack helper, reject with icmpx.
    let rs = ruleset("firewalld-like");
    for family in [Ipv4, Ipv6] {
        for service in Service::AUDITED {
            let d = decide(&rs, "eth0", family, service);
            assert_eq!(d.verdict, Verdict::Rejected, "public {family} {service}");
            let rule = d.rule.expect("reject");
            assert_eq!(
                (rule.chain.as_str(), rule.text.as_str()),
                ("filter_IN_public", "reject with icmpx admin-prohibited")
            );
            // Unlisted interfaces fall into the default zone, public.
            assert_eq!(
                decide(&rs, "wlan0", family, service).verdict,
                Verdict::Rejected
            );
            // The samba service opens 137-139 and 445, not 135.
            let d = decide(&rs, "eth1", family, service);
            if service == Service::EPMAP {
                assert_eq!(d.verdict, Verdict::Rejected);
                continue;
            }
            assert_eq!(d.verdict, Verdict::Accepted, "internal {family} {service}");
            assert_eq!(d.rule.expect("accept").chain, "filter_IN_internal_allow");
        }
    }
    let d = decide(&rs, "eth0", Ipv4, Service::tcp(22));
    assert_eq!(d.rule.expect("ssh").text, "tcp dport 22 accept");
}
