#!/usr/bin/env python3
"""SIP over TCP against tongdai-control: framing, the RFC 4475 corpus as a
stream (whole, split at random points, one octet at a time), pipelining,
RFC 5626 keep-alives, many connections at once, a connection the server
opens itself, and a peer that never reads.

  sip_stream.py HOST PORT CORPUS_DIR COUNTS_JSON

Prints one line per check; exits 1 if any failed. Writes what it sent to
COUNTS_JSON (connections, keep-alives, framing errors, partial messages,
outbound connections, overflows) so
the caller can hold `show sip` to it."""
import json
import os
import random
import re
import socket
import sys
import time

HOST, PORT, CORPUS, COUNTS = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
random.seed(4475)

# The outcome per corpus file on a stream: the answer (a code, "ok" for
# accepted, i.e. answered but not as malformed, None for silence) and
# whether the connection goes on ("keep") or is ended by the server
# ("close"). Codes are those of tests/integration/sip_udp.sh. Differences
# from UDP, where a Content-Length does not frame the message (§18.3):
#   clerr    Content-Length 9999, 154 octets follow: the server waits for
#            the rest; we end our side, the part is discarded (partial).
#   ncl      Content-Length -999: 400, then the connection ends.
#   mcl01    two Content-Length values: 400, then the connection ends.
#   inv2543  no Content-Length, mandatory on a stream: 400, then the end.
#   dblreq   the "trailing octets" are a second request on a stream, and
#            its Content-Length (150) leaves 5 octets ("C" CRLF CRLF) that
#            start no valid message: both requests are answered, then the
#            connection ends. (We send the ACK for the INVITE's answer
#            before those 5 octets.)
#   bigcode  a status line that does not parse cannot be framed: dropped
#            silently, the connection ends.
# A request whose start line fails (badvers, ltgtruri, lwsruri, lwsstart,
# trws, escruri) has headers and a Content-Length that frame it: answered,
# and the stream goes on.
CLOSE = {"ncl": 400, "mcl01": 400, "inv2543": 400, "bigcode": None, "dblreq": "ok"}
CODES = {
    "badinv01": 400, "clerr": None, "ncl": 400, "scalar02": 400, "quotbal": 400, "ltgtruri": 400,
    "lwsruri": 400, "lwsstart": 400, "trws": 400, "escruri": 400, "regbadct": 400, "badaspec": 400,
    "baddn": 400, "badvers": 505, "mismatch01": 400, "mismatch02": 501, "insuf": 400, "unkscm": 416,
    "novelsc": 416, "bext01": 420, "invut": 415, "multi01": 400, "mcl01": 400, "sdp01": 406,
    "intmeth": 501, "esc02": 501, "mpart01": 405, "inv2543": 400,
    "scalarlg": None, "bigcode": None, "bcast": None, "unreason": None, "noreason": None,
}
ONE_OCTET = ["wsinv", "mpart01", "dblreq", "badvers", "ncl"]

bad = 0
counts = {"connections": 0, "keepalives": 0, "framing_errors": 0, "partial": 0, "requests_ok": 0, "probes": 0, "outbound": 0, "overflow": 0}


def check(cond, what):
    global bad
    if not cond:
        bad += 1
        print("not ok - " + what)
    return cond


