/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conferences on a worker (contract in conf.h, design in
 * docs/conference.md): the commands TD_DP_CMD_CONF_*, the per-packet
 * decode into each participant's queue, and the tick that mixes and sends.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "conf.h"
#include "conf_mix.h"
#include "ctl/ctl.h"
#include "drop.h"
#include "media/media.h"
#include "monitor.h"
#include "rtp/rtp_hdr.h"
#include "rtp/rtp_session.h"
#include "td_codec.h"
#include "worker/worker.h"

TD_DROP_REGISTER(conf_bad_pt)
TD_DROP_REGISTER(conf_decode_error)
TD_DROP_REGISTER(conf_encode_error)
TD_DROP_REGISTER(conf_queue_full)
TD_DROP_REGISTER(conf_no_mbuf)

_Static_assert((int)TD_DP_CONF_SPEAKER == (int)TD_CONF_ROLE_SPEAKER &&
		       (int)TD_DP_CONF_LISTEN == (int)TD_CONF_ROLE_LISTEN &&
		       (int)TD_DP_CONF_WHISPER == (int)TD_CONF_ROLE_WHISPER &&
		       (int)TD_DP_CONF_MUTED == (int)TD_CONF_ROLE_MUTED,
	       "contract roles are the mixer's");

#define CONF_PAYLOAD_MAX TD_CONF_FRAME /* G.711: one octet per sample */

static struct td_conf_ctx *
ctx_of(const struct td_worker *w)
{
	return w->media ? w->media->conf : NULL;
}

int
td_conf_init(struct td_worker *workers, uint16_t n_workers, uint32_t slots)
{
	struct td_conf_mix_cfg cfg = {.rate = TD_CONF_RATE, .max_parts = TD_CONF_PARTS};
	size_t mix_size = td_conf_mix_size(&cfg);

	if (slots > TD_CONF_SLOTS_MAX)
		return -EINVAL;
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_media *md = workers[i].media;
		if (md == NULL)
			return -EINVAL;
		struct td_conf_ctx *c = rte_zmalloc("td_conf", sizeof(*c), RTE_CACHE_LINE_SIZE);
		if (c == NULL)
			return -ENOMEM;
		md->conf = c;
		c->slots = slots;
		if (td_monitor_init(c) < 0)
			return -ENOMEM;
		/* Every conference has two participants at least. */
		c->n_confs = (uint16_t)(slots / 2);
		if (c->n_confs == 0)
			continue;
		c->confs = rte_zmalloc("td_confs", sizeof(*c->confs) * c->n_confs, RTE_CACHE_LINE_SIZE);
		if (c->confs == NULL)
			return -ENOMEM;
		for (uint16_t k = 0; k < c->n_confs; k++) {
			void *mem = rte_zmalloc("td_conf_mix", mix_size, RTE_CACHE_LINE_SIZE);
			if (mem == NULL)
				return -ENOMEM;
			if (td_conf_mix_init(mem, mix_size, &cfg) < 0)
				return -EINVAL;
			c->confs[k].mix = mem;
		}
	}
	return 0;
}

void
td_conf_fini(struct td_worker *workers, uint16_t n_workers)
{
	for (uint16_t i = 0; i < n_workers; i++) {
		struct td_conf_ctx *c = ctx_of(&workers[i]);
		if (c == NULL)
			continue;
		for (uint16_t k = 0; c->confs && k < c->n_confs; k++)
			rte_free(c->confs[k].mix);
		td_monitor_fini(c);
		rte_free(c->confs);
		rte_free(c);
		workers[i].media->conf = NULL;
	}
}

bool
td_conf_active(const struct td_worker *w)
{
	const struct td_conf_ctx *c = ctx_of(w);
	return c != NULL && c->active != 0;
}

static struct td_conf *
conf_find(struct td_conf_ctx *c, uint32_t id)
{
	for (uint16_t k = 0; c != NULL && id != 0 && k < c->n_confs; k++)
		if (c->confs[k].id == id)
			return &c->confs[k];
	return NULL;
}

static uint32_t
slot_of(const struct td_worker *w, const struct td_rtp_session *s)
{
	return (uint32_t)(s->port - w->rtp->port_lo) >> 1;
}

static const struct td_codec_ops *
codec_ok(const struct td_dp_cmd_session *p)
{
	if (strncasecmp(p->codec, "PCMA", sizeof(p->codec)) != 0 &&
	    strncasecmp(p->codec, "PCMU", sizeof(p->codec)) != 0)
		return NULL;
	if (p->ptime_ms != 0 && p->ptime_ms != 20)
		return NULL;
	return td_codec_find(p->codec[3] == 'A' || p->codec[3] == 'a' ? "PCMA" : "PCMU");
}

