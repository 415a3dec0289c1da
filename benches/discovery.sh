#!/usr/bin/env bash
# Benchmark: smbaudit's discovery stage and the whole scan on the shared reference lab
# (../shared/lab, farm of 4096), beside zmap and masscan at the same rate and cooldown.
#
#   sudo ../shared/lab/lab up --farm 4096 --no-wait
#   sudo benches/discovery.sh [RUNS=3] [RATE=100000] [COOLDOWN_S=3]
#   PARTS=cd sudo benches/discovery.sh       # only parts (c) and (d) below; e: (e) too
#
# (a) discovery of 10.213.0.0/16 x {139,445}, RUNS times each: `smbaudit scan -p 139,445`
#     (its summary gives the stage's counts and times; the fingerprint of the responders
#     follows), zmap (one run per port) and masscan (both ports), open pairs found of the
#     8,200 the lab has (hosts.tsv: 4,100 on 445, 4,100 on 139);
# (b) the SYN rate on the wire vs --rate: a capture of the stage's SYNs (source ports
#     61000-65535) where the router receives them, on the /16 less the lab's hosts (60,928 silent
#     addresses: no fingerprint follows);
# (c) end to end, `smbaudit scan 10.213.0.0/16` (default ports and options), wall time and
#     peak RSS; then the same with 50 ms more RTT (25 ms each way on the lab router, by
#     benches/delayline, netem's stand-in; removed on exit), and nmap -sT on one /24 of
#     the farm under that delay for reference;
# (d) peak RSS of `--dry-run` of a /8 (nothing sent);
# (e) with PARTS containing e: the end to end scan without CAP_NET_RAW (setpriv).
#
# Network rule: every raw sender is bound to plb0 in the namespace pl-bench, which this
# script makes and removes: a veth to the lab router (10.213.0.17/32 <-> 10.213.0.18/32,
# the router side in smblab-router) and one route, 10.213.0.0/16 via the router; no
# default route, so nothing can leave the machine. `lab route-check` first.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
RATE=${2:-100000}
COOLDOWN=${3:-3}
NS=pl-bench
ROUTER=smblab-router
LAB=${LAB:-$( [[ -x ../shared/lab/lab ]] && echo ../shared/lab/lab || echo /work/shared/lab/lab )}
BIN=${CARGO_TARGET_DIR:-target}/release/smbaudit
OUT=$(mktemp -d /tmp/smbaudit-bench-discovery.XXXXXX)

[[ $EUID -eq 0 ]] || { echo "needs root" >&2; exit 1; }
[[ -x $BIN ]] || { echo "build $BIN first (cargo build --release -p smbaudit)" >&2; exit 1; }
for tool in zmap masscan nmap tcpdump; do
  command -v $tool >/dev/null || { echo "$tool missing (apt-get install zmap masscan nmap tcpdump)"; exit 1; }
done
"$LAB" route-check 10.213.0.0 10.213.16.0 10.213.31.255 10.213.255.255 >/dev/null \
  || { echo "10.213.0.0/16 is not routed into the lab: run 'sudo $LAB up --farm 4096' first"; exit 1; }

cleanup() {
  if declare -F delay_off >/dev/null; then delay_off; fi
  ip netns del "$NS" 2>/dev/null || true # takes the veth pair, router side included
}
trap cleanup EXIT
cleanup
ip netns add "$NS"
ip -n "$ROUTER" link add plb1 type veth peer name plb0 netns "$NS"
ip -n "$ROUTER" addr add 10.213.0.18 peer 10.213.0.17/32 dev plb1
ip -n "$ROUTER" link set plb1 up
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.213.0.17 peer 10.213.0.18/32 dev plb0
ip -n "$NS" link set plb0 up
ip -n "$NS" route add 10.213.0.0/16 via 10.213.0.18 dev plb0
in_ns() { ip netns exec "$NS" "$@"; }
MAC=$(ip -n "$ROUTER" -br link show plb1 | awk '{print $3}')
: >"$OUT/empty-blocklist.conf"
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# "discovery by ...: N sent ... in S s, done at E s, O open ..." -> "open=O send_s=S stage_s=E"
stage() { sed -n 's/.*discovery by [^:]*: \([0-9]*\) sent.* in \([0-9.]*\) s, done at \([0-9.]*\) s, \([0-9]*\) open.*/sent=\1 open=\4 send_s=\2 stage_s=\3/p' "$1"; }

