#!/usr/bin/env bash
# The RFC 4475 torture corpus over UDP and over TCP (whole, split at random
# points, one octet at a time, pipelined: tests/integration/sip_stream.py)
# while an unrelated call is up: every message is answered as the manifest
# asks, and the call's media, 30 s of RTP played by a SIPp caller through
# the B2BUA, reaches the callee whole and in order meanwhile. The call then
# hangs up normally and both processes stop cleanly. scripts/test runs this
# test a second time against the ASan/UBSan build, where any sanitizer
# report (a crash, an overflow, a leak at exit) fails it.
. "$(dirname "$0")/lib.sh"
SIPP=$TD_TOP/bench/sipp
H=$TD_KERNEL_IP
PCAP=$TMP/call.pcap

# 1500 RTP packets 20 ms apart, each payload distinct (its index in it)
python3 - "$PCAP" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["TD_TOP"], "tests", "dataplane"))
from pktlib import write_pcap, eth, ipv4, udp, rtp
pkts = []
for i in range(1500):
    payload = (b"%08d" % i) * 20
    frame = eth("02:00:00:00:00:02", "02:00:00:00:00:01", 0x0800,
                ipv4("10.0.0.1", "10.0.0.2", 17, udp(6000, 7000, rtp(8, i, i * 160, 0x4475, payload))))
    pkts.append((i * 0.02, frame))
write_pcap(sys.argv[1], pkts)
PY

td_setup_net
dp_start
ctl_start --sip-listen "$H:5060" --sip-digest md5
wait_for 10 cli show dataplane || fail "control did not attach"
cli user add 1001 pw-1001 >/dev/null || fail "user add 1001"
cli user add 1002 pw-1002 >/dev/null || fail "user add 1002"
sipp_register 5070 1002 pw-1002 || fail "1002 did not register: $(tail -5 "$TMP/sipp-reg-5070.log")"

ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7000 3 120 >"$TMP/recv.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7000' | grep -q 7000" || fail "receiver did not bind"
ip netns exec "$NS" sipp -sf "$SIPP/uas_answer.xml" -i "$H" -p 5070 -mp 6100 -m 1 -nostdin -timeout 120 \
	-key rtp_port 7000 >"$TMP/sipp-uas.log" 2>&1 &
uas=$!
sleep 0.3
ip netns exec "$NS" sipp "$H:5060" -sf "$SIPP/uac_hungup.xml" -i "$H" -p 5080 -s 1002 -key caller 1001 -au 1001 \
	-auth_uri "1002@$H:5060" -ap pw-1001 -mi "$H" -mp 6000 -key pcap "$PCAP" -m 1 -nostdin -timeout 120 \
	>"$TMP/sipp-uac.log" 2>&1 &
uac=$!
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show calls --json | grep -q confirmed" ||
	fail "no call: $(cli show calls)"
id=$(cli show calls --json | json "d['calls'][0]['id']")
start=$(date +%s)
ok "call $id up with media"

# TCP first: its transactions end with their answers, where UDP ones absorb
# retransmissions for seconds (Timer I, J) and would take the same messages
# sent again over TCP for retransmissions.
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/sip_stream.py" "$H" 5060 \
	"$TD_TOP/tests/data/rfc4475" "$TMP/sent.json" >"$TMP/stream.log" || fail "SIP over TCP: $(grep -v '^ok' "$TMP/stream.log")"
ok "RFC 4475 corpus over TCP (whole, split, octet by octet, pipelined) answered during the call"
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rfc4475_udp.py" "$TD_TOP/tests/data/rfc4475" "$H" 5060 ||
	fail "RFC 4475 over UDP during the call"
ok "RFC 4475 corpus over UDP answered as the manifest asks during the call"
took=$(($(date +%s) - start))
[ "$took" -lt 28 ] || fail "the corpus took ${took} s, longer than the call's media: the test proves nothing"
cli show calls --json | json "[c['id'] for c in d['calls'] if c['state'] == 'confirmed'] == [$id]" | grep -qx True ||
	fail "the call did not stay up alone: $(cli show calls)"

wait "$recv"
python3 "$TD_TOP/tests/integration/rtp_check.py" "$PCAP" "$TMP/recv.json" ||
	fail "the call's media was disturbed; drops: $(cli show dataplane --json | json "d['drops']")"
ok "the call's 1500 RTP packets reached the callee whole and in order"
cli call hangup "$id" >/dev/null || fail "call hangup $id"
wait "$uac" || fail "the caller did not get its BYE: $(tail -5 "$TMP/sipp-uac.log")"
wait "$uas" || fail "the callee did not get its BYE: $(tail -5 "$TMP/sipp-uas.log")"
wait_for 5 no_sessions || fail "sessions left: $(cli show sessions)"
ok "the call hung up normally"

for p in CTL DP; do
	pid=${p}_PID
	kill -TERM "${!pid}"
	rc=0
	wait "${!pid}" || rc=$?
	eval "${p}_PID="
	[ "$rc" = 0 ] || fail "$p exited $rc"
done
if grep -E "Sanitizer|runtime error" "$TMP/control.log" "$TMP/dataplane.log"; then fail "sanitizer report"; fi
ok "control and dataplane stopped cleanly, no sanitizer report"
td_done
