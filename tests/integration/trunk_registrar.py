#!/usr/bin/env python3
"""A carrier registrar on ADDR:PORT for SECONDS, then a JSON summary.

refuse: every REGISTER gets a 401 offering SHA-256 then MD5. It checks
that the first REGISTER has no credentials and that the second answers
with SHA-256 a digest it recomputes with PASSWORD; a client that answers a
challenge to its own credentials again would send a third.

grant N: a REGISTER without credentials gets that 401; one whose SHA-256
digest verifies gets 200 granting N seconds (its Expires: 0 is an
un-REGISTER); counts them and the Call-IDs used.

  trunk_registrar.py ADDR PORT USER PASSWORD SECONDS refuse|grant N"""
import hashlib
import json
import re
import socket
import sys
import time

addr, port, user, password, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
mode = sys.argv[6]
grant = int(sys.argv[7]) if mode == "grant" else 0
REALM = "carrier.test"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(0.2)
out = {"registers": 0, "first_without_credentials": None, "second_sha256_ok": None, "granted": 0,
       "unregistered": 0, "bad_digest": 0, "call_ids": []}


def sha256_ok(auth):
    p = dict((k.lower(), a or b) for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', auth))
    sha = lambda x: hashlib.sha256(x.encode()).hexdigest()
    ha1 = sha("%s:%s:%s" % (user, REALM, password))
    ha2 = sha("REGISTER:" + p.get("uri", ""))
    if p.get("qop") == "auth":
        want = sha(":".join([ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2]))
    else:
        want = sha(":".join([ha1, p["nonce"], ha2]))
    return p.get("algorithm") == "SHA-256" and p.get("username") == user and p.get("response") == want


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
    elif out["registers"] == 2 and auth and mode == "refuse":
        out["second_sha256_ok"] = sha256_ok(auth[0])
    n += 1
    copy = [h for h in head[1:] if re.match(r"(via|from|to|call-id|cseq):", h, re.I)]
    to_tag = [h + (";tag=r1" if h.lower().startswith("to:") else "") for h in copy]
    if mode == "grant" and auth:
        if not sha256_ok(auth[0]):
            out["bad_digest"] += 1
            resp = ["SIP/2.0 403 Forbidden"] + to_tag + ["Content-Length: 0", "", ""]
        elif any(re.match(r"expires: *0$", h, re.I) for h in head):
            out["unregistered"] += 1
            resp = ["SIP/2.0 200 OK"] + to_tag + ["Content-Length: 0", "", ""]
        else:
            out["granted"] += 1
            cid = [h.split(":", 1)[1].strip() for h in head if h.lower().startswith("call-id:")][0]
            if cid not in out["call_ids"]:
                out["call_ids"].append(cid)
            contact = [h for h in head if h.lower().startswith("contact:")][0]
            resp = ["SIP/2.0 200 OK"] + to_tag + ["%s;expires=%d" % (contact, grant), "Content-Length: 0", "", ""]
        s.sendto("\r\n".join(resp).encode(), src)
        continue
    resp = ["SIP/2.0 401 Unauthorized"] + to_tag
    resp += ['WWW-Authenticate: Digest realm="%s", nonce="n%d", qop="auth", algorithm=SHA-256' % (REALM, n),
             'WWW-Authenticate: Digest realm="%s", nonce="m%d", qop="auth", algorithm=MD5' % (REALM, n),
             "Content-Length: 0", "", ""]
    s.sendto("\r\n".join(resp).encode(), src)
print(json.dumps(out))
