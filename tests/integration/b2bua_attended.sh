#!/usr/bin/env bash
# Attended transfer: the customer (1001) calls the agent (1002); the agent
# calls 1003 (the consultation), then REFERs the customer's dialog to 1003
# with Replaces naming the consultation (RFC 3891). tongdai joins the
# customer and 1003 on the dataplane: the customer is re-INVITEd with
# 1003's media, the pair bridged, the agent NOTIFYed (100, then 200) and
# both of the agent's dialogs end with BYE; 1003, never re-INVITEd, now
# receives the customer's RTP. A Replaces naming no dialog gets a NOTIFY
# of 481 and changes nothing.
#
# With "workers" as argument the dataplane runs two workers: the two calls
# land on different ones, and the target's media moves to the customer's
# worker (a new session there, and a re-INVITE of 1003 to it).
. "$(dirname "$0")/lib.sh"
two=${1:-}
if [ "$two" = workers ]; then
	DP_LCORES="--lcores 0@0,1@1,2@1"
	DP_VDEV="net_af_packet0,iface=dp0,qpairs=2"
fi
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

# case NAME CALLER-SCENARIO [xfer_agent options]: 1003 answers on 5072 with
# a receiver on 7002, the agent runs on 5070, the customer calls 1002.
start_case() {
	local name=$1 scen=$2
	shift 2
	ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7002 3 40 >"$TMP/recv-$name.json" &
	recv=$!
	wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7002' | grep -q 7002" || fail "receiver did not bind"
	ip netns exec "$NS" sipp -sf "$SIPP/uas_answer.xml" -i "$H" -p 5072 -mp 6300 -m 1 -nostdin -timeout 40 \
		-key rtp_port 7002 -trace_msg -message_file "$TMP/msgs-1003-$name.txt" >"$TMP/sipp-1003-$name.log" 2>&1 &
	target=$!
	ip netns exec "$NS" python3 "$TD_TOP/tests/integration/xfer_agent.py" "$H" 5060 5070 1002 pw-1002 1003 "$@" \
		>"$TMP/agent-$name.json" 2>"$TMP/agent-$name.err" &
	agent=$!
	sleep 0.3
	ip netns exec "$NS" sipp "$H:5060" -sf "$scen" -i "$H" -p 5080 -s 1002 -key caller 1001 -au 1001 \
		-auth_uri "1002@$H:5060" -ap pw-1001 -m 1 -nostdin -timeout 40 -mi "$H" -mp 6000 -key pcap "$PCAP" \
		>"$TMP/sipp-1001-$name.log" 2>&1 &
	caller=$!
	wait "$agent" || fail "the agent's phone: $(tail -5 "$TMP/agent-$name.err")"
}

start_case joined "$TD_TOP/tests/integration/sipp/uac_reinvited.xml"
json "d['refer'] == 202 and d['notify'] == ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK'] and \
	sorted(d['bye']) == ['consultation', 'customer']" <"$TMP/agent-joined.json" | grep -qx True ||
	fail "the agent saw: $(cat "$TMP/agent-joined.json")"
ok "the agent got 202, NOTIFYs of 100 and 200, and a BYE on both of its dialogs"
cli show calls --json | json "len(d['calls']) == 1 and d['calls'][0]['from'] == '1001' and \
	d['calls'][0]['to'] == '1003' and d['calls'][0]['state'] == 'confirmed' and \
	sorted([d['calls'][0]['a']['peer'], d['calls'][0]['b']['peer']]) == ['$H:5072', '$H:5080'] and \
	d['stats']['transfers'] == 1" | grep -qx True || fail "after the transfer: $(cli show calls --json)"
ok "one call left, the customer with 1003"
wait "$recv"
n=$(json "d['count']" <"$TMP/recv-joined.json")
[ "$n" -ge 100 ] || fail "1003 received only $n RTP packets from the customer"
ok "1003 received the customer's RTP after the transfer ($n packets)"
invites=$(grep -c '^INVITE ' "$TMP/msgs-1003-joined.txt")
if [ "$two" = workers ]; then
	[ "$invites" -eq 2 ] || fail "1003 got $invites INVITEs (the call and a re-INVITE to the moved session wanted)"
	ok "1003's media moved to the customer's worker with a re-INVITE"
else
	[ "$invites" -eq 1 ] || fail "1003 got $invites INVITEs (one wanted: same worker, nothing to move)"
fi
id=$(cli show calls --json | json "d['calls'][0]['id']")
cli call hangup "$id" >/dev/null || fail "hangup"
wait "$caller" || fail "the customer's flow: $(tail -5 "$TMP/sipp-1001-joined.log")"
wait "$target" || fail "1003 did not get its BYE: $(tail -5 "$TMP/sipp-1003-joined.log")"
wait_for 5 no_sessions || fail "sessions left: $(cli show sessions)"
ok "hung up: BYE to the customer and 1003, no session left"
[ "$two" = workers ] && td_done

start_case unknown "$SIPP/uac_hungup.xml" --replaces-call-id no-such-dialog@nowhere
json "d['refer'] == 202 and d['notify'] == ['SIP/2.0 481 Call/Transaction Does Not Exist'] and d['bye'] == []" \
	<"$TMP/agent-unknown.json" | grep -qx True || fail "the agent saw: $(cat "$TMP/agent-unknown.json")"
cli show calls --json | json "len(d['calls']) == 2 and d['stats']['transfers'] == 1 and \
	d['stats']['transfers_failed'] == 1" | grep -qx True || fail "after the refusal: $(cli show calls --json)"
ok "a Replaces naming no dialog: NOTIFY of 481, both calls go on"
for id in $(cli show calls --json | json "' '.join(str(c['id']) for c in d['calls'])"); do
	cli call hangup "$id" >/dev/null || fail "hangup $id"
done
wait "$caller" || fail "the customer's flow: $(tail -5 "$TMP/sipp-1001-unknown.log")"
wait "$target" || fail "1003 did not get its BYE: $(tail -5 "$TMP/sipp-1003-unknown.log")"
kill "$recv" 2>/dev/null || true
wait_for 5 no_sessions || fail "sessions left: $(cli show sessions)"
ok "hung up both calls, no session left"
td_done
