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

# Media across workers: 6 bridged pairs on each worker. The port hashes each
# flow to one of its two queues, so about half the flows arrive at the worker
# that does not own their session and must be handed over; every packet must
# still come out of the owner, intact.
flows=()
for w in 0 1; do
	for i in 0 1 2 3 4 5; do
		k=$((w * 6 + i))
		cli session create remote "$TD_KERNEL_IP:$((6000 + 2 * k))" strict worker "$w" --json >"$TMP/a.json" ||
			fail "create on worker $w: $(cat "$TMP/a.json")"
		cli session create remote "$TD_KERNEL_IP:$((7000 + 2 * k))" worker "$w" --json >"$TMP/b.json" ||
			fail "create on worker $w"
		[ "$(json "d['worker']" <"$TMP/a.json")" = "$w" ] || fail "session not on worker $w"
		cli session bridge "$(json "d['session']" <"$TMP/a.json")" "$(json "d['session']" <"$TMP/b.json")" \
			>/dev/null || fail "bridge on worker $w"
		flows+=("$((6000 + 2 * k)):$(json "d['port']" <"$TMP/a.json"):$((7000 + 2 * k))")
	done
done
ip netns exec "$NS" python3 "$(dirname "$0")/rtp_flows.py" "$TD_KERNEL_IP" "$TD_DP_IP" 50 "${flows[@]}" \
	>"$TMP/flows.json" || fail "traffic generator failed"
json "int(all(f['received'] == 50 and f['intact'] for f in d['flows']))" <"$TMP/flows.json" | grep -qx 1 ||
	fail "media lost or changed across workers: $(cat "$TMP/flows.json")"
ok "12 flows x 50 packets relayed intact by their owner workers"
cli show dataplane --json >"$TMP/show.json"
handed=$(json "sum(w['handoff_in'] for w in d['workers'])" <"$TMP/show.json")
[ "$handed" -gt 0 ] || fail "no packet was handed over between workers (flows all hashed to their owner?)"
ok "$handed packets handed to their owner worker"
td_done
