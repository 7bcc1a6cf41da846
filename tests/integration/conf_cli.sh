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
ip netns exec "$NS" python3 - "$H" "$TD_DP_IP" "$port" <<'PY' || fail "sending the tone"
import math, socket, struct, sys, time
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 7000))
def alaw(x):
    x >>= 3
    mask = 0xD5 if x >= 0 else 0x55
    x = x if x >= 0 else -x - 1
    seg = next((i for i, e in enumerate([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]) if x <= e), 8)
    return (0x7F ^ mask) if seg == 8 else (((seg << 4) | ((x >> (1 if seg < 2 else seg)) & 0xF)) ^ mask)
t0 = time.time()
for i in range(75):
    pcm = [int(8000 * math.sin(2 * math.pi * 1000 * (160 * i + k) / 8000)) for k in range(160)]
    s.sendto(struct.pack("!BBHII", 0x80, 8, 100 + i, 160 * i, 0x51) + bytes(alaw(v) for v in pcm), (dst, port))
    time.sleep(max(0, t0 + 0.02 * (i + 1) - time.time()))
PY
wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show conferences --json | grep -q '\"talking\": true'" ||
	fail "no talker seen: $(cli show conferences)"
ok "the speaker's tone makes it the talker in show conferences"
wait "$recv"
python3 - "$TMP/listener.json" <<'PY' || fail "what the listener heard"
import json, math, sys
d = json.load(open(sys.argv[1]))
def alaw_dec(a):
    a ^= 0x55
    t = (a & 0xF) << 4
    seg = (a & 0x70) >> 4
    t = t + 8 if seg == 0 else (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t
def tone_share(x, f=1000.0, rate=8000):
    c = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    e = sum(v * v for v in x) or 1
    return 2 * (s1 * s1 + s2 * s2 - c * s1 * s2) / (len(x) * e)
pcm = [[alaw_dec(b) for b in bytes.fromhex(h)[12:]] for h in d["datagrams"]]
toned = sum(1 for x in pcm if sum(v * v for v in x) / max(len(x), 1) > 1e6 and tone_share(x) > 0.8)
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
