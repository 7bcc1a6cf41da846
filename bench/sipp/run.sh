#!/usr/bin/env bash
# The SIPp load runner (see docs/sip.md, "Load with SIPp"). It starts its
# own tongdai (dataplane + control) in a network namespace, creates the
# users, and drives it with SIPp:
#
#   --mode calls     a registered callee (answers, echoes RTP) and a caller
#                    that plays SIPp's g711a.pcap, through the B2BUA
#   --mode register  a registration storm: --users users, each REGISTER
#                    challenged and answered with digest credentials
#
# Options: --rate CPS (default 50), --calls N (default 500), --limit N
# concurrent calls (default 200), --hold-ms MS call length after answer
# (default 3000), --users N (register mode, default 1000), --no-auth
# (calls without the 407 round and without RTP), --no-media (no RTP:
# signalling only).
# It prints calls per second, concurrency, failures, response-time
# percentiles (INVITE to 200, or REGISTER to 200) and, from tongdai's own
# session counters, RTP loss and jitter per call leg; the same as JSON in
# $OUT (default bench/sipp/last-run.json). KEEP=1 keeps the logs.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/scripts/net.sh"
BUILD=${TD_BUILD:-$TOP/build}
MODE=calls RATE=50 CALLS=500 LIMIT=200 HOLD=3000 USERS=1000 AUTH=1 MEDIA=1
OUT=${OUT:-$TOP/bench/sipp/last-run.json}
while [ $# -gt 0 ]; do
	case $1 in
	--mode) MODE=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--calls) CALLS=$2; shift ;;
	--limit) LIMIT=$2; shift ;;
	--hold-ms) HOLD=$2; shift ;;
	--users) USERS=$2; shift ;;
	--no-auth) AUTH=0 MEDIA=0 ;;
	--no-media) MEDIA=0 ;;
	-h | --help) sed -n '2,19p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $MODE in calls | register) ;; *) echo "run.sh: --mode calls or register" >&2; exit 2 ;; esac
for n in "$RATE" "$CALLS" "$LIMIT" "$HOLD" "$USERS"; do
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || { echo "run.sh: '$n' is not a positive number" >&2; exit 2; }
done

NS=td-bench-$$
SHM=/td-bench-$$
TMP=$(mktemp -d /tmp/td-bench.XXXXXX)
H=$TD_KERNEL_IP
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	td_net_down "$NS"
	rm -f "/dev/shm$SHM"
	if [ -n "${KEEP:-}" ]; then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
cli() { "$BUILD/control/tongdai" --socket "$TMP/ctl.sock" "$@"; }

td_net_up "$NS"
# shellcheck disable=SC2046
ip netns exec "$NS" "$BUILD/dataplane/tongdai-dataplane" $(td_eal_opts "$NS") --vdev net_af_packet0,iface=dp0 \
	-- --ip "$TD_DP_IP/24" --shm "$SHM" >"$TMP/dataplane.log" 2>&1 &
PIDS+=($!)
ctl_opts=(--sip-digest md5 --max-calls 100000)
[ "$AUTH" = 1 ] || ctl_opts+=(--no-call-auth)
ip netns exec "$NS" "$BUILD/control/tongdai-control" --state-dir "$TMP/state" --shm "$SHM" \
	--socket "$TMP/ctl.sock" "${ctl_opts[@]}" >"$TMP/control.log" 2>&1 &
