/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Supervisor monitoring (contract in monitor.h, design in
 * docs/conference.md): the TD_DP_CMD_MONITOR command, the per-packet
 * decode and in-place mix of the call's two directions, and the tick that
 * sends the supervisor its mix.
 *
 * Who hears whom:
 *
 * | mode    | customer hears  | agent hears          | supervisor hears |
 * |---------|-----------------|----------------------|------------------|
 * | off     | agent (relay)   | customer (relay)     | nothing          |
 * | listen  | agent (relay)   | customer (relay)     | customer + agent |
 * | whisper | agent (relay)   | customer + sup (mix) | customer + agent |
 * | barge   | agent + sup     | customer + sup       | customer + agent |
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "conf.h"
#include "ctl/ctl.h"
#include "drop.h"
#include "media/media.h"
#include "monitor.h"
#include "rtp/rtp_hdr.h"
#include "rtp/rtp_session.h"
#include "td_codec.h"
#include "worker/worker.h"

/* The conferences' reasons: the segment has room for TD_DP_DROP_MAX names. */
TD_DROP_DECLARE(conf_bad_pt);
TD_DROP_DECLARE(conf_decode_error);
TD_DROP_DECLARE(conf_encode_error);
TD_DROP_DECLARE(conf_no_mbuf);

#define MON_SLOTS    3 /* mixer slots a monitor takes */
#define MON_RING_MSK (TD_MON_RING - 1)

_Static_assert((TD_MON_RING & MON_RING_MSK) == 0, "the ring is a power of two");
_Static_assert(TD_MON_PCM_MAX + TD_MON_KEEP <= TD_MON_RING, "a reader's backlog fits the ring");

static struct td_conf_ctx *
conf_ctx(const struct td_worker *w)
{
	return w->media ? w->media->conf : NULL;
}

static struct td_mon_ctx *
ctx_of(const struct td_worker *w)
{
	struct td_conf_ctx *c = conf_ctx(w);
	return c ? c->mon : NULL;
}

int
td_monitor_init(struct td_conf_ctx *c)
{
	struct td_mon_ctx *m = rte_zmalloc("td_mon", sizeof(*m), RTE_CACHE_LINE_SIZE);

	if (m == NULL)
		return -ENOMEM;
	c->mon = m;
	m->n = c->slots / MON_SLOTS;
	if (m->n == 0)
		return 0;
	m->mons = rte_zmalloc("td_mons", sizeof(*m->mons) * m->n, RTE_CACHE_LINE_SIZE);
	return m->mons ? 0 : -ENOMEM;
}

void
td_monitor_fini(struct td_conf_ctx *c)
{
	if (c->mon == NULL)
		return;
	rte_free(c->mon->mons);
	rte_free(c->mon);
	c->mon = NULL;
}

bool
td_monitor_active(const struct td_worker *w)
{
	const struct td_mon_ctx *m = ctx_of(w);
	return m != NULL && m->active != 0;
}

static uint32_t
slot_of(const struct td_worker *w, const struct td_rtp_session *s)
{
	return (uint32_t)(s->port - w->rtp->port_lo) >> 1;
}

/* G.711 at 20 ms, the only codecs monitored yet. */
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

static void
q_put(struct td_mon_q *q, const int16_t *pcm, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		q->buf[(q->w + i) & MON_RING_MSK] = pcm[i];
	q->w += n;
}

static void
rd_reset(const struct td_mon_q *q, struct td_mon_rd *rd)
{
	rd->r = q->w;
	rd->primed = false;
}

/*
 * Add n samples of q to acc. A reader waits for a cushion of one frame
 * beyond what it takes before it starts (so the jitter between two
 * senders of the same pace costs no gap), starts again the same way after
 * running dry, and is brought back to the cushion when it lags further
 * than TD_MON_KEEP (a sender faster than the reader). False: nothing
 * taken (silence).
 */
static bool
rd_take(const struct td_mon_q *q, struct td_mon_rd *rd, int32_t *acc, unsigned int n)
{
	uint32_t avail = q->w - rd->r;

	if (avail > TD_MON_RING) {
		/* Overwritten while nobody read: start afresh. */
		rd_reset(q, rd);
		return false;
	}
	if (!rd->primed) {
		if (avail < n + TD_MON_CUSHION)
			return false;
		rd->primed = true;
	}
	if (avail < n) {
		rd->primed = false;
		return false;
	}
	if (avail > n + TD_MON_KEEP)
		rd->r = q->w - n - TD_MON_CUSHION;
	for (unsigned int i = 0; i < n; i++)
		acc[i] += q->buf[(rd->r + i) & MON_RING_MSK];
	rd->r += n;
	return true;
}

