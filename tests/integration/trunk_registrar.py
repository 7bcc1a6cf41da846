#!/usr/bin/env python3
"""A carrier registrar that refuses: every REGISTER on ADDR:PORT gets a 401
offering SHA-256 then MD5. It checks that the first REGISTER has no
credentials and that the second answers with SHA-256 a digest it recomputes
with PASSWORD, then listens until SECONDS have passed; a client that
answers a challenge to its own credentials again would send a third.
Prints a JSON summary.

  trunk_registrar.py ADDR PORT USER PASSWORD SECONDS"""
import hashlib
import json
import re
import socket
import sys
import time

addr, port, user, password, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
REALM = "carrier.test"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(0.2)
out = {"registers": 0, "first_without_credentials": None, "second_sha256_ok": None}
end = time.time() + secs
n = 0
while time.time() < end:
    try:
        data, src = s.recvfrom(65535)
    except socket.timeout:
        continue
    msg = data.decode(errors="replace")
    if not msg.startswith("REGISTER "):
        continue
    out["registers"] += 1
    head = msg.split("\r\n\r\n", 1)[0].split("\r\n")
    auth = [h for h in head if h.lower().startswith("authorization:")]
    if out["registers"] == 1:
        out["first_without_credentials"] = not auth
    elif out["registers"] == 2 and auth:
        p = dict((k.lower(), a or b) for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', auth[0]))
        sha = lambda x: hashlib.sha256(x.encode()).hexdigest()
        ha1 = sha("%s:%s:%s" % (user, REALM, password))
        ha2 = sha("REGISTER:" + p.get("uri", ""))
        if p.get("qop") == "auth":
            want = sha(":".join([ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2]))
        else:
            want = sha(":".join([ha1, p["nonce"], ha2]))
        out["second_sha256_ok"] = (p.get("algorithm") == "SHA-256" and p.get("username") == user
                                   and p.get("response") == want)
    n += 1
    copy = [h for h in head[1:] if re.match(r"(via|from|to|call-id|cseq):", h, re.I)]
    resp = ["SIP/2.0 401 Unauthorized"] + [h + (";tag=r1" if h.lower().startswith("to:") else "") for h in copy]
    resp += ['WWW-Authenticate: Digest realm="%s", nonce="n%d", qop="auth", algorithm=SHA-256' % (REALM, n),
             'WWW-Authenticate: Digest realm="%s", nonce="m%d", qop="auth", algorithm=MD5' % (REALM, n),
             "Content-Length: 0", "", ""]
    s.sendto("\r\n".join(resp).encode(), src)
print(json.dumps(out))
