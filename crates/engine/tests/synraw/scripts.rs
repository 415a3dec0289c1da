//! The Python helpers the tests run inside the namespaces.

/// Listens on every `ADDR:PORT` argument with the backlog of the first argument, never
/// accepts, and prints `ready` once all are listening. Exits after 60 s at most.
pub(crate) const LISTEN: &str = r#"
import socket, sys, time
backlog = int(sys.argv[1])
socks = []
for spec in sys.argv[2:]:
    addr, port = spec.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(backlog)
    socks.append(s)
print("ready", flush=True)
time.sleep(60)
"#;

/// Sends forged SYN-ACKs to `DST` (argv 1): for each `SRC:SPORT:COUNT` argument, COUNT
/// segments from SRC:SPORT to a port of 61000-65535 with a random ack. Prints how many it
/// sent.
pub(crate) const INJECT: &str = r#"
import random, socket, struct, sys

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF

dst = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sent = 0
for spec in sys.argv[2:]:
    src, sport, count = spec.split(":")
    for _ in range(int(count)):
        dport = random.randint(61000, 65535)
        ack = random.getrandbits(32)
        tcp = struct.pack("!HHIIBBHHH", int(sport), dport, random.getrandbits(32), ack,
                          5 << 4, 0x12, 65535, 0, 0)
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
        s.sendto(ip + tcp, (dst, 0))
        sent += 1
print(sent, flush=True)
"#;
