#!/usr/bin/env python3
"""An agent's phone doing an attended transfer, for the integration tests:
it answers the call tongdai sends it (the customer's), calls TARGET itself
(the consultation, with digest authentication), then REFERs the customer's
dialog to TARGET with Replaces naming the consultation's dialog (RFC 3891,
RFC 5589 §7). It answers every NOTIFY and BYE that follow and prints, as
JSON, the REFER's status, the sipfrag status lines NOTIFYed, and which of
its two dialogs got a BYE.

  xfer_agent.py HOST PORT LPORT USER PASSWORD TARGET [--replaces-call-id X]

LPORT is the port USER registered from. --replaces-call-id puts another
Call-ID in Replaces (a dialog that does not exist)."""
import json
import random
import re
import socket
import sys
import time
from urllib.parse import quote

sys.path.insert(0, __import__("os").path.dirname(__file__))
from sip_client import authorization, challenges  # noqa: E402


def hdr(msg, name):
    m = re.search(r"^" + name + r":\s*(.*?)\r?$", msg, re.M | re.I)
    return m.group(1).strip() if m else ""


def tag_of(v):
    m = re.search(r";\s*tag=([^;>\s]+)", v)
    return m.group(1) if m else ""


class Phone:
    def __init__(self, host, port, lport, user, password):
        self.host, self.port, self.user, self.password = host, port, user, password
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((host, lport))
        self.lport = lport
        self.out = {"notify": [], "bye": []}
        self.dialogs = {}

    def send(self, text):
        self.s.sendto(text.encode(), (self.host, self.port))

    def recv(self, deadline):
        self.s.settimeout(max(0.05, deadline - time.time()))
        data, _ = self.s.recvfrom(65535)
        return data.decode(errors="replace")

    def reply(self, req, code, reason, to_tag=None, body=""):
        to = hdr(req, "To")
        if to_tag and not tag_of(to):
            to += ";tag=" + to_tag
        vias = "".join(f"Via: {v}\r\n" for v in re.findall(r"^Via:\s*(.*?)\r?$", req, re.M | re.I))
        msg = (f"SIP/2.0 {code} {reason}\r\n{vias}From: {hdr(req, 'From')}\r\nTo: {to}\r\n"
               f"Call-ID: {hdr(req, 'Call-ID')}\r\nCSeq: {hdr(req, 'CSeq')}\r\n"
               f"Contact: <sip:{self.user}@{self.host}:{self.lport}>\r\n")
        if body:
            msg += f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        else:
            msg += "Content-Length: 0\r\n\r\n"
        self.send(msg)

    def sdp(self, port):
        return (f"v=0\r\no=- {port} 1 IN IP4 {self.host}\r\ns=-\r\nc=IN IP4 {self.host}\r\nt=0 0\r\n"
                f"m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
                f"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n")

    def handle(self, req, deadline):
        """A request tongdai sends in one of our dialogs."""
        method = req.split(" ", 1)[0]
        cid = hdr(req, "Call-ID")
        if method == "NOTIFY":
            body = req.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in req else ""
            line = body.split("\r\n", 1)[0]
            if not self.out["notify"] or self.out["notify"][-1] != line or "active" in hdr(req, "Subscription-State"):
                self.out["notify"].append(line)
            self.reply(req, 200, "OK")
        elif method == "BYE":
            name = self.dialogs.get(cid, cid)
            if name not in self.out["bye"]:
                self.out["bye"].append(name)
            self.reply(req, 200, "OK")
        elif method == "ACK":
            pass
        elif method == "INVITE":
            self.reply(req, 200, "OK", "agent1", self.sdp(7010))
        else:
            self.reply(req, 200, "OK")

    def answer_customer(self, deadline):
        while True:
            m = self.recv(deadline)
            if m.startswith("INVITE "):
                self.customer = m
                self.dialogs[hdr(m, "Call-ID")] = "customer"
                self.reply(m, 200, "OK", "agent1", self.sdp(7010))
            elif m.startswith("ACK ") and hdr(m, "Call-ID") == hdr(self.customer, "Call-ID"):
                return

    def consult(self, target, deadline):
        self.c2_id = "%x@agent" % random.getrandbits(64)
        self.c2_tag = "%x" % random.getrandbits(32)
        self.dialogs[self.c2_id] = "consultation"
        uri = f"sip:{target}@{self.host}"
        auth = ""
        for cseq in (1, 2):
            branch = "z9hG4bK%x" % random.getrandbits(48)
            body = self.sdp(7012)
            inv = (f"INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {self.host}:{self.lport};branch={branch};rport\r\n"
                   f"Max-Forwards: 70\r\nFrom: <sip:{self.user}@{self.host}>;tag={self.c2_tag}\r\n"
                   f"To: <{uri}>\r\nCall-ID: {self.c2_id}\r\nCSeq: {cseq} INVITE\r\n"
                   f"Contact: <sip:{self.user}@{self.host}:{self.lport}>\r\n{auth}"
                   f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}")
            self.send(inv)
            while True:
                m = self.recv(deadline)
                if not m.startswith("SIP/2.0 "):
                    self.handle(m, deadline)
                    continue
                if hdr(m, "Call-ID") != self.c2_id:
                    continue
                code = int(m.split(" ", 2)[1])
                if code < 200:
                    continue
                ack = (f"ACK {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {self.host}:{self.lport};branch={branch};rport\r\n"
                       f"Max-Forwards: 70\r\nFrom: <sip:{self.user}@{self.host}>;tag={self.c2_tag}\r\n"
                       f"To: {hdr(m, 'To')}\r\nCall-ID: {self.c2_id}\r\nCSeq: {cseq} ACK\r\n"
                       f"Content-Length: 0\r\n\r\n")
                self.send(ack)
                break
            if code == 407:
                ch = challenges(m)[0]
                auth = authorization("Proxy-Authorization", ch, self.user, self.password, "INVITE", uri)
                continue
            if code != 200:
                sys.exit(f"consultation call: {code}")
            self.c2_remote_tag = tag_of(hdr(m, "To"))
            return

    def refer(self, target, replaces_cid, deadline):
        c = self.customer
        contact = re.search(r"<([^>]+)>", hdr(c, "Contact")).group(1)
        rep = f"{replaces_cid or self.c2_id};to-tag={self.c2_remote_tag};from-tag={self.c2_tag}"
        branch = "z9hG4bK%x" % random.getrandbits(48)
        cseq = 1  # our first request in the customer's dialog
        msg = (f"REFER {contact} SIP/2.0\r\nVia: SIP/2.0/UDP {self.host}:{self.lport};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: {hdr(c, 'To')};tag=agent1\r\nTo: {hdr(c, 'From')}\r\n"
               f"Call-ID: {hdr(c, 'Call-ID')}\r\nCSeq: {cseq} REFER\r\n"
               f"Contact: <sip:{self.user}@{self.host}:{self.lport}>\r\n"
               f"Refer-To: <sip:{target}@{self.host}?Replaces={quote(rep, safe='')}>\r\n"
               f"Referred-By: <sip:{self.user}@{self.host}>\r\nContent-Length: 0\r\n\r\n")
        self.send(msg)
        while True:
            m = self.recv(deadline)
            if m.startswith("SIP/2.0 ") and hdr(m, "CSeq").endswith("REFER"):
                self.out["refer"] = int(m.split(" ", 2)[1])
                return
            if not m.startswith("SIP/2.0 "):
                self.handle(m, deadline)

    def linger(self, until, want_byes):
        while time.time() < until:
            try:
                m = self.recv(until)
            except socket.timeout:
                break
            if not m.startswith("SIP/2.0 "):
                self.handle(m, until)
            final = any(re.match(r"SIP/2.0 [2-6]\d\d", n) for n in self.out["notify"])
            if final and len(self.out["bye"]) >= want_byes:
                break


def main():
    a = sys.argv[1:]
    replaces_cid = None
    if "--replaces-call-id" in a:
        i = a.index("--replaces-call-id")
        replaces_cid = a[i + 1]
        del a[i:i + 2]
    host, port, lport, user, password, target = a[0], int(a[1]), int(a[2]), a[3], a[4], a[5]
    p = Phone(host, port, lport, user, password)
    deadline = time.time() + 20
    p.answer_customer(deadline)
    p.consult(target, deadline)
    time.sleep(1)  # talking to the target
    p.refer(target, replaces_cid, deadline)
    p.linger(time.time() + (3 if replaces_cid else 10), 0 if replaces_cid else 2)
    print(json.dumps(p.out))


if __name__ == "__main__":
    main()
