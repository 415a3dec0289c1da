//! The scope and the exclusions: every stage leaves out the same addresses.
//!
//! What is proven: for random target specs and exclusions placed around the reserved blocks'
//! edges, every address a permuted walk (any seed, any shard) visits satisfies
//! `TargetList::contains`; the walk's count equals the size of the set a plain model
//! computes (the included intervals, with multiplicity, minus the exclusions and the
//! reserved blocks written out by hand here); and the in-order iteration agrees. The
//! reserved blocks' own counts (`skipped_by_scope`) match the model too.
//!
//! Network: none.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use smbaudit_engine::targets::{Order, Scope, Shard, TargetList};

/// Edges the specs are placed around: reserved blocks' first and last addresses, and
/// ordinary unicast space.
const V4_ANCHORS: &[u32] = &[
    0x0000_0000, // 0.0.0.0
    0x00ff_ff80, // just below 1.0.0.0
    0x0a00_0000, // 10.0.0.0
    0xc000_0200, // 192.0.2.0
    0xc633_6400, // 198.51.100.0
    0xdfff_ff00, // 223.255.255.0, below multicast
    0xefff_ff80, // 239.255.255.128, multicast to reserved
    0xffff_ff00, // 255.255.255.0
];

/// The v4 blocks out of the default scope, written out independently of the engine.
const V4_RESERVED: &[(u32, u32)] = &[
    (0x0000_0000, 0x00ff_ffff),
    (0xc000_0200, 0xc000_02ff),
    (0xc633_6400, 0xc633_64ff),
    (0xcb00_7100, 0xcb00_71ff),
    (0xe000_0000, 0xffff_ffff),
];

/// One spec as an interval of one family (v6: offsets in ff02::/112 or fd00::/112) and
/// the token that stands for it.
#[derive(Debug, Clone)]
struct Interval {
    v6: bool,
    lo: u128,
    hi: u128,
    token: String,
}

fn v4_interval() -> impl Strategy<Value = Interval> {
    (
        prop::sample::select(V4_ANCHORS),
        0u32..256,
        0u32..3,
        0u32..300,
    )
        .prop_map(|(anchor, offset, form, len)| {
            let lo = anchor.saturating_add(offset);
            match form {
                0 => single(lo),
                1 => {
                    // A CIDR block of 1 to 256 addresses holding `lo`.
                    let bits = len % 9;
                    let lo = lo & !((1u32 << bits) - 1);
                    let hi = lo | ((1u32 << bits) - 1);
                    Interval {
                        v6: false,
                        lo: lo.into(),
                        hi: hi.into(),
                        token: format!("{}/{}", Ipv4Addr::from(lo), 32 - bits),
                    }
                }
                _ => {
                    let hi = lo.saturating_add(len);
                    Interval {
                        v6: false,
                        lo: lo.into(),
                        hi: hi.into(),
                        token: format!("{}-{}", Ipv4Addr::from(lo), Ipv4Addr::from(hi)),
                    }
                }
            }
        })
}

fn single(ip: u32) -> Interval {
    Interval {
        v6: false,
        lo: ip.into(),
        hi: ip.into(),
        token: Ipv4Addr::from(ip).to_string(),
    }
}

fn v6_interval() -> impl Strategy<Value = Interval> {
    (any::<bool>(), 0u128..1024, 0u32..9).prop_map(|(multicast, offset, bits)| {
        let base: u128 = if multicast {
            0xff02 << 112
        } else {
            0xfd00 << 112
        };
        let lo = (base + offset) & !((1u128 << bits) - 1);
        let hi = lo | ((1u128 << bits) - 1);
        Interval {
            v6: true,
            lo,
            hi,
            token: format!("{}/{}", Ipv6Addr::from(lo), 128 - bits),
        }
    })
}

fn interval() -> impl Strategy<Value = Interval> {
    prop_oneof![4 => v4_interval(), 1 => v6_interval()]
}

fn model_reserved(v6: bool, x: u128) -> bool {
    if v6 {
        x >> 120 == 0xff
    } else {
        V4_RESERVED
            .iter()
            .any(|&(lo, hi)| (u128::from(lo)..=u128::from(hi)).contains(&x))
    }
}

fn address(v6: bool, x: u128) -> IpAddr {
    if v6 {
        Ipv6Addr::from(x).into()
    } else {
        Ipv4Addr::from(u32::try_from(x).expect("a v4 interval")).into()
    }
}

