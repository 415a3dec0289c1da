//! `scan --seed` and `--shard` through the dry run: the order, the shards' split, and the
//! refusals. No lab: the dry run sends nothing (10.0.0.0/8 is only counted and listed).

use std::collections::BTreeSet;
use std::process::Command;

fn smbaudit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smbaudit"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The targets a dry run lists, in order, and its `order:` line.
fn dry_run(targets: &[&str], order: &[&str]) -> (Vec<String>, String) {
    let mut args = vec!["scan", "--dry-run", "--no-store", "-p", "445"];
    args.extend(targets);
    args.extend(order);
    let (code, out, err) = smbaudit(&args);
    assert_eq!(code, 0, "{args:?}: {err}");
    let order_line = out
        .lines()
        .find(|l| l.starts_with("order: "))
        .unwrap_or_else(|| panic!("no order line: {out}"))
        .to_owned();
    // The line after it lists the targets (or the first of them) when it is indented.
    let listed = out
        .lines()
        .skip_while(|l| !l.starts_with("order: "))
        .nth(1)
        .and_then(|l| l.strip_prefix("  "))
        .map(|l| {
            l.trim_start_matches("first in order: ")
                .split_whitespace()
                .filter(|t| *t != "...")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    (listed, order_line)
}

#[test]
fn shards_of_one_seed_split_a_small_range_exactly() {
    let (whole, line) = dry_run(&["10.0.0.0/28"], &["--seed", "7"]);
    assert_eq!(line, "order: seed 7");
    let sorted: BTreeSet<&String> = whole.iter().collect();
    assert_eq!(whole.len(), 16, "{whole:?}");
    assert_eq!(sorted.len(), 16, "each address once: {whole:?}");
    let in_order: Vec<String> = (0..16).map(|i| format!("10.0.0.{i}")).collect();
    assert_ne!(whole, in_order, "not the listed order");
    for count in 1..=5usize {
        let mut union = Vec::new();
        for index in 1..=count {
            let shard = format!("{index}/{count}");
            let (listed, line) = dry_run(&["10.0.0.0/28"], &["--seed", "7", "--shard", &shard]);
            // Shard I of N takes every N-th target of the seed's order, from the I-th.
            let expected: Vec<String> = whole
                .iter()
                .skip(index - 1)
                .step_by(count)
                .cloned()
                .collect();
            assert_eq!(listed, expected, "shard {shard}");
            if count > 1 {
                assert_eq!(
                    line,
                    format!(
                        "order: seed 7, shard {shard}: {} of the targets",
                        expected.len()
                    )
                );
            }
            union.extend(listed);
        }
        assert_eq!(union.len(), 16, "{count} shards: {union:?}");
        let union: BTreeSet<&String> = union.iter().collect();
        assert_eq!(union, sorted, "{count} shards");
    }
}

#[test]
fn shards_with_exclusions_are_disjoint_and_complete() {
    let targets = [
        "10.0.0.0/29",
        "10.0.1.1-3",
        "--exclude",
        "10.0.0.2",
        "--exclude",
        "10.0.1.2",
    ];
    let (whole, _) = dry_run(&targets, &["--seed", "12345678901234567890"]);
    let all: BTreeSet<String> = whole.iter().cloned().collect();
    assert_eq!(all.len(), 9, "{whole:?}");
    assert!(!all.contains("10.0.0.2") && !all.contains("10.0.1.2"));
    let mut seen = BTreeSet::new();
    for index in 1..=3 {
        let shard = format!("{index}/3");
        let (listed, _) = dry_run(
            &targets,
            &["--seed", "12345678901234567890", "--shard", &shard],
        );
        for ip in listed {
            assert!(seen.insert(ip.clone()), "{ip} in two shards");
        }
    }
    assert_eq!(seen, all);
}

#[test]
fn a_slash_eight_is_visited_in_the_seeds_order_and_shards_interleave_it() {
    let (whole, line) = dry_run(&["10.0.0.0/8"], &["--seed", "99"]);
    assert_eq!(line, "order: seed 99");
    assert_eq!(whole.len(), 16);
    assert!(whole.iter().all(|ip| ip.starts_with("10.")));
    let second_octets: BTreeSet<&str> =
        whole.iter().filter_map(|ip| ip.split('.').nth(1)).collect();
    assert!(second_octets.len() > 8, "scattered over the /8: {whole:?}");
    assert_eq!(
        dry_run(&["10.0.0.0/8"], &["--seed", "99"]).0,
        whole,
        "same seed, same order"
    );
    assert_ne!(
        dry_run(&["10.0.0.0/8"], &["--seed", "100"]).0,
        whole,
        "another seed"
    );
    let (first, line) = dry_run(&["10.0.0.0/8"], &["--seed", "99", "--shard", "1/2"]);
    assert_eq!(line, "order: seed 99, shard 1/2: 8388608 of the targets");
    let (second, _) = dry_run(&["10.0.0.0/8"], &["--seed", "99", "--shard", "2/2"]);
    let evens: Vec<String> = whole.iter().step_by(2).cloned().collect();
    let odds: Vec<String> = whole.iter().skip(1).step_by(2).cloned().collect();
    assert_eq!(first[..8], evens[..]);
    assert_eq!(second[..8], odds[..]);
    // Without --seed a seed is drawn, and the dry run says how to repeat it.
    let (_, line) = dry_run(&["10.0.0.0/8"], &[]);
    let seed = line
        .strip_prefix("order: seed ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        line.contains(&format!("--seed {seed} repeats it")),
        "{line}"
    );
}

#[test]
fn bad_seeds_and_shards_exit_2_with_a_clear_message() {
    for (flags, says) in [
        (&["--seed", "x"][..], "\"x\" is not a seed"),
        (&["--seed=-1"][..], "\"-1\" is not a seed"),
        (
            &["--seed", "18446744073709551616"][..],
            "at most 18446744073709551615",
        ),
        (
            &["--seed", "1", "--shard", "3/2"][..],
            "shard 3 of 2 does not exist",
        ),
        (
            &["--seed", "1", "--shard", "0/2"][..],
            "shards are numbered 1 to 2",
        ),
        (&["--seed", "1", "--shard", "0/0"][..], "at least one shard"),
        (
            &["--seed", "1", "--shard", "x/y"][..],
            "\"x/y\" is not a shard: write I/N",
        ),
        (&["--shard", "1/2"][..], "--shard 1/2 needs --seed"),
    ] {
        for dry in [true, false] {
            // Only the dry run gets the /8; a scan that got past the check would probe
            // loopback only.
            let mut args = vec!["scan", "--no-store", "-p", "445"];
            if dry {
                args.extend(["--dry-run", "10.0.0.0/8"]);
            } else {
                args.push("127.0.0.1");
            }
            args.extend(flags);
            let (code, out, err) = smbaudit(&args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(out.is_empty(), "{args:?}: nothing on stdout: {out}");
            assert!(err.contains(says), "{args:?}: {err}");
        }
    }
}
