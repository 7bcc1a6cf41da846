#!/usr/bin/env bash
# SIP over UDP against the RFC 4475 torture corpus: each message sent to
# tongdai-control gets the answer the manifest asks (an error code, or
# silence for a response that must be dropped), valid requests are never
# refused as malformed, and a well-formed OPTIONS after every message still
# gets 200: control keeps serving throughout. `show sip` counts it all.
. "$(dirname "$0")/lib.sh"

td_setup_net
ctl_start
ip netns exec "$NS" python3 "$TD_TOP/tests/integration/rfc4475_udp.py" "$TD_TOP/tests/data/rfc4475" \
	"$TD_KERNEL_IP" 5060 || fail "SIP answers"
ok "RFC 4475 corpus over UDP: each answered as the manifest asks; OPTIONS served after each"

kill -0 "$CTL_PID" || fail "control died"
cli show sip --json >"$TMP/sip.json" || fail "show sip"
json "int(d['rx'] >= 98 and d['malformed'] >= 15 and d['sent_by_class']['2xx'] >= 49 and d['refused_dest'] == 0)" \
	<"$TMP/sip.json" | grep -qx 1 || fail "show sip counters: $(cat "$TMP/sip.json")"
ok "show sip counts what came and went"
td_done