fn list(include: &[Interval], exclude: &[Interval], scope: Scope) -> TargetList {
    let mut t = TargetList::new();
    t.set_scope(scope);
    for i in include {
        t.include(&i.token).unwrap();
    }
    for x in exclude {
        t.exclude(&x.token).unwrap();
    }
    t
}

/// Whether the model makes the included address `x` a target.
fn model_target(v6: bool, x: u128, exclude: &[Interval], scope: Scope) -> bool {
    let excluded = exclude
        .iter()
        .any(|e| e.v6 == v6 && (e.lo..=e.hi).contains(&x));
    let out_of_scope = scope == Scope::Unicast && model_reserved(v6, x);
    !excluded && !out_of_scope
}

/// (targets with multiplicity, included addresses in reserved space) by the model.
fn model(include: &[Interval], exclude: &[Interval], scope: Scope) -> (u64, u128) {
    let (mut targets, mut reserved) = (0, 0);
    for i in include {
        for x in i.lo..=i.hi {
            reserved += u128::from(model_reserved(i.v6, x));
            targets += u64::from(model_target(i.v6, x, exclude, scope));
        }
    }
    (targets, reserved)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn walk_contains_and_model_agree(
        include in prop::collection::vec(interval(), 1..6),
        exclude in prop::collection::vec(interval(), 0..4),
        allow_reserved in any::<bool>(),
        seed in any::<u64>(),
        count in 1u64..=4,
    ) {
        let scope = if allow_reserved { Scope::Everything } else { Scope::Unicast };
        let t = list(&include, &exclude, scope);
        let (expected, reserved) = model(&include, &exclude, scope);
        let mut walked = 0u64;
        for index in 1..=count {
            let order = Order { seed, shard: Shard::new(index, count).unwrap() };
            for ip in t.walk(order).unwrap() {
                prop_assert!(t.contains(ip), "{ip} walked but not contained");
                walked += 1;
            }
        }
        prop_assert_eq!(walked, expected, "the shards' walks");
        prop_assert_eq!(t.iter().count() as u64, expected, "the in-order iteration");
        for i in &include {
            for x in i.lo..=i.hi {
                let ip = address(i.v6, x);
                prop_assert_eq!(t.contains(ip), model_target(i.v6, x, &exclude, scope), "{}", ip);
            }
        }
        let counted = if allow_reserved { 0 } else { reserved };
        prop_assert_eq!(t.skipped_by_scope(), counted, "the scope's count");
        prop_assert_eq!(t.any_left(), expected > 0);
    }
}

#[test]
fn contains_refuses_what_no_walk_visits() {
    let mut t = TargetList::new();
    t.include("223.255.255.254-224.0.0.1").unwrap();
    t.include("ff02::/127").unwrap();
    t.exclude("223.255.255.255").unwrap();
    let walked: Vec<IpAddr> = t.walk(Order::default()).unwrap().collect();
    assert_eq!(walked, ["223.255.255.254".parse::<IpAddr>().unwrap()]);
    for out in ["223.255.255.255", "224.0.0.0", "224.0.0.1", "ff02::1"] {
        assert!(!t.contains(out.parse().unwrap()), "{out}");
    }
    t.set_scope(Scope::Everything);
    assert!(t.contains("ff02::1".parse().unwrap()));
    assert_eq!(t.walk(Order::default()).unwrap().count(), 3 + 2);
}

#[test]
fn single_reserved_addresses_are_refused_by_name() {
    let mut t = TargetList::new();
    for token in ["10.0.0.1", "224.0.0.1", "192.0.2.0/24", "ff02::1", "::"] {
        t.include(token).unwrap();
    }
    let refused: Vec<String> = t
        .refused_by_scope()
        .0
        .into_iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(
        refused[0].contains("224.0.0.1") && refused[0].contains("multicast"),
        "{}",
        refused[0]
    );
    assert!(
        refused[1].contains("ff02::1") && refused[2].contains("unspecified"),
        "{refused:?}"
    );
    assert!(refused.iter().all(|r| r.contains("--allow-reserved")));
    assert_eq!(t.skipped_by_scope(), 256 + 3);
    t.set_scope(Scope::Everything);
    assert!(t.refused_by_scope().0.is_empty());
}
