#!/usr/bin/env bash
# Blind transfer: the callee (1002) answers, then REFERs the caller to 1003.
# tongdai answers 202, calls 1003 with the caller's offer on a new
# dataplane session bridged to the caller's, tells 1002 how it goes with
# NOTIFYs (RFC 3515) and ends 1002's leg with BYE; the caller, never
# re-INVITEd, keeps talking, now to 1003, whose receiver gets its RTP.
# Then a transfer to a busy 1003 fails and the caller goes back to 1002;
# then the caller itself transfers the callee.
. "$(dirname "$0")/lib.sh"
PCAP=/usr/share/sip-tester/g711a.pcap
SIPP=$TD_TOP/bench/sipp
H=$TD_KERNEL_IP

td_setup_net
dp_start
ctl_start --sip-digest md5
wait_for 10 cli show dataplane || fail "control did not attach"
for u in 1001 1002 1003; do cli user add "$u" "pw-$u" >/dev/null || fail "user add $u"; done
sipp_register 5070 1002 pw-1002 || fail "1002 did not register"
sipp_register 5072 1003 pw-1003 || fail "1003 did not register"

ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7002 3 40 >"$TMP/recv.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7002' | grep -q 7002" || fail "receiver did not bind"
ip netns exec "$NS" sipp -sf "$SIPP/uas_answer.xml" -i "$H" -p 5072 -mp 6300 -m 1 -nostdin -timeout 40 \
	-key rtp_port 7002 >"$TMP/sipp-1003.log" 2>&1 &
c1003=$!
ip netns exec "$NS" sipp -sf "$SIPP/uas_refer.xml" -i "$H" -p 5070 -mp 6100 -m 1 -nostdin -timeout 40 -s 1002 \
	-key rtp_port 7000 -key target 1003 -trace_msg -message_file "$TMP/msgs-1002.txt" >"$TMP/sipp-1002.log" 2>&1 &
c1002=$!
sleep 0.3
ip netns exec "$NS" sipp "$H:5060" -sf "$SIPP/uac_hungup.xml" -i "$H" -p 5080 -s 1002 -key caller 1001 -au 1001 \
	-auth_uri "1002@$H:5060" -ap pw-1001 -m 1 -nostdin -timeout 40 -mi "$H" -mp 6000 -key pcap "$PCAP" \
	>"$TMP/sipp-1001.log" 2>&1 &
caller=$!
wait "$c1002" || fail "the transferring callee's flow: $(tail -5 "$TMP/sipp-1002.log")"
python3 - "$TMP/msgs-1002.txt" <<'PY' || fail "NOTIFYs to the referrer"
import re, sys
msgs = re.split(r"\n-{20,}[^\n]*\n", open(sys.argv[1]).read())
frags = [re.search(r"\r?\n\r?\n(SIP/2.0 \d+)", m).group(1) for m in msgs if re.search(r"^NOTIFY ", m, re.M)]
print("sipfrags NOTIFYed to 1002:", frags)
assert frags == ["SIP/2.0 100", "SIP/2.0 180", "SIP/2.0 200"], frags
PY
ok "1002 sent REFER, got 202, NOTIFYs of 100, 180 and 200, then a BYE"
cli show calls --json | json "len(d['calls']) == 1 and d['calls'][0]['to'] == '1003' and \
	d['calls'][0]['state'] == 'confirmed' and d['calls'][0]['b']['peer'] == '$H:5072' and \
	d['stats']['transfers'] == 1" | grep -qx True || fail "after the transfer: $(cli show calls --json)"
ok "the call now goes from 1001 to 1003"

wait "$recv"
n=$(json "d['count']" <"$TMP/recv.json")
[ "$n" -ge 100 ] || fail "1003 received only $n RTP packets from the caller"
ok "1003 received the caller's RTP after the transfer ($n packets)"
id=$(cli show calls --json | json "d['calls'][0]['id']")
cli call hangup "$id" >/dev/null || fail "hangup"
wait "$caller" || fail "the caller did not get its BYE: $(tail -5 "$TMP/sipp-1001.log")"
wait "$c1003" || fail "1003 did not get its BYE: $(tail -5 "$TMP/sipp-1003.log")"
wait_for 5 no_sessions ||
	fail "sessions left: $(cli show sessions)"
ok "hung up: BYE to 1001 and 1003, no session left"

# A busy target: the referrer hears 486, the caller goes back to it and
# its receiver gets the caller's RTP again; the call hangs up normally.
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7000 3 40 >"$TMP/recv-back.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7000' | grep -q 7000" || fail "receiver did not bind"
ip netns exec "$NS" sipp -sf "$SIPP/uas_busy.xml" -i "$H" -p 5072 -mp 6300 -m 1 -nostdin -timeout 40 \
	>"$TMP/sipp-1003-busy.log" 2>&1 &
c1003=$!
ip netns exec "$NS" sipp -sf "$SIPP/uas_refer.xml" -i "$H" -p 5070 -mp 6100 -m 1 -nostdin -timeout 40 -s 1002 \
	-key rtp_port 7000 -key target 1003 -trace_msg -message_file "$TMP/msgs-1002-busy.txt" \
	>"$TMP/sipp-1002-busy.log" 2>&1 &
c1002=$!
sleep 0.3
ip netns exec "$NS" sipp "$H:5060" -sf "$SIPP/uac_hungup.xml" -i "$H" -p 5080 -s 1002 -key caller 1001 -au 1001 \
	-auth_uri "1002@$H:5060" -ap pw-1001 -m 1 -nostdin -timeout 40 -mi "$H" -mp 6000 -key pcap "$PCAP" \
	>"$TMP/sipp-1001-busy.log" 2>&1 &
