#!/usr/bin/env python3
"""Set up N calls on rtpengine over its ng control protocol (bencoded
dictionaries over UDP, each request prefixed by a cookie) and print the port
rtpengine gave each caller to send to, one per line.

usage: ng_calls.py NG_IP NG_PORT N CALLER_IP CALLER_PORT CALLEE_IP CALLEE_PORT [CODEC]

The caller offers PCMA. With CODEC (G729, G722 or opus), rtpengine is asked
to add that codec to the offer it passes on, and the callee answers with it
alone, so rtpengine transcodes between the two.
"""
import socket
import sys


def benc(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, list):
        return b"l" + b"".join(benc(i) for i in x) + b"e"
    if isinstance(x, dict):
        return b"d" + b"".join(benc(k) + benc(v) for k, v in sorted(x.items())) + b"e"
    raise TypeError(x)


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        e = b.index(b"e", i)
        return int(b[i + 1:e]), e + 1
    if c in (b"l", b"d"):
        i += 1
        out = [] if c == b"l" else {}
        while b[i:i + 1] != b"e":
            k, i = bdec(b, i)
            if c == b"l":
                out.append(k)
            else:
                v, i = bdec(b, i)
                out[k] = v
        return out, i + 1
    colon = b.index(b":", i)
    n = int(b[i:colon])
    return b[colon + 1:colon + 1 + n], colon + 1 + n


CODECS = {
    "PCMA": (8, "PCMA/8000", ""),
    "G729": (18, "G729/8000", "a=fmtp:18 annexb=no\r\n"),
    "G722": (9, "G722/8000", ""),
    "opus": (96, "opus/48000/2", "a=fmtp:96 maxplaybackrate=8000;sprop-maxcapturerate=8000;stereo=0;maxaveragebitrate=12000\r\n"),
}


def sdp(ip, port, codec="PCMA"):
    pt, name, fmtp = CODECS[codec]
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP %d\r\na=rtpmap:%d %s\r\n%sa=sendrecv\r\n" % (ip, ip, port, pt, pt, name, fmtp))


def main():
    ng_ip, ng_port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    a_ip, a_port, b_ip, b_port = sys.argv[4], int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
    codec = sys.argv[8] if len(sys.argv) > 8 else "PCMA"
    offer_opts = {"codec": {"transcode": [codec]}} if codec != "PCMA" else {}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    seq = 0

    def ng(cmd):
        nonlocal seq
        seq += 1
        cookie = b"c%d " % seq
        s.sendto(cookie + benc(cmd), (ng_ip, ng_port))
        while True:
            data, _ = s.recvfrom(65535)
            if data.startswith(cookie):
                r, _ = bdec(data, len(cookie))
                if r.get(b"result") != b"ok":
                    raise SystemExit("ng %s failed: %r" % (cmd["command"], r))
                return r

    for i in range(n):
        cid, ft, tt = "call%d" % i, "from%d" % i, "to%d" % i
        ng(dict(offer_opts, command="offer", **{"call-id": cid, "from-tag": ft, "sdp": sdp(a_ip, a_port)}))
        r = ng({"command": "answer", "call-id": cid, "from-tag": ft, "to-tag": tt, "sdp": sdp(b_ip, b_port, codec)})
        for line in r[b"sdp"].decode().split("\r\n"):
            if line.startswith("m=audio "):
                print(line.split()[1])
                break


main()
