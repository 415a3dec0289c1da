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

/// Answers NBSTAT queries on `ADDR` (argv 1) port 137: to each query, first a reply with
/// the wrong transaction ID, then the right one, naming the node `SYNRTEST<20>`. Prints
/// `ready` once bound; exits after 60 s at most.
pub(crate) const NBSTAT_RESPONDER: &str = r#"
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 137))
s.settimeout(0.2)
print("ready", flush=True)
end = time.time() + 60
while time.time() < end:
    try:
        query, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(query) < 50:
        continue
    (trn,) = struct.unpack("!H", query[:2])
    name = query[12:46]
    entry = b"SYNRTEST".ljust(15) + b"\x20" + struct.pack("!H", 0x0400)
    rdata = b"\x01" + entry + bytes(46)
    answer = name + struct.pack("!HHIH", 0x21, 1, 0, len(rdata)) + rdata
    for tid in (trn ^ 0xFFFF, trn):
        s.sendto(struct.pack("!HHHHHH", tid, 0x8400, 0, 1, 0, 0) + answer, peer)
"#;