class Conn:
    """One TCP connection with a reader that frames SIP by Content-Length."""

    def __init__(self, timeout=2.0, sock=None):
        """A new connection to the server, or sock (already connected)."""
        self.buf = b""
        self.eof = False
        if sock is not None:
            self.s = sock
            return
        self.s = socket.create_connection((HOST, PORT), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        counts["connections"] += 1

    def send(self, data, split=None, pause=0.002):
        """Whole, or in pieces: split is a list of cut offsets."""
        try:
            if not split:
                self.s.sendall(data)
                return True
            last = 0
            for cut in split + [len(data)]:
                if cut > last:
                    self.s.sendall(data[last:cut])
                    time.sleep(pause)
                last = cut
            return True
        except OSError:
            return False

    def fill(self, deadline):
        if self.eof:
            return False
        self.s.settimeout(max(0.001, deadline - time.time()))
        try:
            d = self.s.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            d = b""
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def message(self, timeout):
        """The next SIP message, or None (timeout or end of stream)."""
        deadline = time.time() + timeout
        while True:
            while self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                m = re.search(rb"^(?:Content-Length|l)[ \t]*:[ \t]*(\d+)", self.buf[:end], re.M | re.I)
                size = end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buf) >= size:
                    msg, self.buf = self.buf[:size], self.buf[size:]
                    return msg
            if time.time() >= deadline or not self.fill(deadline):
                return None

    def raw(self, n, timeout):
        deadline = time.time() + timeout
        while len(self.buf) < n and time.time() < deadline and self.fill(deadline):
            pass
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def closed_by_peer(self, timeout=3.0):
        """True when the server ends the stream (EOF or reset) in time."""
        deadline = time.time() + timeout
        while not self.eof and time.time() < deadline:
            self.fill(deadline)
        return self.eof

    def close(self):
        self.s.close()


def status(msg):
    if msg is None or not msg.startswith(b"SIP/2.0 "):
        return None
    return int(msg.split(b" ", 2)[1])


def header(msg, name, short=None):
    """The first value of a header field, folded lines joined."""
    names = (name.lower().encode(), (short or name).lower().encode())
    for n, lines in headers(msg):
        if n in names:
            return re.sub(rb"\s+", b" ", b" ".join(lines).split(b":", 1)[1]).strip()
    return None


def options(tag, cseq=1):
    return (b"OPTIONS sip:probe@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:9;branch=z9hG4bK%s\r\nMax-Forwards: 70\r\n"
            b"From: <sip:p@x>;tag=1\r\nTo: <sip:probe@x>\r\nCall-ID: %s\r\nCSeq: %d OPTIONS\r\n"
            b"Content-Length: 0\r\n\r\n" % (HOST.encode(), HOST.encode(), tag.encode(), tag.encode(), cseq))


def is_probe_answer(msg, tag):
    return msg is not None and header(msg, "Call-ID", "i") == tag.encode()


def probe(c, tag, timeout=2.0):
    """Send an OPTIONS on c; the messages before its answer, and its code."""
    before = []
    if not c.send(options(tag)):
        return before, None
    while True:
        msg = c.message(timeout)
        if msg is None:
            return before, None
        if is_probe_answer(msg, tag):
            return before, status(msg)
        before.append(msg)


def headers(msg):
    """The header fields of msg as (name, raw lines) with folding kept."""
    end = msg.find(b"\r\n\r\n")
    out = []
    for line in msg[:end].split(b"\r\n")[1:]:
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1].append(line)
        else:
            out.append((line.split(b":", 1)[0].strip().lower(), [line]))
    return out


def requests_in(data):
    """The requests of a stream, framed by Content-Length as the server does."""
    out = []
    while True:
        while data.startswith(b"\r\n"):
            data = data[2:]
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out
        cl = [b"".join(v).split(b":", 1)[1].strip() for n, v in headers(data) if n in (b"content-length", b"l")]
        size = end + 4 + (int(cl[0]) if cl and cl[0].isdigit() else 0)
        out.append(data[:size])
        data = data[size:]


def ack_for(invite, resp):
    """RFC 3261 §17.1.1.3: the ACK for a non-2xx final answer to invite,
    built from the INVITE's own header lines (Via, From, Call-ID, Route as
    sent, folding and all) so that the server's transaction matches it,
    RFC 3261 or RFC 2543 style."""
    line = invite.split(b"\r\n", 1)[0]
    out = [b"ACK " + line.split(b" ", 1)[1]]
    for name, lines in headers(invite):
        if name in (b"to", b"t"):
            out.append(b"To: " + header(resp, "To", "t"))
        elif name == b"cseq":
            num = re.match(rb"\s*(\d+)", b" ".join(lines).split(b":", 1)[1]).group(1)
            out.append(b"CSeq: %d ACK" % int(num))
        elif name not in (b"content-length", b"l", b"content-type", b"c"):
            out.extend(lines)
    return b"\r\n".join(out) + b"\r\nContent-Length: 0\r\n\r\n"


