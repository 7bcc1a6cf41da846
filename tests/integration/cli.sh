#!/usr/bin/env bash
# The CLI's three modes against a live control: one-shot with --json, a
# script on standard input, and interactive on a terminal, where Tab
# completes command words and each line runs as a command.
. "$(dirname "$0")/lib.sh"

td_setup_net
dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach"

cli show version --json | json "d['version']" | grep -q . || fail "show version --json"
ok "one-shot --json"

out=$(printf 'show version\n# a comment\nshow dataplane --json\n' | cli) || fail "script mode failed: $out"
echo "$out" | grep -q "^tongdai " || fail "script mode: no version line"
echo "$out" | grep -q '"generation"' || fail "script mode: --json per line not honoured"
rc=0
printf 'show version\nshow nothing\n' | cli >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "script mode: want status 2 from a bad line, got $rc"
ok "script mode: lines run in order, worst status returned"

# Interactive, on a pseudo-terminal: "sh<Tab>" completes to "show ",
# "show da<Tab>" to "show dataplane"; then the line runs.
python3 - "$CLI_BIN" "$TMP/ctl.sock" <<'PY' || fail "interactive mode"
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "--socket", sys.argv[2]])
def read_for(t):
    out, end = b"", time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out.decode(errors="replace")
read_for(1.0)
os.write(fd, b"sh\t")
a = read_for(0.5)
os.write(fd, b"da\t")
b = read_for(0.5)
os.write(fd, b"\n")
c = read_for(1.5)
os.write(fd, b"quit\n")
read_for(0.5)
os.waitpid(pid, 0)
# The line editor echoes the typed letters, then redraws the rest.
ok = "ow " in a and "taplane" in b and "generation" in c
print("completion:", repr(a), repr(b), "ran:", "generation" in c)
sys.exit(0 if ok else 1)
PY
ok "interactive: Tab completes 'sh' -> 'show', 'da' -> 'dataplane', the line runs"
td_done
