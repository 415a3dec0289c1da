#!/usr/bin/env bash
# benches/synraw_ceiling.sh - the raw stage's send-path ceiling on a veth into the lab,
# beside a plain Python AF_PACKET sender, both to blackholed lab space (10.213.128.0/17,
# dropped by the lab router), from the namespace synr-bench (made and removed here, as in
# benches/synraw_lab.sh).
#
#   sudo /work/shared/lab/lab up --no-wait
#   sudo benches/synraw_ceiling.sh [RUNS=3]
#
# Prints, per run, packets, seconds and packets per second of each sender, and the
# user/system CPU seconds they used.
set -euo pipefail
RUNS=${1:-3}
NS=synr-bench
ROUTER=smblab-router
TARGET_DIR=${CARGO_TARGET_DIR:-$(dirname "$0")/../target}
SWEEP=$TARGET_DIR/release/examples/raw_sweep
PACKETS=262144 # 10.213.128.0/17 x 8 ports

[[ $EUID -eq 0 ]] || { echo "needs root" >&2; exit 1; }
[[ -x $SWEEP ]] || { echo "build $SWEEP first" >&2; exit 1; }
ip netns pids "$ROUTER" >/dev/null 2>&1 || { echo "the lab is down" >&2; exit 1; }
PY=$(mktemp /tmp/synraw-pysend.XXXXXX.py)
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -f "$PY"; }
trap cleanup EXIT
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$ROUTER" link add synrb1 type veth peer name synrb0 netns "$NS"
ip -n "$ROUTER" addr add 10.213.0.10 peer 10.213.0.9/32 dev synrb1
ip -n "$ROUTER" link set synrb1 up
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.213.0.9 peer 10.213.0.10/32 dev synrb0
ip -n "$NS" link set synrb0 up
ip -n "$NS" route add 10.213.0.0/16 via 10.213.0.10 dev synrb0
MAC=$(ip -n "$ROUTER" -br link show synrb1 | awk '{print $3}')

cat >"$PY" <<'PYEOF'
import socket, struct, sys, time
# One prebuilt 58-byte SYN frame to blackholed 10.213.200.1, sent N times on AF_PACKET.
iface, dst_mac, n = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
src_mac = s.getsockname()[4]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 44, 1, 0x4000, 255, 6, 0,
                 socket.inet_aton("10.213.0.9"), socket.inet_aton("10.213.200.1"))
tcp = struct.pack("!HHIIBBHHHBBH", 61000, 445, 1, 0, 6 << 4, 2, 65535, 0, 0, 2, 4, 1460)
frame = dst_mac + src_mac + b"\x08\x00" + ip + tcp
t0 = time.perf_counter()
for _ in range(n):
    s.send(frame)
dt = time.perf_counter() - t0
print(f"python-af_packet: sent={n} s={dt:.3f} pps={n / dt:.0f}")
PYEOF

for run in $(seq 1 "$RUNS"); do
    line=$(ip netns exec "$NS" /usr/bin/time -f "cpu user=%U sys=%S" "$SWEEP" --rate 100000000 --tries 1 \
        --cooldown-ms 100 --ports 1,2,3,4,5,6,7,8 10.213.128.0/17 2>&1 |
        tr ' ' '\n' | grep -E '^(sent|send_s|pps_over_send_time|user|sys)=' | tr '\n' ' ')
    echo "run $run smbaudit-raw: $line"
    line=$(ip netns exec "$NS" /usr/bin/time -f "cpu user=%U sys=%S" python3 "$PY" synrb0 "$MAC" "$PACKETS" 2>&1 | tr '\n' ' ')
    echo "run $run $line"
done
