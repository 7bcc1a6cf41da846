#!/usr/bin/env bash
# Two workers, each with its own queue pair on the port and its own command
# and event rings: each answers its ping, and echo requests are answered by
# whichever worker the port hands them to.
. "$(dirname "$0")/lib.sh"

td_setup_net
DP_LCORES="--lcores 0@0,1@1,2@1" DP_VDEV="net_af_packet0,iface=dp0,qpairs=2" dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach"
n=$(cli show dataplane --json | json "len(d['workers'])")
[ "$n" = 2 ] || fail "want 2 workers, see $n"
cli ping dataplane --json >"$TMP/ping.json" || fail "ping dataplane: $(cat "$TMP/ping.json")"
json "int(len(d['workers']) == 2 and all(w['result'] == 0 for w in d['workers']))" <"$TMP/ping.json" | grep -qx 1 ||
	fail "not every worker acked: $(cat "$TMP/ping.json")"
ok "both workers ack a ping on their own rings"
ip netns exec "$NS" ping -c 10 -i 0.1 -W 2 "$TD_DP_IP" >"$TMP/ping.log" 2>&1 || fail "echo: $(tail -2 "$TMP/ping.log")"
check() {
	cli show dataplane --json | json "int(sum(w['icmp_echo_replies'] for w in d['workers']) >= 10)" | grep -qx 1
}
wait_for 5 check || fail "echo replies not counted"
ok "10 echo replies across two workers"
td_done
