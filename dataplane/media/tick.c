/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's media tick and its media context (contract in media.h).
 * Every TD_MEDIA_TICK_MS, by the TSC, each transcoder in use sends every
 * frame that is full toward either leg: encoded into a fresh mbuf, given
 * the leg's payload type and its stream's SSRC, sequence and timestamp, and
 * sent from the leg's port to its peer (td_rtp_send). The tick list is the
 * pool's list of transcoders in use: relay-only sessions are never on it.
 * No allocation but from the packet pool, no lock, no syscall, no log.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "conf/conf.h"
#include "conf/monitor.h"
#include "drop.h"
#include "dtmf.h"
#include "media.h"
#include "prompt.h"
#include "rtp/rtp_hdr.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"
#include "xcode.h"

TD_DROP_REGISTER(xcode_encode_error)
TD_DROP_REGISTER(xcode_no_mbuf)
TD_DROP_REGISTER(xcode_decode_error) /* a payload the codec refused */
TD_DROP_REGISTER(xcode_queue_full)   /* more PCM queued than TD_XCODE_FIFO */
TD_DROP_DECLARE(play_peer_muted);

#define XCODE_PAYLOAD_MAX 1400 /* one frame of any codec at TD_XCODE_PTIME_MAX fits */

int
td_media_init(struct td_worker *workers, uint16_t n_workers, uint32_t max, struct rte_mempool *mp,
	      struct td_dp_shm *shm)
{
	for (uint16_t i = 0; i < n_workers; i++) {
		char name[32];
		struct td_media *md = rte_zmalloc("td_media", sizeof(*md), RTE_CACHE_LINE_SIZE);
		if (md == NULL)
			return -ENOMEM;
		workers[i].media = md;
		snprintf(name, sizeof(name), "td_xc%u", i);
		if ((md->pool = td_xcode_pool_create(name, max, SOCKET_ID_ANY)) == NULL)
			return errno ? -errno : -ENOMEM;
		md->mp = mp;
		/* A detector and tone generator for each leg of every
		 * transcoder, and some for relay sessions. */
		int ret = td_dtmf_init(&workers[i], 2 * max + TD_DTMF_RELAY_CHANS);
		if (ret < 0)
			return ret;
		md->tick_tsc = rte_get_tsc_hz() / 1000 * TD_MEDIA_TICK_MS;
		td_xcode_set_tsc_hz(rte_get_tsc_hz());
		struct td_dp_worker_stats *st = td_dp_shm_stats(shm, i);
		td_dp_seq_begin(&st->seq);
		st->transcoders_max = max;
		st->transcoders_used = 0;
		st->dtmf_chans_max = 2 * max + TD_DTMF_RELAY_CHANS;
		st->dtmf_chans_used = 0;
		td_dp_seq_end(&st->seq);
	}
	/* Prompts and tones: made here, on the main lcore, before any worker runs. */
	return td_prompt_init(workers, n_workers);
}

void
td_media_service(struct td_worker *workers, uint16_t n_workers)
{
	for (uint16_t i = 0; i < n_workers; i++)
		if (workers[i].media)
			td_xcode_pool_service(workers[i].media->pool);
	td_prompt_service(workers, n_workers);
}

void
td_media_fini(struct td_worker *workers, uint16_t n_workers)
{
	td_prompt_fini(workers, n_workers);
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_media *md = workers[i].media;
		if (md == NULL)
			continue;
		td_dtmf_fini(&workers[i]);
		td_xcode_pool_free(md->pool);
		rte_free(md);
		workers[i].media = NULL;
	}
}

void
td_media_reclaim(struct td_worker *w)
{
	if (w->media) {
		td_xcode_pool_reclaim(w->media->pool);
		td_prompt_reclaim(w);
	}
}

/* The frames of leg `from` due now, out of its jitter buffer: decoded
 * (lost ones concealed) and queued toward the other leg; in-band digits
 * looked for in the audio. */
static void
play_leg(struct td_worker *w, struct td_xcode *x, unsigned int from, uint64_t now)
{
	struct td_rtp_session *s = &w->rtp->s[x->leg[from].slot];
	uint32_t ts;
	int n;

	while ((n = td_xcode_play(w->media->pool, x, from, now, &ts)) != -EAGAIN) {
		if (n < 0) {
			/* The packet was counted in; its frame is lost. */
			w->st->drops[n == -ENOBUFS ? td_drop_xcode_queue_full : td_drop_xcode_decode_error]++;
			td_dp_seq_begin(&s->st->seq);
			s->st->dropped++;
			td_dp_seq_end(&s->st->seq);
			continue;
		}
		unsigned int pcm_n;
		const int16_t *pcm = td_xcode_decoded(w->media->pool, &pcm_n);
		if (pcm_n)
			td_dtmf_xcode_audio(w, s, x, from, ts, pcm, pcm_n, x->leg[from].pcm_rate, (unsigned int)n);
	}
}

