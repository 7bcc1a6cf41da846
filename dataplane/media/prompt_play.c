/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Playing prompts and tones to sessions, on the worker that owns them
 * (contract in prompt.h). PLAY picks the frames of the session's codec,
 * counts the play in the prompt and puts the session on the play list;
 * every 20 ms the tick sends each playing session its next frames (ptime's
 * worth, Opus one frame) toward its remote, from its port, continuing the
 * stream it was sent (td_rtp_tx: same SSRC, sequence +1, timestamp on by
 * the time that passed). When a play ends the stream is handed back as it
 * stands: the relay continues it as a new source, a transcoder from the
 * next sequence number and timestamp.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "ctl/ctl.h"
#include "drop.h"
#include "media.h"
#include "prompt.h"
#include "rtp/rtp_hdr.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"
#include "xcode.h"

TD_DROP_REGISTER(play_peer_muted)
TD_DROP_REGISTER(play_no_mbuf)

#define PLAY_FPP_MAX 3 /* 60 ms packets at most */

static struct td_rtp_session *
play_sess(struct td_worker *w, uint32_t id, int *err)
{
	uint16_t port = TD_DP_SESSION_PORT(id);

	if (port < w->rtp->port_lo || port > w->rtp->port_hi || (port & 1)) {
		*err = td_rtp_owner(port) >= 0 ? -EXDEV : -ENOENT;
		return NULL;
	}
	struct td_rtp_session *s = td_rtp_lookup(w->rtp, port);
	if (s == NULL || s->id != id) {
		*err = -ENOENT;
		return NULL;
	}
	return s;
}

/* Which encoding a session hears, its payload type and RTP clock units per
 * 20 ms; -EINVAL when none fits. */
static int
play_kind(const struct td_rtp_session *s, const struct td_prompt *p, uint8_t *pt, uint32_t *step)
{
	const char *c = s->p.codec;
	*step = 160;
	if (c[0] == '\0') {
		/* No codec: G.711 by its payload types, A-law first. */
		for (int want = 8; want >= 0; want -= 8)
			for (uint8_t i = 0; i < s->p.n_pts; i++)
				if (s->p.pts[i] == want) {
					*pt = (uint8_t)want;
					return want == 8 ? TD_PK_PCMA : TD_PK_PCMU;
				}
		return -EINVAL;
	}
	*pt = s->p.codec_pt;
	if (strncasecmp(c, "PCMA", sizeof(s->p.codec)) == 0)
		return TD_PK_PCMA;
	if (strncasecmp(c, "PCMU", sizeof(s->p.codec)) == 0)
		return TD_PK_PCMU;
	if (strncasecmp(c, "G722", sizeof(s->p.codec)) == 0)
		return TD_PK_G722;
	if (strncasecmp(c, "G729", sizeof(s->p.codec)) == 0)
		return TD_PK_G729;
	if (strncasecmp(c, "opus", sizeof(s->p.codec)) == 0) {
		*step = 960; /* RFC 7587: a 48 kHz clock whatever the audio */
		return p->src_rate == 16000 ? TD_PK_OPUS16 : TD_PK_OPUS8;
	}
	return -EINVAL;
}

static void
play_end(struct td_worker *w, struct td_rtp_session *s, uint8_t why)
{
	struct td_play *pl = &s->play;
	struct td_media *md = w->media;
	struct td_prompt *p = &td_prompts[pl->slot1 - 1];
	uint32_t slot = pl->slot1 - 1;

	/* Off the list: the last one takes its place. */
	uint32_t last = md->play_list[--md->n_playing];
	md->play_list[pl->list_pos] = last;
	w->rtp->s[last].play.list_pos = pl->list_pos;

	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_EVT_PLAYBACK_DONE, 0);
	m.hdr.worker = w->index;
	m.play_done.session = s->id;
	m.play_done.call_tag = s->p.call_tag;
	m.play_done.prompt = slot <= TD_DP_PROMPT_ID_MAX ? slot : 0;
	m.play_done.tone = slot > TD_DP_PROMPT_ID_MAX ? (uint8_t)(slot - TD_DP_PROMPT_ID_MAX) : 0;
	m.play_done.why = why;
	m.play_done.frames = pl->frames;
	m.play_done.loops = pl->loops;
	td_worker_event(w, &m);

	/* The stream goes on from here, whoever feeds it next. */
	struct td_rtp_tx *tx = &s->tx;
	if (pl->frames) {
		tx->init = true;
		tx->in_ssrc = 0;
		tx->last_seq = (uint16_t)(pl->seq - 1);
		tx->last_ts = pl->ts - pl->ts_step * pl->fpp;
		tx->last_tsc = rte_rdtsc();
		if (s->xc)
			td_xcode_continue(s->xc, s->xc_leg, pl->seq, pl->ts);
	}
	pl->slot1 = 0;
	__atomic_fetch_sub(&p->plays, 1, __ATOMIC_SEQ_CST);
}

