#!/usr/bin/env bash
# Conferences from the CLI: three PCMA sessions in a conference with the
# roles speaker, listen and whisper; a 1 kHz tone sent to the speaker's
# port reaches the listener mixed (it hears the speaker), the talker event
# shows in `show conferences`; roles change, participants leave, the
# conference ends; every bad request gets its reason.
. "$(dirname "$0")/lib.sh"
H=$TD_KERNEL_IP

td_setup_net
dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach"
sid() { cli session create remote "$H:$1" codec PCMA --json | json "d['session']"; }
s1=$(sid 7000) && s2=$(sid 7002) && s3=$(sid 7004) || fail "session create"
conf=$(cli conf create --json | json "d['conf']") || fail "conf create: $(cli conf create)"
cli conf join "$conf" "$s1" >/dev/null || fail "join speaker"
cli conf join "$conf" "$s2" listen >/dev/null || fail "join listen"
cli conf join "$conf" "$s3" whisper "$s1" >/dev/null || fail "join whisper"
cli show conferences --json | json "[(p['session'], p['role'], p['whisper_to']) for p in d['conferences'][0]['participants']] == \
	[($s1, 'speaker', 0), ($s2, 'listen', 0), ($s3, 'whisper', $s1)]" | grep -qx True ||
	fail "show conferences: $(cli show conferences)"
ok "a conference of three: speaker, listener, whisperer to the speaker"

# The speaker talks: a 1 kHz A-law tone to its port for 1.5 s.
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" 7002 1 4 >"$TMP/listener.json" &
recv=$!
wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :7002' | grep -q 7002" || fail "receiver did not bind"
port=$(cli show session "$s1" --json | json "d['port']")
ip netns exec "$NS" python3 - "$H" "$TD_DP_IP" "$port" "$TD_TOP/tests/dataplane" <<'PY' || fail "sending the tone"
import socket, struct, sys, time
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, sys.argv[4])
from g711 import alaw_enc, sine
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 7000))
pcm = sine(160 * 75)
t0 = time.time()
for i in range(75):
    payload = bytes(alaw_enc(v) for v in pcm[160 * i:160 * (i + 1)])
    s.sendto(struct.pack("!BBHII", 0x80, 8, 100 + i, 160 * i, 0x51) + payload, (dst, port))
    time.sleep(max(0, t0 + 0.02 * (i + 1) - time.time()))
PY
wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show conferences --json | grep -q '\"talking\": true'" ||
	fail "no talker seen: $(cli show conferences)"
ok "the speaker's tone makes it the talker in show conferences"
wait "$recv"
python3 - "$TMP/listener.json" "$TD_TOP/tests/dataplane" <<'PY' || fail "what the listener heard"
import json, sys
sys.path.insert(0, sys.argv[2])
from g711 import alaw_dec, tone_fraction
d = json.load(open(sys.argv[1]))
pcm = [[alaw_dec(b) for b in bytes.fromhex(h)[12:]] for h in d["datagrams"]]
toned = sum(1 for x in pcm if sum(v * v for v in x) / max(len(x), 1) > 1e6 and tone_fraction(x, 1000.0) > 0.8)
print("packets to the listener: %d, carrying the 1 kHz tone: %d" % (len(pcm), toned))
assert toned >= 50, toned
PY
ok "the listener hears the speaker's tone in its mix"

cli conf role "$conf" "$s2" speaker >/dev/null || fail "role change"
cli conf leave "$conf" "$s3" >/dev/null || fail "leave"
cli show conferences --json | json "[(p['session'], p['role']) for p in d['conferences'][0]['participants']] == \
	[($s1, 'speaker'), ($s2, 'speaker')]" | grep -qx True || fail "after role and leave: $(cli show conferences)"
ok "role changed, whisperer left"

expect() { # STATUS TEXT CMD...: the command fails with STATUS and says TEXT
	local want=$1 text=$2 out st=0
	shift 2
	out=$(cli "$@" 2>&1) || st=$?
	[ "$st" = "$want" ] && grep -q "$text" <<<"$out" || fail "'$*': status $st, '$out' (wanted $want, '$text')"
}
expect 2 "bad role" conf join "$conf" "$s3" loud
expect 2 "whisper needs" conf join "$conf" "$s3" whisper
expect 1 "no conference 999" conf join 999 "$s3"
expect 2 "bad conference id" conf leave x "$s1"
expect 1 "already in a conference" conf join "$conf" "$s1"
s4=$(sid 7006)
cli session bridge "$s3" "$s4" >/dev/null || fail "bridge"
expect 1 "bridged" conf join "$conf" "$s3"
expect 2 "usage" conf create worker
ok "bad requests refused with their reasons"
cli conf destroy "$conf" >/dev/null || fail "destroy"
cli show conferences --json | json "d['conferences'] == []" | grep -qx True || fail "still there: $(cli show conferences)"
ok "conference destroyed"
td_done
