#!/usr/bin/env bash
# Prompts from the CLI through the real processes: a WAV of a 1 kHz tone
# made here is added as a named prompt and loaded by the dataplane; played
# once on a PCMA session it reaches a socket in the namespace as about
# 50 A-law packets of 20 ms carrying the tone, and its end (finished, 50
# frames) shows in `show session` and the log; the busy tone looped is
# heard with its two frequencies and cadence until it is stopped; a file
# the dataplane refuses is not kept; bad names, paths, prompts and
# sessions are refused with their reasons; a restarted dataplane gets the
# prompt again (the play it was doing ends as "dataplane lost"), and a
# restarted control finds it in LMDB.
. "$(dirname "$0")/lib.sh"
H=$TD_KERNEL_IP

td_setup_net
dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach"

python3 - "$TMP" <<'PY' || fail "making the WAV files"
import math, struct, sys, wave
def write(path, channels, samples):
    w = wave.open(path, "wb")
    w.setnchannels(channels)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes(struct.pack("<%dh" % len(samples), *samples))
    w.close()
tone = [int(round(8000 * math.sin(2 * math.pi * 1000 * i / 8000))) for i in range(8000)]
write(sys.argv[1] + "/beep.wav", 1, tone)
write(sys.argv[1] + "/stereo.wav", 2, tone)
PY

expect() { # STATUS TEXT CMD...: the command fails with STATUS and says TEXT
	local want=$1 text=$2 out st=0
	shift 2
	out=$(cli "$@" 2>&1) || st=$?
	[ "$st" = "$want" ] && grep -q "$text" <<<"$out" || fail "'$*': status $st, '$out' (wanted $want, '$text')"
}

out=$(cli prompt add beep "$TMP/beep.wav") || fail "prompt add: $out"
grep -q "prompt beep added (id 1), 1.00 s" <<<"$out" || fail "prompt add said: $out"
cli show prompts --json | json "[(p['name'], p['state'], p['frames'], p['duration_ms']) for p in d['prompts']] == \
	[('beep', 'loaded', 50, 1000)]" | grep -qx True || fail "show prompts: $(cli show prompts)"
ok "a WAV prompt added and loaded: 50 frames of 20 ms"

expect 1 "prompt stereo not added: .*not mono" prompt load stereo "$TMP/stereo.wav"
expect 1 "not added: .*no such file" prompt add missing "$TMP/none.wav"
cli show prompts --json | json "[p['name'] for p in d['prompts']] == ['beep']" | grep -qx True ||
	fail "a refused file was kept: $(cli show prompts)"
expect 2 "bad character 'B'" prompt add Beep "$TMP/beep.wav"
expect 2 "name of a tone" prompt add busy "$TMP/beep.wav"
expect 2 "absolute" prompt add rel beep.wav
expect 1 "prompt beep exists" prompt add beep "$TMP/beep.wav"
expect 1 "no prompt nothing" prompt del nothing
expect 2 "usage" prompt add beep
ok "refused files are not kept; bad names, paths and duplicates refused with their reasons"

s=$(cli session create remote "$H:7000" codec PCMA --json | json "d['session']") || fail "session create"
expect 1 "unknown prompt 'nothing'" session play "$s" nothing
expect 1 "no such session 1 " session play 1 beep
expect 2 "bad session id" session play x beep
expect 2 "usage" session play "$s" beep twice
expect 1 "nothing plays" session stop-play "$s"
ok "plays of unknown prompts and sessions refused"

# Once: about 50 packets of the 1 kHz tone, then the end in show session.
receive() { # PORT: a receiver on H:PORT until 1 s without packets
	ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rtp_recv.py" "$H" "$1" 1 12 >"$TMP/recv.json" &
	recv=$!
	wait_for 10 sh -c "ip netns exec $NS ss -Hlun 'sport = :$1' | grep -q $1" || fail "receiver did not bind"
}
receive 7000
out=$(cli session play "$s" beep) || fail "session play: $out"
grep -q "playing beep" <<<"$out" || fail "session play said: $out"
wait "$recv"
python3 - "$TMP/recv.json" "$TD_TOP/tests/dataplane" <<'PY' || fail "what the socket received"
import json, struct, sys
sys.path.insert(0, sys.argv[2])
from g711 import alaw_dec, tone_fraction
d = json.load(open(sys.argv[1]))
pkts = [bytes.fromhex(h) for h in d["datagrams"]]
hdr = [struct.unpack("!BBHII", p[:12]) for p in pkts]
pcm = [[alaw_dec(b) for b in p[12:]] for p in pkts]
toned = sum(1 for x in pcm if len(x) == 160 and tone_fraction(x, 1000.0) > 0.9)
print("packets %d, payload types %s, carrying 1 kHz: %d" % (len(pkts), sorted({h[1] & 0x7f for h in hdr}), toned))
assert 48 <= len(pkts) <= 52, len(pkts)
assert all(h[1] & 0x7f == 8 for h in hdr)
assert len({h[4] for h in hdr}) == 1
assert all((b[2] - a[2]) & 0xffff == 1 and (b[3] - a[3]) & 0xffffffff == 160 for a, b in zip(hdr, hdr[1:]))
assert toned >= 47, toned
PY
ok "played once: about 50 (48-52) A-law packets of 20 ms carrying the file's 1 kHz tone, one stream"
wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show session $s --json | grep -q '\"why_text\": \"finished\"'" ||
	fail "no end in show session: $(cli show session "$s")"