def ack_finals(c, data, got):
    """Complete each INVITE transaction answered >= 300, as a client does,
    so that the same INVITE sent again later is a new transaction."""
    for r in got:
        cseq = header(r, "CSeq") or b""
        if status(r) < 300 or not cseq.endswith(b"INVITE"):
            continue
        for req in requests_in(data):
            if header(req, "Call-ID", "i") == header(r, "Call-ID", "i") and req.startswith(b"INVITE "):
                c.send(ack_for(req, r))


def finals(c, n, timeout):
    """Up to n final answers within timeout (1xx skipped). Anything more
    shows up later: before the probe's answer, or before the end."""
    out = []
    deadline = time.time() + timeout
    while len(out) < n:
        msg = c.message(max(0.0, deadline - time.time()))
        if msg is None:
            break
        if status(msg) is not None and status(msg) >= 200:
            out.append(msg)
    return out


def corpus_case(name, data, split=None, pause=0.002, label="whole"):
    """Send one corpus file on a new connection and hold the outcome to the
    table above. Returns nothing; counts what the server must count."""
    want = CODES.get(name, "ok")
    what = "%s (%s)" % (name, label)
    c = Conn()
    tail = b""
    if name == "dblreq":
        data, tail = data[:-5], data[-5:]
        split = [x for x in split or [] if x < len(data)]
    c.send(data, split, pause)
    if name == "clerr":
        got = finals(c, 1, 0.4)
        check(not got, what + ": no answer while the body is awaited")
        c.s.shutdown(socket.SHUT_WR)
        check(c.closed_by_peer(), what + ": connection ended after our end")
        counts["partial"] += 1
        c.close()
        return
    got = finals(c, 0 if want is None else 2 if name == "dblreq" else 1, 2.0)
    ack_finals(c, data, got)
    c.send(tail)
    if name == "dblreq":
        codes = [status(m) for m in got]
        check(len(codes) == 2 and all(x not in (400, 505) for x in codes),
              what + ": both requests of the stream accepted, got %s" % codes)
        counts["requests_ok"] += 2
    elif want is None:
        check(not got, what + ": silence, got %s" % [status(m) for m in got])
    else:
        code = status(got[0]) if got else None
        good = code == want if want != "ok" else (code is not None and code not in (400, 505))
        check(good, what + ": got %s, want %s" % (code, want))
        check(not got or b"\r\nContent-Length: 0\r\n" in got[0], what + ": Content-Length: 0 in the answer")
        if want == "ok":
            counts["requests_ok"] += 1
    if name in CLOSE:
        check(c.closed_by_peer(), what + ": connection ended (cannot be framed)")
        more = c.message(0.01)
        check(more is None, what + ": nothing more before the end: %r" % (more or b"")[:40])
        counts["framing_errors"] += 1
    else:
        counts["probes"] += 1
        before, pc = probe(c, "after-%s-%d" % (name, counts["probes"]))
        check(pc == 200, what + ": OPTIONS on the same connection afterwards: %s" % pc)
        check(all(status(m) is not None and status(m) < 200 for m in before),
              what + ": nothing but 1xx between the answer and the probe's: %s" % [status(m) for m in before])
    c.close()


# (1) OPTIONS over TCP: 200 with our Via (branch, transport) and CSeq.
c = Conn()
c.send(options("first", 7))
r = c.message(2.0)
via = header(r or b"", "Via", "v") or b""
check(status(r) == 200, "OPTIONS over TCP answered 200 (got %s)" % status(r))
check(via.startswith(b"SIP/2.0/TCP %s:9;branch=z9hG4bKfirst" % HOST.encode()), "Via copied: %r" % via)
check(header(r or b"", "CSeq") == b"7 OPTIONS", "CSeq copied: %r" % header(r or b"", "CSeq"))
check(b"\r\nContent-Length: 0\r\n" in (r or b""), "Content-Length: 0 in the answer")
c.close()
print("ok - (1) OPTIONS over TCP: 200, Via and CSeq copied")


