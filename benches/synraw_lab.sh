#!/usr/bin/env bash
# benches/synraw_lab.sh - the raw SYN stage alone against the shared lab's farm, beside
# zmap and masscan at the same rate and cooldown, from a namespace of our own.
#
#   sudo /work/shared/lab/lab up --farm 4096 --no-wait
#   sudo benches/synraw_lab.sh [RUNS=3] [RATE=100000] [COOLDOWN_S=3]
#
# Every raw sender is bound to synrb0 in the namespace synr-bench, which this script
# makes and removes: a veth to the lab router (10.213.0.9/32 <-> 10.213.0.10/32, the
# router side in smblab-router) and one route, 10.213.0.0/16 via the router; no default
# route, so nothing can leave the machine. Sweeps 10.213.0.0/16 x {139,445}.
# Prints one line per run and tool: found open pairs and seconds (and our peak RSS). Needs root, the
# release example (cargo build --release -p smbaudit-engine --example raw_sweep),
# zmap and masscan (apt-get install zmap masscan).
set -euo pipefail
RUNS=${1:-3}
RATE=${2:-100000}
COOLDOWN=${3:-3}
NS=synr-bench
ROUTER=smblab-router
TARGET_DIR=${CARGO_TARGET_DIR:-$(dirname "$0")/../target}
SWEEP=$TARGET_DIR/release/examples/raw_sweep
OUT=$(mktemp -d /tmp/synraw-bench.XXXXXX)

[[ $EUID -eq 0 ]] || { echo "needs root" >&2; exit 1; }
[[ -x $SWEEP ]] || { echo "build $SWEEP first" >&2; exit 1; }
ip netns pids "$ROUTER" >/dev/null 2>&1 || { echo "the lab is down" >&2; exit 1; }

cleanup() {
    ip netns del "$NS" 2>/dev/null || true # takes the veth pair, router side included
    rm -rf "$OUT"
}
trap cleanup EXIT
cleanup
OUT=$(mktemp -d /tmp/synraw-bench.XXXXXX)
ip netns add "$NS"
ip -n "$ROUTER" link add synrb1 type veth peer name synrb0 netns "$NS"
ip -n "$ROUTER" addr add 10.213.0.10 peer 10.213.0.9/32 dev synrb1
ip -n "$ROUTER" link set synrb1 up
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.213.0.9 peer 10.213.0.10/32 dev synrb0
ip -n "$NS" link set synrb0 up
ip -n "$NS" route add 10.213.0.0/16 via 10.213.0.10 dev synrb0
in_ns() { ip netns exec "$NS" "$@"; }
# (no ping needed: the router MAC is read from its side of the veth)
MAC=$(ip -n "$ROUTER" -br link show synrb1 | awk '{print $3}')
: >"$OUT/empty-blocklist.conf"

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
for run in $(seq 1 "$RUNS"); do
    t0=$(date +%s.%N)
    line=$(in_ns /usr/bin/time -f "max_rss_kib=%M" "$SWEEP" --rate "$RATE" --cooldown-ms $((COOLDOWN * 1000)) \
        --ports 139,445 10.213.0.0/16 2>&1)
    line=$(echo $line)
    t1=$(date +%s.%N)
    echo "run $run smbaudit-raw: $line wall_s=$(secs "$t0" "$t1")"
    t0=$(date +%s.%N)
    for port in 139 445; do # zmap 2.1 probes one port per run: two runs, one after the other
        in_ns zmap -q -p "$port" -i synrb0 -G "$MAC" -S 10.213.0.9 -r "$RATE" -c "$COOLDOWN" \
            -b "$OUT/empty-blocklist.conf" -o "$OUT/zmap-$port.txt" 10.213.0.0/16 >/dev/null 2>&1
    done
    t1=$(date +%s.%N)
    echo "run $run zmap: open=$(( $(sort -u "$OUT/zmap-139.txt" | wc -l) + $(sort -u "$OUT/zmap-445.txt" | wc -l) )) (139: $(sort -u "$OUT/zmap-139.txt" | wc -l), 445: $(sort -u "$OUT/zmap-445.txt" | wc -l)) wall_s=$(secs "$t0" "$t1") (two runs)"
    t0=$(date +%s.%N)
    timeout $((COOLDOWN + 30)) ip netns exec "$NS" masscan -p139,445 10.213.0.0/16 --rate "$RATE" --adapter synrb0 \
        --adapter-ip 10.213.0.9 --router-mac "$MAC" --wait "$COOLDOWN" -oL "$OUT/masscan.txt" >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    echo "run $run masscan: open=$(grep -c '^open' "$OUT/masscan.txt" || true) wall_s=$(secs "$t0" "$t1")"
done
