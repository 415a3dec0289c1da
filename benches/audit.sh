#!/usr/bin/env bash
# benches/audit.sh [RUNS] - how long `smbaudit audit` takes on a multi-homed machine.
#
# Builds one namespace, sat-bench-aud, with an outside interface (default route) and an
# inside one (veth pairs to a peer namespace; nothing is routed anywhere else), real smbd
# and nmbd (`interfaces = lo in0`, `bind interfaces only = yes`), and an nftables ruleset
# with a named set plus 1000 filler rules. Times, with hyperfine in the same run:
#   - smbaudit audit -f json (release build), every fact source read;
#   - the commands a person would run for the same facts: ss -tulpen; testparm -sv;
#     nft -j list ruleset; ip -j addr; ip -j route (one shell, one after another).
# Needs root, samba, nftables, hyperfine. Sends nothing: the audit only reads.
set -euo pipefail
RUNS=${1:-20}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/common.sh
NS=sat-bench-aud PEER=sat-bench-aud-p DIR=$(mktemp -d /tmp/smbaudit-bench-audit.XXXXXX)
cleanup() {
    [[ -f $DIR/pids ]] && xargs -r kill -TERM <"$DIR/pids" 2>/dev/null || true
    sleep 0.5
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$PEER" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT
cleanup_stale() { ip netns del "$NS" 2>/dev/null || true; ip netns del "$PEER" 2>/dev/null || true; }
cleanup_stale

cargo build --release -q -p smbaudit
BIN=$PWD/target/release/smbaudit

ip netns add "$NS"; ip netns add "$PEER"
ip -n "$NS" link set lo up
ip link add out0 netns "$NS" type veth peer name out0p netns "$PEER"
ip link add in0 netns "$NS" type veth peer name in0p netns "$PEER"
ip -n "$NS" addr add 10.214.220.1/24 dev out0
ip -n "$NS" addr add 10.214.221.1/24 dev in0
for l in out0 in0; do ip -n "$NS" link set "$l" up; ip -n "$PEER" link set "${l}p" up; done
ip -n "$NS" route add default via 10.214.220.2 dev out0

mkdir -p "$DIR"/{run,lock,state,cache,private,ncalrpc,share}
cat >"$DIR/smb.conf" <<CONF
[global]
  workgroup = BENCHWG
  netbios name = BENCHAUD
  interfaces = lo in0
  bind interfaces only = yes
  pid directory = $DIR/run
  lock directory = $DIR/lock
  state directory = $DIR/state
  cache directory = $DIR/cache
  private dir = $DIR/private
  ncalrpc dir = $DIR/ncalrpc
  log file = $DIR/log.%m
[pub]
  path = $DIR/share
  guest ok = yes
CONF
# Not --no-process-group: smbd signals its whole process group when it stops.
for d in smbd nmbd; do
    ip netns exec "$NS" "$d" --foreground -s "$DIR/smb.conf" >"$DIR/$d.out" 2>&1 &
    echo $! >>"$DIR/pids"
done
{
    echo 'table inet filter {'
    echo '  set smbports { type inet_service; elements = { 135, 139, 445 } }'
    echo '  chain input { type filter hook input priority 0; policy accept;'
    echo '    ct state established,related accept'
    echo '    iifname "out0" tcp dport @smbports drop'
    echo '    iifname "out0" udp dport 137-138 drop'
    for i in $(seq 1 1000); do echo "    iifname \"in0\" ip saddr 192.0.2.$((i % 250 + 1)) tcp dport $((20000 + i)) accept"; done
    echo '  }'
    echo '}'
} >"$DIR/rules.nft"
ip netns exec "$NS" nft -f "$DIR/rules.nft"
for _ in $(seq 50); do
    ip netns exec "$NS" ss -ltn | grep -q ':445 ' && ip netns exec "$NS" ss -lun | grep -q ':137 ' && break
    sleep 0.2
done

echo "== the audit of the bench machine"
ip netns exec "$NS" "$BIN" audit | sed -n '1,12p'
echo
ip netns exec "$NS" "$BIN" audit -f json >"$DIR/audit.json"
echo "elapsed_ms as the audit reports it: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["elapsed_ms"])' "$DIR/audit.json")"

MANUAL="ss -tulpen >/dev/null; testparm -sv --suppress-prompt $DIR/smb.conf >/dev/null 2>&1; nft -j list ruleset >/dev/null; ip -j addr >/dev/null; ip -j route >/dev/null"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$DIR/hf.json" \
    -n "smbaudit audit -f json" "ip netns exec $NS $BIN audit -f json" \
    -n "ss + testparm + nft + ip (by hand)" "ip netns exec $NS sh -c '$MANUAL'"
python3 - "$DIR/hf.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f'{r["command"]:<40} median {r["median"]*1000:7.1f} ms  (min {r["min"]*1000:.1f}, max {r["max"]*1000:.1f}, {len(r["times"])} runs)')
PY