static inline int16_t
clamp16(int32_t v)
{
	return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}

static void
mon_event(struct td_worker *w, const struct td_mon *mo, uint8_t why)
{
	struct td_dp_msg m;
	const struct td_rtp_session *a = &w->rtp->s[mo->agent];
	td_dp_msg_init(&m, TD_DP_EVT_MONITOR, 0);
	m.hdr.worker = w->index;
	m.mon_end = (struct td_dp_evt_monitor){
		.agent = a->id,
		.customer = w->rtp->s[mo->customer].id,
		.supervisor = w->rtp->s[mo->sup].id,
		.call_tag = a->p.call_tag,
		.why = why,
	};
	td_worker_event(w, &m);
}

/* The monitor ends: the call goes on relayed as it was, and should the
 * supervisor be bridged later the relay continues the stream it was sent. */
static void
mon_end(struct td_worker *w, struct td_mon *mo)
{
	struct td_rtp_session *s = &w->rtp->s[mo->sup];

	if (mo->seq != 0 || mo->ts != 0) {
		s->tx.init = true;
		s->tx.in_ssrc = 0;
		s->tx.out_ssrc = mo->ssrc;
		s->tx.last_seq = (uint16_t)(mo->seq - 1);
		s->tx.last_ts = mo->ts - TD_MON_FRAME;
	}
	w->rtp->s[mo->agent].mon = NULL;
	w->rtp->s[mo->customer].mon = NULL;
	s->mon = NULL;
	mo->used = false;
	ctx_of(w)->active--;
	conf_ctx(w)->used -= MON_SLOTS;
}

void
td_monitor_session_end(struct td_worker *w, struct td_rtp_session *s, uint8_t why)
{
	if (s->mon == NULL)
		return;
	mon_event(w, s->mon, why);
	mon_end(w, s->mon);
}

int
td_monitor_session_check(struct td_worker *w, struct td_rtp_session *s)
{
	struct td_mon *mo = s->mon;
	const struct td_codec_ops *c = codec_ok(&s->p);

	if (mo == NULL)
		return 0;
	if (c == NULL)
		return -ENOTSUP;
	if (s->mon_role == TD_MON_SUPERVISOR) {
		mo->sup_codec = c;
		return 0;
	}
	/* The pair must stay a relay pair of one codec. */
	const struct td_rtp_session *o = &w->rtp->s[s->mon_role == TD_MON_AGENT ? mo->customer : mo->agent];
	return c == mo->call && (s->p.ptime_ms == o->p.ptime_ms) ? 0 : -ENOTSUP;
}

static void
mode_set(struct td_mon *mo, uint8_t mode)
{
	if (mode == mo->mode)
		return;
	/* Whoever starts reading now starts from what is said from now on. */
	rd_reset(&mo->q_agent, &mo->rd_agent);
	rd_reset(&mo->q_cust, &mo->rd_cust);
	rd_reset(&mo->q_sup, &mo->rd_sup_agent);
	rd_reset(&mo->q_sup, &mo->rd_sup_cust);
	mo->mode = mode;
}

