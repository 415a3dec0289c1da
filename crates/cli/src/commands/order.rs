//! `--seed` and `--shard`: the order a scan visits its targets in.
//!
//! A scan always visits its targets in a keyed, scattered order, as ZMap and masscan do:
//! an address's neighbours are far apart in time, so no subnet (and no one firewall or
//! IDS in front of it) gets a burst. Without `--seed` each run draws a new seed and says
//! which on stderr (and the store keeps it, so `--resume` goes on in the same order).
//! `--shard` needs `--seed`: shards of different seeds would overlap (ZMap refuses the same).

use smbaudit_engine::targets::{Order, Shard};

use crate::Fatal;
use crate::args::ScanArgs;

/// Where a scan's seed came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeedSource {
    /// `--seed`, or the stored scan being resumed.
    Given,
    /// Drawn at random for this run.
    Drawn,
}

/// The order `args` ask for, a seed drawn if none was given; `--shard` without a seed is
/// a usage error.
pub(crate) fn choose(args: &ScanArgs) -> Result<(Order, SeedSource), Fatal> {
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    match args.seed {
        Some(seed) => Ok((Order { seed, shard }, SeedSource::Given)),
        None if !shard.is_whole() => Err(Fatal::usage(anyhow::anyhow!(
            "--shard {shard} needs --seed: every shard must use the same seed, or the shards would overlap (e.g. --seed 1 --shard {shard})"
        ))),
        None => Ok((
            Order {
                seed: rand::random(),
                shard,
            },
            SeedSource::Drawn,
        )),
    }
}

/// How the order reads in the dry run and the scan's notes: `seed 42, shard 1/2`.
pub(crate) fn describe(order: Order) -> String {
    if order.shard.is_whole() {
        format!("seed {}", order.seed)
    } else {
        format!("seed {}, shard {}", order.seed, order.shard)
    }
}
