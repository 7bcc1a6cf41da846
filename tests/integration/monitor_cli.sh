#!/usr/bin/env bash
# Supervisor monitoring from the CLI: a customer session bridged to an
# agent session, and a supervisor session, all PCMA, on two workers. The
# three peers send 500, 900 and 1300 Hz tones and receive on the same
# sockets while the CLI switches the monitor listen -> whisper -> barge ->
# off; what each socket receives in each phase is measured by Goertzel.
# Then the monitor list, the ends (stop, a session destroyed) and every bad
# request with its reason.
. "$(dirname "$0")/lib.sh"
H=$TD_KERNEL_IP

td_setup_net
DP_LCORES="--lcores 0@0,1@1,2@1" DP_VDEV="net_af_packet0,iface=dp0,qpairs=2" dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach"
sid() { cli session create remote "$H:$1" codec PCMA worker "${2:-0}" --json | json "d['session']"; }
c=$(sid 7000) && a=$(sid 7002) && s=$(sid 7004) || fail "session create"
cli session bridge "$c" "$a" >/dev/null || fail "bridge: $(cli session bridge "$c" "$a")"
cli monitor "$a" listen "$s" >/dev/null || fail "monitor: $(cli monitor "$a" listen "$s")"
cli show monitors --json | json "[(m['agent'], m['customer'], m['supervisor'], m['mode']) for m in d['monitors']] == \
	[($a, $c, $s, 'listen')]" | grep -qx True || fail "show monitors: $(cli show monitors)"
ok "a call monitored: show monitors names agent, customer, supervisor and mode"

port() { cli show session "$1" --json | json "d['port']"; }
ip netns exec "$NS" python3 - "$H" "$TD_DP_IP" "$(port "$c")" "$(port "$a")" "$(port "$s")" \
	"$TD_TOP/tests/dataplane" "$CLI_BIN" "$TMP/ctl.sock" "$a" "$s" >"$TMP/phases.txt" <<'PY' || fail "$(cat "$TMP/phases.txt")"
import math, select, socket, struct, subprocess, sys, time
src, dst = sys.argv[1], sys.argv[2]
ports = dict(zip("cas", map(int, sys.argv[3:6])))
sys.path.insert(0, sys.argv[6])
from g711 import alaw_dec, alaw_enc, tone_fraction
cli, sock, agent, sup = sys.argv[7], sys.argv[8], sys.argv[9], sys.argv[10]
tones = {"c": 500.0, "a": 900.0, "s": 1300.0}
socks = {}
for i, n in enumerate("cas"):
    socks[n] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    socks[n].bind((src, 7000 + 2 * i))
    socks[n].setblocking(False)
phases = ["listen", "whisper", "barge", "off"]
per = 60  # packets per phase from each peer: 1.2 s
got = {n: [[] for _ in phases] for n in "cas"}
t0 = time.time()
seq = 0
for k, mode in enumerate(phases):
    if k:
        r = subprocess.run([cli, "--socket", sock, "monitor", agent, mode, sup], capture_output=True, text=True)
        assert r.returncode == 0, (mode, r.stdout, r.stderr)
    for i in range(per):
        for n in "cas":
            pcm = [int(6000 * math.sin(2 * math.pi * tones[n] * (160 * seq + j) / 8000)) for j in range(160)]
            pkt = struct.pack("!BBHII", 0x80, 8, seq & 0xFFFF, 160 * seq, 0x100 + ord(n)) + bytes(map(alaw_enc, pcm))
            socks[n].sendto(pkt, (dst, ports[n]))
        seq += 1
        end = t0 + 0.02 * seq
        while True:
            left = end - time.time()
            rd, _, _ = select.select(list(socks.values()), [], [], max(left, 0))
            for n, so in socks.items():
                if so in rd:
                    while True:
                        try:
                            got[n][k].append(so.recv(2048))
                        except BlockingIOError:
                            break
            if left <= 0:
                break
time.sleep(0.3)
for n, so in socks.items():
    while True:
        try:
            got[n][-1].append(so.recv(2048))
        except BlockingIOError:
            break
