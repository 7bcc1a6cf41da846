#!/usr/bin/env python3
"""Send N RTP packets on each of several flows and count what comes back.

usage: rtp_flows.py LOCAL_IP DP_IP N_PER_FLOW SRC_PORT:DP_PORT:RECV_PORT ...
Each flow sends from LOCAL_IP:SRC_PORT to DP_IP:DP_PORT (G.711-sized RTP,
20 ms apart across all flows) and expects the relayed packets on
LOCAL_IP:RECV_PORT. Prints JSON {"flows": [{"sent": n, "received": m,
"intact": bool}, ...]}.
"""
import json
import select
import socket
import struct
import sys
import time

local, dp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
flows = []
for spec in sys.argv[4:]:
    sp, dport, rp = (int(x) for x in spec.split(":"))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind((local, sp))
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind((local, rp))
    rx.setblocking(False)
    flows.append({"tx": tx, "rx": rx, "dport": dport, "sent": [], "got": []})


def drain(timeout):
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return
        r, _, _ = select.select([f["rx"] for f in flows], [], [], left)
        for f in flows:
            if f["rx"] in r:
                while True:
                    try:
                        f["got"].append(f["rx"].recv(2048))
                    except BlockingIOError:
                        break


for i in range(n):
    for k, f in enumerate(flows):
        pkt = struct.pack("!BBHII", 0x80, 8, i, 160 * i, 0x1000 + k) + bytes((i + k + j) & 0xFF for j in range(160))
        f["tx"].sendto(pkt, (dp, f["dport"]))
        f["sent"].append(pkt)
    drain(0.02)
drain(1.0)
print(json.dumps({"flows": [{"sent": len(f["sent"]), "received": len(f["got"]),
                             "intact": f["got"] == f["sent"]} for f in flows]}))
