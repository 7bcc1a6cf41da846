#!/usr/bin/env bash
# Bad input gets a clear message and exit code and leaves nothing behind:
# bad EAL options, no usable port, bad dataplane options, a second dataplane
# on a live segment, unknown CLI commands and arguments, no control running.
. "$(dirname "$0")/lib.sh"

td_setup_net
eal=$(td_eal_opts "$NS")

no_leftovers() {
	[ ! -e "/dev/shm$SHM" ] || fail "$1: segment /dev/shm$SHM left behind"
	! pgrep -f -- "--shm $SHM" >/dev/null || fail "$1: a dataplane process is still running"
}

# expect_exit CODE PATTERN CMD...: CMD exits CODE and says PATTERN.
expect_exit() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$TMP/out.log" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want: $(tail -3 "$TMP/out.log")"
	grep -q -- "$pat" "$TMP/out.log" || fail "'$*' does not say '$pat': $(tail -3 "$TMP/out.log")"
}

# shellcheck disable=SC2086
expect_exit 2 "EAL initialisation failed" ip netns exec "$NS" "$DP_BIN" $eal --no-such-eal-option -- --shm "$SHM"
no_leftovers "bad EAL option"
ok "bad EAL option: exit 2, clear message, no segment"

# shellcheck disable=SC2086
expect_exit 1 "no usable port" ip netns exec "$NS" "$DP_BIN" $eal -- --shm "$SHM"
no_leftovers "no port"
# shellcheck disable=SC2086
expect_exit 1 "no usable port" ip netns exec "$NS" "$DP_BIN" $eal --vdev net_af_packet0,iface=nosuch0 -- --shm "$SHM"
no_leftovers "port on a missing interface"
ok "no usable port: exit 1, clear message, no segment"

for bad in "--ip 300.1.1.1" "--ip 10.0.0.1/40" "--ring-size 1000" "--frobnicate" "--idle-sleep-us -3" "stray"; do
	# shellcheck disable=SC2086
	expect_exit 2 "tongdai-dataplane: " ip netns exec "$NS" "$DP_BIN" $eal \
		--vdev net_af_packet0,iface=dp0 -- --shm "$SHM" $bad
	no_leftovers "option $bad"
done
ok "bad dataplane options: exit 2 each, no segment"

DP_LCORES="--lcores 0@0,1@1,2@1" 
# shellcheck disable=SC2086
expect_exit 1 "qpairs=2" ip netns exec "$NS" "$DP_BIN" $(td_eal_opts "$NS" "$DP_LCORES") \
	--vdev net_af_packet0,iface=dp0 -- --shm "$SHM"
no_leftovers "too few queues"
unset DP_LCORES
ok "more workers than port queues: exit 1, says how to fix it"

dp_start
gen=$(python3 -c "import struct;f=open('/dev/shm$SHM','rb');f.seek(24);print(struct.unpack('<Q',f.read(8))[0])")
# shellcheck disable=SC2086
expect_exit 1 "another dataplane is running" ip netns exec "$NS" "$DP_BIN" \
	$(td_eal_opts "$NS-2") --vdev net_null0 -- --shm "$SHM"
rm -rf "/var/run/dpdk/$NS-2"
gen2=$(python3 -c "import struct;f=open('/dev/shm$SHM','rb');f.seek(24);print(struct.unpack('<Q',f.read(8))[0])")
[ "$gen" = "$gen2" ] && kill -0 "$DP_PID" || fail "second dataplane disturbed the first"
ok "second dataplane on a live segment refused; the first keeps serving"
dp_kill TERM
no_leftovers "clean stop"
ok "SIGTERM: clean stop, segment removed"

expect_exit 1 "control not running" cli show dataplane
ok "CLI without control: exit 1, 'control not running'"

expect_exit 2 "unknown" "$CTL_BIN" --no-such-option
expect_exit 2 "" "$CTL_BIN" stray-argument
ok "bad control options: exit 2"

ctl_start
expect_exit 2 "unknown command" cli show frobnicate
[ "$(wc -l <"$TMP/out.log")" = 1 ] || fail "error is not one line: $(cat "$TMP/out.log")"
expect_exit 2 "unknown command" cli frobnicate
expect_exit 2 "" cli show dataplane extra-argument
[ "$(wc -l <"$TMP/out.log")" = 1 ] || fail "error is not one line: $(cat "$TMP/out.log")"
expect_exit 2 "" cli --no-such-cli-option show dataplane
kill -0 "$CTL_PID" || fail "control died on bad commands"
ok "unknown CLI command or argument: one-line error, exit 2; control unharmed"
td_done
