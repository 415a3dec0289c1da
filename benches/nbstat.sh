#!/usr/bin/env bash
# Benchmark: smbaudit nbstat against nbtscan on the reference lab of real Samba
# (../shared/lab), in the same run, plus the peak RSS of a /8.
#
#   sudo ../shared/lab/lab up --farm 4096      # once: 5 hosts + 4096 farm addresses
#   sudo benches/nbstat.sh [RUNS]               # default 10 runs per tool and sweep
#
# Network rule: every address swept is inside 10.213.0.0/16, which the lab routes into its
# namespaces (checked below with `lab route-check` before anything is sent).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
LAB=${LAB:-../shared/lab/lab}
BIN=target/release/smbaudit

cargo build --release --locked -p smbaudit >/dev/null
command -v nbtscan >/dev/null || { echo "nbtscan missing (apt-get install nbtscan)"; exit 1; }
"$LAB" route-check 10.213.1.10 10.213.16.0 10.213.31.255 10.213.255.255 >/dev/null \
  || { echo "10.213.0.0/16 is not routed into the lab: run 'sudo $LAB up --farm 4096' first"; exit 1; }

# shellcheck source=common.sh
. benches/common.sh

# run_one NAME RANGE CMD... : prints "wall found" for one run
run_one() {
  shift 2
  local start end found
  start=$(date +%s.%N)
  found=$("$@" 2>/dev/null | wc -l)
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $found"
}

bench() { # LABEL RANGE EXPECTED
  local label=$1 range=$2 expected=$3 tool
  for tool in smbaudit nbtscan; do
    local times=() founds=() complete=0
    for _ in $(seq "$RUNS"); do
      if [ "$tool" = smbaudit ]; then
        read -r t f < <(run_one smbaudit "$range" "$BIN" nbstat -q -f hosts "$range")
      else
        read -r t f < <(run_one nbtscan "$range" nbtscan -q "$range")
      fi
      times+=("$t"); founds+=("$f")
      [ "$f" -ge "$expected" ] && complete=$((complete + 1))
    done
    printf '%-8s %-22s median %6.3f s  found min %5d max %5d of %d  complete runs %d/%d\n' \
      "$tool" "$label" "$(printf '%s\n' "${times[@]}" | median)" \
      "$(printf '%s\n' "${founds[@]}" | sort -n | head -1)" \
      "$(printf '%s\n' "${founds[@]}" | sort -n | tail -1)" "$expected" "$complete" "$RUNS"
  done
}

echo "== NBSTAT sweeps, $RUNS runs each (smbaudit defaults: --retries 1, --timeout 1s, no rate limit)"
bench "/16 (lab+farm+dark)" 10.213.0.0/16 4100
bench "/20 (farm 4096)" 10.213.16.0/20 4096

echo "== peak RSS"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
echo "smbaudit nbstat --dry-run 10.0.0.0/8 (16,777,216 queries built, none sent): $(rss "$BIN" nbstat --dry-run 10.0.0.0/8) KiB"
echo "smbaudit nbstat 10.213.0.0/16 (real sweep, 61k silent):               $(rss "$BIN" nbstat -q -f jsonl 10.213.0.0/16) KiB"
echo "nbtscan 10.213.0.0/16:                                                 $(rss nbtscan -q 10.213.0.0/16) KiB"
