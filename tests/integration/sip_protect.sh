#!/usr/bin/env bash
# SIP protection: requests from known scanner user agents are dropped
# unanswered; with --sip-rate-limit a source beyond its rate is dropped
# while another source is still served, and the limited source is served
# again once it slows down. `show sip` counts both.
. "$(dirname "$0")/lib.sh"

td_setup_net
ip -n "$NS" addr add 10.77.0.3/24 dev sip0
ctl_start --sip-rate-limit 50
wait_for 10 test -S "$TMP/ctl.sock" || fail "control"
ip netns exec "$NS" python3 - "$TD_KERNEL_IP" "$TMP/answered" <<'PY' || fail "protection"
import socket, sys, time
host = sys.argv[1]
def sock(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(0.3)
    return s
def options(s, n, ua="tester/1.0"):
    src = s.getsockname()
    return (b"OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKp%d\r\nMax-Forwards: 70\r\n"
            b"From: <sip:t@%s>;tag=%d\r\nTo: <sip:%s>\r\nCall-ID: p%d-%d\r\nCSeq: 1 OPTIONS\r\n"
            b"User-Agent: %s\r\nContent-Length: 0\r\n\r\n" % (host.encode(), src[0].encode(), src[1], n,
            src[0].encode(), n, host.encode(), n, src[1], ua.encode()))
def ask(s, n, ua="tester/1.0"):
    s.sendto(options(s, n, ua), (host, 5060))
    try:
        return int(s.recv(65535).split(b" ", 2)[1])
    except socket.timeout:
        return None
a, b = sock(host), sock("10.77.0.3")
assert ask(a, 1) == 200, "plain OPTIONS"
assert ask(a, 2, "friendly-scanner") is None, "a scanner was answered"
assert ask(a, 3, "sipvicious 0.3") is None, "a scanner was answered"
print("ok - scanners get no answer")
# 400 requests in 0.4 s from 10.77.0.3 (paced so that no socket buffer
# overflows): the burst (100) and about 20 more get through.
b.settimeout(0.05)
for i in range(400):
    b.sendto(options(b, 1000 + i), (host, 5060))
    time.sleep(0.001)
got = 0
t0 = time.time()
while time.time() - t0 < 2:
    try:
        b.recv(65535)
        got += 1
    except socket.timeout:
        pass
assert 80 <= got <= 250, "answered %d of 400 from one source" % got
b.settimeout(0.3)
assert ask(a, 4) == 200, "another source starved by the flood"
print("ok - flood from one source: %d of 400 answered; another source still served" % got)
open(sys.argv[2], "w").write(str(got))
time.sleep(1.5)
assert ask(b, 5000) == 200, "the source is not served again after slowing down"
print("ok - the limited source is served again once it slows down")
PY
got=$(cat "$TMP/answered")
cli show sip --json | json "d['core']['scanners'] == 2 and 400 - $got - 10 <= d['core']['rate_limited'] <= 400 - $got" |
	grep -qx True || fail "show sip counters: $(cli show sip --json)"
ok "show sip counts scanners and rate-limited requests"
td_done