PARTS=${PARTS:-abcd}
part() { [[ $PARTS == *$1* ]]; }

part a && echo "== (a) discovery of 10.213.0.0/16 x {139,445} at $RATE pps, cooldown ${COOLDOWN} s"
for run in $(seq 1 "$RUNS"); do
  part a || break
  t0=$(date +%s.%N)
  in_ns "$BIN" scan 10.213.0.0/16 -p 139,445 --rate "$RATE" --cooldown "${COOLDOWN}s" --no-store \
    --no-shares -f jsonl >"$OUT/scan.jsonl" 2>"$OUT/scan.err" || true
  t1=$(date +%s.%N)
  found445=$(grep -c '"445/tcp":"open"' "$OUT/scan.jsonl" || true)
  found139=$(grep -c '"139/tcp":"open"' "$OUT/scan.jsonl" || true)
  echo "run $run smbaudit: $(stage "$OUT/scan.err") (139: $found139, 445: $found445 in the output) scan_wall_s=$(secs "$t0" "$t1")"
  grep '^scan: [0-9]' "$OUT/scan.err" | head -1
  t0=$(date +%s.%N)
  for port in 139 445; do # zmap 2.1 probes one port per run
    in_ns zmap -q -p "$port" -i plb0 -G "$MAC" -S 10.213.0.17 -r "$RATE" -c "$COOLDOWN" \
      -b "$OUT/empty-blocklist.conf" -o "$OUT/zmap-$port.txt" 10.213.0.0/16 >/dev/null 2>&1
  done
  t1=$(date +%s.%N)
  z139=$(sort -u "$OUT/zmap-139.txt" | wc -l); z445=$(sort -u "$OUT/zmap-445.txt" | wc -l)
  echo "run $run zmap: open=$((z139 + z445)) (139: $z139, 445: $z445) wall_s=$(secs "$t0" "$t1") (two runs)"
  t0=$(date +%s.%N)
  timeout $((COOLDOWN + 30)) ip netns exec "$NS" masscan -p139,445 10.213.0.0/16 --rate "$RATE" --adapter plb0 \
    --adapter-ip 10.213.0.17 --router-mac "$MAC" --wait "$COOLDOWN" -oL "$OUT/masscan.txt" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  echo "run $run masscan: open=$(grep -c '^open' "$OUT/masscan.txt" || true) wall_s=$(secs "$t0" "$t1")"
done

part b && echo "== (b) SYNs on the wire vs --rate (the silent part of 10.213.0.0/16 x 445, capture in $NS)"
for rate in 10000 50000 100000; do
  part b || break
  # On the router's end of the veth: a capture on plb0 would also see the packets the
  # veth dropped (its tap runs before the drop), which the sender then sends again.
  ip netns exec "$ROUTER" timeout 120 tcpdump -i plb1 -nn -tt -q -w "$OUT/syn.pcap" \
    'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and src portrange 61000-65535' 2>/dev/null &
  dump=$!
  sleep 1
  in_ns "$BIN" scan 10.213.0.0/16 --exclude 10.213.0.0/23,10.213.2.0/24,10.213.16.0/20 -p 445 \
    --rate "$rate" --cooldown 1s --no-store -f jsonl >/dev/null 2>"$OUT/rate.err" || true
  sleep 1
  kill "$dump"; wait "$dump" 2>/dev/null || true
  # the rate while sending: the longest stretch without a pause (the 250 ms before a retry
  # pass is not sending), first to last SYN of it
  tcpdump -nn -tt -r "$OUT/syn.pcap" 2>/dev/null | awk -v r="$rate" '
    { t=$1; n++; if (n == 1 || t - last > 0.1) { s=t; k=0 } k++; last=t
      if (k > bk) { bk=k; bs=s; be=t } }
    END {
      if (bk < 2 || be <= bs) { printf "--rate %d: %d SYNs captured\n", r, n; exit }
      printf "--rate %d: %d SYNs captured; the longest pass %d SYNs over %.3f s = %.0f pps (%.1f %% of --rate)\n", r, n, bk, be-bs, (bk-1)/(be-bs), 100*(bk-1)/(be-bs)/r }' || true
  grep -a 'discovery' "$OUT/rate.err" | tail -2 || true
done

