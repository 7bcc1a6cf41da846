/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcore's loop: poll rx queue <index> of every port in bursts of
 * TD_RX_BURST, run the network stack, flush tx, and every 16 loops take
 * commands from control. Counters are updated under the stats block's
 * sequence counter once per loop that saw work. The media tick
 * (media/tick.c) runs every 20 ms while the worker has transcoders in use.
 *
 * Idle policy: with idle_sleep_us > 0 (the default; for shared machines) a
 * worker that found nothing for TD_IDLE_POLLS loops sleeps that long between
 * polls; with 0 (--busy-poll, production) it spins with rte_pause().
 */
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "ctl/ctl.h"
#include "drop.h"
#include "media/media.h"
#include "record/record.h"
#include "net/neigh.h"
#include "net/net.h"
#include "rtp/rtp_session.h"
#include "worker.h"

#define TD_IDLE_POLLS 256

TD_DROP_REGISTER(tx_full)

static volatile int stopping;

void
td_worker_stop(void)
{
	__atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
}

bool
td_worker_stopping(void)
{
	return __atomic_load_n(&stopping, __ATOMIC_ACQUIRE) != 0;
}

void
td_worker_flush(struct td_worker *w, uint16_t port)
{
	struct td_txbuf *b = &w->tx[port];
	uint64_t bytes = 0;

	/* Lengths are read before the PMD owns (and may free) the mbufs. */
	for (uint16_t i = 0; i < b->n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	uint16_t sent = rte_eth_tx_burst(td_ports[port].port_id, w->index, b->pkts, b->n);
	for (uint16_t i = sent; i < b->n; i++) {
		bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
		td_drop(w->st, b->pkts[i], td_drop_tx_full);
	}
	w->st->tx_pkts += sent;
	w->st->tx_bytes += bytes;
	b->n = 0;
}

/* Packets other workers received for our ports: same path as our own rx. */
static uint32_t
worker_handoff_drain(struct td_worker *w, struct rte_mbuf **pkts)
{
	unsigned int n = rte_ring_dequeue_burst(w->handoff, (void **)pkts, TD_RX_BURST, NULL);
	if (n == 0)
		return 0;
	td_dp_seq_begin(&w->st->seq);
	w->st->handoff_in += n;
	/* A burst from one port at a time, as td_eth_input expects. */
	for (unsigned int i = 0; i < n;) {
		unsigned int j = i + 1;
		while (j < n && pkts[j]->port == pkts[i]->port)
			j++;
		int port = td_port_index(pkts[i]->port);
		td_eth_input(w, (uint16_t)(port < 0 ? 0 : port), pkts + i, (uint16_t)(j - i));
		if (w->tx[port < 0 ? 0 : port].n)
			td_worker_flush(w, (uint16_t)(port < 0 ? 0 : port));
		i = j;
	}
	td_dp_seq_end(&w->st->seq);
	return n;
}

int
td_worker_main(void *arg)
{
	struct td_worker *w = arg;
	struct rte_mbuf *pkts[TD_RX_BURST];
	uint64_t loops = 0;
	uint32_t idle = 0;

	while (!td_worker_stopping()) {
		uint32_t got = 0;
		uint64_t t0 = rte_rdtsc();

		loops++;
		for (uint16_t port = 0; port < td_n_ports; port++) {
			uint16_t n = rte_eth_rx_burst(td_ports[port].port_id, w->index, pkts, TD_RX_BURST);
			if (n == 0)
				continue;
			got += n;
			td_dp_seq_begin(&w->st->seq);
			w->st->rx_pkts += n;
			for (uint16_t i = 0; i < n; i++)
				w->st->rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
			td_eth_input(w, port, pkts, n);
			if (w->tx[port].n)
				td_worker_flush(w, port);
			td_dp_seq_end(&w->st->seq);
		}
		got += worker_handoff_drain(w, pkts);
		got += td_media_tick(w, t0);
		if ((loops & TD_CTL_POLL_MASK) == 0) {
			td_dp_seq_begin(&w->st->seq);
			w->st->loops = loops;
			td_media_reclaim(w);
			got += td_ctl_poll(w);
			got += td_rec_poll(w);
			td_neigh_drain(w);
			td_rtp_timeout_scan(w, TD_TIMEOUT_SCAN);
			td_dp_seq_end(&w->st->seq);
		}
		if (got) {
			/* Time spent on work, not on empty polls or sleeps: what the
			 * worker's load really is, busy-polling or not. */
			td_dp_seq_begin(&w->st->seq);
			w->st->busy_tsc += rte_rdtsc() - t0;
			td_dp_seq_end(&w->st->seq);
			idle = 0;
		} else if (++idle > TD_IDLE_POLLS && w->idle_sleep_us) {
			usleep(w->idle_sleep_us);
		} else {
			rte_pause();
		}
	}
	return 0;
}
