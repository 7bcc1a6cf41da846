#!/usr/bin/env bash
# SIP trunks with SIPp playing the carrier:
# (a) outbound registration: the carrier's registrar answers 423 with
#     Min-Expires, then 401; the credentials tongdai sends must verify
#     (SIPp's verifyauth) for the 200; `show trunks` says registered; the
#     un-REGISTER of `trunk del` carries credentials that verify too; a
#     registrar refusing the password (trunk_registrar.py) gets one
#     SHA-256 answer and the trunk waits for its back-off;
# (b) a registered extension dials 9<number>: the carrier gets an INVITE
#     for <number> from the trunk's account, challenges it with 407, gets
#     the retry (CSeq 2, same Call-ID, credentials that verify) and answers;
#     the caller's RTP reaches the carrier's receiver; BYE;
# (c) the carrier calls a DID: the mapped extension's SIPp answers; an
#     unmapped number gets 404;
# (d) an INVITE for the trunk prefix with bad credentials is refused and
#     nothing reaches the carrier; with --no-call-auth too.
. "$(dirname "$0")/lib.sh"
PCAP=/usr/share/sip-tester/g711a.pcap
SIPP=$TD_TOP/bench/sipp
MY=$TD_TOP/tests/integration/sipp
H=$TD_KERNEL_IP

td_setup_net
dp_start
# SIPp 3.6 answers MD5 challenges only.
ctl_start --sip-digest md5
wait_for 10 cli show dataplane || fail "control did not attach"
cli user add 1001 s3cret-one >/dev/null || fail "user add 1001"
cli user add 1002 s3cret-two >/dev/null || fail "user add 1002"
trunks() { cli show trunks --json; }

# --- bad values, each refused with status 2 ---
for args in "t1 host carrier.example" "t1 host $H register yes" "t1 host $H:5090 prefix 9x" \
	"t1 host $H expires 5" "bad/name host $H"; do
	rc=0
	# shellcheck disable=SC2086 # the words are the arguments
	cli trunk add $args >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "trunk add $args: status $rc, want 2"
done
[ "$(trunks | json "len(d['trunks'])")" = 0 ] || fail "a refused trunk was kept"
ok "trunk add refuses bad hosts, names, prefixes, expiries and register without an account"

# --- (a) outbound registration ---
ip netns exec "$NS" sipp -sf "$MY/carrier_registrar.xml" -i "$H" -p 5090 -m 1 -nostdin -timeout 30 \
	-trace_msg -message_file "$TMP/registrar-msgs.txt" >"$TMP/sipp-registrar.log" 2>&1 &
REGSRV=$!
sleep 0.3
cli trunk add reg host "$H:5090" user acct1 password Carrier-Pw1 register yes expires 120 >/dev/null ||
	fail "trunk add reg"
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show trunks --json | grep -q '\"state\": \"registered\"'" ||
	fail "not registered: $(cli show trunks)"
trunks | json "d['trunks'][0]['name'] == 'reg' and d['trunks'][0]['last_code'] == 200 and \
	500 < d['trunks'][0]['expires_in'] <= 600 and d['trunks'][0]['password_set'] and \
	'password' not in d['trunks'][0]" | grep -qx True || fail "show trunks: $(trunks)"
cli show trunks | grep -q "Carrier-Pw1" && fail "show trunks printed the password"
cli show trunks --json | grep -q "Carrier-Pw1" && fail "show trunks --json printed the password"
ok "trunk registered: 423 Min-Expires honoured, 401 answered with credentials that verify, 600 s granted"
cli trunk del reg >/dev/null || fail "trunk del reg"
wait "$REGSRV" || fail "the registrar did not get a verified un-REGISTER: $(tail -5 "$TMP/sipp-registrar.log")"
[ "$(trunks | json "len(d['trunks'])")" = 0 ] || fail "trunk reg still listed"
ok "trunk del: un-REGISTER (Expires: 0) with credentials that verify"

# A wrong password: the carrier's 401 is answered once (SHA-256, offered
# first), the second 401 is a failure, retried only after the back-off.
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/trunk_registrar.py" "$H" 5094 acct2 not-the-one 4 refuse \
	>"$TMP/refusing.json" &
REFUSER=$!
sleep 0.3
cli trunk add refused host "$H:5094" user acct2 password not-the-one register yes >/dev/null ||
	fail "trunk add refused"
wait "$REFUSER"
json "d['registers'] == 2 and d['first_without_credentials'] and d['second_sha256_ok']" <"$TMP/refusing.json" |
	grep -qx True || fail "the refusing registrar saw: $(cat "$TMP/refusing.json")"
trunks | json "d['trunks'][0]['state'] == 'failed' and d['trunks'][0]['last_code'] == 401 and \
	20 <= d['trunks'][0]['retry_in'] <= 30" | grep -qx True || fail "refused trunk: $(trunks)"
