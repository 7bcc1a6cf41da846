#!/usr/bin/env bash
# The dataplane answers ARP and ICMP echo for its own address from a peer in
# the namespace, and `tongdai show dataplane --json` shows it in the counters;
# packets it does not want are counted under named drop reasons.
. "$(dirname "$0")/lib.sh"

td_setup_net
dp_start
ctl_start
wait_for 10 cli show dataplane || fail "control did not attach: $(cli show dataplane 2>&1)"
ok "control attached"

ip netns exec "$NS" arping -c 3 -w 5 -I sip0 "$TD_DP_IP" >"$TMP/arping.log" 2>&1 ||
	fail "no ARP replies: $(cat "$TMP/arping.log")"
ok "ARP answered"
ip netns exec "$NS" ping -c 5 -i 0.2 -W 2 "$TD_DP_IP" >"$TMP/ping.log" 2>&1 ||
	fail "no echo replies: $(cat "$TMP/ping.log")"
grep -q " 0% packet loss" "$TMP/ping.log" || fail "echo replies lost: $(tail -2 "$TMP/ping.log")"
ok "ICMP echo answered, 5 of 5"

# Traffic the dataplane must refuse, each with its own reason: UDP to a port
# with no session, an echo to an address that is not its own (sent to its MAC
# through a static neighbour entry).
ip netns exec "$NS" python3 - "$TD_DP_IP" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(4):
    s.sendto(b"x" * 20, (sys.argv[1], 40000))
PY
mac=$(ip netns exec "$NS" ip neigh show "$TD_DP_IP" dev sip0 | awk '{print $3}')
ip -n "$NS" neigh replace 10.77.0.3 lladdr "$mac" dev sip0 nud permanent
ip netns exec "$NS" ping -c 2 -i 0.2 -W 1 10.77.0.3 >/dev/null 2>&1 && fail "answered for an address not its own"

# Counters are published with each burst; give the housekeeping tick a moment.
check() {
	cli show dataplane --json >"$TMP/show.json" || return 1
	json "int(d['running'] and sum(w['arp_replies'] for w in d['workers']) >= 3 \
and sum(w['icmp_echo_replies'] for w in d['workers']) >= 5 \
and d['drops'].get('udp_no_session', 0) >= 4 and d['drops'].get('ip_not_for_us', 0) >= 2 \
and d['ports'][0]['link_up'] and d['ports'][0]['opackets'] >= 8)" <"$TMP/show.json" | grep -qx 1
}
wait_for 5 check || fail "counters do not show the traffic: $(cat "$TMP/show.json")"
ok "show dataplane --json counts 3+ ARP replies, 5+ echo replies, udp_no_session and ip_not_for_us drops"

gen=$(json "d['generation']" <"$TMP/show.json")
cli show dataplane >"$TMP/show.txt" || fail "show dataplane (text) failed"
grep -q "$gen" "$TMP/show.txt" || fail "text output lacks the generation: $(cat "$TMP/show.txt")"
grep -q "udp_no_session" "$TMP/show.txt" || fail "text output lacks the drop reasons"
ok "text output shows generation and drop reasons"

cli ping dataplane >"$TMP/ping-dp.txt" || fail "ping dataplane: $(cat "$TMP/ping-dp.txt")"
ok "every worker answers a ping command"
td_done
