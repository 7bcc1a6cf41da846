/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transcoders on bridged sessions (contract in media.h): admission when a
 * pair is bridged or changes codec, release when it is unbridged, and the
 * per-packet decode for a session of a transcoding pair. Runs on the worker
 * that owns both sessions; no allocation, lock, syscall or log.
 */
#include <errno.h>

#include "drop.h"
#include "dtmf.h"
#include "media.h"
#include "rtp/rtp_hdr.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"
#include "xcode.h"

TD_DROP_REGISTER(xcode_bad_pt)
TD_DROP_REGISTER(xcode_late) /* older than the last decoded; jitter buffer: its frame was played */
TD_DROP_DECLARE(xcode_decode_error);
TD_DROP_DECLARE(xcode_queue_full);
TD_DROP_REGISTER(xcode_duplicate) /* its frame is buffered or was received */
TD_DROP_REGISTER(xcode_ahead)	  /* too far ahead for the jitter buffer */
TD_DROP_REGISTER(xcode_oversize)  /* payload larger than a frame can be */
TD_DROP_REGISTER(xcode_empty)	  /* no payload */

static uint32_t
slot_of(const struct td_worker *w, const struct td_rtp_session *s)
{
	return (uint32_t)(s->port - w->rtp->port_lo) >> 1;
}

static void
publish(struct td_worker *w, struct td_rtp_session *s)
{
	td_dp_seq_begin(&s->st->seq);
	s->st->transcoding = s->xc != NULL;
	td_dp_seq_end(&s->st->seq);
	w->st->transcoders_used = td_xcode_pool_used(w->media ? w->media->pool : NULL);
}

/* Give x to the pair a (leg 0) and b (leg 1). */
static void
xcode_bind(struct td_worker *w, struct td_xcode *x, struct td_rtp_session *a, struct td_rtp_session *b)
{
	x->leg[0].slot = slot_of(w, a);
	x->leg[1].slot = slot_of(w, b);
	x->leg[0].in_port = a->tx_port;
	x->leg[1].in_port = b->tx_port;
	a->xc = x;
	a->xc_leg = 0;
	b->xc = x;
	b->xc_leg = 1;
	publish(w, a);
	publish(w, b);
	td_dtmf_pair_changed(w, a);
	td_dtmf_pair_changed(w, b);
}

static int
xcode_take(struct td_worker *w, struct td_rtp_session *a, struct td_rtp_session *b, struct td_xcode **xp)
{
	int ret = td_xcode_get(w->media ? w->media->pool : NULL, &a->p, &b->p, xp);
	if (ret == -ENOSPC)
		w->st->transcoders_refused++;
	return ret;
}

int
td_xcode_attach(struct td_worker *w, struct td_rtp_session *a, struct td_rtp_session *b)
{
	struct td_xcode *x;
	int ret = xcode_take(w, a, b, &x);

	if (ret < 0 || x == NULL)
		return ret;
	/* A stream relayed toward a peer until now goes on as one stream. */
	if (a->tx.init)
		td_xcode_continue(x, 0, (uint16_t)(a->tx.last_seq + 1), a->tx.last_ts + x->leg[0].ts_step);
	if (b->tx.init)
		td_xcode_continue(x, 1, (uint16_t)(b->tx.last_seq + 1), b->tx.last_ts + x->leg[1].ts_step);
	xcode_bind(w, x, a, b);
	return 0;
}

void
td_xcode_detach(struct td_worker *w, struct td_rtp_session *s)
{
	struct td_xcode *x = s->xc;

	if (x == NULL)
		return;
	struct td_rtp_session *a = &w->rtp->s[x->leg[0].slot], *b = &w->rtp->s[x->leg[1].slot];
	td_xcode_put(w->media->pool, x);
	a->xc = NULL;
	b->xc = NULL;
	publish(w, a);
	publish(w, b);
	td_dtmf_pair_changed(w, a);
	td_dtmf_pair_changed(w, b);
}

int
td_xcode_update(struct td_worker *w, struct td_rtp_session *s, struct td_rtp_session *b)
{
	struct td_xcode *x = s->xc, *nx;

	if (x == NULL)
		return td_xcode_attach(w, s, b);
	struct td_rtp_session *l0 = &w->rtp->s[x->leg[0].slot], *l1 = &w->rtp->s[x->leg[1].slot];
	if (!td_xcode_needed(&l0->p, &l1->p)) {
		td_xcode_detach(w, s);
		return 0;
	}
	if (td_xcode_reconfigure(w->media->pool, x, &l0->p, &l1->p) == 0)
		return 0;
	/* Other codecs: the new transcoder first, so that a refusal leaves
	 * the call as it was. Both streams go on where they were. */
	int ret = xcode_take(w, l0, l1, &nx);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < 2; i++)
		if (x->leg[i].tx_started)
			td_xcode_continue(nx, i, x->leg[i].seq, x->leg[i].ts);
	td_xcode_put(w->media->pool, x);
	xcode_bind(w, nx, l0, l1);
	return 0;
}

void
td_xcode_rx(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m, const uint8_t *rtp,
	    const struct rtp_info *ri)
{
	struct td_xcode *x = s->xc;
	struct td_xcode_leg *in = &x->leg[s->xc_leg];
	uint16_t reason;

	/* Telephone-events never come here: dtmf.c takes them first. */
	if (unlikely(ri->pt != in->pt)) {
		reason = td_drop_xcode_bad_pt;
		goto drop;
	}
	in->in_port = in_port;
	int n;
	if (s->p.flags & TD_DP_SESS_F_JITTER_BUFFER) {
		/* Into the leg's jitter buffer; the media tick decodes it
		 * when due. */
		n = td_xcode_rx_put(x, s->xc_leg, ri->seq, ri->ts, ri->ssrc, ri->marker, rtp + ri->payload_off,
				    ri->payload_len, s->last_rx_tsc);
		if (likely(n == 0)) {
			rte_pktmbuf_free(m); /* its payload is in the buffer */
			return;
		}
		reason = n == -ETIME	  ? td_drop_xcode_late
			 : n == -EEXIST	  ? td_drop_xcode_duplicate
			 : n == -ENOBUFS  ? td_drop_xcode_ahead
			 : n == -EMSGSIZE ? td_drop_xcode_oversize
					  : td_drop_xcode_empty;
		goto drop;
	}
	/* Decoded as it comes: the receiver's own jitter buffer does the
	 * rest. */
	n = td_xcode_decode(w->media->pool, x, s->xc_leg, ri->seq, ri->ts, ri->ssrc, rtp + ri->payload_off,
			    ri->payload_len);
	if (likely(n >= 0)) {
		unsigned int pcm_n;
		const int16_t *pcm = td_xcode_decoded(w->media->pool, &pcm_n);
		/* In-band digits on the decoded audio, every transcoding leg. */
		td_dtmf_xcode_audio(w, s, x, s->xc_leg, ri->ts, pcm, pcm_n, in->pcm_rate, (unsigned int)n);
		rte_pktmbuf_free(m); /* its media is queued as PCM */
		return;
	}
	reason = n == -EALREADY	 ? td_drop_xcode_late
		 : n == -ENOBUFS ? td_drop_xcode_queue_full
				 : td_drop_xcode_decode_error;
drop:
	s->st->dropped++;
	td_drop(w->st, m, reason);
}
