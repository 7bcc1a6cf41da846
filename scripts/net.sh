# Shared by scripts/run and the integration tests: the demo/test network and
# the EAL options for this machine. Source it; it defines functions only.
#
# Layout, all inside network namespace $1 (nothing reaches any other host):
#   dp0  (no kernel address) -- veth -- sip0 10.77.0.1/24
#   the dataplane owns dp0 through net_af_packet and answers for 10.77.0.2;
#   control, phones and SIPp use sip0's side.
TD_KERNEL_IP=10.77.0.1
TD_DP_IP=10.77.0.2

td_net_up() {
	local ns=$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add dp0 type veth peer name sip0
	# No IPv6 chatter (router solicitations, MLD) on the test link.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" addr add "$TD_KERNEL_IP/24" dev sip0
	ip -n "$ns" link set dp0 up
	ip -n "$ns" link set sip0 up
}

td_net_down() {
	ip netns del "$1" 2>/dev/null || true
}

# EAL options: hugepages when the machine has free ones, else --no-huge.
td_eal_opts() {
	local prefix=$1 lcores=${2:-}
	local free
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ -z "$lcores" ]; then
		if [ "$(nproc)" -ge 2 ]; then lcores="-l 0,1"; else lcores="--lcores 0@0,1@0"; fi
	fi
	if [ "${free:-0}" -ge 256 ]; then
		echo "$lcores --in-memory --no-pci --no-telemetry --file-prefix $prefix"
	else
		echo "$lcores --no-huge -m 256 --no-shconf --no-pci --no-telemetry --file-prefix $prefix"
	fi
}