static int
mon_start(struct td_worker *w, struct td_rtp_session *a, struct td_rtp_session *s, uint8_t mode)
{
	struct td_conf_ctx *c = conf_ctx(w);
	struct td_mon_ctx *mc = ctx_of(w);
	struct td_rtp_session *cu;
	struct td_mon *mo = NULL;

	if (a == s)
		return -EINVAL;
	if (a->peer == TD_RTP_NO_PEER)
		return -ENOTCONN;
	cu = &w->rtp->s[a->peer];
	if (cu == s)
		return -EINVAL;
	if (a->mon || cu->mon || s->mon || s->peer != TD_RTP_NO_PEER || s->conf)
		return -EBUSY;
	const struct td_codec_ops *call = codec_ok(&a->p), *sc = codec_ok(&s->p);
	if (a->xc || call == NULL || codec_ok(&cu->p) != call || sc == NULL)
		return -ENOTSUP;
	if (c == NULL || mc == NULL || c->used + MON_SLOTS > c->slots) {
		if (c)
			c->refused++;
		return -ENOSPC;
	}
	for (uint32_t i = 0; i < mc->n && mo == NULL; i++)
		if (!mc->mons[i].used)
			mo = &mc->mons[i];
	if (mo == NULL) {
		c->refused++;
		return -ENOSPC;
	}
	memset(mo, 0, sizeof(*mo));
	mo->used = true;
	mo->mode = mode;
	mo->agent = slot_of(w, a);
	mo->customer = slot_of(w, cu);
	mo->sup = slot_of(w, s);
	mo->call = call;
	mo->sup_codec = sc;
	mo->marker = true;
	/* The stream sent to the supervisor goes on from what it was sent before. */
	mo->ssrc = s->tx.out_ssrc ? s->tx.out_ssrc : (0x6d000000u ^ s->id);
	if (s->tx.init) {
		mo->seq = (uint16_t)(s->tx.last_seq + 1);
		mo->ts = s->tx.last_ts + TD_MON_FRAME;
	} else {
		mo->seq = (uint16_t)(s->id * 7919u);
		mo->ts = s->id * 2654435761u;
	}
	a->mon = cu->mon = s->mon = mo;
	a->mon_role = TD_MON_AGENT;
	cu->mon_role = TD_MON_CUSTOMER;
	s->mon_role = TD_MON_SUPERVISOR;
	c->used += MON_SLOTS;
	mc->active++;
	return 0;
}

static int
ctl_monitor(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	const struct td_dp_cmd_monitor *p = &cmd->monitor;
	struct td_rtp_session *a, *s;
	int ret;

	(void)ack;
	if ((a = td_rtp_find(w, p->agent, &ret)) == NULL)
		return ret;
	if (p->mode > TD_DP_MON_STOP)
		return -EINVAL;
	if (p->mode == TD_DP_MON_STOP) {
		if (a->mon == NULL || a->mon_role != TD_MON_AGENT)
			return -ENOTCONN;
		mon_end(w, a->mon);
		return 0;
	}
	if ((s = td_rtp_find(w, p->supervisor, &ret)) == NULL)
		return ret;
	/* A switch of mode: same agent, same supervisor. */
	if (a->mon && a->mon_role == TD_MON_AGENT && s->mon == a->mon && s->mon_role == TD_MON_SUPERVISOR) {
		mode_set(a->mon, p->mode);
		return 0;
	}
	return mon_start(w, a, s, p->mode);
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_MONITOR, ctl_monitor)

bool
td_monitor_rx(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m, uint8_t *rtp,
	      const struct rtp_info *ri)
{
	struct td_mon *mo = s->mon;
	bool sup = s->mon_role == TD_MON_SUPERVISOR;
	int16_t pcm[TD_MON_PCM_MAX];
	uint16_t reason;

	(void)in_port;
	if (!sup && mo->mode == TD_DP_MON_OFF)
		return false; /* plain relay: the payload goes on untouched */
	if (sup && (mo->mode == TD_DP_MON_OFF || mo->mode == TD_DP_MON_LISTEN)) {
		/* Heard by nobody: not even decoded. */
		rte_pktmbuf_free(m);
		return true;
	}
	if (unlikely(ri->pt != s->p.codec_pt || ri->payload_len > TD_MON_PCM_MAX)) {
		/* Comfort noise or another payload of the call goes on as it
		 * came; the supervisor's reaches nobody. */
		if (!sup)
			return false;
		reason = td_drop_conf_bad_pt;
		goto drop;
	}
	const struct td_codec_ops *codec = sup ? mo->sup_codec : mo->call;
	uint8_t *payload = rtp + ri->payload_off;
	int n = codec->decode(NULL, payload, ri->payload_len, pcm, TD_MON_PCM_MAX);
	if (unlikely(n <= 0)) {
		if (!sup)
			return false;
		reason = td_drop_conf_decode_error;
		goto drop;
	}
	if (sup) {
		q_put(&mo->q_sup, pcm, (unsigned int)n);
		rte_pktmbuf_free(m);
		return true;
	}
	bool agent = s->mon_role == TD_MON_AGENT;
	q_put(agent ? &mo->q_agent : &mo->q_cust, pcm, (unsigned int)n);
	/* Toward the customer the supervisor speaks only in barge; toward
	 * the agent in whisper and barge. */
	if (mo->mode == TD_DP_MON_LISTEN || (agent && mo->mode != TD_DP_MON_BARGE))
		return false;
	int32_t acc[TD_MON_PCM_MAX];
	for (int i = 0; i < n; i++)
		acc[i] = pcm[i];
	if (!rd_take(&mo->q_sup, agent ? &mo->rd_sup_cust : &mo->rd_sup_agent, acc, (unsigned int)n))
		return false;
	for (int i = 0; i < n; i++)
		pcm[i] = clamp16(acc[i]);
	/* Same codec, same length: the packet keeps its size and header. */
	codec->encode(NULL, pcm, (unsigned int)n, payload, (size_t)n);
	return false;
drop:
	s->st->dropped++;
	td_drop(w->st, m, reason);
	return true;
}

