#!/usr/bin/env bash
# Benchmark: smbaudit scan against nmap 7.93 on the reference lab of real Samba
# (../shared/lab), in the same run: wall time, facts, TCP connections per host, and the
# CPU the Samba servers spent answering.
#
#   sudo ../shared/lab/lab up --farm 4096      # once: 5 hosts + 4096 farm addresses
#   sudo benches/scan.sh [RUNS]                 # default 3 runs per tool and target set
#
# (a) the lab hosts 10.213.1.10-14: smbaudit scan vs
#     nmap -n -Pn -sT -p139,445 --script smb-protocols,smb2-security-mode,smb-security-mode,smb-os-discovery,smb2-time,nbstat
# (b) farms of 256 (10.213.16.0/24) and 4096 (10.213.16.0/20) addresses: smbaudit scan
#     -p 445 vs nmap -n -Pn -p445 --script smb-protocols,smb2-security-mode,smb2-time;
#     dialect sets and signing verdicts compared host by host; SYNs to 445 counted per
#     address from a capture in the farm namespace during one smbaudit run.
#
# Network rule: every address scanned is inside 10.213.0.0/16, which the lab routes into
# its namespaces (checked with `lab route-check` before anything is sent).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
FARM4096_NMAP_RUNS=${FARM4096_NMAP_RUNS:-1}
LAB=${LAB:-../shared/lab/lab}
BIN=target/release/smbaudit
OUT=${OUT:-/tmp/smbaudit-bench-scan}
mkdir -p "$OUT"

cargo build --release --locked -p smbaudit >/dev/null
for tool in nmap jq tcpdump; do
  command -v $tool >/dev/null || { echo "$tool missing (apt-get install nmap jq tcpdump)"; exit 1; }
done
"$LAB" route-check 10.213.1.10 10.213.1.14 10.213.16.0 10.213.31.255 >/dev/null \
  || { echo "10.213.0.0/16 is not routed into the lab: run 'sudo $LAB up --farm 4096' first"; exit 1; }