void
td_prompt_session_end(struct td_worker *w, struct td_rtp_session *s)
{
	if (s->play.slot1)
		play_end(w, s, TD_DP_PLAY_SESSION_GONE);
}

static int
ctl_play(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	const struct td_dp_cmd_play *c = &cmd->play;
	int ret;
	struct td_rtp_session *s = play_sess(w, c->session, &ret);

	(void)ack;
	if (s == NULL)
		return ret;
	if (w->media == NULL || w->media->play_list == NULL)
		return -ENOTSUP;
	if ((c->prompt == 0) == (c->tone == TD_DP_TONE_NONE) || c->prompt > TD_DP_PROMPT_ID_MAX ||
	    c->tone > TD_DP_TONE_CONGESTION || (c->flags & ~TD_DP_PLAY_LOOP))
		return -EINVAL;
	uint32_t slot = c->prompt ? c->prompt : td_prompt_tone_slot(c->tone);
	struct td_prompt *p = &td_prompts[slot];

	/* Counted in first, then the state: see prompt.h. */
	__atomic_fetch_add(&p->plays, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->state, __ATOMIC_SEQ_CST) != TD_PROMPT_READY) {
		__atomic_fetch_sub(&p->plays, 1, __ATOMIC_SEQ_CST);
		return -ENOENT;
	}
	uint8_t pt;
	uint32_t step;
	int kind = play_kind(s, p, &pt, &step);
	if (kind < 0) {
		__atomic_fetch_sub(&p->plays, 1, __ATOMIC_SEQ_CST);
		return kind;
	}
	if (s->play.slot1)
		play_end(w, s, TD_DP_PLAY_REPLACED);

	struct td_play *pl = &s->play;
	unsigned int fpp = kind >= TD_PK_OPUS8 ? 1 : s->p.ptime_ms / TD_PROMPT_FRAME_MS;
	*pl = (struct td_play){
		.slot1 = (uint16_t)(slot + 1),
		.kind = (uint8_t)kind,
		.flags = c->flags,
		.pt = pt,
		.fpp = (uint8_t)(fpp == 0	      ? 1
				 : fpp > PLAY_FPP_MAX ? PLAY_FPP_MAX
						      : fpp),
		.wait = 1,
		.ts_step = step,
	};
	/* RFC 3550 §5.1: continue the stream sent to this session, or start
	 * one at random values. */
	struct td_rtp_tx *tx = &s->tx;
	if (tx->out_ssrc == 0)
		tx->out_ssrc = (uint32_t)rte_rand() | 1;
	if (tx->init) {
		uint64_t now = rte_rdtsc();
		uint32_t rate = s->p.clock_rate ? s->p.clock_rate : 8000;
		uint64_t el = (now - tx->last_tsc) * rate / w->rtp->tsc_hz;
		if (el < step)
			el = step;
		pl->seq = (uint16_t)(tx->last_seq + 1);
		pl->ts = tx->last_ts + (uint32_t)el;
	} else {
		pl->seq = (uint16_t)rte_rand();
		pl->ts = (uint32_t)rte_rand();
	}
	struct td_media *md = w->media;
	pl->list_pos = md->n_playing;
	md->play_list[md->n_playing++] = (uint32_t)(s->port - w->rtp->port_lo) >> 1;
	if (md->n_playing == 1)
		md->play_next = rte_rdtsc();
	return 0;
}

