#!/usr/bin/env bash
# DTMF end to end: a SIPp caller plays SIPp's dtmf_2833_1.pcap (a press of
# 1 as RFC 4733 telephone-events) at a bridged session that has payload
# type 101 for telephone-event. Control must log the digit once and `show
# session` must show it; the events are relayed to the far side. Then the
# CLI's DTMF commands: digits sent toward a session as RFC 4733 events
# reach its remote; detection switched; every bad input refused clearly.
. "$(dirname "$0")/lib.sh"
PCAP=/usr/share/sip-tester/dtmf_2833_1.pcap
SIPP_DIR=$(dirname "$0")/sipp

td_setup_net
dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach"

cli session create remote "$TD_KERNEL_IP:6000" pts 8 tel 101 tag 7 --json >"$TMP/a.json" || fail "create A"
cli session create remote "$TD_KERNEL_IP:7000" pts 8 tel 101 tag 7 --json >"$TMP/b.json" || fail "create B"
A=$(json "d['session']" <"$TMP/a.json")
B=$(json "d['session']" <"$TMP/b.json")
PA=$(json "d['port']" <"$TMP/a.json")
cli session bridge "$A" "$B" >/dev/null || fail "bridge failed"

ip netns exec "$NS" python3 "$(dirname "$0")/rtp_recv.py" "$TD_KERNEL_IP" 7000 2 40 >"$TMP/recv.json" &
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
ok "SIPp call with dtmf_2833_1.pcap completed"

wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show session $A --json | grep -q '\"received\": 1'" ||
	fail "no digit on A: $(cli show session "$A" --json)"
cli show session "$A" --json | json "d['dtmf'] == {'received': 1, 'sent': 0, 'detect': False, 'suppress': False, \
	'last': '1', 'source': 'rfc4733'}" | grep -qx True ||
	fail "show session A dtmf: $(cli show session "$A" --json | json "d['dtmf']")"
cli show session "$A" | grep -q 'dtmf 1 received, 0 sent, in-band detection off; last "1" (rfc4733)' ||
	fail "show session text: $(cli show session "$A")"
[ "$(grep -c "session $A (call 7): DTMF '1' (rfc4733" "$TMP/control.log")" = 1 ] ||
	fail "control did not log the digit once: $(grep DTMF "$TMP/control.log")"
ok "the press of 1 shows once in show session and in control's log"

n=$(python3 -c "import sys; sys.path.insert(0,'$TD_TOP/tests/dataplane'); from pktlib import read_pcap; print(len(read_pcap('$PCAP')))")
json "int(d['count'] == $n and all(bytes.fromhex(x)[1] & 0x7f == 101 for x in d['datagrams']))" <"$TMP/recv.json" |
	grep -qx 1 || fail "the events were not relayed to B's side: $(json "d['count']" <"$TMP/recv.json") of $n"
ok "all $n telephone-event packets relayed to the far side"

# Digits by command toward B's remote, as RFC 4733 events (B has PT 101).
ip netns exec "$NS" python3 "$(dirname "$0")/rtp_recv.py" "$TD_KERNEL_IP" 7000 2 40 >"$TMP/recv2.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7000' | grep -q 7000" || fail "receiver did not bind"
cli session dtmf "$B" 9 duration 100 >/dev/null || fail "session dtmf"
wait "$recv"
python3 - "$TMP/recv2.json" <<'PY' || fail "the digit sent by command did not arrive as RFC 4733"
import json, sys
d = [bytes.fromhex(x) for x in json.load(open(sys.argv[1]))["datagrams"]]
ev = [p for p in d if p[1] & 0x7F == 101]
print("B's remote got %d packets, %d telephone-events" % (len(d), len(ev)))
assert ev and all(p[12] == 9 for p in ev), "not event 9"
assert ev[0][1] & 0x80, "no marker on the first"
assert sum(1 for p in ev if p[13] & 0x80) == 3, "not three end packets"
assert len({p[4:8] for p in ev}) == 1, "more than one timestamp"
PY
ok "session dtmf: 9 reached B's remote as one RFC 4733 event (marker, three end packets)"

cli show session "$B" --json | json "d['dtmf']['sent']" | grep -qx 1 || fail "B does not count the digit sent"
cli session dtmf-detect "$A" on suppress >/dev/null || fail "dtmf-detect on"
cli show session "$A" --json | json "d['dtmf']['detect'] and d['dtmf']['suppress']" | grep -qx True ||
	fail "detection not shown on: $(cli show session "$A" --json | json "d['dtmf']")"
cli session dtmf-detect "$A" off >/dev/null || fail "dtmf-detect off"
cli show session "$A" | grep -q "in-band detection off" || fail "detection not shown off"
ok "session dtmf-detect on suppress, off, as show session says"

expect_rc() { # rc what cmd...
	local want=$1 what=$2 rc=0
	shift 2
	cli "$@" >"$TMP/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || fail "$what: rc $rc, want $want: $(cat "$TMP/out")"
}
expect_rc 2 "a non-digit" session dtmf "$A" 12x
expect_rc 2 "a duration out of range" session dtmf "$A" 1 duration 5
expect_rc 2 "dtmf-detect without on|off" session dtmf-detect "$A" maybe
expect_rc 1 "an unknown session" session dtmf $((A + 65536)) 1
grep -q "no such session" "$TMP/out" || fail "unknown session message: $(cat "$TMP/out")"
cli session unbridge "$A" >/dev/null
expect_rc 1 "an unbridged session" session dtmf "$A" 1
grep -q "not bridged" "$TMP/out" || fail "unbridged message: $(cat "$TMP/out")"
ok "bad digits, duration and words are usage errors; unknown and unbridged sessions refused by name"
td_done
