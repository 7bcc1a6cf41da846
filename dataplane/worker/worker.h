/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore's context. Each worker owns its stats block, the consumer end
 * of its command ring and the producer end of its event ring, and rx/tx queue
 * <index> of every port. Set up by the main lcore before launch; afterwards
 * only the worker touches it.
 */
#ifndef TD_WORKER_H
#define TD_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "api/td_dp_shm.h"
#include "port/port.h"

#define TD_RX_BURST	 32
#define TD_TX_BUF	 64  /* a burst's replies plus the ARP requests it causes */
#define TD_CTL_POLL_MASK 0xf /* command ring checked every 16 loops */
#define TD_TIMEOUT_SCAN	 8   /* sessions checked for media timeout per 16 loops */

struct td_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[TD_TX_BUF];
};

struct td_rtp_table;
struct td_neigh;
struct td_media;
struct td_rec_worker;

struct td_worker {
	uint16_t index;
	unsigned int lcore_id;
	struct td_dp_worker_stats *st;
	struct rte_ring *cmd;
	struct rte_ring *evt;
	uint32_t idle_sleep_us;		    /* 0: busy-poll */
	struct td_rtp_table *rtp;	    /* media sessions of this worker's ports */
	struct td_neigh *neigh;		    /* neighbours this worker knows */
	struct td_rec_worker *rec;	    /* recording slots and rings (record/record.h) */
	struct td_media *media;		    /* transcoders and the media tick (media/media.h) */
	struct rte_ring *handoff;	    /* packets other workers received for us */
	struct rte_ring *const *handoff_to; /* every worker's handoff ring */
	struct td_txbuf tx[TD_MAX_PORTS];
};

int td_worker_main(void *arg);
void td_worker_stop(void);
bool td_worker_stopping(void);

void td_worker_flush(struct td_worker *w, uint16_t port);

/* Queue m for transmission on port p from this worker; sent after the burst. */
static inline void
td_worker_tx(struct td_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct td_txbuf *b = &w->tx[port];
	if (unlikely(b->n == TD_TX_BUF))
		td_worker_flush(w, port);
	b->pkts[b->n++] = m;
}

/* Queue an event for control; counts it lost if control does not drain. */
int td_worker_event(struct td_worker *w, const struct td_dp_msg *m);

#endif
