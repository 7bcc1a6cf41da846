/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet ports: set-up and teardown on the main lcore, the table of ports
 * and their own addresses read by the workers (read-only once workers run),
 * and the per-port facts published in the shared segment.
 */
#ifndef TD_PORT_H
#define TD_PORT_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "api/td_dp_shm.h"

#define TD_MAX_PORTS TD_DP_MAX_PORTS
#define TD_RX_DESC   1024
#define TD_TX_DESC   1024

struct td_port {
	uint16_t port_id;
	uint16_t n_queues; /* rx and tx queues, one pair per worker */
	struct rte_ether_addr mac;
	uint32_t ipv4; /* network order, 0 if none */
	uint8_t plen;
};

extern struct td_port td_ports[TD_MAX_PORTS];
extern uint16_t td_n_ports;

/* Configure and start every available port with n_queues queue pairs. */
int td_port_init_all(struct rte_mempool *mp, uint16_t n_queues, char *err, size_t errlen);
void td_port_close_all(void);
/* Give port index i its address (network order) before td_port_init_all. */
int td_port_set_ipv4(uint16_t i, uint32_t ipv4, uint8_t plen);
/* Refresh the ports' facts and NIC counters in the segment. */
void td_port_publish(struct td_dp_shm_hdr *hdr);

/* Index in td_ports of the port that owns a DPDK port id, or -1. */
static inline int
td_port_index(uint16_t port_id)
{
	for (uint16_t i = 0; i < td_n_ports; i++)
		if (td_ports[i].port_id == port_id)
			return i;
	return -1;
}

#endif
