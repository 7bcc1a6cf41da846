/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbours: IPv4 -> MAC, one small table per worker, so no worker ever
 * takes a lock. A worker learns from ARP addressed to us and passes what it
 * learnt to every other worker over their learn rings (multi-producer,
 * drained by the owner each loop). A lookup miss makes the worker send one
 * ARP request (at most one per TD_NEIGH_SOLICIT_MS per worker). Tables are
 * made on the main lcore before launch.
 */
#ifndef TD_NEIGH_H
#define TD_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#define TD_NEIGH_BITS	    13
#define TD_NEIGH_SIZE	    (1u << TD_NEIGH_BITS) /* entries per worker */
#define TD_NEIGH_SOLICIT_MS 10

struct td_worker;
struct rte_mempool;

struct td_neigh_entry {
	uint32_t ip; /* network order; 0: empty */
	struct rte_ether_addr mac;
	uint16_t port; /* td_ports index it was seen on */
};

struct td_neigh {
	struct td_neigh_entry e[TD_NEIGH_SIZE];
	struct rte_ring *learn; /* entries from the other workers */
	uint64_t last_solicit_tsc;
	uint64_t solicit_gap_tsc;
};

/* Main lcore: one table and learn ring per worker. */
int td_neigh_init(struct td_worker *workers, uint16_t n_workers, struct rte_mempool *mp);
void td_neigh_fini(struct td_worker *workers, uint16_t n_workers);

/* Worker: learn locally and tell the other workers. */
void td_neigh_learn(struct td_worker *w, uint16_t port, uint32_t ip, const struct rte_ether_addr *mac);
/* Worker: take in what the other workers learnt. */
void td_neigh_drain(struct td_worker *w);
/* Worker: the MAC of ip, or false after asking for it with an ARP request. */
bool td_neigh_resolve(struct td_worker *w, uint16_t port, uint32_t ip, struct rte_ether_addr *mac);

#endif