cli show trunks | grep -q "failed (401 Unauthorized)" || fail "show trunks text: $(cli show trunks)"
cli trunk del refused >/dev/null || fail "trunk del refused"
ok "wrong password: one SHA-256 answer to the 401, then failed (401), next try in 30 s"

# --- the carrier for calls, and the extensions ---
cli trunk add carrier host "$H:5092" user acct1 password Carrier-Pw1 prefix 9/strip 1 >/dev/null ||
	fail "trunk add carrier"
cli trunk did add carrier 0142001 1002 >/dev/null || fail "trunk did add"
rc=0
cli trunk did add carrier 0142001 1001 >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a DID mapped twice must fail with 1, got $rc"
trunks | json "d['trunks'][0]['state'] == 'not registering' and \
	d['trunks'][0]['prefixes'] == [{'prefix': '9', 'strip': 1}] and \
	d['trunks'][0]['dids'] == [{'number': '0142001', 'extension': '1002'}] and \
	d['trunks'][0]['sources'] == [{'ip': '$H', 'port': 5092}]" | grep -qx True || fail "carrier: $(trunks)"
sipp_register 5080 1001 s3cret-one || fail "SIPp could not register 1001"
sipp_register 5070 1002 s3cret-two || fail "SIPp could not register 1002"

# --- (b) an extension calls out through the trunk ---
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7000 3 40 >"$TMP/recv.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7000' | grep -q 7000" || fail "receiver did not bind"
ip netns exec "$NS" sipp -sf "$MY/carrier_uas.xml" -i "$H" -p 5092 -mp 6300 -m 1 -nostdin -timeout 40 -key rtp_port 7000 -trace_msg -message_file "$TMP/carrier-msgs.txt" \
	>"$TMP/sipp-carrier.log" 2>&1 &
CARRIER=$!
sleep 0.3
ip netns exec "$NS" sipp "$H:5060" -sf "$SIPP/uac_call.xml" -i "$H" -p 5080 -s 90142555 -key caller 1001 \
	-au 1001 -ap s3cret-one -auth_uri "90142555@$H:5060" -mi "$H" -mp 6000 -key pcap "$PCAP" -d 8500 \
	-m 1 -nostdin -timeout 40 >"$TMP/sipp-uac.log" 2>&1 &
uac=$!
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show calls --json | grep -q confirmed" ||
	fail "no confirmed call out: $(cli show calls); carrier: $(tail -5 "$TMP/sipp-carrier.log")"
cli show calls --json | json "d['calls'][0]['from'] == '1001' and d['calls'][0]['to'] == '0142555'" |
	grep -qx True || fail "show calls: $(cli show calls --json)"
wait "$uac" || fail "the caller failed: $(tail -5 "$TMP/sipp-uac.log")"
wait "$CARRIER" || fail "the carrier failed: $(tail -5 "$TMP/sipp-carrier.log")"
wait "$recv"
python3 "$TD_TOP/tests/integration/rtp_check.py" "$PCAP" "$TMP/recv.json" ||
	fail "media did not reach the carrier intact"
wait_for 5 no_sessions || fail "sessions left after BYE: $(cli show sessions)"
[ "$(trunks | json "d['trunks'][0]['calls_out']")" = 1 ] || fail "calls_out: $(trunks)"
python3 - "$TMP/carrier-msgs.txt" <<'PY' || fail "the INVITE's retry was not right"
import hashlib, re, sys
text = open(sys.argv[1]).read()
invites = [m for m in re.split(r"\n-{20,}[^\n]*\n", text) if re.search(r"^INVITE ", m, re.M)]
assert len(invites) == 2, "%d INVITEs" % len(invites)
def h(m, name):
    return re.search(r"^%s: *(.*?)\r?$" % name, m, re.M | re.I).group(1)
assert h(invites[0], "Call-ID") == h(invites[1], "Call-ID"), "Call-ID changed"
assert h(invites[0], "From") == h(invites[1], "From"), "From (tag) changed"
assert h(invites[1], "CSeq") == "2 INVITE", h(invites[1], "CSeq")
p = dict(re.findall(r'(\w+)="?([^",]*)"?', h(invites[1], "Proxy-Authorization")[len("Digest "):]))
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
want = md5("%s:%s:%s" % (md5("acct1:carrier.test:Carrier-Pw1"), p["nonce"], md5("INVITE:" + p["uri"])))
assert p["username"] == "acct1" and p["realm"] == "carrier.test", p
assert p["uri"] == re.search(r"^INVITE (\S+)", invites[1], re.M).group(1), "uri= is not the Request-URI"
assert p["response"] == want, "digest response %s, want %s" % (p["response"], want)
print("retry: CSeq 2, same Call-ID and From tag, Proxy-Authorization verifies")
PY
ok "9 0142555 from 1001: INVITE for 0142555 from acct1, 407 answered (CSeq 2, verified), RTP reached the carrier, BYE"

