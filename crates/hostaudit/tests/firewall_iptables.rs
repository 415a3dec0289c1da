//! decide() on real iptables-nft-save / ip6tables-nft-save captures
//! (see tests/data/iptables/SOURCES.md).

mod firewall_common;
use firewall_common::{decide, nets, unknown_why};

use smbaudit_hostaudit::firewall::{
    Backend, Ruleset, Verdict, parse_iptables_save, parse_nft_json,
};
use smbaudit_hostaudit::{Family, Service};

use Family::{Ipv4, Ipv6};

fn read(name: &str) -> String {
    let path = format!("{}/tests/data/iptables/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn optional(name: &str) -> String {
    let path = format!("{}/tests/data/iptables/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap_or_default()
}

fn ruleset(name: &str) -> Ruleset {
    let v4 = optional(&format!("{name}.v4.save"));
    let v6 = optional(&format!("{name}.v6.save"));
    assert!(!v4.is_empty() || !v6.is_empty(), "no capture for {name}");
    parse_iptables_save(&v4, &v6).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

#[test]
fn no_rules_accepts() {
    let rs = parse_iptables_save("", "").expect("empty");
    assert_eq!(rs.backend(), Backend::Iptables);
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!((d.verdict, d.rule), (Verdict::Accepted, None));
}

#[test]
fn multiport_drop_on_outside_interface() {
    let rs = ruleset("outside-drop");
    for family in [Ipv4, Ipv6] {
        for service in [Service::EPMAP, Service::NBSS, Service::SMB] {
            let d = decide(&rs, "eth0", family, service);
            assert_eq!(d.verdict, Verdict::Dropped);
            let rule = d.rule.expect("drop rule");
            assert_eq!(
                (rule.table.as_str(), rule.chain.as_str(), rule.handle),
                ("filter", "INPUT", None)
            );
            assert_eq!(
                rule.text,
                "-A INPUT -i eth0 -p tcp -m multiport --dports 135,139,445 -j DROP"
            );
        }
        let d = decide(&rs, "eth0", family, Service::NBDGM);
        assert_eq!(d.verdict, Verdict::Dropped);
        assert!(d.rule.expect("drop").text.contains("--dport 137:138"));
        let d = decide(&rs, "eth1", family, Service::SMB);
        assert_eq!(d.verdict, Verdict::Accepted);
        assert_eq!(d.rule.expect("policy").text, "policy accept");
        assert_eq!(
            decide(&rs, "lo", family, Service::SMB).verdict,
            Verdict::Accepted
        );
    }
}

#[test]
fn accept_from_inside_prefix_only() {
    let rs = ruleset("inside-prefix");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!(
        d.verdict,
        Verdict::AcceptedFrom(nets(&["10.9.0.0/16", "192.168.56.0/24"]))
    );
    assert_eq!(
        d.rule.expect("accept").text,
        "-A SMB -s 192.168.56.0/24 -j ACCEPT"
    );
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBNS).verdict,
        Verdict::AcceptedFrom(nets(&["192.168.56.0/24"]))
    );
    let d = decide(&rs, "eth0", Ipv4, Service::EPMAP);
    assert_eq!(d.verdict, Verdict::Dropped);
    assert_eq!(d.rule.expect("policy").text, "policy drop");
    let d = decide(&rs, "eth0", Ipv6, Service::NBSS);
    assert_eq!(d.verdict, Verdict::AcceptedFrom(nets(&["fd56::/64"])));
    assert_eq!(
        decide(&rs, "eth0", Ipv6, Service::NBNS).verdict,
        Verdict::Dropped
    );
}

#[test]
fn gotos_jumps_and_returns() {
    let rs = ruleset("jumps");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(d.rule.expect("reject").chain, "OUTSIDE");
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBDGM).verdict,
        Verdict::Dropped
    );
    let d = decide(&rs, "eth0", Ipv4, Service::NBNS);
    assert_eq!(d.verdict, Verdict::AcceptedFrom(nets(&["203.0.113.0/24"])));
    assert_eq!(
        d.rule.expect("accept").text,
        "-A COMMON -p udp -m udp --dport 137 -j ACCEPT"
    );
    assert_eq!(
        decide(&rs, "wg1", Ipv4, Service::SMB).verdict,
        Verdict::AcceptedFrom(nets(&["10.8.0.0/24"]))
    );
    // `! -i eth+ ... --dport 135 -j REJECT`: rejected on br0, accepted on eth1.
    assert_eq!(
        decide(&rs, "br0", Ipv4, Service::EPMAP).verdict,
        Verdict::Rejected
    );
    assert_eq!(
        decide(&rs, "eth1", Ipv4, Service::EPMAP).verdict,
        Verdict::Accepted
    );
    // No ip6tables capture: nothing filters IPv6.
    assert_eq!(
        decide(&rs, "eth0", Ipv6, Service::SMB).verdict,
        Verdict::Accepted
    );
}