static int
ctl_play_stop(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	int ret;
	struct td_rtp_session *s = play_sess(w, cmd->play.session, &ret);

	(void)ack;
	if (s == NULL)
		return ret;
	if (!s->play.slot1)
		return -EALREADY;
	play_end(w, s, TD_DP_PLAY_STOPPED);
	return 0;
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_PLAY, ctl_play)
TD_CTL_CMD_REGISTER(TD_DP_CMD_PLAY_STOP, ctl_play_stop)

/* The next packet of s's play; false when the play ended. */
static bool
play_packet(struct td_worker *w, struct td_rtp_session *s, uint64_t now, unsigned int *sent)
{
	struct td_play *pl = &s->play;
	const struct td_prompt *p = &td_prompts[pl->slot1 - 1];
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->media->mp);
	uint8_t *pkt = m ? rte_pktmbuf_mtod(m, uint8_t *) : NULL;
	size_t len = 0;
	unsigned int n = 0;

	while (n < pl->fpp && pl->pos < p->n_frames) {
		uint16_t fl;
		const uint8_t *f = td_prompt_frame(p, pl->kind, pl->pos++, &fl);
		if (pkt)
			memcpy(pkt + RTP_HDR_LEN + len, f, fl);
		len += fl;
		n++;
		if (pl->pos == p->n_frames && (pl->flags & TD_DP_PLAY_LOOP)) {
			pl->pos = 0;
			pl->loops++;
		}
	}
	pl->frames += n;
	if (n) {
		if (m == NULL) {
			w->st->drops[td_drop_play_no_mbuf]++;
			td_dp_seq_begin(&s->st->seq);
			s->st->dropped++;
			td_dp_seq_end(&s->st->seq);
		} else {
			/* RFC 3550 §5.1: version 2; marker on the first packet
			 * of the play (a talkspurt begins). */
			struct rtp_hdr *h = (struct rtp_hdr *)pkt;
			h->vpxcc = RTP_VERSION << 6;
			h->mpt = (uint8_t)((pl->frames == n) << 7 | pl->pt);
			h->seq = rte_cpu_to_be_16(pl->seq);
			h->ts = rte_cpu_to_be_32(pl->ts);
			h->ssrc = rte_cpu_to_be_32(s->tx.out_ssrc);
			rte_pktmbuf_append(m, (uint16_t)(RTP_HDR_LEN + len));
			td_dp_seq_begin(&s->st->seq);
			if (td_rtp_send_own(w, s, s->tx_port, m)) {
				s->st->rtp_tx_pkts++;
				s->st->rtp_tx_bytes += RTP_HDR_LEN + len;
				s->st->tx_ssrc = s->tx.out_ssrc;
				(*sent)++;
			}
			td_dp_seq_end(&s->st->seq);
		}
		pl->seq++;
		pl->ts += pl->ts_step * n;
		s->tx.last_tsc = now;
	}
	if (pl->pos == p->n_frames) {
		play_end(w, s, TD_DP_PLAY_FINISHED);
		return false;
	}
	return true;
}

unsigned int
td_prompt_tick(struct td_worker *w, uint64_t now)
{
	struct td_media *md = w->media;
	unsigned int sent = 0;

	if (md == NULL || md->n_playing == 0 || now < md->play_next)
		return 0;
	/* On the 20 ms grid; a worker held up for long skips ahead rather
	 * than bursting what it missed. */
	md->play_next += md->play_tick_tsc;
	if (now > md->play_next + 5 * md->play_tick_tsc)
		md->play_next = now + md->play_tick_tsc;
	td_dp_seq_begin(&w->st->seq);
	for (uint32_t i = 0; i < md->n_playing;) {
		struct td_rtp_session *s = &w->rtp->s[md->play_list[i]];
		if (--s->play.wait == 0) {
			s->play.wait = s->play.fpp;
			if (!play_packet(w, s, now, &sent))
				continue; /* another took place i */
		}
		i++;
	}
	td_dp_seq_end(&w->st->seq);
	return sent;
}