# --- (c) the carrier calls a DID ---
ip netns exec "$NS" sipp -sf "$SIPP/uas_answer.xml" -i "$H" -p 5070 -mp 6100 -m 1 -nostdin -timeout 40 \
	-key rtp_port 7002 >"$TMP/sipp-1002.log" 2>&1 &
UAS=$!
sleep 0.3
ip netns exec "$NS" sipp "$H:5060" -sf "$SIPP/uac_call_direct.xml" -i "$H" -p 5092 -s 0142001 \
	-key caller 33600000001 -mi "$H" -mp 6200 -d 1000 -m 1 -nostdin -timeout 40 >"$TMP/sipp-did.log" 2>&1 ||
	fail "the carrier's call to the DID failed: $(tail -5 "$TMP/sipp-did.log")"
wait "$UAS" || fail "extension 1002 did not answer the DID call: $(tail -5 "$TMP/sipp-1002.log")"
ip netns exec "$NS" sipp "$H:5060" -sf "$MY/carrier_uac_404.xml" -i "$H" -p 5092 -s 0142999 \
	-key caller 33600000001 -mi "$H" -mp 6200 -m 1 -nostdin -timeout 20 >"$TMP/sipp-404.log" 2>&1 ||
	fail "an unmapped DID was not refused with 404: $(tail -5 "$TMP/sipp-404.log")"
trunks | json "d['trunks'][0]['calls_in'] == 1 and d['trunks'][0]['no_did'] == 1" | grep -qx True ||
	fail "carrier counters: $(trunks)"
ok "the carrier's call to DID 0142001 reached extension 1002 without credentials; 0142999 got 404"

# --- (d) no way out without credentials ---
client() { ip netns exec "$NS" python3 "$TD_TOP/tests/integration/sip_client.py" "$H" 5060 "$@"; }
listen_carrier() { # SECONDS: count what reaches the carrier's port meanwhile
	ip netns exec "$NS" python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$H', 5092)); s.settimeout(0.2)
n, end = 0, time.time() + float(sys.argv[1])
while time.time() < end:
    try:
        s.recv(65535); n += 1
    except socket.timeout:
        pass
print(n)" "$1" >"$TMP/carrier-got.txt" &
	LISTEN=$!
	sleep 0.3
}
listen_carrier 4
[ "$(client invite 1001 wrong 90142555)" = 403 ] || fail "bad credentials toward the trunk not 403"
[ "$(client invite 7777 whatever 90142555)" = 403 ] || fail "an unknown caller toward the trunk not 403"
wait "$LISTEN"
[ "$(cat "$TMP/carrier-got.txt")" = 0 ] || fail "something reached the carrier"
[ "$(trunks | json "d['trunks'][0]['denied_out'] >= 2 and d['trunks'][0]['calls_out'] == 1")" = True ] ||
	fail "denied_out: $(trunks)"
ok "INVITEs for 9... with bad or unknown credentials refused (403), counted, nothing sent to the carrier"

# A registrar granting 4 s: refreshes at half time; control's stop
# un-REGISTERs; the trunk, read back from LMDB, registers again.
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/trunk_registrar.py" "$H" 5096 acct3 pw-three 10 grant 4 \
	>"$TMP/granting.json" &
GRANTER=$!
sleep 0.3
cli trunk add short host "$H:5096" user acct3 password pw-three register yes >/dev/null || fail "trunk add short"
sleep 5
trunks | json "[t for t in d['trunks'] if t['name'] == 'short'][0]['state'] == 'registered'" | grep -qx True ||
	fail "trunk short: $(trunks)"
kill -TERM "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
ctl_start --sip-digest md5 --no-call-auth
wait_for 10 cli show dataplane || fail "control did not attach after restart"
wait "$GRANTER"
json "d['granted'] >= 4 and d['unregistered'] == 1 and d['bad_digest'] == 0 and len(d['call_ids']) == 2 and \
	not any(c.startswith('0000000000') for c in d['call_ids'])" <"$TMP/granting.json" | grep -qx True ||
	fail "the granting registrar saw: $(cat "$TMP/granting.json")"
ok "4 s granted: refreshed before expiry; un-REGISTER at stop; registered again after the restart (new Call-ID)"
cli trunk del short >/dev/null || fail "trunk del short"
trunks | json "d['trunks'][0]['name'] == 'carrier' and len(d['trunks'][0]['dids']) == 1" | grep -qx True ||
	fail "the trunk was not kept across a restart: $(trunks)"
listen_carrier 3
[ "$(client invite 1001 wrong 90142555)" = 403 ] || fail "--no-call-auth: bad credentials toward the trunk not 403"
wait "$LISTEN"
[ "$(cat "$TMP/carrier-got.txt")" = 0 ] || fail "--no-call-auth: something reached the carrier"
ok "with --no-call-auth the trunk still needs an authenticated caller; the trunk survived a restart in LMDB"
td_done
