#!/usr/bin/env bash
# A record-routing proxy (Kamailio) in front of tongdai: the caller's
# INVITE reaches tongdai through it with a Record-Route. tongdai's 200
# carries that Record-Route back (RFC 3261 §12.1.1), and the BYE tongdai
# sends the caller at hangup goes to the proxy with a Route header naming
# it: the proxy relays only such requests (it refuses one without the
# route set), so the caller getting its BYE through the proxy shows the
# route set is kept. The call is also killed and restarted in control, whose
# recovered dialog must keep the route set too.
. "$(dirname "$0")/lib.sh"
PCAP=/usr/share/sip-tester/g711a.pcap
SIPP=$TD_TOP/bench/sipp
H=$TD_KERNEL_IP

td_setup_net
dp_start
ctl_start --sip-digest md5
wait_for 10 cli show dataplane || fail "control did not attach"
for u in 1001 1002; do cli user add "$u" "pw-$u" >/dev/null || fail "user add $u"; done
sipp_register 5070 1002 pw-1002 || fail "1002 did not register"
call_confirmed() { cli show calls --json | json "len(d['calls']) == 1 and d['calls'][0]['state'] == 'confirmed'" | grep -qx True; }

ip netns exec "$NS" kamailio -f "$TD_TOP/tests/integration/kamailio/proxy.cfg" -DD -E -m 32 -M 8 \
	-P "$TMP/kamailio.pid" -Y "$TMP/kamailio-run" >"$TMP/kamailio.log" 2>&1 &
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :5090' | grep -q 5090" ||
	fail "the proxy did not start: $(tail -5 "$TMP/kamailio.log")"

ip netns exec "$NS" sipp -sf "$SIPP/uas_answer.xml" -i "$H" -p 5070 -mp 6100 -m 1 -nostdin -timeout 40 \
	-key rtp_port 7000 >"$TMP/sipp-1002.log" 2>&1 &
callee=$!
ip netns exec "$NS" sipp "$H:5090" -sf "$TD_TOP/tests/integration/sipp/uac_routed.xml" -i "$H" -p 5080 -s 1002 \
	-key caller 1001 -au 1001 -auth_uri "1002@$H:5090" -ap pw-1001 -m 1 -nostdin -timeout 40 -mi "$H" \
	-mp 6000 -key pcap "$PCAP" -trace_msg -message_file "$TMP/msgs-1001.txt" >"$TMP/sipp-1001.log" 2>&1 &
caller=$!
wait_for 10 call_confirmed || fail "no confirmed call: $(cli show calls)"
ok "a call through the proxy is up"
grep -q "^Record-Route: <sip:$H:5090;lr" "$TMP/msgs-1001.txt" ||
	fail "the 200 to the caller has no Record-Route: $(grep -A12 '^SIP/2.0 200' "$TMP/msgs-1001.txt" | head -20)"
ok "the caller's 200 carries the proxy's Record-Route"

# The dialog, route set included, survives a restart of control.
kill -KILL "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
ctl_start --sip-digest md5
wait_for 10 call_confirmed || fail "call not recovered: $(cli show calls)"
ok "control restarted, the call recovered"

id=$(cli show calls --json | json "d['calls'][0]['id']")
cli call hangup "$id" >/dev/null || fail "hangup"
wait "$caller" || fail "the caller did not get its BYE through the proxy: $(tail -5 "$TMP/kamailio.log")"
wait "$callee" || fail "the callee did not get its BYE: $(tail -5 "$TMP/sipp-1002.log")"
python3 - "$TMP/msgs-1001.txt" "$H" <<'PY' || fail "the BYE the caller got"
import re, sys
msgs = re.split(r"\n-{20,}[^\n]*\n", open(sys.argv[1]).read())
bye = [m for m in msgs if re.search(r"^BYE ", m, re.M)]
assert len(bye) == 1, len(bye)
vias = re.findall(r"^Via: (.*)$", bye[0], re.M)
print("Vias of the BYE:", vias)
assert len(vias) == 2 and ("%s:5090" % sys.argv[2]) in vias[0], vias
PY
grep -q "routed BYE" "$TMP/kamailio.log" || fail "the proxy did not route the BYE"
! grep -q "no route" "$TMP/kamailio.log" || fail "a request ignored the route set: $(grep 'no route' "$TMP/kamailio.log")"
ok "hangup: the BYE went through the proxy by its Route, the caller got it"
wait_for 5 no_sessions || fail "sessions left: $(cli show sessions)"
td_done
