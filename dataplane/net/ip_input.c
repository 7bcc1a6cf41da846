/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 input (RFC 791, checks after RFC 1812 §5.2.2) and ICMP echo
 * (RFC 792) for the dataplane's own addresses. Worker lcores only. UDP goes
 * to the media sessions (dataplane/rtp/rtp_relay.c).
 */
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "drop.h"
#include "net.h"
#include "rtp/rtp_session.h"

TD_DROP_REGISTER(ip_short)
TD_DROP_REGISTER(ip_bad_version)
TD_DROP_REGISTER(ip_bad_length)
TD_DROP_REGISTER(ip_bad_checksum)
TD_DROP_REGISTER(ip_not_for_us)
TD_DROP_REGISTER(ip_bad_source)
TD_DROP_REGISTER(ip_fragment)
TD_DROP_REGISTER(ip_unknown_proto)
TD_DROP_REGISTER(icmp_short)
TD_DROP_REGISTER(icmp_bad_checksum)
TD_DROP_REGISTER(icmp_unhandled)
TD_DROP_REGISTER(udp_no_session)

static void
icmp_input(struct td_worker *w, uint16_t port, struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint16_t ihl, uint16_t tot)
{
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	uint16_t len = tot - ihl;

	if (len < sizeof(*icmp)) {
		td_drop(w->st, m, td_drop_icmp_short);
		return;
	}
	if (rte_raw_cksum(icmp, len) != 0xffff) {
		td_drop(w->st, m, td_drop_icmp_bad_checksum);
		return;
	}
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		td_drop(w->st, m, td_drop_icmp_unhandled);
		return;
	}
	/* RFC 792 echo: same identifier, sequence and data, type 0; the
	 * addresses swap. The checksums are computed afresh. */
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = ~rte_raw_cksum(icmp, len);
	uint32_t src = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = src;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = td_ports[port].mac;
	/* Trailing Ethernet padding is not echoed. */
	rte_pktmbuf_trim(m, m->data_len - (sizeof(*eth) + tot));
	w->st->icmp_echo_replies++;
	td_worker_tx(w, port, m);
}

void
td_ip_input(struct td_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	uint16_t avail = m->data_len - sizeof(struct rte_ether_hdr);

	/* RFC 1812 §5.2.2: the packet must hold a minimal header, be version
	 * 4, have a header length of at least five words and a total length
	 * that covers the header and fits in what was received, and a valid
	 * header checksum. */
	if (unlikely(avail < sizeof(*ip))) {
		td_drop(w->st, m, td_drop_ip_short);
		return;
	}
	if (unlikely((ip->version_ihl >> 4) != 4)) {
		td_drop(w->st, m, td_drop_ip_bad_version);
		return;
	}
	uint16_t ihl = (ip->version_ihl & 0xf) * 4;
	uint16_t tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(ihl < sizeof(*ip) || tot < ihl || tot > avail)) {
		td_drop(w->st, m, td_drop_ip_bad_length);
		return;
	}
	if (unlikely(rte_raw_cksum(ip, ihl) != 0xffff)) {
		td_drop(w->st, m, td_drop_ip_bad_checksum);
		return;
	}
	if (unlikely(ip->dst_addr != td_ports[port].ipv4 || ip->dst_addr == 0)) {
		td_drop(w->st, m, td_drop_ip_not_for_us);
		return;
	}
	/* RFC 1122 §3.2.1.3: a source that is broadcast, multicast, class E
	 * or "this network" names no host to answer; answering would make us
	 * an amplifier. */
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	if (unlikely(src == 0 || src >= 0xe0000000u)) {
		td_drop(w->st, m, td_drop_ip_bad_source);
		return;
	}
	/* Media never needs reassembly; fragments are refused outright. */
	if (unlikely(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		td_drop(w->st, m, td_drop_ip_fragment);
		return;
	}
	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		icmp_input(w, port, m, ip, ihl, tot);
		break;
	case IPPROTO_UDP:
		td_rtp_udp_input(w, port, m, ip, ihl, tot);
		break;
	default:
		td_drop(w->st, m, td_drop_ip_unknown_proto);
		break;
	}
}
