#!/usr/bin/env bash
# Benchmark: sessions, shares and MS17-010 (issue 9) against the fingerprint-only scan on the
# reference farm, in the same run, and against nmap's smb-enum-shares + smb-vuln-ms17-010 and
# impacket's share listing on the lab hosts.
#
#   sudo ../shared/lab/lab up --farm 4096      # once: 5 hosts + 4096 farm addresses
#   (needs tshark and jq)
#   sudo benches/shares.sh [RUNS]               # default 3 runs of each smbaudit variant
#
# (a) 10.213.16.0/20 (4096 farm addresses, each a Samba with a guest-readable share):
#     `scan -p 445` (null session, guest, shares, MS17-010) vs `scan -p 445 --no-null-session`
#     (the fingerprint only), alternating; the ratio of the medians.
# (b) connections per host: TCP streams each address accepted (SYN-ACK), from a tshark
#     capture on the client side of the lab (the router's uplink) during one full scan of
#     10.213.16.0/24, against the `connections` the same scan reports.
# (c) the lab hosts A, B, C, E: smbaudit shares vs nmap --script smb-enum-shares,smb-vuln-ms17-010
#     vs impacket smbclient.py (`shares`, anonymous), share names and verdicts side by side.
#
# Network rule: every address scanned is inside 10.213.0.0/16, which the lab routes into
# its namespaces (checked with `lab route-check` before anything is sent).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
LAB=${LAB:-../shared/lab/lab}
BIN=${CARGO_TARGET_DIR:-target}/release/smbaudit
OUT=${OUT:-/tmp/smbaudit-bench-shares}
mkdir -p "$OUT"
# shellcheck source=common.sh
. benches/common.sh

cargo build --release --locked -p smbaudit >/dev/null
"$LAB" route-check 10.213.1.10 10.213.1.14 10.213.16.0 10.213.31.255 >/dev/null \
  || { echo "10.213.0.0/16 is not routed into the lab: run 'sudo $LAB up --farm 4096' first"; exit 1; }

wall() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f\n", b-a}'; }

echo "== (a) farm 4096, -p 445: full (sessions, shares, MS17-010) vs fingerprint only"
: >"$OUT/full.txt"; : >"$OUT/fp.txt"
for _ in $(seq "$RUNS"); do
  wall "$BIN" scan --no-store -q -p 445 10.213.16.0/20 >>"$OUT/full.txt"
  wall "$BIN" scan --no-store -q -p 445 --no-null-session 10.213.16.0/20 >>"$OUT/fp.txt"
done
full=$(median <"$OUT/full.txt"); fp=$(median <"$OUT/fp.txt")
echo "full: $(paste -sd' ' "$OUT/full.txt") s (median $full)"
echo "fingerprint only: $(paste -sd' ' "$OUT/fp.txt") s (median $fp)"
awk -v a="$full" -v b="$fp" 'BEGIN{printf "ratio %.2f (target <= 2)\n", a/b}'
"$BIN" scan --no-store -p 445 -f jsonl 10.213.16.0/20 2>/dev/null \
  | jq -r '[.smb.shares.listed, ([.smb.shares.shares[]? | select(.access[]?.read == true) | .name] | unique | join(","))] | @tsv' \
  | sort | uniq -c | sed 's/^/  listed, readable shares: /'

echo "== (b) connections per host, from a capture on the client side (router uplink), 10.213.16.0/24"
# A connection is a TCP stream the host accepted (its SYN-ACK): a refused SYN is none, a
# retransmitted SYN belongs to its stream. The same run's JSON gives smbaudit's own count.
"$LAB" exec router tshark -n -q -i uplink -f 'tcp[tcpflags] & tcp-syn != 0' -w "$OUT/syn.pcapng" >/dev/null 2>&1 &
CAP=$!
sleep 3   # tshark reports "Capturing on" before it captures
"$BIN" scan --no-store -p 445 -f jsonl 10.213.16.0/24 >"$OUT/b.jsonl" 2>/dev/null || true
sleep 2
kill -INT "$CAP" 2>/dev/null || true; wait "$CAP" 2>/dev/null || true
tshark -n -r "$OUT/syn.pcapng" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1' -T fields -e ip.src -e tcp.stream 2>/dev/null \
  | sort -u | awk '{print $1}' | sort | uniq -c | awk '{print $2, $1}' | sort >"$OUT/captured.txt"
jq -r '"\(.ip) \(.connections)"' "$OUT/b.jsonl" | sort >"$OUT/reported.txt"
awk '{print $2}' "$OUT/captured.txt" | sort -n | uniq -c | sed 's/^/  captured: addresses with N connections: /'
echo "  hosts whose reported connections equal the capture: $(join "$OUT/captured.txt" "$OUT/reported.txt" | awk '$2==$3' | wc -l) of $(wc -l <"$OUT/reported.txt")"

echo "== (c) lab hosts: smbaudit shares vs nmap vs impacket"
HOSTS="10.213.1.10 10.213.1.11 10.213.1.12 10.213.1.14"
echo "smbaudit shares: $(wall "$BIN" shares $HOSTS) s"
"$BIN" shares $HOSTS >"$OUT/smbaudit-shares.txt" 2>/dev/null || true
echo "nmap smb-enum-shares,smb-vuln-ms17-010: $(wall nmap -n -Pn -sT -p139,445 --script smb-enum-shares,smb-vuln-ms17-010 -oN "$OUT/nmap.txt" $HOSTS) s"
if python3 -c 'import impacket' 2>/dev/null; then
  t0=$(date +%s.%N)
  for h in $HOSTS; do
    echo "### $h"; printf 'shares\nexit\n' | timeout 30 smbclient.py -no-pass "@$h" 2>&1 || true
  done >"$OUT/impacket.txt"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "impacket smbclient.py (shares, anonymous): %.2f s\n", b-a}'
else
  echo "impacket not installed (pip install impacket)"
fi
echo "outputs: $OUT/{smbaudit-shares,nmap,impacket}.txt"