TCK=$(getconf CLK_TCK)
# shellcheck source=common.sh
. benches/common.sh
# CPU ticks (utime+stime+cutime+cstime) of every process in the given lab namespaces:
# the per-connection smbd children are reaped by their parent, so cutime/cstime count them.
ns_ticks() {
  local t=0 ns p
  for ns in "$@"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      t=$((t + $(awk '{print $14+$15+$16+$17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
  done
  echo "$t"
}

# timed OUTFILE NAMESPACES -- CMD... : runs CMD, prints "wall_s server_cpu_s"
timed() {
  local out=$1 nss=$2; shift 3
  local c0 c1 t0 t1
  c0=$(ns_ticks $nss); t0=$(date +%s.%N)
  "$@" >"$out" 2>"$out.err" || true
  t1=$(date +%s.%N); c1=$(ns_ticks $nss)
  awk -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" -v t="$TCK" 'BEGIN{printf "%.3f %.2f\n", b-a, (d-c)/t}'
}

# nmap normal output -> "ip<TAB>dialects<TAB>signing" (nmap 7.93 prints 202, 210, 300, 302, 311;
# older versions 2:0:2 ...; both become 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1)
nmap_facts() {
  awk '
    /^Nmap scan report for / { ip=$5; next }
    /smb-protocols:/ { inproto=1; next }
    /smb2-security-mode:|smb2-time:|smb-security-mode:|smb-os-discovery:|nbstat:/ { inproto=0 }
    inproto && match($0, /[0-9]:?[0-9]:?[0-9]+$/) {
      d=substr($0, RSTART, RLENGTH); gsub(":", "", d)
      v = (d == "202") ? "2.0.2" : (d == "210") ? "2.1" : (d == "300") ? "3.0" : (d == "302") ? "3.0.2" : (d == "311") ? "3.1.1" : d
      dial[ip] = dial[ip] (dial[ip] ? "," : "") v; next
    }
    /Message signing enabled and required/ { sign[ip]="required" }
    /Message signing enabled but not required/ { sign[ip]="not_required" }
    END { for (i in dial) print i "\t" dial[i] "\t" (sign[i] ? sign[i] : "?") }' "$1" | sort
}
smbaudit_facts() {
  jq -r 'select(.smb != null) | [.ip, (.smb.dialects | join(",")),
         (if .smb.signing.smb2 == null then "?" elif .smb.signing.smb2.required then "required" else "not_required" end)] | @tsv' "$1" | sort
}

compare() { # LABEL SMBAUDIT_JSONL NMAP_OUT EXPECTED_HOSTS
  local a b same
  a=$(smbaudit_facts "$2"); b=$(nmap_facts "$3")
  same=$(comm -12 <(echo "$a") <(echo "$b") | grep -c . || true)
  printf '  facts %-10s smbaudit hosts with SMB facts %d, nmap %d, identical (dialects + SMB2 signing) %d of %d\n' \
    "$1" "$(echo "$a" | grep -c . || true)" "$(echo "$b" | grep -c . || true)" "$same" "$4"
  if [ "$same" -lt "$4" ]; then
    echo "  differences (< smbaudit, > nmap):"; { diff <(echo "$a") <(echo "$b") || true; } | head -10 | sed 's/^/    /'
  fi
}

bench() { # LABEL TARGET EXPECTED NMAP_RUNS NAMESPACES SMBAUDIT_ARGS -- NMAP_ARGS
  local label=$1 target=$2 expected=$3 nmap_runs=$4 nss=$5; shift 5
  local sargs=() nargs=()
  while [ "$1" != "--" ]; do sargs+=("$1"); shift; done; shift; nargs=("$@")
  local walls=() cpus=() w c i
  for i in $(seq "$RUNS"); do
    read -r w c < <(timed "$OUT/$label.smbaudit.jsonl" "$nss" -- "$BIN" scan -q --no-store -f jsonl "${sargs[@]}" "$target")
    walls+=("$w"); cpus+=("$c")
  done
  local s_med s_cpu
  s_med=$(printf '%s\n' "${walls[@]}" | median); s_cpu=$(printf '%s\n' "${cpus[@]}" | median)
  walls=(); cpus=()
  for i in $(seq "$nmap_runs"); do
    read -r w c < <(timed "$OUT/$label.nmap.txt" "$nss" -- nmap "${nargs[@]}" "$target")
    walls+=("$w"); cpus+=("$c")
  done
  local n_med n_cpu
  n_med=$(printf '%s\n' "${walls[@]}" | median); n_cpu=$(printf '%s\n' "${cpus[@]}" | median)
  printf '%-10s smbaudit median %8.3f s (server CPU %6.2f s, %d runs) | nmap median %8.3f s (server CPU %6.2f s, %d runs) | speed-up %.1fx\n' \
    "$label" "$s_med" "$s_cpu" "$RUNS" "$n_med" "$n_cpu" "$nmap_runs" "$(awk -v a="$s_med" -v b="$n_med" 'BEGIN{print b/a}')"
  compare "$label" "$OUT/$label.smbaudit.jsonl" "$OUT/$label.nmap.txt" "$expected"
  printf '  smbaudit TCP connections per host (its own count): %s\n' \
    "$(jq -r 'select(.smb != null) | .connections' "$OUT/$label.smbaudit.jsonl" | sort -n | uniq -c | awk '{printf "%s hosts x %s  ", $1, $2}')"
}

# count SYNs to 445 per address in the farm namespace during one smbaudit run
syn_count() { # TARGET
  local pcap=$OUT/syn.pcap
  ip netns exec smblab-farm tcpdump -Q in -B 65536 -ni eth0 -w "$pcap" \
    'tcp dst port 445 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' 2>/dev/null &
  local pid=$!
  sleep 1
  "$BIN" scan -q --no-store -f jsonl -p 445 "$1" >/dev/null
  sleep 1; kill "$pid"; wait "$pid" 2>/dev/null || true
  # a connection = one (client port, address) pair; a SYN the kernel retransmits (the
  # server's accept queue was full) has the same pair and is not a new connection
  printf '  TCP connections to 445 per address (distinct SYNs in a capture in the farm namespace): %s\n' \
    "$(tcpdump -nr "$pcap" 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == ">") print $(i-1), $(i+1)}' | sort -u | awk '{print $2}' | sed 's/\.445:$//' | sort | uniq -c | awk '{print $1}' | sort -n | uniq -c | awk '{printf "%s addresses x %s  ", $1, $2}')"
}

HOST_NS="smblab-a smblab-b smblab-c smblab-d smblab-e"
echo "== (a) lab hosts 10.213.1.10-14, $RUNS runs each"
bench hosts 10.213.1.10-14 4 "$RUNS" "$HOST_NS" -- \
  -n -Pn -sT -p139,445 --script smb-protocols,smb2-security-mode,smb-security-mode,smb-os-discovery,smb2-time,nbstat
echo "  side by side: $OUT/hosts.smbaudit.jsonl and $OUT/hosts.nmap.txt"
"$BIN" scan -q --no-store 10.213.1.10-14 | sed 's/^/    /'

echo "== (b) farm of 256 addresses (10.213.16.0/24)"
bench farm256 10.213.16.0/24 256 "$RUNS" smblab-farm -p 445 -- \
  -n -Pn -p445 --script smb-protocols,smb2-security-mode,smb2-time
syn_count 10.213.16.0/24

echo "== (b) farm of 4096 addresses (10.213.16.0/20)"
bench farm4096 10.213.16.0/20 4096 "$FARM4096_NMAP_RUNS" smblab-farm -p 445 -- \
  -n -Pn -p445 --script smb-protocols,smb2-security-mode,smb2-time
syn_count 10.213.16.0/20
