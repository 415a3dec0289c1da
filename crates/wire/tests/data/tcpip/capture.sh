#!/bin/bash
# Captures what the Linux kernel answers to SYNs, for tests/tcpip_vectors.rs.
#
#   sudo crates/wire/tests/data/tcpip/capture.sh [OUT_DIR]    (from the workspace root)
#
# OUT_DIR defaults to this file's directory; give another to check the procedure without
# replacing the committed capture.
#
# Two network namespaces joined by one veth pair, 10.250.11.0/24 and fd00:11::/64, which are
# routed nowhere else: no packet leaves them. In synw-t ("target") a Python listener holds
# port 445, nothing listens on 139, and nftables rejects 446 with ICMP / ICMPv6
# administratively prohibited and 447 with port unreachable. From synw-c ("scanner"):
#  1. kernel connect()s to 445 (IPv4, IPv6) and 139 (IPv4): the kernel's own SYNs, with
#     full checksums because TX checksum offload is off on the veth;
#  2. our SYNs, built by `examples/synprobe.rs` (SynCookie::syn with the key below): over
#     IPv4 through a raw IP socket (the kernel fills the IPv4 header checksum itself, which
#     the test compares with ours) and as an Ethernet frame through AF_PACKET; over IPv6
#     as AF_PACKET frames, sent byte for byte, so the target's SYN-ACK proves our TCP
#     checksum was right. Each to 445, 139, 446 and 447.
# dumpcap records synw-c's side of the veth for 10 s into syn-replies.pcapng; tshark
# (with checksum checks on) writes its reading of every frame into syn-replies.tsv,
# which the test compares with ours. Namespaces are deleted on exit, also on failure.
set -euo pipefail

HERE=${1:-$(cd "$(dirname "$0")" && pwd)}
KEY=73796e776972652d746573742d6b6579 # "synwire-test-key", also in tests/tcpip_vectors.rs
C=synw-c
T=synw-t
C_MAC=02:00:00:00:11:01
T_MAC=02:00:00:00:11:02
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    ip netns del "$C" 2>/dev/null || true
    ip netns del "$T" 2>/dev/null || true
}
trap cleanup EXIT

cargo build -q -p smbaudit-wire --example synprobe
PROBE=${CARGO_TARGET_DIR:-target}/debug/examples/synprobe

ip netns add "$C"
ip netns add "$T"
ip link add synw-c0 address "$C_MAC" netns "$C" type veth peer name synw-t0 address "$T_MAC" netns "$T"
for ns in "$C" "$T"; do
    dev=${ns}0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$dev" up
    ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null
done
ip -n "$C" addr add 10.250.11.1/24 dev synw-c0
ip -n "$C" addr add fd00:11::1/64 dev synw-c0 nodad
ip -n "$T" addr add 10.250.11.2/24 dev synw-t0
ip -n "$T" addr add fd00:11::2/64 dev synw-t0 nodad

ip netns exec "$T" nft -f - <<'NFT'
table inet synw {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 446 reject with icmpx admin-prohibited
        meta nfproto ipv4 tcp dport 447 reject with icmp type port-unreachable
        meta nfproto ipv6 tcp dport 447 reject with icmpv6 type port-unreachable
    }
}
NFT

ip netns exec "$T" python3 -c '
import socket, time
s = socket.create_server(("::", 445), family=socket.AF_INET6, dualstack_ipv6=True, backlog=16)
time.sleep(14)
' &
PIDS+=($!)

ip netns exec "$C" dumpcap -q -i synw-c0 -a duration:10 -w "$HERE/syn-replies.pcapng" &
DUMPCAP=$!
PIDS+=($DUMPCAP)
sleep 2

# 1. The kernel's own SYNs.
ip netns exec "$C" python3 -c '
import socket
for addr, family, port in [("10.250.11.2", socket.AF_INET, 445), ("fd00:11::2", socket.AF_INET6, 445),
                           ("10.250.11.2", socket.AF_INET, 139)]:
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((addr, port))
        print("connected", addr, port)
    except OSError as e:
        print("refused", addr, port, e)
    s.close()
'

# 2. Our SYNs.
probe() { # family dst dport attempt -> "ip HEX" / "frame HEX"
    local src=10.250.11.1
    [ "$1" = 6 ] && src=fd00:11::1
    "$PROBE" "$KEY" "$src" "$2" "$3" "$4" "$C_MAC" "$T_MAC"
}
for port in 445 139 446 447; do
    ip_hex=$(probe 4 10.250.11.2 "$port" 0 | sed -n 's/^ip //p')
    frame4_hex=$(probe 4 10.250.11.2 "$port" 1 | sed -n 's/^frame //p')
    frame6_hex=$(probe 6 fd00:11::2 "$port" 0 | sed -n 's/^frame //p')
    ip netns exec "$C" python3 -c '
import socket, sys
ip, frame4, frame6 = (bytes.fromhex(h) for h in sys.argv[1:4])
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
raw.sendto(ip, ("10.250.11.2", 0))
pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
pkt.bind(("synw-c0", 0))
pkt.send(frame4)
pkt.send(frame6)
' "$ip_hex" "$frame4_hex" "$frame6_hex"
    sleep 0.3
done

wait "$DUMPCAP"
tshark -r "$HERE/syn-replies.pcapng" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -T fields -E header=y -E separator=/t \
    -e frame.number -e eth.type -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
    -e ip.checksum.status -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw \
    -e tcp.flags -e tcp.checksum.status -e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code \
    >"$HERE/syn-replies.tsv"
echo "wrote $HERE/syn-replies.pcapng and syn-replies.tsv"
