#!/usr/bin/env bash
# Overload control for new calls: with --max-cps 3 a burst of 8 INVITEs
# gets 3 challenges (407) and 5 refusals (503 with Retry-After); while
# control is stopped for 0.6 s (SIGSTOP: what an overloaded control looks
# like from outside: messages wait in its socket queue) the INVITE that
# waited is refused with 503 while an OPTIONS that waited as long is still
# answered; once messages are read promptly again, new INVITEs are taken.
. "$(dirname "$0")/lib.sh"

td_setup_net
dp_start
ctl_start --max-cps 3 --overload-wait-ms 200
wait_for 10 cli show dataplane || fail "control did not attach"
ip netns exec "$NS" python3 - "$TD_KERNEL_IP" "$CTL_PID" <<'PY' || fail "overload control"
import os, re, signal, socket, sys, time
host, ctl = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, 0))
port = s.getsockname()[1]
n = 0
def req(method):
    global n
    n += 1
    sdp = "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8\r\n" % (host, host)
    body = sdp if method == "INVITE" else ""
    msg = ("%s sip:1002@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKo%d\r\nMax-Forwards: 70\r\n"
           "From: <sip:1001@%s>;tag=t%d\r\nTo: <sip:1002@%s>\r\nCall-ID: o%d@test\r\nCSeq: 1 %s\r\n"
           "Contact: <sip:1001@%s:%d>\r\n%sContent-Length: %d\r\n\r\n%s" %
           (method, host, host, port, n, host, n, host, n, method, host, port,
            "Content-Type: application/sdp\r\n" if body else "", len(body), body))
    s.sendto(msg.encode(), (host, 5060))
    return "o%d@test" % n
def finals(ids, timeout=3.0):
    """Final response per Call-ID: (code, reason, headers)."""
    out, end = {}, time.time() + timeout
    while len(out) < len(ids) and time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            d = s.recv(65535).decode(errors="replace")
        except socket.timeout:
            break
        code = int(d.split(" ", 2)[1])
        cid = re.search(r"^Call-ID: (\S+)", d, re.M).group(1)
        if code >= 200 and cid in ids:
            out[cid] = (code, d.split("\r\n", 1)[0].split(" ", 2)[2], d)
    return out
ids = [req("INVITE") for _ in range(8)]
r = finals(ids)
codes = sorted(c for c, _, _ in r.values())
assert codes == [407] * 3 + [503] * 5, codes
assert all("Retry-After:" in d and "call rate" in why for c, why, d in r.values() if c == 503), r
print("ok - --max-cps 3: a burst of 8 INVITEs, 3 challenged, 5 refused with 503 and Retry-After")
time.sleep(1.5)
os.kill(ctl, signal.SIGSTOP)
inv, opt = req("INVITE"), req("OPTIONS")
time.sleep(0.6)
os.kill(ctl, signal.SIGCONT)
r = finals([inv, opt])
assert r[inv][0] == 503 and "overloaded" in r[inv][1], r[inv][:2]
assert r[opt][0] == 200, r[opt][:2]
print("ok - after waiting 600 ms to be read: the INVITE refused (503), the OPTIONS answered")
opt2 = req("OPTIONS")
finals([opt2])
inv2 = req("INVITE")
r = finals([inv2])
assert r[inv2][0] == 407, r[inv2][:2]
print("ok - read promptly again: a new INVITE is taken (407 challenge)")
PY
cli show sip --json | json "d['core']['shed_cps'] == 5 and d['core']['shed_wait'] == 1 and d['wait_max_ms'] >= 500" |
	grep -qx True || fail "show sip: $(cli show sip --json)"
ok "show sip counts 5 shed for the call rate, 1 while behind, the longest wait over 500 ms"
td_done