#[test]
fn modules_it_cannot_judge_make_unknown() {
    let rs = ruleset("unknown");
    assert!(unknown_why(&decide(&rs, "eth0", Ipv4, Service::SMB)).contains("limit"));
    assert!(unknown_why(&decide(&rs, "eth0", Ipv4, Service::NBSS)).contains("recent"));
    // `-m addrtype --dst-type LOCAL` holds for traffic to this machine.
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::NBNS).verdict,
        Verdict::Accepted
    );
    assert!(unknown_why(&decide(&rs, "eth0", Ipv4, Service::EPMAP)).contains("-d"));
    assert!(unknown_why(&decide(&rs, "eth0", Ipv4, Service::NBDGM)).contains("NFQUEUE"));
    assert_eq!(
        decide(&rs, "eth0", Ipv4, Service::tcp(8080)).verdict,
        Verdict::Dropped
    );
}

#[test]
fn nft_view_of_iptables_nft_rules_hides_the_extensions() {
    // The same outside-drop rules as nft -j shows them: multiport and conntrack are
    // opaque xt matches, so nft JSON alone cannot judge them (read() prefers
    // iptables-save for such tables).
    let rs = parse_nft_json(&read("outside-drop.nft.json")).expect("parses");
    // Even `-m conntrack --ctstate RELATED,ESTABLISHED` is opaque there.
    for service in [Service::SMB, Service::NBNS] {
        let d = decide(&rs, "eth0", Ipv4, service);
        assert!(
            unknown_why(&d).contains("iptables-nft extension conntrack"),
            "{d:?}"
        );
        assert_eq!(
            d.rule.expect("rule").text,
            r#"xt match "conntrack" counter packets 0 bytes 0 accept"#
        );
    }
}

#[test]
fn garbage_is_unreadable() {
    for bad in [
        "garbage\n",
        "*filter\n:INPUT ACCEPT [0:0]\n-A OTHER -j DROP\nCOMMIT\n",
        "{\"nftables\": []}",
    ] {
        let err = parse_iptables_save(bad, "").expect_err("must not parse");
        assert_eq!(err.what, "iptables ruleset");
        assert!(err.why.contains("line"), "{}", err.why);
        let err = parse_iptables_save("", bad).expect_err("must not parse");
        assert_eq!(err.what, "ip6tables ruleset");
    }
    let full = read("jumps.v4.save");
    let cut = &full[..full.find("--reject-with").expect("in capture")];
    // A cut file is still lines; the truncated rule ends early, the rest is missing.
    assert!(parse_iptables_save(cut, "").is_ok());
    let quote_cut = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"open\n";
    assert!(parse_iptables_save(quote_cut, "").is_err());
}

