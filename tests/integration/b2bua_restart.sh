#!/usr/bin/env bash
# Control killed during a call: the dataplane keeps relaying the media, the
# restarted control reads the call back from LMDB, reconciles it with the
# dataplane's session dump (a session that belongs to no call is destroyed),
# keeps the callee's registration
# and can still hang the call up normally, with a BYE on both legs.
. "$(dirname "$0")/lib.sh"
PCAP=/usr/share/sip-tester/g711a.pcap
SIPP=$TD_TOP/bench/sipp
H=$TD_KERNEL_IP

td_setup_net
dp_start
ctl_start --sip-digest md5
wait_for 10 cli show dataplane || fail "control did not attach"
cli user add 1001 s3cret-one >/dev/null
cli user add 1002 s3cret-two >/dev/null
sipp_register 5070 1002 s3cret-two || fail "the callee did not register"

ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7000 3 60 >"$TMP/recv.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7000' | grep -q 7000" || fail "receiver did not bind"
ip netns exec "$NS" sipp -sf "$SIPP/uas_answer.xml" -i "$H" -p 5070 -mp 6100 -m 1 -nostdin -timeout 60 \
	-key rtp_port 7000 >"$TMP/sipp-uas.log" 2>&1 &
uas=$!
sleep 0.3
ip netns exec "$NS" sipp "$H:5060" -sf "$SIPP/uac_hungup.xml" -i "$H" -p 5080 -s 1002 -key caller 1001 -au 1001 \
	-auth_uri "1002@$H:5060" -ap s3cret-one -m 1 -nostdin -timeout 60 -mi "$H" -mp 6000 -key pcap "$PCAP" \
	>"$TMP/sipp-uac.log" 2>&1 &
uac=$!
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show calls --json | grep -q confirmed" || fail "no call"
id=$(cli show calls --json | json "d['calls'][0]['id']")
orphan=$(cli session create tag 999999 --json | json "d['session']")
ok "call $id up, media flowing; an orphan session $orphan made by hand"

kill -KILL "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
ctl_start --sip-digest md5
wait_for 10 cli show dataplane || fail "control did not attach after the restart"
wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show calls --json | grep -q '\"id\": $id'" ||
	fail "call $id not recovered: $(cli show calls --json)"
wait_for 5 sh -c "! $CLI_BIN --socket $TMP/ctl.sock show session $orphan >/dev/null 2>&1" ||
	fail "the orphan session $orphan was not destroyed"
grep -q "recovered 1 established call" "$TMP/control.log" || fail "control did not say it recovered the call"
cli show registrations --json | json "[r['user'] for r in d['registrations']] == ['1002'] and \
	d['registrations'][0]['source'] == '$H:5070'" | grep -qx True ||
	fail "registrations lost across the restart: $(cli show registrations)"
ok "control killed and restarted: call $id and the registration of 1002 recovered, orphan session destroyed"

wait "$recv"
python3 "$TD_TOP/tests/integration/rtp_check.py" "$PCAP" "$TMP/recv.json" || fail "media was interrupted by the restart"
ok "the callee received every RTP packet of the call across the restart"

cli call hangup "$id" >/dev/null || fail "call hangup $id after the restart"
wait "$uac" || fail "the caller did not get its BYE: $(tail -5 "$TMP/sipp-uac.log")"
wait "$uas" || fail "the callee did not get its BYE: $(tail -5 "$TMP/sipp-uas.log")"
wait_for 5 no_sessions ||
	fail "sessions left: $(cli show sessions)"
ok "the recovered call hung up normally: BYE on both legs, sessions gone"
td_done
