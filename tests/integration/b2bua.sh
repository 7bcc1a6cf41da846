#!/usr/bin/env bash
# The B2BUA with real peers: users made with the CLI and kept in LMDB,
# REGISTER with digest auth (SHA-256 first, MD5; good, bad and replayed
# credentials), then SIPp calls between registered extensions through
# tongdai with media anchored in the dataplane: a basic call whose RTP
# (SIPp's g711a.pcap) must reach the callee's receiver intact, a busy
# callee, hold and resume by re-INVITE, a CANCEL before the answer, a call hung up from the CLI, and
# refusals (unknown user 404, not registered 480, no credentials 407).
# Nothing may stay behind: no call, no dataplane session.
. "$(dirname "$0")/lib.sh"
PCAP=/usr/share/sip-tester/g711a.pcap
SIPP=$TD_TOP/bench/sipp
H=$TD_KERNEL_IP

td_setup_net
dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach"

cli show codecs --json | json "sorted(c['name'] for c in d['codecs']) == ['G722', 'G729', 'PCMA', 'PCMU', 'opus'] \
	and d['running'] and d['workers'][0]['transcoders_max'] == 64 and d['workers'][0]['transcoders_used'] == 0" |
	grep -qx True || fail "show codecs: $(cli show codecs --json)"
ok "show codecs: five codecs, the worker's transcoding budget of 64, none in use"

# --- users ---
cli user add 1001 s3cret-one >/dev/null || fail "user add 1001"
cli user add 1002 s3cret-two display "Desk Two" >/dev/null || fail "user add 1002"
cli user add 1003 s3cret-three >/dev/null || fail "user add 1003"
rc=0
cli user add 1001 other >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a duplicate user must fail with 1, got $rc"
rc=0
cli user add 'bad name!' x >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a bad user name must be a usage error, got $rc"
[ "$(cli show users --json | json "len(d['users'])")" = 3 ] || fail "show users"
ok "users added with the CLI; duplicates and bad names refused"

client() { ip netns exec "$NS" python3 "$TD_TOP/tests/integration/sip_client.py" "$H" 5060 "$@"; }
regs() { cli show registrations --json | json "len(d['registrations'])"; }

# --- REGISTER with digest auth ---
out=$(client register 1003 s3cret-three)
[ "$out" = "200 first-challenge=SHA-256" ] || fail "SHA-256 registration: $out"
out=$(client register 1003 s3cret-three --alg MD5)
[ "${out%% *}" = 200 ] || fail "MD5 registration: $out"
[ "$(client register 1003 wrong)" = "403 first-challenge=SHA-256" ] || fail "wrong password not refused"
[ "$(client register 9999 whatever | cut -d' ' -f1)" = 403 ] || fail "unknown user not refused"
[ "$(client replay 1003 s3cret-three | cut -d' ' -f1)" = 403 ] || fail "a replayed nonce count was accepted"
[ "$(client unregister 1003 s3cret-three | cut -d' ' -f1)" = 200 ] || fail "unregister"
[ "$(regs)" = 0 ] || fail "bindings after unregister: $(cli show registrations)"
ok "REGISTER: SHA-256 offered first, MD5 accepted, wrong/unknown/replayed refused, unregister"

# SIPp 3.6 answers MD5 only: restart control offering MD5 alone. The users
# must have survived in LMDB.
kill -TERM "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
ctl_start --sip-digest md5
wait_for 10 cli show dataplane || fail "control did not attach after restart"
[ "$(cli show users --json | json "len(d['users'])")" = 3 ] || fail "users lost across a restart"

sipp_register 5070 1002 wrong register_bad.xml || fail "bad credentials were not refused with 403"
[ "$(regs)" = 0 ] || fail "a refused REGISTER bound something"
sipp_register 5070 1002 s3cret-two || fail "SIPp could not register 1002: $(tail -5 "$TMP/sipp-reg-5070.log")"
cli show registrations --json | json "d['registrations'][0]['user'] == '1002' and \
	d['registrations'][0]['source'] == '$H:5070'" | grep -qx True || fail "binding: $(cli show registrations)"
