/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker neighbour tables (open addressing, linear probe, the newest
 * answer wins; a full table overwrites the home slot). Worker functions use
 * no locks and no syscalls; the ARP request is built from the packet pool.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "drop.h"
#include "neigh.h"
#include "worker/worker.h"

static struct td_worker *all_workers;
static uint16_t n_all;
static struct rte_mempool *pool;

int
td_neigh_init(struct td_worker *workers, uint16_t n_workers, struct rte_mempool *mp)
{
	all_workers = workers;
	n_all = n_workers;
	pool = mp;
	for (uint16_t i = 0; i < n_workers; i++) {
		char name[RTE_RING_NAMESIZE];
		struct td_neigh *n = rte_zmalloc("td_neigh", sizeof(*n), RTE_CACHE_LINE_SIZE);
		if (n == NULL)
			return -ENOMEM;
		snprintf(name, sizeof(name), "td_learn_%u", i);
		n->learn = rte_ring_create_elem(name, sizeof(struct td_neigh_entry), 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (n->learn == NULL) {
			rte_free(n);
			return -ENOMEM;
		}
		n->solicit_gap_tsc = rte_get_tsc_hz() / 1000 * TD_NEIGH_SOLICIT_MS;
		workers[i].neigh = n;
	}
	return 0;
}

void
td_neigh_fini(struct td_worker *workers, uint16_t n_workers)
{
	for (uint16_t i = 0; i < n_workers; i++) {
		if (workers[i].neigh == NULL)
			continue;
		rte_ring_free(workers[i].neigh->learn);
		rte_free(workers[i].neigh);
		workers[i].neigh = NULL;
	}
}

static inline uint32_t
slot_of(uint32_t ip)
{
	return (ip * 2654435761u) >> (32 - TD_NEIGH_BITS); /* Fibonacci hashing */
}

static void
neigh_put(struct td_neigh *n, const struct td_neigh_entry *ne)
{
	uint32_t h = slot_of(ne->ip);
	for (uint32_t i = 0; i < TD_NEIGH_SIZE; i++) {
		struct td_neigh_entry *e = &n->e[(h + i) & (TD_NEIGH_SIZE - 1)];
		if (e->ip == ne->ip || e->ip == 0) {
			*e = *ne;
			return;
		}
	}
	n->e[h] = *ne;
}

void
td_neigh_learn(struct td_worker *w, uint16_t port, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct td_neigh_entry ne = {.ip = ip, .mac = *mac, .port = port};
	struct td_neigh_entry *cur;

	if (ip == 0)
		return;
	cur = &w->neigh->e[slot_of(ip)];
	/* Unchanged news is not news: the other workers already know. */
	if (cur->ip == ip && rte_is_same_ether_addr(&cur->mac, mac))
		return;
	neigh_put(w->neigh, &ne);
	w->st->neigh_learned++;
	for (uint16_t i = 0; i < n_all; i++) {
		if (i == w->index)
			continue;
		if (rte_ring_enqueue_elem(all_workers[i].neigh->learn, &ne, sizeof(ne)) != 0)
			w->st->neigh_share_lost++;
	}
}

void
td_neigh_drain(struct td_worker *w)
{
	struct td_neigh_entry ne;
	while (rte_ring_dequeue_elem(w->neigh->learn, &ne, sizeof(ne)) == 0)
		neigh_put(w->neigh, &ne);
}

static void
neigh_solicit(struct td_worker *w, uint16_t port, uint32_t ip)
{
	const struct td_port *p = &td_ports[port];
	uint64_t now = rte_rdtsc();

	if (now - w->neigh->last_solicit_tsc < w->neigh->solicit_gap_tsc || p->ipv4 == 0)
		return;
	w->neigh->last_solicit_tsc = now;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return;
	struct rte_ether_hdr *eth =
		(struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(struct rte_arp_hdr));
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = p->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = p->mac;
	arp->arp_data.arp_sip = p->ipv4;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = ip;
	w->st->arp_requests++;
	td_worker_tx(w, port, m);
}

bool
td_neigh_resolve(struct td_worker *w, uint16_t port, uint32_t ip, struct rte_ether_addr *mac)
{
	uint32_t h = slot_of(ip);
	for (uint32_t i = 0; i < TD_NEIGH_SIZE; i++) {
		const struct td_neigh_entry *e = &w->neigh->e[(h + i) & (TD_NEIGH_SIZE - 1)];
		if (e->ip == ip) {
			*mac = e->mac;
			return true;
		}
		if (e->ip == 0)
			break;
	}
	neigh_solicit(w, port, ip);
	return false;
}
