#!/usr/bin/env python3
"""Ground-truth probes for the smbaudit audit lab (tests/it/audit.rs).

Reads targets from stdin, one per line: `ADDRESS PORT tcp|nbstat`, at most
MAX_TARGETS. For each, concurrently and with a TIMEOUT-second limit:
  tcp     a TCP connect (SYN); reached = the handshake completed;
  nbstat  an RFC 1002 NODE STATUS request for `*` (type 0x21, class IN) to
          ADDRESS:PORT/udp; reached = a reply from that address with the same
          transaction id and a NODE STATUS answer.
Prints one JSON array: [{"addr", "port", "kind", "reached", "detail"}] in input order.
Sends nothing but these packets, and only to the addresses it is given.
"""
import json
import random
import socket
import struct
import sys
import threading

TIMEOUT = 1.0
MAX_TARGETS = 256
# `*` padded with NULs, first-level encoded (RFC 1001 14.1): 'C','K' then 'A' * 30
WILDCARD = b"CK" + b"A" * 30


def nbstat_request(trn_id):
    header = struct.pack(">HHHHHH", trn_id, 0x0000, 1, 0, 0, 0)
    question = bytes([32]) + WILDCARD + b"\x00" + struct.pack(">HH", 0x0021, 0x0001)
    return header + question


def probe_tcp(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT)
        try:
            s.connect((addr, port))
            return True, "connected"
        except socket.timeout:
            return False, "timeout"
        except OSError as e:
            return False, e.strerror or str(e)


def probe_nbstat(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    trn_id = random.randrange(1, 0xFFFF)
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        try:
            s.connect((addr, port))
            s.send(nbstat_request(trn_id))
            # bounded: one datagram per attempt, at most 8 unrelated ones
            for _ in range(8):
                data = s.recv(4096)
                if len(data) < 12:
                    continue
                rid, flags = struct.unpack(">HH", data[:4])
                # a response (R bit) with our id and at least one answer record
                if rid == trn_id and flags & 0x8000 and struct.unpack(">H", data[6:8])[0] >= 1:
                    return True, "node status reply (%d bytes)" % len(data)
            return False, "no matching reply"
        except socket.timeout:
            return False, "timeout"
        except OSError as e:
            return False, e.strerror or str(e)


def main():
    targets = []
    for line in sys.stdin.read().splitlines()[:MAX_TARGETS]:
        fields = line.split()
        if len(fields) != 3 or fields[2] not in ("tcp", "nbstat"):
            print("bad target line: %r" % line, file=sys.stderr)
            return 2
        targets.append((fields[0], int(fields[1]), fields[2]))
    results = [None] * len(targets)

    def run(i, target):
        addr, port, kind = target
        fn = probe_tcp if kind == "tcp" else probe_nbstat
        reached, detail = fn(addr, port)
        results[i] = {"addr": addr, "port": port, "kind": kind, "reached": reached, "detail": detail}

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 3)
    for i, r in enumerate(results):
        if r is None:
            addr, port, kind = targets[i]
            results[i] = {"addr": addr, "port": port, "kind": kind, "reached": False, "detail": "probe thread hung"}
    json.dump(results, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
