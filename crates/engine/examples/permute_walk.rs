//! Walks a target list in a keyed order and reports the time, for `benches/permute.sh`.
//!
//! `cargo run --release -p smbaudit-engine --example permute_walk -- [TARGET] [SEED] [I/N]`
//! (default: 10.0.0.0/8, seed 1, the whole space). Prints the addresses visited, the indices
//! skipped, the time, and a checksum of the order (so that the walk cannot be optimised
//! away and two runs of one seed can be compared). Sends nothing.

use std::time::Instant;

use smbaudit_engine::targets::{Order, Shard, TargetList};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_else(|| "10.0.0.0/8".to_owned());
    let seed: u64 = args.next().map_or(Ok(1), |s| s.parse())?;
    let shard: Shard = args.next().map_or(Ok(Shard::WHOLE), |s| s.parse())?;
    let mut list = TargetList::new();
    list.include(&target)?;
    let started = Instant::now();
    let mut walk = list.walk(Order { seed, shard })?;
    let (mut visited, mut checksum) = (0u64, 0u64);
    for ip in walk.by_ref() {
        let bits = match ip {
            std::net::IpAddr::V4(v4) => u64::from(u32::from(v4)),
            std::net::IpAddr::V6(v6) => u128::from(v6) as u64,
        };
        checksum = checksum.rotate_left(5) ^ bits;
        visited += 1;
    }
    let elapsed = started.elapsed();
    println!(
        "{target} seed {seed} shard {shard}: {visited} addresses ({} skipped) in {:.3} s, {:.1} ns each, checksum {checksum:016x}",
        walk.skipped(),
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / visited.max(1) as f64
    );
    Ok(())
}
