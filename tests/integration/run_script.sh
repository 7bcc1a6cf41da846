#!/usr/bin/env bash
# The README's first command: scripts/run starts both processes in their own
# namespace, prints how to see status, and that command works; `scripts/run
# stop` removes everything it made. Uses its own namespace, segment and state
# folder so that it never disturbs a tongdai already running here.
. "$(dirname "$0")/lib.sh"

td_cleanup_hook() { "$TD_TOP/scripts/run" stop >/dev/null 2>&1; }
export TD_NS=$NS TD_SHM=$SHM TD_STATE=$TMP/state TD_BUILD
"$TD_TOP/scripts/run" >"$TMP/run.log" 2>&1 &
run_pid=$!
wait_for 60 grep -q "tongdai is running" "$TMP/run.log" || fail "scripts/run did not start: $(cat "$TMP/run.log")"
ok "scripts/run started"

status=$(sed -n 's/^  status: *//p' "$TMP/run.log")
[ -n "$status" ] || fail "no status command printed"
wait_for 10 $status || fail "'$status' failed: $($status 2>&1)"
$status | grep -q "generation" || fail "status shows no generation"
ok "printed status command works: $status"

ip netns exec "$NS" ping -c 2 -i 0.2 -W 2 "$TD_DP_IP" >/dev/null || fail "dataplane does not answer ping"
ok "dataplane answers in namespace $NS"

"$TD_TOP/scripts/run" stop >"$TMP/stop.log" 2>&1 || fail "scripts/run stop failed: $(cat "$TMP/stop.log")"
wait_for 10 sh -c "! kill -0 $run_pid" || fail "scripts/run still running after stop"
! ip netns list | grep -qw "$NS" || fail "namespace $NS left behind"
[ ! -e "/dev/shm$SHM" ] || fail "segment left behind"
! pgrep -f -- "--shm $SHM" >/dev/null || fail "a process was left behind"
ok "scripts/run stop removed processes, namespace and segment"
td_done
