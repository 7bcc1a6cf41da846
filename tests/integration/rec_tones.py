#!/usr/bin/env python3
"""Play a call's two sides at the dataplane and count what it relays.

usage: rec_tones.py LOCAL_IP DP_IP SECONDS CUST_PORT:DP_PORT AGENT_PORT:DP_PORT
The customer sends a 600 Hz tone in G.711 mu-law (PT 0) from
LOCAL_IP:CUST_PORT, the agent a 1400 Hz tone in A-law (PT 8) from
LOCAL_IP:AGENT_PORT, 20 ms packets for SECONDS. Each socket also counts the
packets relayed to it (the other side's). Prints JSON {"sent": [c, a],
"received": [at customer, at agent]}.
"""
import json
import math
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dataplane"))
from g711 import alaw_enc as alaw, ulaw_enc as ulaw  # noqa: E402

local, dp, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
sides = []
for spec, freq, pt, enc, ssrc in ((sys.argv[4], 600.0, 0, ulaw, 0xC0C0C0C0), (sys.argv[5], 1400.0, 8, alaw, 0xA6A6A6A6)):
    sp, dport = (int(x) for x in spec.split(":"))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((local, sp))
    s.setblocking(False)
    sides.append({"sock": s, "dport": dport, "freq": freq, "pt": pt, "enc": enc, "ssrc": ssrc, "sent": 0, "got": 0})

n = int(secs / 0.02)
start = time.time()


def drain(until):
    while True:
        left = until - time.time()
        r, _, _ = select.select([x["sock"] for x in sides], [], [], max(left, 0))
        for x in sides:
            if x["sock"] in r:
                try:
                    while True:
                        x["sock"].recv(2048)
                        x["got"] += 1
                except BlockingIOError:
                    pass
        if left <= 0:
            return


for k in range(n):
    for x in sides:
        pcm = (int(8000 * math.sin(2 * math.pi * x["freq"] * (k * 160 + i) / 8000)) for i in range(160))
        pkt = struct.pack("!BBHII", 0x80, x["pt"], k & 0xFFFF, 160 * k, x["ssrc"]) + bytes(x["enc"](v) for v in pcm)
        x["sock"].sendto(pkt, (dp, x["dport"]))
        x["sent"] += 1
    drain(start + 0.02 * (k + 1))
drain(time.time() + 0.5)
print(json.dumps({"sent": [x["sent"] for x in sides], "received": [x["got"] for x in sides]}))