hears = {"listen": {"c": {"a"}, "a": {"c"}, "s": {"c", "a"}},
         "whisper": {"c": {"a"}, "a": {"c", "s"}, "s": {"c", "a"}},
         "barge": {"c": {"a", "s"}, "a": {"c", "s"}, "s": {"c", "a"}},
         "off": {"c": {"a"}, "a": {"c"}, "s": set()}}
bad = []
for k, mode in enumerate(phases):
    for n in "cas":
        pkts = got[n][k]
        want = hears[mode][n]
        if not want:
            # Off: whatever the supervisor got came in the phase's first moments.
            if len(pkts) > 10:
                bad.append("%s: %s got %d packets" % (mode, n, len(pkts)))
            continue
        # Leave out the packets around the switch (the CLI's round trip).
        pcm = [alaw_dec(b) for p in pkts[12:-3] for b in p[12:]]
        if len(pkts) < per // 2:
            bad.append("%s: %s got only %d packets" % (mode, n, len(pkts)))
            continue
        for o in "cas":
            if o == n:
                continue
            fr = tone_fraction(pcm, tones[o])
            print("%s: %s hears %s: %.4f" % (mode, n, o, fr))
            if o in want and fr < 0.5 / len(want) - 0.2:
                bad.append("%s: %s does not hear %s (%.3f)" % (mode, n, o, fr))
            if o not in want and fr > 0.001:
                bad.append("%s: %s hears %s (%.4f)" % (mode, n, o, fr))
# The customer's stream: one SSRC, sequence numbers rising one by one.
cust = [p for ph in got["c"] for p in ph]
seqs = [struct.unpack("!H", p[2:4])[0] for p in cust]
ssrcs = {p[8:12] for p in cust}
steps = [(b - a) & 0xFFFF for a, b in zip(seqs, seqs[1:])]
if len(ssrcs) != 1 or any(s_ == 0 or s_ > 3 for s_ in steps) or len(cust) < 4 * per * 0.95:
    bad.append("customer stream: %d packets, %d SSRCs, steps %s" % (len(cust), len(ssrcs), sorted(set(steps))))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
ok "listen, whisper, barge, off switched from the CLI: each peer hears exactly whom it should"
ok "the customer's stream stays one stream across the switches"

cli monitor stop "$a" >/dev/null || fail "monitor stop: $(cli monitor stop "$a")"
cli show monitors --json | json "d['monitors'] == []" | grep -qx True || fail "after stop: $(cli show monitors)"
ok "monitor stopped"

expect() { # STATUS TEXT CMD...: the command fails with STATUS and says TEXT
	local want=$1 text=$2 out st=0
	shift 2
	out=$(cli "$@" 2>&1) || st=$?
	[ "$st" = "$want" ] && grep -q "$text" <<<"$out" || fail "'$*': status $st, '$out' (wanted $want, '$text')"
}
expect 2 "bad mode" monitor "$a" loud "$s"
expect 2 "usage" monitor "$a" listen
expect 2 "bad session id" monitor x listen "$s"
expect 1 "not monitored" monitor stop "$a"
expect 1 "not bridged" monitor "$s" listen "$a"
expect 1 "a third session" monitor "$a" listen "$c"
expect 1 "no such session" monitor "$a" listen 1
g=$(cli session create remote "$H:7006" codec G722 worker 0 --json | json "d['session']") || fail "create G.722"
expect 1 "G.711" monitor "$a" listen "$g"
o=$(sid 7008 1) || fail "create on worker 1"
expect 1 "another worker\|on worker 1" monitor "$a" listen "$o"
cli monitor "$a" barge "$s" >/dev/null || fail "monitor again"
expect 1 "already monitored" monitor "$c" listen "$g"
expect 1 "in a monitor" session bridge "$s" "$g"
ok "bad requests refused with their reasons"

cli session destroy "$s" >/dev/null || fail "destroy the supervisor"
wait_for 5 sh -c "$CLI_BIN --socket $TMP/ctl.sock show monitors --json | grep -q '\"monitors\": \[\]'" ||
	fail "the monitor outlived its supervisor: $(cli show monitors)"
ok "a monitor ends with its supervisor's session, and control hears of it"
td_done