files = sorted(f[:-4] for f in os.listdir(CORPUS) if f.endswith(".dat"))
check(len(files) == 49, "49 corpus files, found %d" % len(files))
data = {n: open(os.path.join(CORPUS, n + ".dat"), "rb").read() for n in files}

# (2) Each file whole on a connection of its own.
b0 = bad
for n in files:
    corpus_case(n, data[n])
print("%s - (2) RFC 4475 corpus, one connection per file" % ("ok" if bad == b0 else "not ok"))

# (3) The same, split at random points with pauses so that the server reads
# parts; a few one octet at a time.
b0 = bad
for n in files:
    d = data[n]
    cuts = sorted(random.sample(range(1, len(d)), min(len(d) - 1, random.randint(2, 6))))
    corpus_case(n, d, cuts, 0.003, "split at %s" % cuts)
for n in ONE_OCTET:
    corpus_case(n, data[n], list(range(1, len(data[n]))), 0.0005, "one octet per write")
print("%s - (3) the corpus split at random points and one octet at a time" % ("ok" if bad == b0 else "not ok"))

# (4) Two messages in one write, then a message and the head of the next.
b0 = bad
c = Conn()
c.send(options("pipe-a", 1) + options("pipe-b", 2))
r1, r2 = c.message(2.0), c.message(2.0)
check(status(r1) == 200 and header(r1, "Call-ID") == b"pipe-a", "first of the pipelined pair answered first")
check(status(r2) == 200 and header(r2, "Call-ID") == b"pipe-b", "second of the pipelined pair answered")
m3, m4 = options("pipe-c", 3), options("pipe-d", 4)
c.send(m3 + m4[:17])
r3 = c.message(2.0)
check(status(r3) == 200 and header(r3, "Call-ID") == b"pipe-c", "whole message answered before the rest of the next")
time.sleep(0.05)
c.send(m4[17:])
r4 = c.message(2.0)
check(status(r4) == 200 and header(r4, "Call-ID") == b"pipe-d", "the next one answered once complete")
c.close()
print("%s - (4) pipelined messages" % ("ok" if bad == b0 else "not ok"))

# (5) RFC 5626 keep-alive: CRLFCRLF gets CRLF, whole or in two writes; a
# message right after a ping is answered as usual.
b0 = bad
c = Conn()
c.send(b"\r\n\r\n")
check(c.raw(2, 2.0) == b"\r\n", "CRLFCRLF ping gets a CRLF pong")
c.send(b"\r\n")
time.sleep(0.05)
c.send(b"\r\n")
check(c.raw(2, 2.0) == b"\r\n", "a ping in two writes gets a pong")
c.send(b"\r\n\r\n" + options("after-ping"))
check(c.raw(2, 2.0) == b"\r\n", "ping before a message: pong first")
r = c.message(2.0)
check(status(r) == 200 and header(r, "Call-ID") == b"after-ping", "message after a ping answered")
counts["keepalives"] += 3
c.close()
print("%s - (5) keep-alive pings answered" % ("ok" if bad == b0 else "not ok"))

# Streams that cannot go on: garbage, a header section larger than
# SIP_MAX_MSG, and a peer that leaves inside a message.
b0 = bad
c = Conn()
c.send(b"HELLO WORLD\r\n\r\n")
check(c.closed_by_peer() and c.message(0.01) is None, "garbage: no answer, connection ended")
counts["framing_errors"] += 1
c.close()
c = Conn()
big = b"OPTIONS sip:x@y SIP/2.0\r\n" + b"X-Pad: " + b"a" * 70000 + b"\r\n"
c.send(big)
check(c.closed_by_peer() and c.message(0.01) is None, "header section over 64 KiB: no answer, connection ended")
counts["framing_errors"] += 1
c.close()
c = Conn()
c.send(options("half")[:40])
time.sleep(0.05)
c.close()
counts["partial"] += 1
print("%s - (x) unframeable streams end the connection" % ("ok" if bad == b0 else "not ok"))