int
td_conf_session_check(const struct td_rtp_session *s)
{
	if (s->conf == NULL)
		return 0;
	const struct td_codec_ops *c = codec_ok(&s->p);
	if (c == NULL)
		return -EOPNOTSUPP;
	s->conf->part[s->conf_part].codec = c;
	return 0;
}

/* s leaves its conference: its last queued frame fades out at the next tick,
 * and the relay (if it is bridged later) continues the stream sent to it. */
static void
part_leave(struct td_worker *w, struct td_rtp_session *s)
{
	struct td_conf *cf = s->conf;
	struct td_conf_part *p = &cf->part[s->conf_part];
	struct td_conf_ctx *c = ctx_of(w);

	td_conf_mix_leave(cf->mix, s->conf_part);
	p->leaving = true;
	cf->n--;
	cf->leaving++;
	c->used--;
	if (p->seq != 0 || p->ts != 0) {
		s->tx.init = true;
		s->tx.in_ssrc = 0;
		s->tx.out_ssrc = p->ssrc;
		s->tx.last_seq = (uint16_t)(p->seq - 1);
		s->tx.last_ts = p->ts - TD_CONF_FRAME;
	}
	s->conf = NULL;
}

void
td_conf_session_end(struct td_worker *w, struct td_rtp_session *s)
{
	if (s->conf != NULL)
		part_leave(w, s);
}

static int
ctl_conf_create(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_conf_ctx *c = ctx_of(w);
	(void)ack;
	if (cmd->conf.conf == 0)
		return -EINVAL;
	if (conf_find(c, cmd->conf.conf) != NULL)
		return -EEXIST;
	for (uint16_t k = 0; c != NULL && k < c->n_confs; k++) {
		struct td_conf *cf = &c->confs[k];
		if (cf->id != 0 || cf->leaving != 0)
			continue;
		cf->id = cmd->conf.conf;
		cf->n = 0;
		c->active++;
		return 0;
	}
	if (c != NULL)
		c->refused++;
	return -ENOSPC;
}

static int
ctl_conf_join(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_conf_ctx *c = ctx_of(w);
	struct td_conf *cf = conf_find(c, cmd->conf.conf);
	struct td_rtp_session *s, *t = NULL;
	int ret;

	(void)ack;
	if (cf == NULL)
		return -ENOENT;
	if ((s = td_rtp_find(w, cmd->conf.session, &ret)) == NULL)
		return ret;
	if (s->conf != NULL || s->peer != TD_RTP_NO_PEER || s->mon != NULL)
		return -EBUSY;
	if (cmd->conf.role > TD_DP_CONF_MUTED)
		return -EINVAL;
	int target = TD_CONF_MIX_NO_TARGET;
	if (cmd->conf.role == TD_DP_CONF_WHISPER) {
		if ((t = td_rtp_find(w, cmd->conf.target, &ret)) == NULL)
			return ret;
		if (t->conf != cf)
			return -EINVAL;
		target = t->conf_part;
	}
	const struct td_codec_ops *codec = codec_ok(&s->p);
	if (codec == NULL)
		return -EOPNOTSUPP;
	if (c->used >= c->slots) {
		c->refused++;
		return -ENOSPC;
	}
	int idx = td_conf_mix_join(cf->mix, (enum td_conf_role)cmd->conf.role, target);
	if (idx < 0) {
		if (idx == -ENOSPC)
			c->refused++;
		return idx;
	}
	struct td_conf_part *p = &cf->part[idx];
	*p = (struct td_conf_part){
		.used = true,
		.slot = slot_of(w, s),
		.id = s->id,
		.call_tag = s->p.call_tag,
		.codec = codec,
		.in_port = s->tx_port,
		.marker = true,
	};
	/* The stream sent to s goes on from what the relay sent it before. */
	p->ssrc = s->tx.out_ssrc ? s->tx.out_ssrc : (0x7c000000u ^ s->id);
	if (s->tx.init) {
		p->seq = (uint16_t)(s->tx.last_seq + 1);
		p->ts = s->tx.last_ts + TD_CONF_FRAME;
	} else {
		p->seq = (uint16_t)(s->id * 7919u);
		p->ts = s->id * 2654435761u;
	}
	s->conf = cf;
	s->conf_part = (uint8_t)idx;
	cf->n++;
	c->used++;
	return 0;
}