part c && echo "== (c) end to end: smbaudit scan 10.213.0.0/16 (defaults)"
e2e() { # LABEL [WRAPPER...]: the scan, run through WRAPPER (e.g. setpriv) if given
  local label=$1; shift
  t0=$(date +%s.%N)
  in_ns /usr/bin/time -v "$@" "$BIN" scan 10.213.0.0/16 --no-store -f jsonl >"$OUT/e2e.jsonl" 2>"$OUT/e2e.err" || true
  t1=$(date +%s.%N)
  echo "$label: wall_s=$(secs "$t0" "$t1") smb_hosts=$(grep -c '"smb":{' "$OUT/e2e.jsonl" || true) hosts=$(wc -l <"$OUT/e2e.jsonl") peak_rss_kib=$(awk '/Maximum resident/ {print $6}' "$OUT/e2e.err")"
  grep '^scan: [0-9]' "$OUT/e2e.err" | head -1
}
part c && e2e "no added delay"
# 50 ms more RTT: 25 ms each way on the router, for every packet to or from this bench's
# namespace that crosses it (the farm and the lab hosts). netem would do it on a kernel with
# sch_netem; this one may have none, so the delay is benches/delayline (NFQUEUE: an
# iptables `-j NFQUEUE --queue-bypass` rule in the router's FORWARD chain, packets held in the
# kernel and accepted 25 ms later; only metadata reaches user space; nft's own `queue` needs
# CONFIG_NFT_QUEUE, which this kernel lacks, iptables-nft uses xt_NFQUEUE).
DELAYLINE=${CARGO_TARGET_DIR:-target}/release/delayline
DELAY_QUEUE=7
DELAY_PID=
DELAY_RULES=("-s 10.213.0.17" "-d 10.213.0.17")
delay_on() { # ONE_WAY_MS
  ip netns exec "$ROUTER" "$DELAYLINE" "$DELAY_QUEUE" "$1" 900 2>"$OUT/delayline.err" &
  DELAY_PID=$!
  sleep 0.5
  for r in "${DELAY_RULES[@]}"; do
    # shellcheck disable=SC2086 # the rule's words
    ip netns exec "$ROUTER" iptables -I FORWARD $r -j NFQUEUE --queue-num "$DELAY_QUEUE" --queue-bypass
  done
}
delay_off() {
  for r in "${DELAY_RULES[@]}"; do
    # shellcheck disable=SC2086
    ip netns exec "$ROUTER" iptables -D FORWARD $r -j NFQUEUE --queue-num "$DELAY_QUEUE" --queue-bypass 2>/dev/null || true
  done
  [[ -n $DELAY_PID ]] && { kill "$DELAY_PID" 2>/dev/null || true; wait "$DELAY_PID" 2>/dev/null || true; }
  DELAY_PID=
}
if part c; then
  [[ -x $DELAYLINE ]] || { echo "build $DELAYLINE first (cargo build --release -p smbaudit-bench-delayline)"; exit 1; }
  delay_on 25
  echo "RTT to the farm under the delay: $(in_ns ping -n -q -c 5 -i 0.2 10.213.16.1 | awk -F/ '/^rtt/ {print $5 " ms (avg of 5 pings)"}')"
  e2e "50 ms added RTT (25 ms each way on the router)"
  t0=$(date +%s.%N)
  in_ns nmap -n -Pn -sT -p139,445 --script smb-protocols,smb2-security-mode 10.213.16.0/24 -oN "$OUT/nmap.txt" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  echo "nmap -sT -p139,445 smb-protocols,smb2-security-mode of 10.213.16.0/24 (256 farm hosts) under the delay: wall_s=$(secs "$t0" "$t1") hosts_with_smb2=$(grep -c 'smb2-security-mode' "$OUT/nmap.txt" || true)"
  delay_off
  tail -1 "$OUT/delayline.err"
fi

# (e) the fallback: the same scan without CAP_NET_RAW (PARTS must name e: not by default).
[[ $PARTS == *e* ]] && e2e "end to end without CAP_NET_RAW (connect() discovery)" \
  setpriv --inh-caps=-net_raw --bounding-set=-net_raw
part d || exit 0
echo "== (d) peak RSS of a /8 dry run"
/usr/bin/time -v "$BIN" scan --dry-run --yes 10.0.0.0/8 >/dev/null 2>"$OUT/dry.err"
echo "dry run 10.0.0.0/8: peak_rss_kib=$(awk '/Maximum resident/ {print $6}' "$OUT/dry.err")"
rm -rf "$OUT"
