use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn blocks_are_valid_disjoint_and_in_address_order() {
    for (i, a) in BLOCKS.iter().enumerate() {
        let width = if a.first.is_ipv4() { 32 } else { 128 };
        assert!(a.len <= width, "{a}");
        assert_eq!(
            bits(a.first) & a.mask(),
            bits(a.first),
            "{a} starts its block"
        );
        if let Some(b) = BLOCKS
            .get(i + 1)
            .filter(|b| b.first.is_ipv4() == a.first.is_ipv4())
        {
            assert!(a.span().1 < b.span().0, "{a} ends before {b} starts");
        }
    }
}

#[test]
fn the_fast_path_misses_no_skipped_block() {
    for b in BLOCKS.iter().filter(|b| b.scan_skips) {
        let (lo, hi) = b.span();
        for edge in [lo, hi, lo + (hi - lo) / 2] {
            let addr = match b.first {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(edge as u32)),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from_bits(edge)),
            };
            assert_eq!(scan_skip_block(addr), Some(b), "{addr}");
        }
    }
}

#[test]
fn scans_skip_non_unicast_space_only() {
    let skipped = [
        "0.1.2.3",
        "192.0.2.9",
        "198.51.100.1",
        "203.0.113.200",
        "224.0.0.251",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::ffff:10.0.0.1",
        "100::1",
        "2001:db8::1",
        "3fff::1",
        "fe80::1",
        "ff02::1",
    ];
    let scanned = [
        "10.0.0.1",
        "127.0.0.1",
        "169.254.1.1",
        "100.64.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "198.18.0.1",
        "8.8.8.8",
        "223.255.255.255",
        "::1",
        "fd00:5a7:1::10",
        "2a00:1450:4001::1",
        "64:ff9b::a00:1",
    ];
    for a in skipped {
        assert!(scan_skip_block(ip(a)).is_some(), "{a} skipped");
    }
    for a in scanned {
        assert_eq!(scan_skip_block(ip(a)), None, "{a} scanned");
    }
}

#[test]
fn reach_kinds_follow_the_registries() {
    let cases = [
        ("8.8.8.8", None),
        ("100.63.255.255", None),
        ("100.128.0.0", None),
        ("172.32.0.1", None),
        ("192.0.1.1", None),
        ("0.0.0.0", Some("this network")),
        ("10.1.2.3", Some("private")),
        ("100.127.255.255", Some("CGNAT")),
        ("127.0.0.1", Some("loopback")),
        ("169.254.10.1", Some("link-local")),
        ("172.31.255.255", Some("private")),
        ("192.0.0.9", Some("IETF protocol")),
        ("192.0.2.7", Some("documentation")),
        ("198.19.255.255", Some("benchmarking")),
        ("224.0.0.251", Some("multicast")),
        ("255.255.255.255", Some("reserved or broadcast")),
        ("2a00:1450:4001::1", None),
        ("2002:c000:0204::1", None),
        ("::", Some("unspecified")),
        ("::1", Some("loopback")),
        ("::ffff:192.168.1.1", Some("private")),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
        ("64:ff9b::a00:1", Some("private")),
        ("64:ff9b:1::1", Some("local-use NAT64")),
        ("100::1", Some("discard-only")),
        ("2001::1", Some("IETF protocol")),
        ("3fff::1", Some("documentation")),
        ("fd12:3456::1", Some("ULA")),
        ("fe80::1", Some("link-local")),
        ("fec0::1", Some("site-local")),
        ("ff02::1", Some("multicast")),
        ("4000::1", Some("reserved")),
        ("::2", Some("reserved")),
    ];
    for (addr, kind) in cases {
        assert_eq!(reach_kind(ip(addr)), kind, "{addr}");
        assert_eq!(is_global(ip(addr)), kind.is_none(), "{addr}");
    }
}

#[test]
fn interfaces_face_inside_only_in_local_blocks() {
    let inside = [
        ("10.77.2.1", "private"),
        ("100.64.7.1", "CGNAT"),
        ("169.254.3.3", "link-local"),
        ("255.255.255.255", "reserved or broadcast"),
        ("fd77:2::1", "ULA"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
    ];
    for (addr, kind) in inside {
        assert_eq!(inside_kind(ip(addr)), Some(kind), "{addr}");
    }
    // No standard makes these private: an interface holding one may face outside.
    for addr in [
        "192.0.2.1",
        "198.18.0.1",
        "2001:db8:77::1",
        "8.8.8.8",
        "4000::1",
    ] {
        assert!(!faces_inside(ip(addr)), "{addr}");
    }
}

#[test]
fn blocks_print_kind_prefix_and_note() {
    let doc = scan_skip_block(ip("192.0.2.7")).unwrap();
    assert_eq!(doc.to_string(), "documentation (192.0.2.0/24)");
    let ll = scan_skip_block(ip("fe80::1")).unwrap();
    assert_eq!(ll.to_string(), "link-local (fe80::/10, needs a zone)");
}
