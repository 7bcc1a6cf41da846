#!/usr/bin/env python3
"""Receive UDP datagrams on ADDR:PORT until IDLE seconds pass without one
(after the first) or LIMIT seconds in all; print a JSON summary with every
datagram in arrival order (hex), for the tests to compare."""
import json
import socket
import sys
import time

addr, port, idle, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
start, got, srcs = time.time(), [], set()
s.settimeout(0.2)
last = None
while time.time() - start < limit:
    try:
        data, src = s.recvfrom(65535)
    except socket.timeout:
        if last is not None and time.time() - last > idle:
            break
        continue
    last = time.time()
    got.append(data.hex())
    srcs.add("%s:%d" % src)
print(json.dumps({"count": len(got), "sources": sorted(srcs), "datagrams": got}))