ok "SIPp REGISTER with MD5: bad credentials 403, good ones bound from $H:5070"

# --- refusals ---
[ "$(client invite 1001 s3cret-one 4444)" = 404 ] || fail "unknown callee not 404"
[ "$(client invite 1001 s3cret-one 1003)" = 480 ] || fail "unregistered callee not 480"
[ "$(client invite 1001 wrong 1002)" = 403 ] || fail "caller with a wrong password not 403"
ok "INVITE refusals: 404 unknown, 480 not registered, 403 bad credentials"

# --- a basic call with RTP checked at the callee ---
uas() { # scenario [sipp options]
	local sf=$1
	shift
	ip netns exec "$NS" sipp -sf "$SIPP/$sf" -i "$H" -p 5070 -mp 6100 -m 1 -nostdin -timeout 40 "$@" \
		>"$TMP/sipp-uas.log" 2>&1 &
	UAS=$!
	sleep 0.3
}
uac() { # scenario [sipp options]
	local sf=$1
	shift
	ip netns exec "$NS" sipp "$H:5060" -sf "$SIPP/$sf" -i "$H" -p 5080 -s 1002 -key caller 1001 -au 1001 -auth_uri "1002@$H:5060" \
		-ap s3cret-one -m 1 -nostdin -timeout 40 "$@" >"$TMP/sipp-uac.log" 2>&1
}
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7000 3 40 >"$TMP/recv.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7000' | grep -q 7000" || fail "receiver did not bind"
uas uas_answer.xml -key rtp_port 7000
uac uac_call.xml -mi "$H" -mp 6000 -key pcap "$PCAP" -d 8500 &
uac_pid=$!
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show calls --json | grep -q confirmed" ||
	fail "no confirmed call: $(cli show calls)"
cli show calls --json | json "d['calls'][0]['from'] == '1001' and d['calls'][0]['to'] == '1002' and \
	d['calls'][0]['a']['session'] > 0 and d['calls'][0]['b']['session'] > 0" | grep -qx True ||
	fail "show calls: $(cli show calls --json)"
[ "$(cli show sessions --json | json "len(d['sessions'])")" = 2 ] || fail "the call has not two sessions"
wait "$uac_pid" || fail "SIPp caller failed: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "SIPp callee failed: $(tail -5 "$TMP/sipp-uas.log")"
wait "$recv"
python3 "$TD_TOP/tests/integration/rtp_check.py" "$PCAP" "$TMP/recv.json" ||
	fail "media did not reach the callee intact; drops: $(cli show dataplane --json | json "d['drops']")"
ok "basic call 1001 -> 1002: every RTP payload of g711a.pcap reached the callee in order"
wait_for 5 no_sessions ||
	fail "sessions left after BYE: $(cli show sessions)"
[ "$(cli show calls --json | json "len(d['calls'])")" = 0 ] || fail "call left after BYE"
ok "BYE tore the call down: no call, no dataplane session"

# --- a callee that speaks G.729 only: the dataplane transcodes ---
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7000 3 40 >"$TMP/recv729.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7000' | grep -q 7000" || fail "receiver did not bind"
uas uas_answer_g729.xml -key rtp_port 7000
uac uac_call.xml -mi "$H" -mp 6000 -key pcap "$PCAP" -d 8500 &
uac_pid=$!
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show calls --json | grep -q confirmed" ||
	fail "no G.729 call: $(cli show calls)"
cli show codecs --json | json "d['workers'][0]['transcoders_used'] == 1" | grep -qx True ||
	fail "no transcoder in use: $(cli show codecs --json)"
cli show sessions --json | json "len(d['sessions']) == 2 and all(s['jitter_buffer'] for s in d['sessions'])" |
	grep -qx True || fail "the transcoding legs have no jitter buffer: $(cli show sessions --json)"
