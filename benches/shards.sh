#!/usr/bin/env bash
# Benchmark: one scan of the reference lab's 4096-address farm by 4 worker processes
# (`--scan-name --seed --shard I/4`, started at once) against 1 process, both into
# PostgreSQL, in the same run. On 2 shared cores this measures the overhead of sharding
# (4 processes, 4 writers, the shard claims), not a speed-up.
#
#   sudo ../shared/lab/lab up --farm 4096     # first: the farm, 10.213.16.0/20
#   sudo benches/shards.sh [RUNS] [TARGETS]   # default 3 runs of 10.213.16.0/20, -p 445
#
# The PostgreSQL cluster is a throwaway one the test starts itself (Debian's postgresql
# package, a temp dir, a Unix socket and 127.0.0.1 only); the scans go to the lab only
# (its /16 is routed into its namespaces). Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
export SMBAUDIT_BENCH_RUNS=${1:-3}
export SMBAUDIT_BENCH_TARGETS=${2:-10.213.16.0/20}
LAB=${LAB:-../shared/lab/lab}
"$LAB" route-check 10.213.16.0 10.213.31.255 >/dev/null \
  || { echo "10.213.0.0/16 is not routed into the lab: run 'sudo $LAB up --farm 4096' first"; exit 1; }
exec cargo test --release -q -p smbaudit --test it -- \
    --ignored --nocapture shards_bench::four_shards_vs_one_process
