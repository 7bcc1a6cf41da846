/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's own network stack, run by every worker on its rx bursts:
 * Ethernet demux, ARP for its own addresses, IPv4 checks and ICMP echo.
 * Each function takes a burst and returns how many packets it consumed; every
 * packet ends either queued for tx or dropped under a named reason.
 */
#ifndef TD_NET_H
#define TD_NET_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "worker/worker.h"

uint16_t td_eth_input(struct td_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n);
/* m's data starts at its Ethernet header; ip is the IPv4 header inside it. */
void td_ip_input(struct td_worker *w, uint16_t port, struct rte_mbuf *m);

#endif