/* One frame of customer + agent to the supervisor. */
static bool
sup_send(struct td_worker *w, struct td_mon *mo, uint64_t now)
{
	struct td_rtp_session *s = &w->rtp->s[mo->sup];
	int32_t acc[TD_MON_FRAME] = {0};
	int16_t pcm[TD_MON_FRAME];
	bool ok = false;

	rd_take(&mo->q_cust, &mo->rd_cust, acc, TD_MON_FRAME);
	rd_take(&mo->q_agent, &mo->rd_agent, acc, TD_MON_FRAME);
	for (int i = 0; i < TD_MON_FRAME; i++)
		pcm[i] = clamp16(acc[i]);
	if (!mo->sending && mo->last_tsc != 0) {
		/* Back from off: the stream's clock ran on meanwhile. */
		uint64_t frames = (now - mo->last_tsc) / w->media->tick_tsc;
		if (frames > 1)
			mo->ts += (uint32_t)(frames - 1) * TD_MON_FRAME;
		mo->marker = true;
	}
	mo->sending = true;
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->media->mp);
	td_dp_seq_begin(&s->st->seq);
	if (unlikely(m == NULL)) {
		w->st->drops[td_drop_conf_no_mbuf]++;
		s->st->dropped++;
		goto out;
	}
	uint8_t *pkt = rte_pktmbuf_mtod(m, uint8_t *);
	int len = mo->sup_codec->encode(NULL, pcm, TD_MON_FRAME, pkt + RTP_HDR_LEN, TD_MON_FRAME);
	if (unlikely(len <= 0)) {
		td_drop(w->st, m, td_drop_conf_encode_error);
		s->st->dropped++;
		goto out;
	}
	/* RFC 3550 §5.1: version 2, no padding, extension or CSRC. */
	struct rtp_hdr *h = (struct rtp_hdr *)pkt;
	h->vpxcc = RTP_VERSION << 6;
	h->mpt = (uint8_t)(mo->marker << 7 | s->p.codec_pt);
	h->seq = rte_cpu_to_be_16(mo->seq);
	h->ts = rte_cpu_to_be_32(mo->ts);
	h->ssrc = rte_cpu_to_be_32(mo->ssrc);
	rte_pktmbuf_append(m, (uint16_t)(RTP_HDR_LEN + len));
	ok = td_rtp_send_own(w, s, s->tx_port, m);
	s->st->tx_ssrc = mo->ssrc;
	if (ok) {
		s->st->rtp_tx_pkts++;
		s->st->rtp_tx_bytes += (uint64_t)RTP_HDR_LEN + (uint64_t)len;
	}
out:
	td_dp_seq_end(&s->st->seq);
	/* The stream's time passes whether or not the frame went out. */
	mo->marker = false;
	mo->seq++;
	mo->ts += TD_MON_FRAME;
	mo->last_tsc = now;
	return ok;
}

unsigned int
td_monitor_tick(struct td_worker *w, uint64_t now)
{
	struct td_mon_ctx *mc = ctx_of(w);
	unsigned int sent = 0;

	if (mc == NULL || mc->active == 0)
		return 0;
	/* One frame per 20 ms of real time, as the conferences: a late tick
	 * sends the frames it owes, up to TD_CONF_CATCH_UP. */
	uint64_t tick = w->media->tick_tsc;
	unsigned int frames = 1;
	if (mc->last_tick != 0 && now > mc->last_tick + tick + tick / 2) {
		frames = (unsigned int)((now - mc->last_tick + tick / 2) / tick);
		if (frames > TD_CONF_CATCH_UP)
			frames = TD_CONF_CATCH_UP;
	}
	mc->last_tick = now;
	for (uint32_t i = 0; i < mc->n; i++) {
		struct td_mon *mo = &mc->mons[i];
		if (!mo->used)
			continue;
		if (mo->mode == TD_DP_MON_OFF) {
			mo->sending = false;
			continue;
		}
		for (unsigned int f = 0; f < frames; f++)
			sent += sup_send(w, mo, now);
	}
	return sent;
}