static int
ctl_conf_leave(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	int ret;
	struct td_rtp_session *s = td_rtp_find(w, cmd->conf.session, &ret);
	(void)ack;
	if (s == NULL)
		return ret;
	if (s->conf == NULL)
		return -ENOTCONN;
	part_leave(w, s);
	return 0;
}

static int
ctl_conf_role(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	int ret;
	struct td_rtp_session *s = td_rtp_find(w, cmd->conf.session, &ret), *t;
	(void)ack;
	if (s == NULL)
		return ret;
	if (s->conf == NULL)
		return -ENOTCONN;
	if (cmd->conf.role > TD_DP_CONF_MUTED)
		return -EINVAL;
	int target = TD_CONF_MIX_NO_TARGET;
	if (cmd->conf.role == TD_DP_CONF_WHISPER) {
		if ((t = td_rtp_find(w, cmd->conf.target, &ret)) == NULL)
			return ret;
		if (t->conf != s->conf)
			return -EINVAL;
		target = t->conf_part;
	}
	return td_conf_mix_role(s->conf->mix, s->conf_part, (enum td_conf_role)cmd->conf.role, target);
}

static int
ctl_conf_destroy(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	struct td_conf *cf = conf_find(ctx_of(w), cmd->conf.conf);
	(void)ack;
	if (cf == NULL)
		return -ENOENT;
	for (int i = 0; i < TD_CONF_PARTS; i++) {
		struct td_conf_part *p = &cf->part[i];
		if (p->used && !p->leaving)
			part_leave(w, &w->rtp->s[p->slot]);
	}
	/* Its slot is free once the leavers have faded out (next tick). */
	cf->id = 0;
	ctx_of(w)->active--;
	if (cf->leaving)
		ctx_of(w)->active++; /* ticks on until they are gone */
	return 0;
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_CONF_CREATE, ctl_conf_create)
TD_CTL_CMD_REGISTER(TD_DP_CMD_CONF_JOIN, ctl_conf_join)
TD_CTL_CMD_REGISTER(TD_DP_CMD_CONF_LEAVE, ctl_conf_leave)
TD_CTL_CMD_REGISTER(TD_DP_CMD_CONF_ROLE, ctl_conf_role)
TD_CTL_CMD_REGISTER(TD_DP_CMD_CONF_DESTROY, ctl_conf_destroy)

void
td_conf_rx(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m, const uint8_t *rtp,
	   const struct rtp_info *ri)
{
	struct td_conf_part *p = &s->conf->part[s->conf_part];
	int16_t pcm[TD_CONF_QUEUE];
	uint16_t reason;

	if (unlikely(ri->pt != s->p.codec_pt)) {
		reason = td_drop_conf_bad_pt;
		goto drop;
	}
	p->in_port = in_port;
	int n = p->codec->decode(NULL, rtp + ri->payload_off, ri->payload_len, pcm, TD_CONF_QUEUE);
	if (unlikely(n <= 0)) {
		reason = td_drop_conf_decode_error;
		goto drop;
	}
	if (p->q_w + (unsigned int)n > TD_CONF_QUEUE && p->q_r) {
		memmove(p->q, p->q + p->q_r, (size_t)(p->q_w - p->q_r) * sizeof(int16_t));
		p->q_w = (uint16_t)(p->q_w - p->q_r);
		p->q_r = 0;
	}
	if (unlikely(p->q_w + (unsigned int)n > TD_CONF_QUEUE)) {
		reason = td_drop_conf_queue_full;
		goto drop;
	}
	memcpy(p->q + p->q_w, pcm, (size_t)n * sizeof(int16_t));
	p->q_w = (uint16_t)(p->q_w + n);
	rte_pktmbuf_free(m);
	return;
drop:
	s->st->dropped++;
	td_drop(w->st, m, reason);
}

static void
talker_event(struct td_worker *w, const struct td_conf *cf, const struct td_conf_part *p, bool talking)
{
	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_EVT_CONF_TALKER, 0);
	m.hdr.worker = w->index;
	m.talker = (struct td_dp_evt_conf_talker){
		.conf = cf->id,
		.session = p->id,
		.call_tag = p->call_tag,
		.talking = talking,
	};
	td_worker_event(w, &m);
}

