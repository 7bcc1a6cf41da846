#!/usr/bin/env bash
# Side by side: tongdai's relay against rtpengine's userspace relay, with the
# same traffic generator (rtp-load) over the same topology: a generator host
# and the relay on the two ends of one veth pair, in network namespaces this
# script makes (nothing leaves them), one relay core each (tongdai: one
# busy-polling worker; rtpengine: --num-threads=1). For each number of
# concurrent G.711 streams (50 packets/s each, caller -> relay -> callee) it
# reports loss and CPU, and the highest count each relays with < 0.01 % loss.
#
# With CODEC=G729, G722 or opus the same runs measure transcoding instead:
# the caller's A-law is transcoded to CODEC toward the callee, by tongdai's
# transcoder (sessions with codec PCMA and CODEC, bridged) and by rtpengine's
# (offer with codec-transcode, callee answering CODEC alone).
#
# usage: [CODEC=X] bench/compare/relay_compare.sh [SECONDS] [STREAMS...]   (as root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${TD_BUILD:-$top/build}
secs=${1:-10}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 2000 4000 6000 8000)
codec=${CODEC:-}
case "$codec" in
"") b_codec= ;;
G729 | G722) b_codec="codec $codec" ;;
opus) b_codec="codec opus/48000 codec-pt 96" ;;
*)
	echo "relay_compare: CODEC must be G729, G722 or opus" >&2
	exit 2
	;;
esac
# shellcheck source=scripts/net.sh
. "$top/scripts/net.sh"
tmp=$(mktemp -d /tmp/td-compare.XXXXXX)
nt=tdc-t-$$ ng=tdc-g-$$ nr=tdc-r-$$
shm=/tdc-$$
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	ip netns del "$nt" 2>/dev/null || true
	ip netns del "$ng" 2>/dev/null || true
	ip netns del "$nr" 2>/dev/null || true
	rm -f "/dev/shm$shm"
	rm -rf "/var/run/dpdk/$nt" "$tmp"
}
trap cleanup EXIT

command -v rtpengine >/dev/null || apt-get install -y -qq --no-install-recommends rtpengine-daemon >/dev/null
ninja -C "$build" >/dev/null
cc -O2 -o "$tmp/rtp-load" "$top/bench/compare/rtp_load.c" -lpthread -lspandsp -lm

# tongdai: generator on sip0 (10.77.0.1), dataplane on dp0 (10.77.0.2)
td_net_up "$nt"
# rtpengine: generator in $ng (10.78.0.1), rtpengine in $nr (10.78.0.2)
ip netns add "$ng"
ip netns add "$nr"
ip link add g0 netns "$ng" type veth peer name r0 netns "$nr"
for n in "$ng" "$nr"; do
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$ng" addr add 10.78.0.1/24 dev g0
ip -n "$nr" addr add 10.78.0.2/24 dev r0
ip -n "$ng" link set g0 up
ip -n "$nr" link set r0 up

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

run_tongdai() {
	local n=$1 xc=0
	[ -z "$codec" ] || xc=$((n > 4096 ? 4096 : n))
	ip netns exec "$nt" "$build/dataplane/tongdai-dataplane" $(td_eal_opts "$nt") \
		--vdev "net_af_packet0,iface=dp0${AFP_FRAMES:+,framecnt=$AFP_FRAMES}" -- --ip 10.77.0.2/24 --shm "$shm" --rtp-ports 20000-59999 \
		--busy-poll --transcoders "$xc" >"$tmp/dp.log" 2>&1 &
	local dp=$!
	pids+=("$dp")
	ip netns exec "$nt" "$build/control/tongdai-control" --state-dir "$tmp/state" --shm "$shm" \
		--socket "$tmp/ctl.sock" --sip-listen none >"$tmp/ctl.log" 2>&1 &
	local ctl=$!
	pids+=("$ctl")
	local cli="$build/control/tongdai --socket $tmp/ctl.sock"
	for _ in $(seq 100); do $cli show dataplane >/dev/null 2>&1 && break; sleep 0.1; done
	# sessions through the CLI, as an operator (or SIP) would make them
	python3 - "$n" "$b_codec" >"$tmp/cmds" <<'PY'
import sys
n, b_codec = int(sys.argv[1]), sys.argv[2]
a_opt, b_opt = ("codec PCMA", b_codec) if b_codec else ("pts 8", "pts 8")
for i in range(n):
    print("session create remote 10.77.0.1:6000 strict %s tag %d --json" % (a_opt, i))
    print("session create remote 10.77.0.1:7000 %s tag %d --json" % (b_opt, i))
PY
	$cli <"$tmp/cmds" >"$tmp/created.json"
	python3 - "$tmp/created.json" "$tmp/ports" "$tmp/bridge" <<'PY'
import json, sys
text, objs, i, dec = open(sys.argv[1]).read(), [], 0, json.JSONDecoder()
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    o, i = dec.raw_decode(text, i)
    objs.append(o)
with open(sys.argv[2], "w") as ports, open(sys.argv[3], "w") as br:
    for a, b in zip(objs[0::2], objs[1::2]):
        ports.write("%d\n" % a["port"])
        br.write("session bridge %d %d\n" % (a["session"], b["session"]))
PY
	if $cli <"$tmp/bridge" | grep -i "error\|refused\|no transcoder"; then
		echo "tongdai: bridging failed" >&2
		return 1
	fi
	[ "$(wc -l <"$tmp/ports")" = "$n" ] || { echo "tongdai: only $(wc -l <"$tmp/ports") calls made" >&2; return 1; }
	# the generator's first packets make it ARP for the dataplane; then measure
	ip netns exec "$nt" ping -c 1 -W 1 10.77.0.2 >/dev/null || true
	local b0 c0
	b0=$($cli show dataplane --json | python3 -c "import json,sys; print(json.load(sys.stdin)['workers'][0]['busy_tsc'])")
	c0=$(cpu_ticks "$dp")
	ip netns exec "$nt" "$tmp/rtp-load" 10.77.0.1 6000 10.77.0.2 "$tmp/ports" 7000 "$secs" >"$tmp/load.json"
	local b1 c1 tsc_hz
	b1=$($cli show dataplane --json | python3 -c "import json,sys; print(json.load(sys.stdin)['workers'][0]['busy_tsc'])")
	tsc_hz=$($cli show dataplane --json | python3 -c "import json,sys; print(json.load(sys.stdin)['tsc_hz'])")
	c1=$(cpu_ticks "$dp")
	# every packet the dataplane dropped, by reason
	$cli show dataplane --json | python3 -c "import json,sys; d=json.load(sys.stdin)['drops']; \
print('tongdai   drops: ' + (', '.join('%s %d' % kv for kv in sorted(d.items()) if kv[1]) or 'none'))"
	python3 - "$tmp/load.json" "$b0" "$b1" "$tsc_hz" "$c0" "$c1" "$hz" "$secs" "$n" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
b0, b1, tsc, c0, c1, hz, secs, n = (float(x) for x in sys.argv[2:])
busy = (b1 - b0) / tsc / (secs + 0.5) * 100
proc = (c1 - c0) / hz / (secs + 0.5) * 100
print("tongdai   %6d streams: loss %.4f %% (%d of %d), worker busy %.1f %% of a core "
      "(%.2f %% per 1000 streams), process %.0f %% (busy-polling), payload %.0f octets"
      % (n, l["loss_pct"], l["lost"], l["sent"], busy, busy / n * 1000, proc, l["payload_avg"]))
print(json.dumps({"relay": "tongdai", "streams": int(n), "loss_pct": l["loss_pct"], "busy_pct": busy,
                  "per_1000": busy / n * 1000}), file=sys.stderr)
PY
	kill -TERM "$ctl" "$dp"
	wait "$ctl" "$dp" 2>/dev/null || true
	rm -rf "$tmp/state" "/var/run/dpdk/$nt"
}

