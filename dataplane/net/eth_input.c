/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet input and ARP (RFC 826) for the dataplane's own addresses.
 * Worker lcores only. A request for our address is turned into the reply in
 * place and sent back on the port it came from; requests and replies to us
 * teach the worker the sender's MAC (net/neigh.c); everything else is
 * counted and dropped.
 */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

#include "drop.h"
#include "neigh.h"
#include "net.h"

TD_DROP_REGISTER(eth_short)
TD_DROP_REGISTER(eth_multiseg)
TD_DROP_REGISTER(eth_not_for_us)
TD_DROP_REGISTER(eth_unknown_type)
TD_DROP_REGISTER(arp_bad)
TD_DROP_REGISTER(arp_not_for_us)
TD_DROP_REGISTER(arp_not_request)

static void
arp_input(struct td_worker *w, const struct td_port *p, uint16_t port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	if (m->data_len < sizeof(*eth) + sizeof(*arp) || arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
	    arp->arp_plen != sizeof(uint32_t)) {
		td_drop(w->st, m, td_drop_arp_bad);
		return;
	}
	if (p->ipv4 == 0 || arp->arp_data.arp_tip != p->ipv4) {
		td_drop(w->st, m, td_drop_arp_not_for_us);
		return;
	}
	/* RFC 826: whoever asks us or answers us is a neighbour worth
	 * knowing; media toward it needs its address. */
	td_neigh_learn(w, port, arp->arp_data.arp_sip, &arp->arp_data.arp_sha);
	if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY)) {
		rte_pktmbuf_free(m); /* consumed: learnt above */
		return;
	}
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST)) {
		td_drop(w->st, m, td_drop_arp_not_request);
		return;
	}
	/* RFC 826 "Packet reception": swap sender and target, fill in our
	 * hardware address, set the opcode to reply, send to the asker. */
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = p->mac;
	arp->arp_data.arp_sip = p->ipv4;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = p->mac;
	w->st->arp_replies++;
	td_worker_tx(w, port, m);
}

uint16_t
td_eth_input(struct td_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	const struct td_port *p = &td_ports[port];

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eth;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (unlikely(m->nb_segs != 1)) {
			td_drop(w->st, m, td_drop_eth_multiseg);
			continue;
		}
		if (unlikely(m->data_len < sizeof(*eth))) {
			td_drop(w->st, m, td_drop_eth_short);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		if (!rte_is_same_ether_addr(&eth->dst_addr, &p->mac) && !rte_is_broadcast_ether_addr(&eth->dst_addr)) {
			td_drop(w->st, m, td_drop_eth_not_for_us);
			continue;
		}
		switch (eth->ether_type) {
		case RTE_BE16(RTE_ETHER_TYPE_IPV4):
			td_ip_input(w, port, m);
			break;
		case RTE_BE16(RTE_ETHER_TYPE_ARP):
			arp_input(w, p, port, m);
			break;
		default:
			td_drop(w->st, m, td_drop_eth_unknown_type);
			break;
		}
	}
	return n;
}
