/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive statistics of one RTP stream, after RFC 3550 Appendix A: sequence
 * tracking with cycles (A.1), expected and lost packets (A.3), interarrival
 * jitter (A.8). Arrival times come in the stream's timestamp units. Updated by
 * the worker that owns the session, per packet; plain arithmetic only.
 */
#ifndef TD_RTP_STATS_H
#define TD_RTP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "rtp_hdr.h"

struct rtp_rx_stats {
	uint32_t ssrc;
	uint16_t max_seq;    /* highest sequence number seen */
	uint32_t cycles;     /* shifted count of sequence number wraps */
	uint32_t base_seq;   /* first sequence number */
	uint32_t bad_seq;    /* last 'bad' seq + 1, A.1 */
	uint32_t received;   /* packets counted */
	uint32_t transit;    /* relative transit time of the last packet */
	uint32_t jitter16;   /* interarrival jitter x 16, timestamp units (A.8) */
	uint32_t misordered; /* late packets */
	uint32_t duplicates; /* the highest sequence number again */
	uint32_t restarts;   /* times the stream was re-synchronised */
	bool active;
};

/* Count one packet; arrival is the arrival time in timestamp units. */
void rtp_rx_stats_update(struct rtp_rx_stats *s, const struct rtp_info *ri, uint32_t arrival);

/* Packets expected (A.3): extended highest sequence - base + 1. */
static inline uint32_t
rtp_rx_stats_expected(const struct rtp_rx_stats *s)
{
	return s->active ? s->cycles + s->max_seq - s->base_seq + 1 : 0;
}

/* Cumulative lost (A.3), negative when duplicates outnumber losses. */
static inline int32_t
rtp_rx_stats_lost(const struct rtp_rx_stats *s)
{
	return (int32_t)(rtp_rx_stats_expected(s) - s->received);
}

#endif
