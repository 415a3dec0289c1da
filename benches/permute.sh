#!/usr/bin/env bash
# Benchmark: enumerating a /8 in permuted order (the keyed Feistel permutation, one shard
# and all), and the peak RSS while doing it. Sends nothing: the walk only computes
# addresses (crates/engine/examples/permute_walk.rs).
#
#   benches/permute.sh [RUNS]      # default 5 runs
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
cargo build --release --locked -p smbaudit-engine --example permute_walk >/dev/null
BIN=${CARGO_TARGET_DIR:-target}/release/examples/permute_walk

# shellcheck source=common.sh
. benches/common.sh

for shard in 1/1 1/4; do
  for _ in $(seq "$RUNS"); do
    "$BIN" 10.0.0.0/8 1 "$shard" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p'
  done | median | xargs printf "10.0.0.0/8 shard %s, median of $RUNS runs: %s s\n" "$shard"
done
"$BIN" 10.0.0.0/8 1
if command -v /usr/bin/time >/dev/null; then
  /usr/bin/time -f "peak RSS of the /8 walk: %M KiB" "$BIN" 10.0.0.0/8 1 >/dev/null
fi
