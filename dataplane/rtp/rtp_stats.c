/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 3550 Appendix A.1/A.3/A.8 receive statistics. Differences from the
 * appendix: no probation (a relay forwards from the first packet and counts
 * from it too), and an SSRC change re-synchronises instead of being an error,
 * since a re-INVITE or transfer legitimately changes the source.
 */
#include "rtp_stats.h"

#define RTP_SEQ_MOD  (1u << 16)
#define MAX_DROPOUT  3000
#define MAX_MISORDER 100

static void
stats_init(struct rtp_rx_stats *s, const struct rtp_info *ri, uint32_t arrival)
{
	uint32_t restarts = s->restarts + (s->active ? 1 : 0);
	*s = (struct rtp_rx_stats){
		.ssrc = ri->ssrc,
		.max_seq = ri->seq,
		.base_seq = ri->seq,
		.bad_seq = RTP_SEQ_MOD + 1,
		.received = 1,
		.transit = arrival - ri->ts,
		.restarts = restarts,
		.active = true,
	};
}

void
rtp_rx_stats_update(struct rtp_rx_stats *s, const struct rtp_info *ri, uint32_t arrival)
{
	if (!s->active || ri->ssrc != s->ssrc) {
		stats_init(s, ri, arrival);
		return;
	}
	uint16_t udelta = ri->seq - s->max_seq;
	if (udelta == 0) {
		s->duplicates++;
	} else if (udelta < MAX_DROPOUT) {
		/* In order, with a permissible gap; A.1 counts a wrap. */
		if (ri->seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = ri->seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: A.1 accepts it only when two sequential
		 * packets agree, as after a sender restart. */
		if (ri->seq == s->bad_seq) {
			stats_init(s, ri, arrival);
			return;
		}
		s->bad_seq = (ri->seq + 1) & (RTP_SEQ_MOD - 1);
		return;
	} else {
		/* Duplicate or reordered: counted as received (A.3 lets
		 * duplicates offset losses), not used for the maximum. */
		s->misordered++;
	}
	s->received++;

	/* A.8: D(i,j) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16, kept x16. */
	uint32_t transit = arrival - ri->ts;
	int32_t d = (int32_t)(transit - s->transit);
	s->transit = transit;
	if (d < 0)
		d = -d;
	s->jitter16 += (uint32_t)d - ((s->jitter16 + 8) >> 4);
}
