#!/usr/bin/env bash
# Control started before the dataplane waits and says so; it attaches when the
# dataplane comes, survives the dataplane's kill -9, reports it gone, and
# re-attaches to the next dataplane's new generation without restarting. A
# segment of another ABI version is refused with both versions named.
. "$(dirname "$0")/lib.sh"

td_setup_net
ctl_start
ctl_pid=$CTL_PID

out=$(cli show dataplane 2>&1) && fail "show dataplane succeeded with no dataplane: $out"
echo "$out" | grep -q "dataplane not running" || fail "unexpected text: $out"
wait_for 5 grep -q "waiting for dataplane" "$TMP/control.log" || fail "control does not say it waits"
ok "no dataplane: control waits, CLI says 'dataplane not running'"

dp_start
wait_for 10 cli show dataplane || fail "control did not attach"
gen1=$(cli show dataplane --json | json "d['generation']")
cli ping dataplane >/dev/null || fail "ping dataplane failed on generation $gen1"
ok "attached to generation $gen1"

dp_kill KILL
wait_for 5 sh -c "! '$CLI_BIN' --socket '$TMP/ctl.sock' show dataplane" || fail "control still reports a dead dataplane"
kill -0 "$ctl_pid" || fail "control died with the dataplane"
out=$(cli show dataplane 2>&1) || true
echo "$out" | grep -q "dataplane not running" || fail "unexpected text after kill: $out"
ok "dataplane killed (-9): control lives and reports it"

dp_start
wait_for 10 cli show dataplane || fail "control did not re-attach"
gen2=$(cli show dataplane --json | json "d['generation']")
[ "$gen2" != "$gen1" ] || fail "generation did not change ($gen1)"
cli ping dataplane >/dev/null || fail "ping dataplane failed on generation $gen2"
[ "$CTL_PID" = "$ctl_pid" ] && kill -0 "$ctl_pid" || fail "control restarted"
ok "re-attached to new generation $gen2 (was $gen1), same control pid"

# Control killed and restarted: it attaches again to the running dataplane,
# taking over the dead control's claim.
kill -KILL "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
rm -f "$TMP/ctl.sock"
ctl_start
wait_for 10 cli show dataplane || fail "restarted control did not attach"
gen3=$(cli show dataplane --json | json "d['generation']")
[ "$gen3" = "$gen2" ] || fail "restarted control sees generation $gen3, want $gen2"
ok "restarted control re-attaches to the running dataplane"

# ABI mismatch: make the live segment claim another ABI version; a new
# control refuses it and names both versions.
kill -TERM "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
CTL_PID=
rm -f "$TMP/ctl.sock"
python3 - "/dev/shm$SHM" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(8)  # struct td_dp_shm_hdr: magic (8 bytes), then abi_version
    f.write(struct.pack("<I", 99))
PY
ctl_start
wait_for 5 grep -q "ABI version mismatch.*ABI 99.*ABI 1" "$TMP/control.log" ||
	fail "no ABI mismatch error naming both versions: $(tail -3 "$TMP/control.log")"
out=$(cli show dataplane 2>&1) && fail "attached to a segment of another ABI"
echo "$out" | grep -q "dataplane not running" || fail "unexpected text: $out"
ok "segment of ABI 99 refused: $(grep -m1 -o 'ABI version mismatch.*' "$TMP/control.log")"
td_done
