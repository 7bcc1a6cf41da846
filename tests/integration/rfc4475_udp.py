#!/usr/bin/env python3
"""The RFC 4475 torture corpus over UDP: each message sent to tongdai-control
must get the answer the manifest asks (an error code, or silence for a
response that must be dropped), valid requests are never refused as
malformed, and a well-formed OPTIONS after every message must still get 200.

usage: rfc4475_udp.py CORPUS_DIR HOST PORT
Prints each miss; exits 1 if any."""
import os, re, socket, sys
corpus, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
# What must come back; 'ok' = accepted (answered, but not as malformed).
want = {
    "badinv01": 400, "clerr": 400, "ncl": 400, "scalar02": 400, "quotbal": 400, "ltgtruri": 400,
    "lwsruri": 400, "lwsstart": 400, "trws": 400, "escruri": 400, "regbadct": 400, "badaspec": 400,
    "baddn": 400, "badvers": 505, "mismatch01": 400, "mismatch02": 501, "insuf": 400, "unkscm": 416,
    "novelsc": 416, "bext01": 420, "invut": 415, "multi01": 400, "mcl01": 400, "sdp01": 406,
    "intmeth": 501, "esc02": 501, "mpart01": 405,
    "scalarlg": None, "bigcode": None, "bcast": None, "unreason": None, "noreason": None,
}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, 0))
s.settimeout(0.5)
def call_id(msg):
    # The top Via's branch names the transaction; Call-ID when there is none.
    m = re.search(rb"^(?:Via|v)[ \t]*:[^\r\n]*?branch=([^;,\s]+)", msg, re.M | re.I)
    if m:
        return m.group(1)
    m = re.search(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", msg, re.M | re.I)
    return m.group(1) if m else None
def ack_final(r):
    # A client ACKs a final non-2xx answer to its INVITE (RFC 3261
    # §17.1.1.3), which stops the server resending it.
    head = r.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    cseq = [h for h in head if re.match(rb"(?i)cseq[ \t]*:", h)]
    if not cseq or not re.search(rb"INVITE\s*$", cseq[0]) or int(r.split(b" ", 2)[1]) < 300:
        return
    keep = [h for h in head[1:] if re.match(rb"(?i)(via|v|from|f|to|t|call-id|i)[ \t]*:", h)]
    num = re.search(rb"(\d+)", cseq[0]).group(1)
    ack = b"ACK sip:ack@%s SIP/2.0\r\n" % host.encode() + b"\r\n".join(keep) + \
        b"\r\nCSeq: %s ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % num
    s.sendto(ack, (host, port))
def ask(data):
    # Take the first answer of this message's transaction. (Corpus messages
    # that reuse a branch are retransmissions to a transaction layer and
    # get its answer again.) Finals to INVITEs are ACKed so that they are
    # not resent into the next message's wait; stale datagrams are drained
    # first.
    s.setblocking(False)
    try:
        while True:
            ack_final(s.recvfrom(65535)[0])
    except (BlockingIOError, ValueError, IndexError):
        pass
    s.settimeout(0.5)
    cid = call_id(data)
    s.sendto(data, (host, port))
    while True:
        try:
            r, _ = s.recvfrom(65535)
        except socket.timeout:
            return None, b""
        try:
            ack_final(r)
        except (ValueError, IndexError):
            pass
        if cid is None or call_id(r) == cid:
            return int(r.split(b" ", 2)[1]), r
opt = (b"OPTIONS sip:probe@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:9;branch=z9hG4bKprobe%%d\r\nMax-Forwards: 70\r\n"
       b"From: <sip:p@x>;tag=1\r\nTo: <sip:probe@x>\r\nCall-ID: probe%%d\r\nCSeq: 1 OPTIONS\r\n"
       b"Content-Length: 0\r\n\r\n" % (host.encode(), host.encode()))
bad = 0
files = sorted(f[:-4] for f in os.listdir(corpus) if f.endswith(".dat"))
assert len(files) == 49, len(files)
for i, name in enumerate(files):
    code, raw = ask(open(os.path.join(corpus, name + ".dat"), "rb").read())
    expect = want.get(name, "ok")
    good = code == expect if expect != "ok" else (code is not None and code not in (400, 505))
    if code and b"\r\nContent-Length: 0\r\n" not in raw:
        good = False
    if not good:
        bad += 1
        print("not ok - %s: got %s, want %s" % (name, code, expect))
    pc, pr = ask(opt % (i, i))
    if pc != 200 or b"Allow: " not in pr:
        bad += 1
        print("not ok - OPTIONS after %s: %s" % (name, pc))
print("%d of 49 answered as the manifest asks, OPTIONS served after each" % (49 - bad))
sys.exit(1 if bad else 0)