CTL=$!
PIDS+=($CTL)
for _ in $(seq 100); do cli show dataplane >/dev/null 2>&1 && break; sleep 0.2; done
cli show dataplane >/dev/null || { echo "tongdai did not start"; tail "$TMP"/*.log; exit 1; }

sipp_common=(${SIPP_EXTRA:-} -i "$H" -nostdin -trace_stat -trace_rtt -rtt_freq 1 -fd 1 -trace_err)
start_cpu=$(awk '{print $14 + $15}' "/proc/$CTL/stat")
t0=$(date +%s.%N)
if [ "$MODE" = register ]; then
	{
		echo "SEQUENTIAL"
		for i in $(seq "$USERS"); do echo "u$i;pw$i"; done
	} >"$TMP/users.csv"
	for i in $(seq "$USERS"); do echo "user add u$i pw$i"; done | cli >/dev/null
	(cd "$TMP" && ip netns exec "$NS" sipp "$H:5060" -sf "$TOP/bench/sipp/register_storm.xml" \
		-inf "$TMP/users.csv" -au "[field0]" -ap "[field1]" -r "$RATE" -l "$LIMIT" -m "$USERS" -p 5090 "${sipp_common[@]}" \
		>"$TMP/uac.log" 2>&1) || true
	SCEN=register_storm
else
	cli user add 1001 bench-caller >/dev/null
	cli user add 1002 bench-callee >/dev/null
	ip netns exec "$NS" sipp "$H:5060" -sf "$TOP/bench/sipp/register.xml" -i "$H" -p 5070 -s 1002 -au 1002 \
		-ap bench-callee -m 1 -nostdin >"$TMP/reg.log" 2>&1 || { echo "callee did not register"; exit 1; }
	uas_media=(-mp 16000 -key rtp_port 16000)
	[ "$MEDIA" = 1 ] && uas_media+=(-rtp_echo)
	ip netns exec "$NS" sipp -sf "$TOP/bench/sipp/uas_answer.xml" -i "$H" -p 5070 "${uas_media[@]}" -nostdin \
		>"$TMP/uas.log" 2>&1 &
	PIDS+=($!)
	sleep 0.5
	uac_media=(-mp 20000 -d "$HOLD")
	if [ "$MEDIA" = 1 ]; then uac_media+=(-key pcap /usr/share/sip-tester/g711a.pcap); else
		uac_media+=(-key pcap /dev/null); fi
	# Sample the sessions' quality while calls are up: each call leg's last
	# figures are kept.
	(while sleep 1; do cli show sessions --json 2>/dev/null >>"$TMP/sessions.jsonl" || true; done) &
	PIDS+=($!)
	scen=uac_call.xml
	[ "$MEDIA" = 1 ] || scen=uac_call_nomedia.xml
	[ "$AUTH" = 1 ] || scen=uac_call_direct.xml
	(cd "$TMP" && ip netns exec "$NS" sipp "$H:5060" -sf "$TOP/bench/sipp/$scen" -s 1002 -key caller 1001 -auth_uri "1002@$H:5060" \
		-au 1001 -ap bench-caller -r "$RATE" -l "$LIMIT" -m "$CALLS" -p 5080 "${uac_media[@]}" \
		"${sipp_common[@]}" >"$TMP/uac.log" 2>&1) || true
	SCEN=${scen%.xml}
fi
t1=$(date +%s.%N)
end_cpu=$(awk '{print $14 + $15}' "/proc/$CTL/stat")
cli show calls --json >"$TMP/calls.json" 2>/dev/null || echo '{}' >"$TMP/calls.json"
cli show registrations --json >"$TMP/regs.json" 2>/dev/null || echo '{}' >"$TMP/regs.json"
cli show dataplane --json >"$TMP/dp.json" 2>/dev/null || echo '{}' >"$TMP/dp.json"

python3 - "$TMP" "$SCEN" "$t0" "$t1" "$start_cpu" "$end_cpu" "$(getconf CLK_TCK)" "$MODE" "$RATE" "$OUT" <<'PY'
import csv, glob, json, os, statistics, sys
tmp, scen, t0, t1, c0, c1, hz, mode, rate, out = sys.argv[1:11]
elapsed = float(t1) - float(t0)
stat = sorted(glob.glob(os.path.join(tmp, scen + "_*_.csv")))
rows = list(csv.reader(open(stat[-1]), delimiter=";")) if stat else []
last = dict(zip(rows[0], rows[-1])) if len(rows) > 1 else {}
ok = int(last.get("SuccessfulCall(C)", 0) or 0)
failed = int(last.get("FailedCall(C)", 0) or 0)
peak = max((int(r[rows[0].index("CurrentCall")] or 0) for r in rows[1:]), default=0) if rows else 0
rtts = []
for f in glob.glob(os.path.join(tmp, scen + "_*_rtt.csv")):
    for r in list(csv.reader(open(f), delimiter=";"))[1:]:
        try:
            rtts.append(float(r[1]))
        except (ValueError, IndexError):
            pass
rtts.sort()
pct = lambda p: rtts[min(len(rtts) - 1, int(p / 100 * len(rtts)))] if rtts else None
legs = {}
if os.path.exists(os.path.join(tmp, "sessions.jsonl")):
    dec = json.JSONDecoder()
    text = open(os.path.join(tmp, "sessions.jsonl")).read()
    i = 0
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        d, i = dec.raw_decode(text, i)
        for s in d.get("sessions", []):
            legs[s["session"]] = s
loss = [s.get("lost", 0) for s in legs.values()]
rx = [s.get("rtp_rx_pkts", 0) for s in legs.values()]
jit = sorted(s.get("jitter_ms", 0.0) for s in legs.values())
cpu = (int(c1) - int(c0)) / int(hz)
res = {
    "mode": mode, "target_rate": int(rate), "elapsed_s": round(elapsed, 2), "successful": ok, "failed": failed,
    # SIPp's own cumulative rate of calls started; the wall time includes
    # start-up and the last calls' hold time.
    "per_second": float(last.get("CallRate(C)", 0) or 0) if last else 0, "peak_concurrent": peak,
    "response_ms": {"p50": pct(50), "p90": pct(90), "p99": pct(99), "n": len(rtts)},
    "control_cpu_s": round(cpu, 2), "control_cpu_ms_per_call": round(1000 * cpu / ok, 3) if ok else None,
    "rtp": {"legs": len(legs), "packets": sum(rx), "lost": sum(loss),
            "loss_pct": round(100 * sum(loss) / max(1, sum(rx) + sum(loss)), 4),
            "jitter_ms_median": statistics.median(jit) if jit else None, "jitter_ms_max": max(jit) if jit else None},
    "dataplane_drops": {k: v for k, v in json.load(open(os.path.join(tmp, "dp.json"))).get("drops", {}).items() if v},
    "tongdai": {"calls": json.load(open(os.path.join(tmp, "calls.json"))).get("stats"),
                "registrations": json.load(open(os.path.join(tmp, "regs.json"))).get("stats")},
}
json.dump(res, open(out, "w"), indent=2)
print("%s: %d ok, %d failed in %.1f s, SIPp's rate %.1f/s (target %s/s), peak %d concurrent" %
      (mode, ok, failed, elapsed, res["per_second"], rate, peak))
print("response time ms: p50 %s, p90 %s, p99 %s (%d samples)" % (pct(50), pct(90), pct(99), len(rtts)))
print("control CPU: %.2f s, %s ms per %s" % (cpu, res["control_cpu_ms_per_call"], "call" if mode == "calls" else "registration"))
if legs:
    print("RTP per leg (tongdai counters, %d legs): %d packets, %d lost (%.4f %%), jitter median %s ms, max %s ms" %
          (len(legs), sum(rx), sum(loss), res["rtp"]["loss_pct"], res["rtp"]["jitter_ms_median"], res["rtp"]["jitter_ms_max"]))
print("dataplane drops: %s" % (res["dataplane_drops"] or "none"))
print("full figures: " + out)
sys.exit(0 if failed == 0 and ok > 0 else 1)
PY
