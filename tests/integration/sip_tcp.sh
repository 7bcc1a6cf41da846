#!/usr/bin/env bash
# SIP over TCP (RFC 3261 §18) against tongdai-control: OPTIONS, the RFC 4475
# corpus as a stream (whole, split at random points, one octet at a time),
# pipelining, keep-alives, streams that cannot be framed, 200 connections
# at once, an outbound connection, a peer that never reads
# (tests/integration/sip_stream.py), then `show sip` must count
# exactly what was sent, and control must stop cleanly (under the sanitizers
# too: TD_BUILD=build-asan).
. "$(dirname "$0")/lib.sh"

td_setup_net
ctl_start --sip-listen "$TD_KERNEL_IP:5060"
wait_for 5 sh -c "'$CLI_BIN' --socket '$TMP/ctl.sock' show sip --json | grep -q '\"tcp\"'" ||
	fail "show sip has no tcp part"
cli show sip --json | json "d['tcp']['listen']" | grep -qx "$TD_KERNEL_IP:5060" || fail "TCP does not listen on the SIP address"
ok "TCP listens on the --sip-listen address"

ip netns exec "$NS" python3 "$TD_TOP/tests/integration/sip_stream.py" "$TD_KERNEL_IP" 5060 \
	"$TD_TOP/tests/data/rfc4475" "$TMP/sent.json" || fail "SIP over TCP"
ok "SIP over TCP: framing, corpus, splits, pipelining, keep-alives, 200 connections, outbound, overflow"

kill -0 "$CTL_PID" || fail "control died"
# The server ends its side when the client has; wait until nothing is open.
wait_for 5 sh -c "'$CLI_BIN' --socket '$TMP/ctl.sock' show sip --json |
	python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"tcp\"][\"active\"] != 0)'" ||
	fail "connections still open: $(cli show sip --json)"
cli show sip --json >"$TMP/sip.json" || fail "show sip"
python3 - "$TMP/sip.json" "$TMP/sent.json" <<'PY' || fail "show sip tcp counters"
import json, sys
t = json.load(open(sys.argv[1]))["tcp"]
s = json.load(open(sys.argv[2]))
want = {
    "accepted": s["connections"], "closed": s["connections"] + s["outbound"], "active": 0, "refused": 0,
    "keepalives": s["keepalives"], "framing_errors": s["framing_errors"], "partial": s["partial"],
    "tx_errors": 0, "tx_overflow": s["overflow"], "idle_closed": 0, "connected": s["outbound"], "connect_failed": 0,
}
bad = [f"{k}: {t.get(k)} (want {v})" for k, v in want.items() if t.get(k) != v]
# Every connection carried at least one message that parsed; every
# framing error is also malformed; replies and pongs went out.
if t["rx"] < s["connections"] + s["requests_ok"] - s["framing_errors"] - s["partial"]:
    bad.append(f"rx {t['rx']} too low")
if t["malformed"] < t["framing_errors"] + 40:
    bad.append(f"malformed {t['malformed']} too low")
if t["tx"] < t["rx"] or t["rx_bytes"] < 100000 or t["tx_bytes"] < 100000:
    bad.append(f"tx {t['tx']}, rx_bytes {t['rx_bytes']}, tx_bytes {t['tx_bytes']}")
if s["overflow"] and t["tx_discarded"] == 0:
    bad.append("tx_discarded 0 after an overflow")
for b in bad:
    print("not ok - " + b)
print(json.dumps(t))
sys.exit(1 if bad else 0)
PY
ok "show sip counts the connections, keep-alives, framing errors and partial messages"
cli show sip | grep -q "^SIP tcp $TD_KERNEL_IP:5060: " || fail "show sip text has no tcp line"

# A clean stop; under the sanitizers, no report.
kill -TERM "$CTL_PID"
rc=0
wait "$CTL_PID" || rc=$?
CTL_PID=
[ "$rc" = 0 ] || fail "control exited $rc"
if grep -q "Sanitizer" "$TMP/control.log"; then fail "sanitizer report in the log"; fi
ok "control stops cleanly"

# Out of descriptors: with a low limit, connections beyond it wait in the
# backlog while accepting pauses (no busy loop), and are served once the
# first ones close.
old=$(ulimit -Sn)
ulimit -Sn 48
ctl_start --sip-listen "$TD_KERNEL_IP:5060"
ulimit -Sn "$old"
ip netns exec "$NS" python3 - "$TD_KERNEL_IP" <<'PY' || fail "connections beyond the descriptor limit"
import socket, sys, time
host = sys.argv[1]
def opt(i):
    return (b"OPTIONS sip:p@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:9;branch=z9hG4bKfd%d\r\nFrom: <sip:p@x>;tag=1\r\n"
            b"To: <sip:p@x>\r\nCall-ID: fd%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            % (host.encode(), host.encode(), i, i))
conns = []
for i in range(60):
    s = socket.create_connection((host, 5060), timeout=0.5)
    s.sendall(opt(i))
    conns.append(s)
time.sleep(0.5)
answered, waiting = 0, []
for s in conns:
    s.setblocking(False)
    try:
        answered += s.recv(65536).startswith(b"SIP/2.0 200 ")
    except BlockingIOError:
        waiting.append(s)
    s.setblocking(True)
for s in conns:
    if s not in waiting:
        s.close()
print("%d answered at once, %d waiting for a descriptor" % (answered, len(waiting)))
if not waiting:
    sys.exit("the limit did not bite")
for s in waiting:
    s.settimeout(5)
    answered += s.recv(65536).startswith(b"SIP/2.0 200 ")
    s.close()
sys.exit(0 if answered == 60 else "%d of 60 answered" % answered)
PY
cli show sip --json | json "int(0 < d['tcp']['accept_paused'] < 100 and d['tcp']['refused'] == 0)" | grep -qx 1 ||
	fail "accept pauses: $(cli show sip --json)"
ok "out of descriptors: accepting pauses, every connection served in the end"
td_done