#[test]
fn raw_mangle_and_nat_tables_count_too() {
    let rs = ruleset("prerouting");
    let d = decide(&rs, "eth0", Ipv4, Service::SMB);
    assert_eq!(d.verdict, Verdict::Dropped);
    let rule = d.rule.expect("raw drop");
    assert_eq!(
        (rule.table.as_str(), rule.chain.as_str()),
        ("raw", "PREROUTING")
    );
    assert_eq!(
        decide(&rs, "eth1", Ipv4, Service::SMB).verdict,
        Verdict::Accepted
    );
    let d = decide(&rs, "eth1", Ipv4, Service::NBNS);
    assert_eq!(d.verdict, Verdict::Dropped);
    assert_eq!(d.rule.expect("mangle drop").table, "mangle");
    assert_eq!(
        decide(&rs, "eth1", Ipv4, Service::EPMAP).verdict,
        Verdict::Dropped
    );
    // Docker-style DNAT of 139 for every interface but docker0.
    let d = decide(&rs, "eth0", Ipv4, Service::NBSS);
    assert!(unknown_why(&d).contains("DNAT"), "{d:?}");
    assert_eq!(d.rule.expect("dnat").chain, "DOCKER");
    assert_eq!(
        decide(&rs, "docker0", Ipv4, Service::NBSS).verdict,
        Verdict::Accepted
    );
}

#[test]
fn thousand_rules_are_judged_correctly_and_quickly() {
    let rs = ruleset("thousand");
    let start = std::time::Instant::now();
    for family in [Ipv4, Ipv6] {
        for service in Service::AUDITED {
            assert_eq!(
                decide(&rs, "eth0", family, service).verdict,
                Verdict::Dropped,
                "{service}"
            );
            assert_eq!(
                decide(&rs, "eth1", family, service).verdict,
                Verdict::Accepted
            );
        }
    }
    let d = decide(&rs, "eth5", Ipv6, Service::tcp(10003));
    assert_eq!(
        d.rule.expect("accept").text,
        "-A INPUT -i eth5 -p tcp -m tcp --dport 10003 -j ACCEPT"
    );
    // Not a benchmark: a bound that only an exponential walk would break.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn legacy_save_reads_like_the_nft_variant() {
    let legacy =
        parse_iptables_save(&read("outside-drop.legacy.v4.save"), "").expect("legacy parses");
    let nft = parse_iptables_save(&read("outside-drop.v4.save"), "").expect("nft variant parses");
    for iface in ["eth0", "eth1", "lo"] {
        for service in Service::AUDITED {
            assert_eq!(
                decide(&legacy, iface, Ipv4, service),
                decide(&nft, iface, Ipv4, service)
            );
        }
    }
    assert_eq!(
        decide(&legacy, "eth0", Ipv4, Service::SMB).verdict,
        Verdict::Dropped
    );
}

#[test]
fn a_ufw_style_ruleset() {
    // Ubuntu ufw's chain layout, default deny, Samba allowed from 192.168.56.0/24.
    let rs = ruleset("ufw-like");
    for service in [Service::NBNS, Service::NBDGM, Service::NBSS, Service::SMB] {
        let d = decide(&rs, "eth0", Ipv4, service);
        assert_eq!(
            d.verdict,
            Verdict::AcceptedFrom(nets(&["192.168.56.0/24"])),
            "{service}"
        );
        assert!(d.rule.expect("accept").text.contains("dapp_Samba"));
    }
    // 135 meets the rate-limited LOG (a fork that rejoins) and then the policy.
    let d = decide(&rs, "eth0", Ipv4, Service::EPMAP);
    assert_eq!(d.verdict, Verdict::Dropped);
    assert_eq!(d.rule.expect("policy").text, "policy drop");
    // ssh passes `-m recent` rules the audit cannot judge: unknown, not dropped.
    assert!(unknown_why(&decide(&rs, "eth0", Ipv4, Service::tcp(22))).contains("recent"));
    assert_eq!(
        decide(&rs, "lo", Ipv4, Service::EPMAP).verdict,
        Verdict::Accepted
    );
}
