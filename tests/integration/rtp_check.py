#!/usr/bin/env python3
"""Check that every RTP payload a SIPp caller played reached the far end, in
order and untouched (the relay owns the headers, never the payload).

usage: rtp_check.py PCAP RECV_JSON
PCAP: what the caller played (Ethernet/IPv4/UDP/RTP); RECV_JSON: what
rtp_recv.py received. Exits 1, naming the first missing packets, if the
payload sequences differ."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dataplane"))
from pktlib import read_pcap  # noqa: E402

sent = []
for _, f in read_pcap(sys.argv[1]):
    if f[12:14] != b"\x08\x00" or f[23] != 17:
        continue
    ihl = (f[14] & 0xF) * 4
    sent.append(f[14 + ihl + 8 + 12:].hex())
got = json.load(open(sys.argv[2]))
pl = [d[24:] for d in got["datagrams"]]
print("sent %d RTP packets, the far end received %d" % (len(sent), got["count"]))
if pl != sent:
    missing = [i for i, p in enumerate(sent) if p not in pl]
    print("missing packets (index in the pcap): %s" % missing[:20])
sys.exit(0 if pl == sent else 1)