# (6) 200 connections open at once, each with an OPTIONS.
b0 = bad
many = [Conn(timeout=5.0) for _ in range(200)]
for i, c in enumerate(many):
    c.send(options("many-%d" % i))
answered = 0
for i, c in enumerate(many):
    r = c.message(5.0)
    if status(r) == 200 and header(r, "Call-ID") == b"many-%d" % i:
        answered += 1
check(answered == 200, "200 concurrent connections: %d answered 200" % answered)
for c in many:
    c.close()
print("%s - (6) 200 concurrent connections" % ("ok" if bad == b0 else "not ok"))

# (7) Outbound: a response whose connection is gone goes on a connection the
# server opens toward the request's source address and port. An INVITE in a
# dialog that does not exist gets 481; we leave without the ACK, listen on
# the port we sent from, and send the INVITE again from elsewhere: the
# transaction resends its 481 to where the INVITE first came from.
b0 = bad
inv = (b"INVITE sip:nobody@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:9;branch=z9hG4bKout1\r\nMax-Forwards: 70\r\n"
       b"From: <sip:a@x>;tag=a1\r\nTo: <sip:nobody@x>;tag=gone\r\nCall-ID: outbound-1\r\nCSeq: 1 INVITE\r\n"
       b"Contact: <sip:a@%s:9;transport=tcp>\r\nContent-Length: 0\r\n\r\n" % ((HOST.encode(),) * 3))
first = socket.socket()
first.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
first.bind((HOST, 0))
port = first.getsockname()[1]
first.settimeout(2.0)
first.connect((HOST, PORT))
counts["connections"] += 1
first.sendall(inv)
r = Conn(sock=first).message(2.0)
check(status(r) == 481, "INVITE outside a dialog: 481 (got %s)" % status(r))
first.close()
time.sleep(0.1)
lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind((HOST, port))
lst.listen(4)
lst.settimeout(2.0)
again = Conn()
again.send(inv)
try:
    back, _ = lst.accept()
    back.settimeout(2.0)
    r = Conn(sock=back).message(2.0)
    check(status(r) == 481 and header(r, "Call-ID") == b"outbound-1",
          "the 481 again, on the connection the server opened: %s" % status(r))
    counts["outbound"] = 1
    back.close()
except socket.timeout:
    r = again.message(0.5)
    check(status(r) == 481, "the 481 again, on the new connection or a connection the server opens")
again.close()
lst.close()
print("%s - (7) a response whose connection is gone: %s" % ("ok" if bad == b0 else "not ok",
      "sent on an outbound connection" if counts["outbound"] else "sent on the new connection"))

# A peer that sends and never reads: once the socket buffers and the
# 256 KiB queue are full, the server ends the connection (tx_overflow)
# rather than block or grow.
b0 = bad
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(5.0)
s.connect((HOST, PORT))
counts["connections"] += 1
ended = False
t_end = time.time() + 10
i = 0
while time.time() < t_end and not ended:
    try:
        s.sendall(b"".join(options("flood-%d" % (i + k)) for k in range(200)))
        i += 200
    except OSError:
        ended = True
if not ended:
    # Our sends all went in: the end shows as a reset or EOF on reading.
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        while s.recv(1 << 20):
            pass
        ended = True
    except OSError:
        ended = True
check(ended, "a peer that never reads: connection ended (%d requests sent)" % i)
counts["overflow"] = 1
s.close()
print("%s - a peer that never reads is cut off" % ("ok" if bad == b0 else "not ok"))

# (8) Still serving.
c = Conn()
c.send(options("last"))
check(status(c.message(2.0)) == 200, "OPTIONS answered at the end")
c.close()

json.dump(counts, open(COUNTS, "w"))
print("%d failed checks" % bad)
sys.exit(1 if bad else 0)
