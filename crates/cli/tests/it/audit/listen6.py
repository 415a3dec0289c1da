#!/usr/bin/env python3
"""A `::` listener for the smbaudit audit lab (tests/it/audit.rs).

Usage: listen6.py PORT V6ONLY   (V6ONLY 0 or 1)
Binds [::]:PORT/tcp with IPV6_V6ONLY=V6ONLY, listens (the kernel completes
handshakes from its backlog; nothing is accepted or sent), and exits after
LIFETIME seconds at the latest; the test stops it long before.
"""
import socket
import sys
import time

LIFETIME = 120


def main():
    port, v6only = int(sys.argv[1]), int(sys.argv[2])
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind(("::", port))
    s.listen(64)
    print("listening on [::]:%d v6only=%d" % (port, v6only), flush=True)
    time.sleep(LIFETIME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
