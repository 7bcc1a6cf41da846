# Helpers for the integration tests: each test sources this, gets its own
# network namespace, segment name, DPDK file prefix and temporary folder, and
# everything it started is stopped and removed on exit, pass or fail.
set -euo pipefail
: "${TD_BUILD:?TD_BUILD must name the build folder}"
export TD_TOP
TD_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/net.sh
. "$TD_TOP/scripts/net.sh"

DP_BIN=$TD_BUILD/dataplane/tongdai-dataplane
CTL_BIN=$TD_BUILD/control/tongdai-control
CLI_BIN=$TD_BUILD/control/tongdai
NS=td-it-$$
SHM=/td-it-$$
TMP=$(mktemp -d /tmp/td-it.XXXXXX)
DP_PID=
CTL_PID=
_td_failed=1

td_cleanup() {
	local p
	if declare -F td_cleanup_hook >/dev/null; then td_cleanup_hook || true; fi
	for p in $DP_PID $CTL_PID; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $DP_PID $CTL_PID; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	# Peers the test left running in its namespace (SIPp, receivers).
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	td_net_down "$NS"
	rm -f "/dev/shm$SHM"
	rm -rf "/var/run/dpdk/$NS"
	if [ "$_td_failed" = 1 ]; then
		for f in "$TMP"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f"
			tail -n 40 "$f"
		done
	fi
	rm -rf "$TMP"
}
trap td_cleanup EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}
ok() { echo "ok - $*"; }
# Call at the end of a test that passed.
td_done() {
	# Under the sanitizers, a report in either process's log fails the test.
	if grep -sqE "(Address|Undefined|Leak)Sanitizer|runtime error:" "$TMP/control.log" "$TMP/dataplane.log"; then
		fail "sanitizer report: $(grep -shE -m3 "Sanitizer|runtime error:" "$TMP/control.log" "$TMP/dataplane.log")"
	fi
	_td_failed=0
	echo "PASS"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s.
wait_for() {
	local t=$1
	shift
	for _ in $(seq $((t * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

td_setup_net() { td_net_up "$NS"; }

# dp_start [EAL words] [-- app words]: start the dataplane on dp0 and wait
# until it serves. DP_LCORES overrides the lcore option (e.g. "--lcores 0@0,1@1,2@1").
dp_start() {
	local eal=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		eal+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	local start
	start=$(wc -l <"$TMP/dataplane.log" 2>/dev/null || echo 0)
	# shellcheck disable=SC2046 # the EAL options are several words
	ip netns exec "$NS" "$DP_BIN" $(td_eal_opts "$NS" "${DP_LCORES:-}") \
		--vdev "${DP_VDEV:-net_af_packet0,iface=dp0}" "${eal[@]}" \
		-- --ip "$TD_DP_IP/24" --shm "$SHM" "$@" >>"$TMP/dataplane.log" 2>&1 &
	DP_PID=$!
	wait_for 20 sh -c "tail -n +$((start + 1)) '$TMP/dataplane.log' | grep -q 'running, generation'" ||
		fail "dataplane did not start"
}

# dp_kill SIGNAL: stop the dataplane and wait until it is gone.
dp_kill() {
	kill "-$1" "$DP_PID"
	wait "$DP_PID" 2>/dev/null || true
	DP_PID=
}

# ctl_start [control options]
ctl_start() {
	ip netns exec "$NS" "$CTL_BIN" --state-dir "$TMP/state" --shm "$SHM" --socket "$TMP/ctl.sock" "$@" \
		>>"$TMP/control.log" 2>&1 &
	CTL_PID=$!
	wait_for 10 test -S "$TMP/ctl.sock" || fail "control did not open its socket"
}

cli() { "$CLI_BIN" --socket "$TMP/ctl.sock" "$@"; }

# no_sessions: true when the dataplane holds no session (for wait_for).
no_sessions() { [ "$(cli show sessions --json | json "len(d['sessions'])")" = 0 ]; }

# sipp_register PORT USER PASSWORD [SCENARIO]: register USER with SIPp from
# TD_KERNEL_IP:PORT (bench/sipp/register.xml by default); calls for USER
# then reach a SIPp callee started on the same port.
sipp_register() {
	ip netns exec "$NS" sipp "$TD_KERNEL_IP:5060" -sf "$TD_TOP/bench/sipp/${4:-register.xml}" -i "$TD_KERNEL_IP" \
		-p "$1" -s "$2" -au "$2" -ap "$3" -m 1 -nostdin -timeout 10 >"$TMP/sipp-reg-$1.log" 2>&1
}

# json EXPR: evaluate a Python expression over the JSON on stdin (as d).
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