caller=$!
wait "$c1003" || fail "the busy target's flow: $(tail -5 "$TMP/sipp-1003-busy.log")"
wait_for 10 sh -c "grep -c '^NOTIFY ' '$TMP/msgs-1002-busy.txt' | grep -qx 2" || fail "no NOTIFY of the failure"
python3 - "$TMP/msgs-1002-busy.txt" <<'PY' || fail "NOTIFYs to the referrer"
import re, sys
msgs = re.split(r"\n-{20,}[^\n]*\n", open(sys.argv[1]).read())
frags = [re.search(r"\r?\n\r?\n(SIP/2.0 \d+)", m).group(1) for m in msgs if re.search(r"^NOTIFY ", m, re.M)]
print("sipfrags NOTIFYed to 1002:", frags)
assert frags == ["SIP/2.0 100", "SIP/2.0 486"], frags
PY
cli show calls --json | json "len(d['calls']) == 1 and d['calls'][0]['to'] == '1002' and \
	d['calls'][0]['state'] == 'confirmed' and d['calls'][0]['b']['peer'] == '$H:5070' and \
	d['stats']['transfers'] == 1 and d['stats']['transfers_failed'] == 1" | grep -qx True ||
	fail "after the failed transfer: $(cli show calls --json)"
ok "1003 busy: NOTIFY of 486 to 1002, the call is 1001 to 1002 again"
wait "$recv"
n=$(json "d['count']" <"$TMP/recv-back.json")
[ "$n" -ge 150 ] || fail "1002 received only $n of the caller's RTP packets (not back after the failure?)"
ok "1002 received the caller's RTP again ($n packets)"
id=$(cli show calls --json | json "d['calls'][0]['id']")
cli call hangup "$id" >/dev/null || fail "hangup"
wait "$caller" || fail "the caller did not get its BYE: $(tail -5 "$TMP/sipp-1001-busy.log")"
wait "$c1002" || fail "1002 did not get its BYE: $(tail -5 "$TMP/sipp-1002-busy.log")"
wait_for 5 no_sessions || fail "sessions left: $(cli show sessions)"
ok "hung up: BYE to 1001 and 1002, no session left"

# The caller transfers: 1001 REFERs 1002 to 1003 and leaves.
ip netns exec "$NS" sipp -sf "$SIPP/uas_answer.xml" -i "$H" -p 5072 -mp 6300 -m 1 -nostdin -timeout 40 \
	-key rtp_port 7002 >"$TMP/sipp-1003-c.log" 2>&1 &
c1003=$!
ip netns exec "$NS" sipp -sf "$SIPP/uas_answer.xml" -i "$H" -p 5070 -mp 6100 -m 1 -nostdin -timeout 40 \
	-key rtp_port 7000 >"$TMP/sipp-1002-c.log" 2>&1 &
c1002=$!
sleep 0.3
ip netns exec "$NS" sipp "$H:5060" -sf "$TD_TOP/tests/integration/sipp/uac_refer.xml" -i "$H" -p 5080 -s 1002 \
	-key caller 1001 -key target 1003 -au 1001 -auth_uri "1002@$H:5060" -ap pw-1001 -m 1 -nostdin -timeout 40 \
	-mi "$H" -mp 6000 -key pcap "$PCAP" -trace_msg -message_file "$TMP/msgs-1001-c.txt" \
	>"$TMP/sipp-1001-c.log" 2>&1 &
caller=$!
wait "$caller" || fail "the transferring caller's flow: $(tail -5 "$TMP/sipp-1001-c.log")"
python3 - "$TMP/msgs-1001-c.txt" <<'PY' || fail "NOTIFYs to the referring caller"
import re, sys
msgs = re.split(r"\n-{20,}[^\n]*\n", open(sys.argv[1]).read())
frags = [re.search(r"\r?\n\r?\n(SIP/2.0 \d+)", m).group(1) for m in msgs if re.search(r"^NOTIFY ", m, re.M)]
print("sipfrags NOTIFYed to 1001:", frags)
assert frags == ["SIP/2.0 100", "SIP/2.0 180", "SIP/2.0 200"], frags
PY
cli show calls --json | json "len(d['calls']) == 1 and d['calls'][0]['from'] == '1002' and \
	d['calls'][0]['to'] == '1003' and d['calls'][0]['state'] == 'confirmed' and \
	d['calls'][0]['a']['peer'] == '$H:5070' and d['calls'][0]['b']['peer'] == '$H:5072' and \
	d['stats']['transfers'] == 2" | grep -qx True || fail "after the caller's transfer: $(cli show calls --json)"
cli show sessions --json | json "len(d['sessions']) == 2 and all(s['peer'] for s in d['sessions'])" |
	grep -qx True || fail "sessions after the caller's transfer: $(cli show sessions --json)"
ok "1001 REFERred 1002 to 1003: NOTIFYs of 100, 180, 200 and a BYE; the call is 1002 to 1003, bridged"
id=$(cli show calls --json | json "d['calls'][0]['id']")
cli call hangup "$id" >/dev/null || fail "hangup"
wait "$c1002" || fail "1002 did not get its BYE: $(tail -5 "$TMP/sipp-1002-c.log")"
wait "$c1003" || fail "1003 did not get its BYE: $(tail -5 "$TMP/sipp-1003-c.log")"
wait_for 5 no_sessions || fail "sessions left: $(cli show sessions)"
ok "hung up: BYE to 1002 and 1003, no session left"
td_done