/* Every full frame toward leg `to` of x: encode, packetise, send. */
static unsigned int
tick_leg(struct td_worker *w, struct td_xcode *x, unsigned int to, uint64_t now)
{
	struct td_rtp_session *b = &w->rtp->s[x->leg[to].slot];	 /* it goes to b's peer */
	struct td_rtp_session *s = &w->rtp->s[x->leg[!to].slot]; /* from s's media */
	unsigned int sent = 0;

	if (unlikely(b->play.slot1)) {
		/* b hears a prompt: s's media toward it is used up unsent. */
		struct td_xcode_frame f;
		while (td_xcode_skip(x, to, &f)) {
			w->st->drops[td_drop_play_peer_muted]++;
			td_dp_seq_begin(&s->st->seq);
			s->st->dropped++;
			td_dp_seq_end(&s->st->seq);
		}
		return 0;
	}
	td_dtmf_xcode_pad(b, x, to, now, w->rtp->tsc_hz);
	while (td_xcode_ready(x, to)) {
		struct td_xcode_frame f;
		struct rte_mbuf *m = rte_pktmbuf_alloc(w->media->mp);
		if (unlikely(m == NULL)) {
			/* The frame is used up all the same: its time passes. */
			uint8_t scratch[XCODE_PAYLOAD_MAX];
			td_xcode_encode(x, to, scratch, sizeof(scratch), &f);
			w->st->drops[td_drop_xcode_no_mbuf]++;
			td_dp_seq_begin(&s->st->seq);
			s->st->dropped++;
			td_dp_seq_end(&s->st->seq);
			continue;
		}
		uint8_t *pkt = rte_pktmbuf_mtod(m, uint8_t *);
		size_t room = rte_pktmbuf_tailroom(m) - RTP_HDR_LEN;
		/* Digits toward b: an RFC 4733 packet in the frame's place, or
		 * tones in its audio. */
		int len = td_dtmf_xcode_frame(b, x, to, pkt + RTP_HDR_LEN, &f);
		if (len == 0)
			len = td_xcode_encode(x, to, pkt + RTP_HDR_LEN,
					      room < XCODE_PAYLOAD_MAX ? room : XCODE_PAYLOAD_MAX, &f);
		td_dp_seq_begin(&s->st->seq);
		if (unlikely(len <= 0)) {
			s->st->dropped++;
			td_drop(w->st, m, td_drop_xcode_encode_error);
			td_dp_seq_end(&s->st->seq);
			continue;
		}
		struct td_rtp_tx *tx = &b->tx;
		if (tx->out_ssrc == 0)
			tx->out_ssrc = x->leg[to].src_ssrc;
		/* RFC 3550 §5.1: version 2, no padding, extension or CSRC. */
		struct rtp_hdr *h = (struct rtp_hdr *)pkt;
		h->vpxcc = RTP_VERSION << 6;
		h->mpt = (uint8_t)(f.marker << 7 | f.pt);
		h->seq = rte_cpu_to_be_16(f.seq);
		h->ts = rte_cpu_to_be_32(f.ts);
		h->ssrc = rte_cpu_to_be_32(tx->out_ssrc);
		rte_pktmbuf_append(m, (uint16_t)(RTP_HDR_LEN + len));
		bool ok = td_rtp_send(w, s, x->leg[!to].in_port, m);
		td_dp_seq_end(&s->st->seq);
		/* Should the pair go back to relaying, the relay continues this
		 * stream as a new source would (in_ssrc 0: none). */
		tx->init = true;
		tx->in_ssrc = 0;
		tx->last_seq = f.seq;
		tx->last_ts = f.ts;
		tx->last_tsc = now;
		td_dp_seq_begin(&b->st->seq);
		b->st->tx_ssrc = tx->out_ssrc;
		b->st->dtmf_tx = (uint32_t)b->dtmf.out.sent;
		if (ok) {
			b->st->rtp_tx_pkts++;
			b->st->rtp_tx_bytes += (uint64_t)RTP_HDR_LEN + (uint64_t)len;
			sent++;
		}
		td_dp_seq_end(&b->st->seq);
	}
	return sent;
}

unsigned int
td_media_tick(struct td_worker *w, uint64_t now)
{
	struct td_media *md = w->media;
	uint32_t n;

	if (md == NULL)
		return 0;
	unsigned int sent = td_dtmf_tick(w, now);
	sent += td_prompt_tick(w, now);
	struct td_xcode *const *active = td_xcode_pool_active(md->pool, &n);
	bool confs = td_conf_active(w), mons = td_monitor_active(w);
	if ((n == 0 && !confs && !mons) || now < md->next_tick)
		goto flush;
	md->next_tick = now + md->tick_tsc;
	td_dp_seq_begin(&w->st->seq);
	for (uint32_t i = 0; i < n; i++) {
		play_leg(w, active[i], 0, now);
		play_leg(w, active[i], 1, now);
		sent += tick_leg(w, active[i], 0, now);
		sent += tick_leg(w, active[i], 1, now);
	}
	if (confs)
		sent += td_conf_tick(w, now);
	if (mons)
		sent += td_monitor_tick(w, now);
	td_dp_seq_end(&w->st->seq);
flush:
	for (uint16_t p = 0; p < td_n_ports; p++)
		if (w->tx[p].n) {
			td_dp_seq_begin(&w->st->seq);
			td_worker_flush(w, p);
			td_dp_seq_end(&w->st->seq);
		}
	return sent;
}