wait "$uac_pid" || fail "SIPp caller (G.711) failed: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "SIPp callee (G.729) failed: $(tail -5 "$TMP/sipp-uas.log")"
wait "$recv"
python3 - "$TMP/recv729.json" <<'PY' || fail "the G.729 callee did not get G.729"
import json, sys
d = [bytes.fromhex(x) for x in json.load(open(sys.argv[1]))["datagrams"]]
pts = {p[1] & 0x7F for p in d}
sizes = {len(p) - 12 for p in d}
ssrcs = {p[8:12] for p in d}
seqs = [int.from_bytes(p[2:4], "big") for p in d]
print("callee got %d packets, payload types %s, payload sizes %s" % (len(d), pts, sizes))
assert len(d) >= 200, "too few packets"
assert pts == {18} and sizes == {20}, "not G.729 at 20 ms"
assert len(ssrcs) == 1 and all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:])), "SSRC or sequence broken"
PY
wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show codecs --json | grep -q '\"transcoders_used\": 0'" ||
	fail "the transcoder was not given back: $(cli show codecs --json)"
ok "G.711 caller, G.729-only callee: transcoded in the dataplane (PT 18, 20 octets per 20 ms, both legs through a jitter buffer), transcoder returned"

# --- hold and resume: re-INVITEs relayed with SDP rewritten ---
uas uas_answer.xml -key rtp_port 7000 -trace_msg -message_file "$TMP/uas-msgs.txt"
uac uac_hold.xml -mi "$H" -mp 6000 || fail "hold/resume at the caller: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "hold/resume at the callee: $(tail -5 "$TMP/sipp-uas.log")"
python3 - "$TMP/uas-msgs.txt" "$TD_DP_IP" <<'PY' || fail "the callee did not see hold then resume"
import re, sys
text, dp = open(sys.argv[1]).read(), sys.argv[2]
invites = [m for m in re.split(r"\n-{20,}[^\n]*\n", text) if re.search(r"^INVITE ", m, re.M)]
dirs = [re.search(r"a=(sendrecv|sendonly|recvonly|inactive)", m).group(1) for m in invites]
print("INVITEs seen by the callee, directions:", dirs)
assert dirs == ["sendrecv", "sendonly", "sendrecv"], dirs
assert all(("c=IN IP4 %s" % dp) in m for m in invites), "media not anchored in the dataplane"
PY
ok "hold and resume: the callee got sendonly then sendrecv, media still at the dataplane"

# --- busy, cancel ---
uas uas_busy.xml
uac uac_busy.xml -mi "$H" -mp 6000 || fail "caller did not get 486: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "busy callee: $(tail -5 "$TMP/sipp-uas.log")"
ok "callee busy: 486 reached the caller"
uas uas_ring.xml
uac uac_cancel.xml -mi "$H" -mp 6000 || fail "CANCEL flow at the caller: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "the callee was not cancelled: $(tail -5 "$TMP/sipp-uas.log")"
ok "CANCEL before answer: 487 to the caller, the callee's leg cancelled"

# --- hang up from the CLI ---
uas uas_answer.xml -key rtp_port 7000
uac uac_hungup.xml -mi "$H" -mp 6000 -key pcap "$PCAP" &
uac_pid=$!
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show calls --json | grep -q confirmed" || fail "no call to hang up"
id=$(cli show calls --json | json "d['calls'][0]['id']")
cli call hangup "$id" >/dev/null || fail "call hangup $id"
wait "$uac_pid" || fail "the caller did not get a BYE: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "the callee did not get a BYE: $(tail -5 "$TMP/sipp-uas.log")"
rc=0
cli call hangup "$id" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "hanging up an ended call must fail with 1"
ok "call hangup $id: BYE to both legs"

wait_for 5 no_sessions ||
	fail "sessions left: $(cli show sessions)"
cli show calls --json | json "d['stats']['answered'] == 4 and d['stats']['completed'] == 4 and \
	d['stats']['transcoded'] == 1 and \
	d['stats']['reinvites'] == 2 and \
	d['stats']['cancelled'] == 1 and d['stats']['not_found'] == 1 and d['stats']['unavailable'] == 1" |
	grep -qx True || fail "call counters: $(cli show calls --json)"
ok "counters: 4 answered and completed, 1 transcoded, 2 re-INVITEs, 1 cancelled, 1 not found, 1 unavailable"
td_done
