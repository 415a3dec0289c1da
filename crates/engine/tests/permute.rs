//! The keyed permutation, its shards and the permuted walk of a target list.
//!
//! What is proven: the permutation is a bijection of `[0, n)` for every size tried (all of
//! them exhaustively up to about 10^6, sampled for 2^32 and 2^64 − 1); the shards of one
//! seed are disjoint and complete for 1 to 16 shards; the same seed gives the same order and
//! another seed another; the walk of a target list visits the same addresses as its
//! in-order iteration, excluded ones skipped; and walking a /8 allocates nothing per
//! address.
//!
//! The global allocator counts heap bytes (`peakmem-alloc`) for the whole process, so every
//! test holds [`SERIAL`] ([`serial`]) while it runs.
//!
//! Network: none.

use std::alloc::System;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use proptest::prelude::*;
use smbaudit_engine::targets::{Order, Permutation, Shard, TargetList};

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

/// One test at a time where the allocator's process-wide peak is read.
static SERIAL: Mutex<()> = Mutex::new(());

/// Holds [`SERIAL`], whatever an earlier test's panic did to it.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Asserts that `images` are `n` values, each below `n` and none twice: a bijection.
fn assert_bijection(n: u64, images: impl Iterator<Item = u64>, what: &str) {
    let mut seen = vec![0u64; usize::try_from(n.div_ceil(64)).unwrap()];
    let mut count = 0u64;
    for v in images {
        assert!(v < n, "{what}: {v} out of [0, {n})");
        let (word, bit) = (usize::try_from(v / 64).unwrap(), v % 64);
        assert_eq!(seen[word] >> bit & 1, 0, "{what}: {v} twice");
        seen[word] |= 1 << bit;
        count += 1;
    }
    assert_eq!(count, n, "{what}: {count} values for n = {n}");
}

fn permuted(n: u64, seed: u64) -> impl Iterator<Item = u64> {
    let p = Permutation::new(n, seed);
    (0..n).map(move |i| p.permute(i).expect("below n"))
}

#[test]
fn is_a_bijection_for_edge_sizes_exhaustively() {
    let _serial = serial();
    let mut sizes = vec![0u64, 1, 2, 3, 4, 5, 7, 11, 13, 97, 251, 65_521, 999_983];
    for k in [1u32, 2, 3, 4, 5, 8, 10, 16, 17, 19] {
        sizes.extend([(1u64 << k) - 1, 1 << k, (1 << k) + 1]);
    }
    sizes.push(1_000_000);
    for n in sizes {
        for seed in [0, 1, u64::MAX] {
            assert_bijection(n, permuted(n, seed), &format!("n={n} seed={seed}"));
        }
    }
}

#[test]
fn is_injective_on_samples_of_huge_sizes() {
    let _serial = serial();
    for n in [1u64 << 32, (1 << 32) + 1, (1 << 48) - 1, u64::MAX] {
        let p = Permutation::new(n, 0x5eed);
        let step = n / 20_000;
        let images: HashSet<u64> = (0..20_000u64)
            .map(|k| p.permute(k * step).expect("below n"))
            .collect();
        assert_eq!(images.len(), 20_000, "n={n}: two samples share an image");
        assert!(images.iter().all(|&v| v < n));
        // Not the identity on the sample either.
        assert!(
            (0..20_000u64)
                .filter(|k| images.contains(&(k * step)))
                .count()
                < 100
        );
        assert_eq!(p.permute(n), None);
    }
}