/* One frame of p's mix, encoded, to p's remote. */
static bool
part_send(struct td_worker *w, struct td_conf *cf, int i, uint64_t now)
{
	struct td_conf_part *p = &cf->part[i];
	struct td_rtp_session *s = &w->rtp->s[p->slot];
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->media->mp);
	bool ok = false;

	td_dp_seq_begin(&s->st->seq);
	if (unlikely(m == NULL)) {
		w->st->drops[td_drop_conf_no_mbuf]++;
		s->st->dropped++;
		goto out;
	}
	uint8_t *pkt = rte_pktmbuf_mtod(m, uint8_t *);
	int len = p->codec->encode(NULL, td_conf_mix_output(cf->mix, i), TD_CONF_FRAME, pkt + RTP_HDR_LEN,
				   CONF_PAYLOAD_MAX);
	if (unlikely(len <= 0)) {
		td_drop(w->st, m, td_drop_conf_encode_error);
		s->st->dropped++;
		goto out;
	}
	/* RFC 3550 §5.1: version 2, no padding, extension or CSRC. */
	struct rtp_hdr *h = (struct rtp_hdr *)pkt;
	h->vpxcc = RTP_VERSION << 6;
	h->mpt = (uint8_t)(p->marker << 7 | s->p.codec_pt);
	h->seq = rte_cpu_to_be_16(p->seq);
	h->ts = rte_cpu_to_be_32(p->ts);
	h->ssrc = rte_cpu_to_be_32(p->ssrc);
	rte_pktmbuf_append(m, (uint16_t)(RTP_HDR_LEN + len));
	ok = td_rtp_send_own(w, s, p->in_port, m);
	s->st->tx_ssrc = p->ssrc;
	if (ok) {
		s->st->rtp_tx_pkts++;
		s->st->rtp_tx_bytes += (uint64_t)RTP_HDR_LEN + (uint64_t)len;
	}
out:
	td_dp_seq_end(&s->st->seq);
	/* The stream's time passes whether or not the frame went out. */
	p->marker = false;
	p->seq++;
	p->ts += TD_CONF_FRAME;
	s->tx.last_tsc = now;
	return ok;
}

static unsigned int
conf_tick(struct td_worker *w, struct td_conf *cf, uint64_t now)
{
	unsigned int sent = 0;

	for (int i = 0; i < TD_CONF_PARTS; i++) {
		struct td_conf_part *p = &cf->part[i];
		if (!p->used || p->q_w - p->q_r < TD_CONF_FRAME)
			continue;
		td_conf_mix_put(cf->mix, i, p->q + p->q_r, TD_CONF_FRAME);
		p->q_r = (uint16_t)(p->q_r + TD_CONF_FRAME);
		/* A sender ahead of our tick would make the delay grow: keep it bounded. */
		if (p->q_w - p->q_r > TD_CONF_QUEUE_KEEP)
			p->q_r = (uint16_t)(p->q_w - TD_CONF_QUEUE_KEEP);
		if (p->q_r == p->q_w)
			p->q_r = p->q_w = 0;
	}
	bool changes = td_conf_mix_run(cf->mix) != 0;
	for (int i = 0; i < TD_CONF_PARTS; i++) {
		struct td_conf_part *p = &cf->part[i];
		if (!p->used)
			continue;
		if (p->leaving) {
			p->used = false;
			p->leaving = false;
			cf->leaving--;
			continue;
		}
		bool changed;
		bool talking = td_conf_mix_talking(cf->mix, i, &changed);
		if (changes && changed)
			talker_event(w, cf, p, talking);
		sent += part_send(w, cf, i, now);
	}
	return sent;
}

unsigned int
td_conf_tick(struct td_worker *w, uint64_t now)
{
	struct td_conf_ctx *c = ctx_of(w);
	unsigned int sent = 0;

	if (c == NULL)
		return 0;
	/* One frame per 20 ms of real time: a tick that came late (the worker
	 * was busy) mixes the frames it owes, up to TD_CONF_CATCH_UP. */
	uint64_t tick = w->media->tick_tsc;
	unsigned int frames = 1;
	if (c->last_tick != 0 && now > c->last_tick + tick + tick / 2) {
		frames = (unsigned int)((now - c->last_tick + tick / 2) / tick);
		if (frames > TD_CONF_CATCH_UP)
			frames = TD_CONF_CATCH_UP;
	}
	c->last_tick = now;
	for (uint16_t k = 0; k < c->n_confs; k++) {
		struct td_conf *cf = &c->confs[k];
		for (unsigned int f = 0; f < frames && (cf->id != 0 || cf->leaving != 0); f++) {
			sent += conf_tick(w, cf, now);
			if (cf->id == 0 && cf->leaving == 0)
				c->active--; /* a destroyed conference's leavers are gone */
		}
	}
	return sent;
}