run_rtpengine() {
	local n=$1
	ip netns exec "$nr" rtpengine --foreground --table=-1 --interface=10.78.0.2 --listen-ng=10.78.0.2:2223 \
		--port-min=20000 --port-max=60000 --num-threads=1 --log-level=2 --log-stderr >"$tmp/rtpe.log" 2>&1 &
	local rp=$!
	pids+=("$rp")
	sleep 1
	ip netns exec "$ng" python3 "$top/bench/compare/ng_calls.py" 10.78.0.2 2223 "$n" 10.78.0.1 6000 10.78.0.1 7000 \
		${codec:-PCMA} >"$tmp/ports"
	local c0 c1
	c0=$(cpu_ticks "$rp")
	ip netns exec "$ng" "$tmp/rtp-load" 10.78.0.1 6000 10.78.0.2 "$tmp/ports" 7000 "$secs" >"$tmp/load.json"
	c1=$(cpu_ticks "$rp")
	python3 - "$tmp/load.json" "$c0" "$c1" "$hz" "$secs" "$n" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
c0, c1, hz, secs, n = (float(x) for x in sys.argv[2:])
cpu = (c1 - c0) / hz / (secs + 0.5) * 100
print("rtpengine %6d streams: loss %.4f %% (%d of %d), process %.1f %% of a core (%.2f %% per 1000 streams), "
      "payload %.0f octets" % (n, l["loss_pct"], l["lost"], l["sent"], cpu, cpu / n * 1000, l["payload_avg"]))
print(json.dumps({"relay": "rtpengine", "streams": int(n), "loss_pct": l["loss_pct"], "busy_pct": cpu,
                  "per_1000": cpu / n * 1000}), file=sys.stderr)
PY
	kill -TERM "$rp"
	wait "$rp" 2>/dev/null || true
}

echo "machine: $(nproc) cpu, $(lscpu | sed -n 's/^Model name: *//p'), kernel $(uname -r)"
echo "each point: $secs s of G.711 (50 pkt/s per stream), one relay core${codec:+, transcoded PCMA -> $codec}"
for n in "${counts[@]}"; do
	# a relay that fails a point (e.g. runs out of ports) does not end the sweep
	run_tongdai "$n" 2>>"$tmp/results.jsonl" || echo "tongdai   $n streams: failed (${tmp}/ctl.log, dp.log)"
	run_rtpengine "$n" 2>>"$tmp/results.jsonl" || echo "rtpengine $n streams: failed ($(tail -1 "$tmp/rtpe.log"))"
done
python3 - "$tmp/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
best = {}
for r in rows:
    if r["loss_pct"] < 0.01:
        best[r["relay"]] = max(best.get(r["relay"], 0), r["streams"])
print("highest streams with < 0.01 % loss: " + ", ".join("%s %d" % kv for kv in sorted(best.items())))
both = [(a, b) for a in rows for b in rows
        if a["relay"] == "tongdai" and b["relay"] == "rtpengine" and a["streams"] == b["streams"]]
for a, b in both:
    if a["per_1000"] > 0:
        print("%6d streams: CPU per 1000 streams tongdai %.2f %%, rtpengine %.2f %%: %.1fx"
              % (a["streams"], a["per_1000"], b["per_1000"], b["per_1000"] / a["per_1000"]))
PY