cli show session "$s" --json | json "d['play']['last']['what'] == 'beep' and d['play']['last']['frames'] == 50 \
	and 'playing' not in d['play']" | grep -qx True || fail "show session: $(cli show session "$s" --json)"
cli show session "$s" | grep -q "last play beep: finished, 1.00 s sent" || fail "show session: $(cli show session "$s")"
grep -q "session $s: play of beep finished, 1.00 s sent" "$TMP/control.log" || fail "control did not log the end"
ok "its end, finished after 50 frames, in show session and the log"

# The busy tone looped until stopped: 480 + 620 Hz, half a second on, off.
receive 7000
cli session play "$s" busy loop >/dev/null || fail "session play busy loop"
sleep 2
cli show session "$s" --json | json "d['play']['playing']['what'] == 'busy' and d['play']['playing']['loop']" |
	grep -qx True || fail "show session while playing: $(cli show session "$s" --json)"
cli show session "$s" | grep -q "playing busy (loop) for" || fail "show session: $(cli show session "$s")"
cli show prompts --json | json "d['plays']" | grep -qx 1 || fail "plays in progress: $(cli show prompts)"
cli session stop-play "$s" | grep -qx stopped || fail "stop-play"
wait "$recv"
wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show session $s --json | grep -q '\"why_text\": \"stopped\"'" ||
	fail "no stop in show session: $(cli show session "$s")"
grep -q "session $s: play of busy stopped" "$TMP/control.log" || fail "control did not log the stop"
python3 - "$TMP/recv.json" "$TD_TOP/tests/dataplane" <<'PY' || fail "the busy tone"
import json, sys
sys.path.insert(0, sys.argv[2])
from g711 import alaw_dec, tone_amplitude
d = json.load(open(sys.argv[1]))
pcm = [[alaw_dec(b) for b in bytes.fromhex(h)[12:]] for h in d["datagrams"]]
on = [x for x in pcm if tone_amplitude(x, 480) > 500 and tone_amplitude(x, 620) > 500 and tone_amplitude(x, 1000) < 100]
off = [x for x in pcm if max(abs(v) for v in x) < 64]
print("packets %d: both tones %d, silent %d" % (len(pcm), len(on), len(off)))
assert len(pcm) >= 90, len(pcm)
assert len(on) >= 35 and len(off) >= 35, (len(on), len(off))
assert len(on) + len(off) >= len(pcm) - 8
PY
expect 1 "nothing plays" session stop-play "$s"
ok "busy looped for 2 s (480 + 620 Hz on, silence off) until stopped; the stop in show session and the log"

# The dataplane restarts: the play it was doing ends, the prompt comes back.
cli session play "$s" beep loop >/dev/null || fail "session play beep loop"
expect 1 "prompt beep is playing on 1 session" prompt del beep
dp_kill KILL
wait_for 10 sh -c "grep -q 'session $s: play of beep failed: dataplane lost' '$TMP/control.log'" ||
	fail "the play did not end with the dataplane"
cli show prompts --json | json "d['prompts'][0]['state'], d['plays']" | grep -qx "waiting 0" ||
	fail "after the dataplane died: $(cli show prompts)"
ok "a dataplane killed mid-play ends the play (dataplane lost); the prompt waits"
dp_start
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show prompts --json | grep -q '\"state\": \"loaded\"'" ||
	fail "not loaded again: $(cli show prompts)"
cli show prompts --json | json "d['prompts'][0]['frames']" | grep -qx 50 || fail "frames: $(cli show prompts)"
s=$(cli session create remote "$H:7000" codec PCMA --json | json "d['session']") || fail "session create"
receive 7000
cli session play "$s" beep >/dev/null || fail "play after the restart"
wait "$recv"
json "d['count']" <"$TMP/recv.json" | grep -qE '^(48|49|50|51|52)$' ||
	fail "after the restart: $(json "d['count']" <"$TMP/recv.json") packets"
ok "the restarted dataplane has the prompt loaded again, and plays it"

# Control restarts: the prompt comes from LMDB, the dataplane still has it.
kill -TERM "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
CTL_PID=
ctl_start
wait_for 10 sh -c "$CLI_BIN --socket $TMP/ctl.sock show prompts --json | grep -q '\"state\": \"loaded\"'" ||
	fail "not loaded after the control restart: $(cli show prompts)"
cli session play "$s" beep | grep -q "playing beep" || fail "play after the control restart"
wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show session $s --json | grep -q '\"why_text\": \"finished\"'" ||
	fail "no end after the control restart: $(cli show session "$s")"
cli prompt del beep | grep -q "prompt beep deleted" || fail "prompt del"
cli show prompts --json | json "d['prompts']" | grep -qx "\[\]" || fail "still there: $(cli show prompts)"
ok "a restarted control finds the prompt in LMDB, loaded; deleted at last"
td_done
