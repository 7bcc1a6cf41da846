#!/usr/bin/env bash
# End to end through a bridged media session: a SIPp caller plays SIPp's
# g711a.pcap at the media address a SIPp callee answered with (the
# dataplane's session A); the dataplane relays it out of session B to a
# receiver. Every RTP packet must arrive, in order, byte for byte, and the
# session counters must say so.
. "$(dirname "$0")/lib.sh"
PCAP=/usr/share/sip-tester/g711a.pcap
SIPP_DIR=$(dirname "$0")/sipp

td_setup_net
dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach"

cli session create remote "$TD_KERNEL_IP:6000" strict pts 8 tag 42 --json >"$TMP/a.json" || fail "create A: $(cat "$TMP/a.json")"
cli session create remote "$TD_KERNEL_IP:7000" pts 8 tag 42 --json >"$TMP/b.json" || fail "create B: $(cat "$TMP/b.json")"
A=$(json "d['session']" <"$TMP/a.json")
B=$(json "d['session']" <"$TMP/b.json")
PA=$(json "d['port']" <"$TMP/a.json")
cli session bridge "$A" "$B" >/dev/null || fail "bridge failed"
ok "sessions A ($A, port $PA) and B ($B) bridged"

ip netns exec "$NS" python3 "$(dirname "$0")/rtp_recv.py" "$TD_KERNEL_IP" 7000 3 40 >"$TMP/recv.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7000' | grep -q 7000" || fail "receiver did not bind"
ip netns exec "$NS" sipp -sf "$SIPP_DIR/uas_answer_dp.xml" -i "$TD_KERNEL_IP" -p 5070 -mp 6100 -m 1 -nostdin \
	-key dp_ip "$TD_DP_IP" -key dp_port "$PA" -timeout 40 >"$TMP/sipp-uas.log" 2>&1 &
uas=$!
sleep 0.5
ip netns exec "$NS" sipp "$TD_KERNEL_IP:5070" -sf "$SIPP_DIR/uac_play_pcap.xml" -i "$TD_KERNEL_IP" -p 5080 \
	-mi "$TD_KERNEL_IP" -mp 6000 -key pcap "$PCAP" -m 1 -nostdin -timeout 40 >"$TMP/sipp-uac.log" 2>&1 ||
	fail "SIPp caller failed: $(tail -5 "$TMP/sipp-uac.log")"
wait "$uas" || fail "SIPp callee failed: $(tail -5 "$TMP/sipp-uas.log")"
wait "$recv"
ok "SIPp call completed"

python3 - "$PCAP" "$TMP/recv.json" <<'PY' || fail "media did not arrive intact; drops: $(cli show dataplane --json | json "d['drops']")"
import json, sys
sys.path.insert(0, __import__("os").path.join(__import__("os").environ["TD_TOP"], "tests", "dataplane"))
from pktlib import read_pcap
sent = []
for _, f in read_pcap(sys.argv[1]):
    if f[12:14] != b"\x08\x00" or f[23] != 17:
        continue
    ihl = (f[14] & 0xF) * 4
    sent.append(f[14 + ihl + 8:].hex())
got = json.load(open(sys.argv[2]))
print("sent %d RTP packets, received %d" % (len(sent), got["count"]))
if got["datagrams"] != sent:
    diff = next((i for i, (a, b) in enumerate(zip(got["datagrams"], sent)) if a != b), min(len(sent), got["count"]))
    print("first difference at packet %d" % diff)
    sys.exit(1)
PY
ok "all RTP packets of g711a.pcap arrived in order, byte for byte"

TD_TOP=$TD_TOP
n=$(python3 -c "import sys; sys.path.insert(0,'$TD_TOP/tests/dataplane'); from pktlib import read_pcap; print(sum(1 for _,f in read_pcap('$PCAP') if f[12:14]==b'\x08\x00' and f[23]==17))")
cli show session "$A" --json >"$TMP/sa.json" || fail "show session A"
cli show session "$B" --json >"$TMP/sb.json" || fail "show session B"
[ "$(json "d['rtp_rx_pkts']" <"$TMP/sa.json")" = "$n" ] || fail "A counted $(json "d['rtp_rx_pkts']" <"$TMP/sa.json") in, want $n"
[ "$(json "d['rtp_tx_pkts']" <"$TMP/sb.json")" = "$n" ] || fail "B counted $(json "d['rtp_tx_pkts']" <"$TMP/sb.json") out, want $n"
[ "$(json "d['lost']" <"$TMP/sa.json")" = 0 ] || fail "A reports loss"
ok "session counters: $n in on A, $n out on B, no loss"
json "int(d['r_factor'] > 90 and d['mos'] > 4.3 and d['latch'] == 'locked')" <"$TMP/sa.json" | grep -qx 1 ||
	fail "quality figures of a clean stream: $(cat "$TMP/sa.json")"
ok "clean stream: R $(json "round(d['r_factor'], 1)" <"$TMP/sa.json"), MOS $(json "round(d['mos'], 2)" <"$TMP/sa.json")"

count() { cli show sessions "$@" --json | json "len(d['sessions'])"; }
[ "$(count)" = 2 ] && [ "$(count call 42)" = 2 ] && [ "$(count call 7)" = 0 ] &&
	[ "$(count address "$TD_KERNEL_IP")" = 2 ] && [ "$(count address 10.9.9.9)" = 0 ] &&
	[ "$(count worker 0)" = 2 ] || fail "show sessions filters"
cli show sessions | grep -q "^$A " || fail "show sessions text lacks session $A"
rc=0
cli show sessions call >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a filter without its value must be a usage error"
ok "show sessions: filters by call, address and worker"

cli session destroy "$A" >/dev/null || fail "destroy A"
rc=0
cli show session "$A" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a destroyed session is still shown"
[ "$(json "d['peer']" < <(cli show session "$B" --json))" = 0 ] || fail "B still bridged to a destroyed session"
ok "destroy unbridges and frees the session"
td_done