#[test]
fn same_seed_same_order_other_seed_other_order() {
    let _serial = serial();
    for n in [16u64, 1000, 65_536] {
        let a: Vec<u64> = permuted(n, 1).collect();
        assert_eq!(a, permuted(n, 1).collect::<Vec<_>>(), "n={n}");
        assert_ne!(a, permuted(n, 2).collect::<Vec<_>>(), "n={n}");
        assert_ne!(a, (0..n).collect::<Vec<_>>(), "n={n}: the identity");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn is_a_bijection_for_any_size(n in 0u64..50_000, seed in any::<u64>()) {
        let _serial = serial();
        assert_bijection(n, permuted(n, seed), &format!("n={n} seed={seed}"));
    }

    #[test]
    fn shards_are_disjoint_and_complete(n in 0u64..20_000, count in 1u64..=16, seed in any::<u64>()) {
        let _serial = serial();
        let shards = (1..=count).flat_map(|i| {
            Shard::new(i, count).unwrap().indices(Permutation::new(n, seed))
        });
        assert_bijection(n, shards, &format!("n={n} shards={count} seed={seed}"));
        for i in 1..=count {
            let shard = Shard::new(i, count).unwrap().indices(Permutation::new(n, seed));
            let expected = n / count + u64::from((i - 1) < n % count);
            prop_assert_eq!(shard.remaining(), expected);
            prop_assert_eq!(shard.count() as u64, expected);
        }
    }

    #[test]
    fn different_seeds_give_different_orders(n in 64u64..10_000, a in any::<u64>(), b in any::<u64>()) {
        let _serial = serial();
        prop_assume!(a != b);
        prop_assert_ne!(permuted(n, a).collect::<Vec<_>>(), permuted(n, b).collect::<Vec<_>>());
    }

    #[test]
    fn sharded_walks_of_a_list_cover_its_iteration(count in 1u64..=8, seed in any::<u64>()) {
        let _serial = serial();
        let list = mixed_list();
        let mut want: Vec<IpAddr> = list.iter().collect();
        let mut got: Vec<IpAddr> = (1..=count)
            .flat_map(|i| {
                let order = Order { seed, shard: Shard::new(i, count).unwrap() };
                list.walk(order).unwrap().collect::<Vec<_>>()
            })
            .collect();
        want.sort_unstable();
        got.sort_unstable();
        prop_assert_eq!(got, want);
    }
}

/// Every kind of spec, overlapping ones (a duplicate) and exclusions.
fn mixed_list() -> TargetList {
    let mut t = TargetList::new();
    for spec in [
        "10.0.0.0/26",
        "10.0.0.5",
        "10.1-2.3,7.0-9",
        "192.168.1.250-192.168.2.3",
        "fd00::/120",
        "::1",
        "unresolved.example",
    ] {
        t.include(spec).unwrap();
    }
    for spec in ["10.0.0.8/29", "10.2.7.0-9", "fd00::10/124"] {
        t.exclude(spec).unwrap();
    }
    t
}

#[test]
fn the_index_numbers_the_addresses_as_iteration_yields_them() {
    let _serial = serial();
    let mut t = mixed_list();
    let mut included = TargetList::new();
    for spec in [
        "10.0.0.0/26",
        "10.0.0.5",
        "10.1-2.3,7.0-9",
        "192.168.1.250-192.168.2.3",
        "fd00::/120",
        "::1",
    ] {
        included.include(spec).unwrap();
    }
    let index = included.index().unwrap();
    let listed: Vec<IpAddr> = included.iter().collect();
    assert_eq!(index.len(), listed.len() as u64);
    for (i, ip) in listed.iter().enumerate() {
        assert_eq!(index.address(i as u64), Some(*ip), "index {i}");
    }
    assert_eq!(index.address(index.len()), None);
    // A name counts one index and stands for no address until resolved.
    let with_name = t.index().unwrap();
    assert_eq!(with_name.len(), index.len() + 1);
    assert_eq!(with_name.address(index.len()), None);
    let mut walk = t.walk(Order::default()).unwrap();
    let walked = walk.by_ref().count() as u64;
    assert_eq!(walked, t.iter().count() as u64);
    assert_eq!(walk.skipped() + walked, with_name.len());
    assert_eq!(walk.position(), with_name.len());
    t.exclude("0.0.0.0/0").unwrap();
    t.exclude("fd00::/120").unwrap();
    t.exclude("::1").unwrap();
    assert_eq!(t.walk(Order::default()).unwrap().count(), 0);
}

#[test]
fn position_of_inverts_address_at_the_first_spec_holding_it() {
    let _serial = serial();
    let list = mixed_list();
    let index = list.index().unwrap();
    for i in 0..index.len() {
        let Some(ip) = index.address(i) else { continue };
        let back = index.position_of(ip).unwrap();
        // 10.0.0.5 is listed twice: both indices lead back to the first.
        assert_eq!(index.address(back), Some(ip), "index {i}");
        assert!(back <= i, "index {i}: {back}");
        if ip != "10.0.0.5".parse::<IpAddr>().unwrap() {
            assert_eq!(back, i, "{ip}");
        }
    }
    for outside in ["10.0.0.64", "10.1.4.0", "192.168.2.4", "fd00::100", "::2"] {
        assert_eq!(
            index.position_of(outside.parse().unwrap()),
            None,
            "{outside}"
        );
    }
}

#[test]
fn a_walk_continues_from_its_position() {
    let _serial = serial();
    let list = mixed_list();
    let order = Order {
        seed: 99,
        shard: Shard::new(2, 3).unwrap(),
    };
    let all: Vec<IpAddr> = list.walk(order).unwrap().collect();
    let mut first = list.walk(order).unwrap();
    let head: Vec<IpAddr> = first.by_ref().take(20).collect();
    let rest: Vec<IpAddr> = list.walk_from(order, first.position()).unwrap().collect();
    assert_eq!([head, rest].concat(), all);
}

#[test]
fn walking_a_slash_eight_allocates_nothing_per_address() {
    let _serial = serial();
    let mut t = TargetList::new();
    t.include("10.0.0.0/8").unwrap();
    t.exclude("10.1.0.0/16").unwrap();
    GLOBAL.reset_peak_memory();
    let before = GLOBAL.get_peak_memory();
    let mut walk = t
        .walk(Order {
            seed: 3,
            shard: Shard::WHOLE,
        })
        .unwrap();
    // A quarter of the /8 keeps the debug build's run short; the walk's state is the same
    // at any point.
    let mut in_first_slash_sixteen = 0u32;
    for ip in walk.by_ref().take(1 << 22) {
        let IpAddr::V4(v4) = ip else { panic!("{ip}") };
        assert_eq!(v4.octets()[0], 10);
        assert_ne!(v4.octets()[1], 1, "{ip} is excluded");
        in_first_slash_sixteen += u32::from(v4.octets()[1] == 0);
    }
    let used = GLOBAL.get_peak_memory() - before;
    // The counter is process-wide: the test harness's own threads allocate a little while
    // this runs (1119 bytes seen under load). Per-address state would be megabytes here
    // (2^22 addresses walked).
    assert!(used < 64 * 1024, "walking allocated {used} bytes");
    assert!(std::mem::size_of_val(&walk) < 256);
    // Spread: a quarter of the /8 holds about a quarter of 10.0.0.0/16, not all of it.
    assert!(
        (8_192..32_768).contains(&in_first_slash_sixteen),
        "{in_first_slash_sixteen} of 10.0.0.0/16 in the first quarter"
    );
    assert!(walk.skipped() > 0, "the excluded /16 was never met");
}

#[test]
fn the_lookup_agrees_with_contains_and_position_of() {
    let _serial = serial();
    let mut list = mixed_list();
    // Overlaps, an interval inside another, and a late big CIDR over early addresses.
    for spec in ["10.0.0.60-10.0.1.3", "10.0.0.2", "10.0.0.0/16", "fd00::5"] {
        list.include(spec).unwrap();
    }
    list.exclude("10.0.0.62-10.0.0.70").unwrap();
    list.exclude("10.0.0.66/31").unwrap();
    let index = list.index().unwrap();
    let lookup = list.lookup().unwrap();
    let mut probes: Vec<IpAddr> = (0..index.len()).filter_map(|i| index.address(i)).collect();
    for extra in [
        "10.0.2.0",
        "10.0.255.255",
        "10.1.0.0",
        "9.255.255.255",
        "fd00::100",
        "::2",
    ] {
        probes.push(extra.parse().unwrap());
    }
    for ip in probes {
        assert_eq!(lookup.contains(ip), list.contains(ip), "{ip}");
        assert_eq!(lookup.position_of(ip), index.position_of(ip), "{ip}");
    }
}

#[test]
fn the_lookup_of_a_million_addresses_answers_without_walking_them() {
    let _serial = serial();
    let mut text = String::with_capacity(16 << 20);
    for i in 0..1_000_000u32 {
        let ip = std::net::Ipv4Addr::from(0x0A00_0000 + i * 3);
        text.push_str(&ip.to_string());
        text.push('\n');
    }
    let mut list = TargetList::new();
    list.include_text(&text, "million.txt").unwrap();
    let lookup = list.lookup().unwrap();
    let index = list.index().unwrap();
    for i in (0..1_000_000u64).step_by(997) {
        let ip = index.address(i).unwrap();
        assert_eq!(lookup.position_of(ip), Some(i));
        assert!(lookup.contains(ip));
        let next: u32 = match ip {
            IpAddr::V4(v4) => u32::from(v4) + 1,
            IpAddr::V6(_) => unreachable!(),
        };
        assert!(!lookup.contains(std::net::Ipv4Addr::from(next).into()));
    }
}
