#!/usr/bin/env python3
"""A small SIP UAC for the integration tests: REGISTER and INVITE over UDP
with digest authentication (SHA-256 or MD5, whichever the challenge asks
first), so tests can check what SIPp cannot do (SHA-256, replayed nonce
counts) and the exact codes of refusals.

  sip_client.py HOST PORT register USER PASSWORD [--alg SHA-256|MD5] [--expires N]
  sip_client.py HOST PORT invite FROM PASSWORD TO
  sip_client.py HOST PORT replay USER PASSWORD
  sip_client.py HOST PORT unregister USER PASSWORD   (Contact: *, Expires: 0)

Prints the final status code of the last request; exits 0 when it ran."""
import hashlib
import random
import re
import socket
import sys


def hsh(alg, s):
    f = hashlib.sha256 if alg.upper() == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


def params(v):
    out = {}
    for k, q, t in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', v):
        out[k.lower()] = q if q else t
    return out


class Client:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((host, 0))
        self.s.settimeout(3)
        self.lport = self.s.getsockname()[1]
        self.cseq = 0
        self.call_id = "%x@test" % random.getrandbits(64)
        self.tag = "%x" % random.getrandbits(32)

    def request(self, method, ruri, from_user, to_user, extra="", body="", contact=None):
        self.cseq += 1
        branch = "z9hG4bK%x" % random.getrandbits(48)
        msg = (f"{method} {ruri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {self.host}:{self.lport};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\n"
               f"From: <sip:{from_user}@{self.host}>;tag={self.tag}\r\n"
               f"To: <sip:{to_user}@{self.host}>\r\n"
               f"Call-ID: {self.call_id}\r\nCSeq: {self.cseq} {method}\r\n"
               f"Contact: {contact or f'<sip:{from_user}@{self.host}:{self.lport}>'}\r\n{extra}")
        if body:
            msg += f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        else:
            msg += "Content-Length: 0\r\n\r\n"
        self.s.sendto(msg.encode(), (self.host, self.port))
        while True:
            data, _ = self.s.recvfrom(65535)
            text = data.decode(errors="replace")
            code = int(text.split(" ", 2)[1])
            if code >= 200:
                if method == "INVITE":
                    self.ack(ruri, from_user, text)
                return code, text

    def ack(self, ruri, from_user, resp):
        to = re.search(r"^To: (.*)$", resp, re.M | re.I).group(1).strip()
        via = re.search(r"^Via: (.*)$", resp, re.M | re.I).group(1).strip()
        msg = (f"ACK {ruri} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n"
               f"From: <sip:{from_user}@{self.host}>;tag={self.tag}\r\nTo: {to}\r\n"
               f"Call-ID: {self.call_id}\r\nCSeq: {self.cseq} ACK\r\nContent-Length: 0\r\n\r\n")
        self.s.sendto(msg.encode(), (self.host, self.port))


def challenges(resp, want_alg=None):
    out = []
    for line in re.findall(r"^(?:WWW|Proxy)-Authenticate: Digest (.*)$", resp, re.M | re.I):
        p = params(line)
        if want_alg is None or p.get("algorithm", "MD5").upper() == want_alg.upper():
            out.append(p)
    return out


def authorization(hdr, ch, user, password, method, uri, nc=1):
    alg = ch.get("algorithm", "MD5")
    ha1 = hsh(alg, f"{user}:{ch['realm']}:{password}")
    ha2 = hsh(alg, f"{method}:{uri}")
    cnonce = "%x" % random.getrandbits(64)
    ncs = "%08x" % nc
    resp = hsh(alg, f"{ha1}:{ch['nonce']}:{ncs}:{cnonce}:auth:{ha2}")
    op = f', opaque="{ch["opaque"]}"' if "opaque" in ch else ""
    return (f'{hdr}: Digest username="{user}", realm="{ch["realm"]}", nonce="{ch["nonce"]}", uri="{uri}", '
            f'response="{resp}", algorithm={alg}, qop=auth, nc={ncs}, cnonce="{cnonce}"{op}\r\n')


def main():
    host, port, op = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    args = sys.argv[4:]
    alg = None
    expires = 3600
    if "--alg" in args:
        i = args.index("--alg")
        alg = args[i + 1]
        del args[i:i + 2]
    if "--expires" in args:
        i = args.index("--expires")
        expires = int(args[i + 1])
        del args[i:i + 2]
    c = Client(host, port)
    if op in ("register", "replay", "unregister"):
        user, password = args
        uri = f"sip:{host}"
        contact = "*" if op == "unregister" else None
        if contact:
            expires = 0
        code, resp = c.request("REGISTER", uri, user, user, f"Expires: {expires}\r\n", contact=contact)
        if code != 401:
            print(code)
            return
        chs = challenges(resp, alg)
        if not chs:
            print("no-challenge")
            return
        first = challenges(resp)[0].get("algorithm", "MD5")
        auth = authorization("Authorization", chs[0], user, password, "REGISTER", uri)
        code, resp = c.request("REGISTER", uri, user, user, f"Expires: {expires}\r\n" + auth, contact=contact)
        if op == "replay":
            # The same nonce count again: a captured request replayed.
            code, resp = c.request("REGISTER", uri, user, user, f"Expires: {expires}\r\n" + auth)
        print(code, "first-challenge=" + first)
    elif op == "invite":
        frm, password, to = args
        sdp = (f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
               f"m=audio 6990 RTP/AVP 0\r\n")
        uri = f"sip:{to}@{host}"
        code, resp = c.request("INVITE", uri, frm, to, "", sdp)
        if code == 407:
            ch = challenges(resp, alg)[0]
            auth = authorization("Proxy-Authorization", ch, frm, password, "INVITE", uri)
            code, resp = c.request("INVITE", uri, frm, to, auth, sdp)
        print(code)
    else:
        sys.exit("unknown operation " + op)


if __name__ == "__main__":
    main()
