/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transcoder pools and the decode/encode halves of a transcoder (contract in
 * xcode.h). The codec kinds are found once at start by asking every
 * registered codec to initialise at each PCM rate the pipeline uses (8 and
 * 16 kHz): whatever accepts is a kind, so a new codec needs no line here.
 * A pair of legs runs at the highest PCM rate both codecs accept (PCMA and
 * opus at 8 kHz, G722 and opus at 16 kHz), else each at its own with a
 * resampler each way (G722 and PCMA), so Opus is never resampled.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_malloc.h>
#include <rte_ring.h>

#include "resample/resample.h"
#include "td_codec.h"
#include "xcode.h"

static const uint32_t pcm_rates[] = {16000, 8000}; /* best first */

struct xcode_kind {
	const struct td_codec_ops *codec; /* NULL: a resampler */
	uint32_t rate;			  /* PCM rate; resampler: from */
	uint32_t to;			  /* resampler: to */
};

static struct xcode_kind kinds[TD_XCODE_KINDS_MAX];
static unsigned int n_kinds;

struct td_xcode_elem {
	uint16_t kind;
	bool live;		/* initialised */
	void *state;		/* codec state (fixed memory) */
	struct td_resample *rs; /* resampler (made by the library) */
};

struct td_xcode_pool {
	uint32_t max;
	uint32_t used;
	struct td_xcode *xc;
	struct td_xcode **free_xc;
	uint32_t n_free_xc;
	struct td_xcode **active; /* [0, used): the tick list */
	struct {
		struct td_xcode_elem **stack;
		uint32_t n;
		uint8_t *mem;
	} k[TD_XCODE_KINDS_MAX];
	struct td_xcode_elem *elems;
	uint32_t n_elems;
	uint8_t *jb_mem; /* two jitter buffers per transcoder, jb_stride bytes each */
	size_t jb_stride;
	struct rte_ring *recycle; /* worker -> main lcore */
	struct rte_ring *ready;	  /* main lcore -> worker */
	int16_t pcm[TD_XCODE_SCRATCH];
	unsigned int pcm_n; /* samples the last td_xcode_decode left in pcm */
	int16_t rsbuf[TD_XCODE_SCRATCH * 2 + 64];
};

static struct td_codec_params
params_at(uint32_t rate)
{
	return (struct td_codec_params){.sample_rate = rate, .complexity = TD_XCODE_OPUS_COMPLEXITY};
}

static size_t
stride_of(const struct td_codec_ops *c)
{
	return (c->state_size + 63) & ~(size_t)63;
}

/* Main lcore, once: the (codec, PCM rate) pairs the codecs accept. */
static int
kinds_discover(void)
{
	if (n_kinds)
		return 0;
	for (const struct td_codec_ops *c = td_codec_first(); c; c = c->next) {
		for (unsigned int i = 0; i < sizeof(pcm_rates) / sizeof(pcm_rates[0]); i++) {
			struct td_codec_params p = params_at(pcm_rates[i]);
			void *mem = NULL;
			if (c->state_size && (mem = aligned_alloc(64, stride_of(c))) == NULL)
				return -ENOMEM;
			int ret = c->init(mem, &p);
			if (ret == 0)
				c->fini(mem);
			free(mem);
			if (ret == 0 && n_kinds < TD_XCODE_KINDS_MAX - 2)
				kinds[n_kinds++] = (struct xcode_kind){.codec = c, .rate = pcm_rates[i]};
		}
	}
	kinds[n_kinds++] = (struct xcode_kind){.rate = 8000, .to = 16000};
	kinds[n_kinds++] = (struct xcode_kind){.rate = 16000, .to = 8000};
	return 0;
}

static int
kind_of(const struct td_codec_ops *c, uint32_t rate, uint32_t to)
{
	for (unsigned int i = 0; i < n_kinds; i++)
		if (kinds[i].codec == c && kinds[i].rate == rate && kinds[i].to == to)
			return (int)i;
	return -1;
}

static int
elem_init(struct td_xcode_elem *e)
{
	const struct xcode_kind *k = &kinds[e->kind];
	if (k->codec) {
		struct td_codec_params p = params_at(k->rate);
		int ret = k->codec->init(e->state, &p);
		if (ret < 0)
			return ret;
	} else if ((e->rs = td_resample_create(k->rate, k->to, TD_XCODE_RESAMPLE_QUALITY)) == NULL) {
		return errno ? -errno : -ENOMEM;
	}
	e->live = true;
	return 0;
}

static void
elem_fini(struct td_xcode_elem *e)
{
	if (!e->live)
		return;
	if (kinds[e->kind].codec)
		kinds[e->kind].codec->fini(e->state);
	else
		td_resample_destroy(e->rs);
	e->rs = NULL;
	e->live = false;
}

void
td_xcode_pool_free(struct td_xcode_pool *pool)
{
	if (pool == NULL)
		return;
	for (uint32_t i = 0; pool->elems && i < pool->n_elems; i++)
		elem_fini(&pool->elems[i]);
	for (unsigned int i = 0; i < TD_XCODE_KINDS_MAX; i++) {
		rte_free(pool->k[i].stack);
		rte_free(pool->k[i].mem);
	}
	rte_ring_free(pool->recycle);
	rte_ring_free(pool->ready);
	rte_free(pool->elems);
	rte_free(pool->jb_mem);
	rte_free(pool->active);
	rte_free(pool->free_xc);
	rte_free(pool->xc);
	rte_free(pool);
}

static void *
zalloc(const char *what, size_t n, size_t size, int socket)
{
	return rte_zmalloc_socket(what, n * size, 64, socket);
}

static uint64_t tsc_hz = 1000000000;

void
td_xcode_set_tsc_hz(uint64_t hz)
{
	tsc_hz = hz;
}

/* A leg's jitter buffer: frames of its ptime, room for a packet of any
 * codec here at that ptime (G.711 and G.722 take 8 octets a ms; Opus
 * fits in the margin). */
static struct td_jbuf_cfg
jb_cfg(uint32_t clock, uint16_t ptime_ms)
{
	return (struct td_jbuf_cfg){.clock_rate = clock,
				    .frame_ticks = clock / 1000 * ptime_ms,
				    .max_payload = (uint16_t)(8 * ptime_ms + 160)};
}

/* Bytes for the largest buffer any ptime allowed needs (slots depend on
 * the ptime, not the clock). */
static size_t
jb_stride(void)
{
	size_t max = 0;
	for (uint16_t ptime = 10; ptime <= TD_XCODE_PTIME_MAX; ptime += 10) {
		struct td_jbuf_cfg c = jb_cfg(8000, ptime);
		size_t n = td_jbuf_size(&c);
		max = n > max ? n : max;
	}
	return (max + 63) & ~(size_t)63;
}

struct td_xcode_pool *
td_xcode_pool_create(const char *name, uint32_t max, int socket)
{
	struct td_xcode_pool *pool;
	char rn[RTE_RING_NAMESIZE];
	int ret;

	if (max > TD_XCODE_MAX || strlen(name) + 3 > RTE_RING_NAMESIZE) {
		errno = EINVAL;
		return NULL;
	}
	if ((ret = kinds_discover()) < 0) {
		errno = -ret;
		return NULL;
	}
	if ((pool = zalloc("td_xcode_pool", 1, sizeof(*pool), socket)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pool->max = max;
	if (max == 0)
		return pool;
	pool->n_elems = max * n_kinds;
	pool->xc = zalloc("td_xcode", max, sizeof(*pool->xc), socket);
	pool->free_xc = zalloc("td_xcode_free", max, sizeof(*pool->free_xc), socket);
	pool->active = zalloc("td_xcode_active", max, sizeof(*pool->active), socket);
	pool->elems = zalloc("td_xcode_elems", pool->n_elems, sizeof(*pool->elems), socket);
	pool->jb_stride = jb_stride();
	pool->jb_mem = zalloc("td_xcode_jbuf", 2 * (size_t)max, pool->jb_stride, socket);
	snprintf(rn, sizeof(rn), "%s_r", name);
	pool->recycle = rte_ring_create(rn, pool->n_elems, socket, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	snprintf(rn, sizeof(rn), "%s_q", name);
	pool->ready = rte_ring_create(rn, pool->n_elems, socket, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (!pool->xc || !pool->free_xc || !pool->active || !pool->elems || !pool->jb_mem || !pool->recycle ||
	    !pool->ready)
		goto nomem;
	for (uint32_t i = 0; i < max; i++)
		pool->free_xc[pool->n_free_xc++] = &pool->xc[max - 1 - i];
	for (unsigned int k = 0; k < n_kinds; k++) {
		const struct td_codec_ops *c = kinds[k].codec;
		if ((pool->k[k].stack = zalloc("td_xcode_stack", max, sizeof(void *), socket)) == NULL)
			goto nomem;
		if (c && c->state_size &&
		    (pool->k[k].mem = zalloc("td_xcode_state", max, stride_of(c), socket)) == NULL)
			goto nomem;
		for (uint32_t i = 0; i < max; i++) {
			struct td_xcode_elem *e = &pool->elems[k * max + i];
			e->kind = (uint16_t)k;
			e->state = pool->k[k].mem ? pool->k[k].mem + i * stride_of(c) : NULL;
			if ((ret = elem_init(e)) < 0) {
				td_xcode_pool_free(pool);
				errno = -ret;
				return NULL;
			}
			pool->k[k].stack[pool->k[k].n++] = e;
		}
	}
	return pool;
nomem:
	td_xcode_pool_free(pool);
	errno = ENOMEM;
	return NULL;
}

unsigned int
td_xcode_pool_service(struct td_xcode_pool *pool)
{
	struct td_xcode_elem *e;
	unsigned int n = 0;

	if (pool == NULL || pool->recycle == NULL)
		return 0;
	while (rte_ring_dequeue(pool->recycle, (void **)&e) == 0) {
		elem_fini(e);
		/* A state that cannot be made again leaves the pool: that kind's
		 * admission then refuses one call sooner, nothing worse. */
		if (elem_init(e) == 0)
			rte_ring_enqueue(pool->ready, e);
		n++;
	}
	return n;
}

void
td_xcode_pool_reclaim(struct td_xcode_pool *pool)
{
	struct td_xcode_elem *e;

	if (pool == NULL || pool->ready == NULL)
		return;
	while (rte_ring_dequeue(pool->ready, (void **)&e) == 0)
		pool->k[e->kind].stack[pool->k[e->kind].n++] = e;
}

uint32_t
td_xcode_pool_max(const struct td_xcode_pool *pool)
{
	return pool ? pool->max : 0;
}

uint32_t
td_xcode_pool_used(const struct td_xcode_pool *pool)
{
	return pool ? pool->used : 0;
}

struct td_xcode *const *
td_xcode_pool_active(const struct td_xcode_pool *pool, uint32_t *n)
{
	*n = pool ? pool->used : 0;
	return pool ? pool->active : NULL;
}

static const struct td_codec_ops *
codec_of(const struct td_dp_cmd_session *p)
{
	char name[sizeof(p->codec) + 1];
	memcpy(name, p->codec, sizeof(p->codec));
	name[sizeof(p->codec)] = '\0';
	return name[0] ? td_codec_find(name) : NULL;
}

int
td_xcode_params_check(struct td_dp_cmd_session *p)
{
	if (p->codec[0] == '\0')
		return 0;
	const struct td_codec_ops *c = codec_of(p);
	if (c == NULL)
		return -EINVAL;
	if (p->codec_pt == 0 && c->static_pt != TD_CODEC_PT_DYNAMIC)
		p->codec_pt = c->static_pt;
	/* RFC 3551 §3: dynamic payload types are 96-127; a dynamic codec
	 * must be given one (PCMU's static type is 0, so 0 stands for it). */
	if (p->codec_pt > 127 || (c->static_pt == TD_CODEC_PT_DYNAMIC && p->codec_pt < 96))
		return -EINVAL;
	if (p->clock_rate == 0)
		p->clock_rate = c->rtp_clock;
	if (p->clock_rate != c->rtp_clock)
		return -EINVAL;
	uint16_t ptime = p->ptime_ms ? p->ptime_ms : 20;
	if (ptime % c->frame_ms || ptime > TD_XCODE_PTIME_MAX)
		return -EINVAL;
	return 0;
}

bool
td_xcode_needed(const struct td_dp_cmd_session *a, const struct td_dp_cmd_session *b)
{
	if (a->codec[0] == '\0' || b->codec[0] == '\0')
		return false;
	/* One side with RFC 4733 telephone-events and the other without: the
	 * digits become tones one way and events the other, on the PCM. */
	return strncasecmp(a->codec, b->codec, sizeof(a->codec)) != 0 || a->ptime_ms != b->ptime_ms ||
	       (a->tel_event_pt != 0) != (b->tel_event_pt != 0);
}

static void
leg_params(struct td_xcode_leg *l, const struct td_dp_cmd_session *p)
{
	l->pt = p->codec_pt;
	l->clock = p->clock_rate;
	l->ptime_ms = p->ptime_ms ? p->ptime_ms : 20;
	l->frame = (uint16_t)(l->pcm_rate / 1000 * l->ptime_ms);
	l->ts_step = l->clock / 1000 * l->ptime_ms;
	l->frame_tsc = tsc_hz / 1000 * l->ptime_ms;
	l->tsc_per_unit = (uint32_t)(tsc_hz / l->clock);
}

/* (Re)make leg l's jitter buffer for its clock and ptime: what it held
 * is forgotten. */
static int
leg_jbuf(struct td_xcode_pool *pool, struct td_xcode_leg *l)
{
	struct td_jbuf_cfg c = jb_cfg(l->clock, l->ptime_ms);
	int ret = td_jbuf_init(l->jb, pool->jb_stride, &c);
	if (ret < 0)
		return ret;
	l->play_next = 0;
	l->jb_used = false;
	return 0;
}

static struct td_xcode_elem *
pop(struct td_xcode_pool *pool, int kind)
{
	return kind < 0 ? NULL : pool->k[kind].stack[--pool->k[kind].n];
}

int
td_xcode_get(struct td_xcode_pool *pool, const struct td_dp_cmd_session *a, const struct td_dp_cmd_session *b,
	     struct td_xcode **xp)
{
	const struct td_codec_ops *ca = codec_of(a), *cb = codec_of(b);
	uint32_t ra = 0, rb = 0;
	uint32_t need[TD_XCODE_KINDS_MAX] = {0};

	*xp = NULL;
	if (!td_xcode_needed(a, b))
		return 0;
	if (ca == NULL || cb == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < sizeof(pcm_rates) / sizeof(pcm_rates[0]) && !ra; i++)
		if (kind_of(ca, pcm_rates[i], 0) >= 0 && kind_of(cb, pcm_rates[i], 0) >= 0)
			ra = rb = pcm_rates[i];
	for (unsigned int i = 0; i < sizeof(pcm_rates) / sizeof(pcm_rates[0]) && (!ra || !rb); i++) {
		if (!ra && kind_of(ca, pcm_rates[i], 0) >= 0)
			ra = pcm_rates[i];
		if (!rb && kind_of(cb, pcm_rates[i], 0) >= 0)
			rb = pcm_rates[i];
	}
	if (!ra || !rb)
		return -EINVAL;
	int ka = kind_of(ca, ra, 0), kb = kind_of(cb, rb, 0);
	int kab = ra == rb ? -1 : kind_of(NULL, ra, rb), kba = ra == rb ? -1 : kind_of(NULL, rb, ra);
	if (pool == NULL || pool->n_free_xc == 0)
		return -ENOSPC;
	need[ka]++;
	need[kb]++;
	if (kab >= 0) {
		need[kab]++;
		need[kba]++;
	}
	for (unsigned int k = 0; k < n_kinds; k++)
		if (need[k] > pool->k[k].n)
			return -ENOSPC;

	struct td_xcode *x = pool->free_xc[--pool->n_free_xc];
	memset(x, 0, offsetof(struct td_xcode, leg[0].fifo));
	memset(&x->leg[1], 0, offsetof(struct td_xcode_leg, fifo));
	x->leg[0].codec = ca;
	x->leg[0].pcm_rate = ra;
	x->leg[0].state = pop(pool, ka);
	x->leg[0].rs = pop(pool, kba);
	x->leg[1].codec = cb;
	x->leg[1].pcm_rate = rb;
	x->leg[1].state = pop(pool, kb);
	x->leg[1].rs = pop(pool, kab);
	leg_params(&x->leg[0], a);
	leg_params(&x->leg[1], b);
	for (unsigned int i = 0; i < 2; i++) {
		x->leg[i].jb = (struct td_jbuf *)(pool->jb_mem + ((size_t)(x - pool->xc) * 2 + i) * pool->jb_stride);
		/* Checked parameters always fit the buffers made at start. */
		leg_jbuf(pool, &x->leg[i]);
	}
	x->leg[0].marker = x->leg[1].marker = true;
	x->tick_pos = pool->used;
	pool->active[pool->used++] = x;
	*xp = x;
	return 0;
}

static void
recycle(struct td_xcode_pool *pool, struct td_xcode_elem *e)
{
	/* The ring holds every element of the pool: this cannot fail. */
	if (e)
		rte_ring_enqueue(pool->recycle, e);
}

void
td_xcode_put(struct td_xcode_pool *pool, struct td_xcode *x)
{
	for (unsigned int i = 0; i < 2; i++) {
		recycle(pool, x->leg[i].state);
		recycle(pool, x->leg[i].rs);
		x->leg[i].state = x->leg[i].rs = NULL;
	}
	struct td_xcode *last = pool->active[--pool->used];
	pool->active[x->tick_pos] = last;
	last->tick_pos = x->tick_pos;
	pool->free_xc[pool->n_free_xc++] = x;
}

int
td_xcode_reconfigure(struct td_xcode_pool *pool, struct td_xcode *x, const struct td_dp_cmd_session *a,
		     const struct td_dp_cmd_session *b)
{
	if (codec_of(a) != x->leg[0].codec || codec_of(b) != x->leg[1].codec)
		return -EAGAIN;
	for (unsigned int i = 0; i < 2; i++) {
		uint16_t ptime = x->leg[i].ptime_ms;
		leg_params(&x->leg[i], i ? b : a);
		if (x->leg[i].ptime_ms != ptime)
			leg_jbuf(pool, &x->leg[i]);
	}
	return 0;
}

/* Queue PCM decoded from leg `from` toward the other leg, at its rate. */
static int
queue_pcm(struct td_xcode_pool *pool, struct td_xcode *x, unsigned int from, const int16_t *pcm, unsigned int n)
{
	struct td_xcode_leg *out = &x->leg[!from];
	const int16_t *src = pcm;
	int m = (int)n;

	if (out->rs) {
		m = td_resample_process(out->rs->rs, pcm, n, pool->rsbuf, sizeof(pool->rsbuf) / sizeof(pool->rsbuf[0]));
		if (m < 0)
			return m;
		src = pool->rsbuf;
	}
	if (out->fifo_w + (unsigned int)m > TD_XCODE_FIFO && out->fifo_r) {
		memmove(out->fifo, out->fifo + out->fifo_r, (size_t)(out->fifo_w - out->fifo_r) * sizeof(int16_t));
		out->fifo_w = (uint16_t)(out->fifo_w - out->fifo_r);
		out->fifo_r = 0;
	}
	if (out->fifo_w + (unsigned int)m > TD_XCODE_FIFO)
		return -ENOBUFS;
	memcpy(out->fifo + out->fifo_w, src, (size_t)m * sizeof(int16_t));
	out->fifo_w = (uint16_t)(out->fifo_w + m);
	return m;
}

/* One frame of leg `from` (payload NULL: conceal the frame at ts) into PCM
 * queued toward the other leg. Time between the frame and the end of the
 * last one that no PCM stands for (a loss not concealed, silence
 * suppression, DTX) moves the other leg's timestamp on (RFC 3550 §5.1),
 * and its next packet is marked as after a silence. */
static int
frame_in(struct td_xcode_pool *pool, struct td_xcode *x, unsigned int from, uint16_t seq, uint32_t ts, uint32_t ssrc,
	 const uint8_t *payload, size_t len)
{
	struct td_xcode_leg *in = &x->leg[from], *out = &x->leg[!from];
	int n;

	pool->pcm_n = 0;
	if (payload == NULL) {
		if (!in->rx_started || in->rx_samples == 0)
			return 0;
		n = in->codec->decode(in->state->state, NULL, 0, pool->pcm, in->rx_samples);
		if (n <= 0)
			return 0;
		in->rx_ts_next = ts + (uint32_t)((uint64_t)n * in->clock / in->pcm_rate);
		pool->pcm_n = (unsigned int)n;
		return queue_pcm(pool, x, from, pool->pcm, (unsigned int)n);
	}
	if (in->rx_started) {
		int32_t gap = (int32_t)(ts - in->rx_ts_next);
		if (gap > 0) {
			out->ts_skip += (uint32_t)((uint64_t)gap * out->clock / in->clock);
			out->marker = true;
		}
	}
	in->rx_started = true;
	out->src_ssrc = ssrc;
	if (!out->tx_started) {
		/* The stream toward the other leg starts where this one did,
		 * in that leg's clock. */
		out->tx_started = true;
		out->seq = seq;
		out->ts = (uint32_t)((uint64_t)ts * out->clock / in->clock);
	}
	n = in->codec->decode(in->state->state, payload, len, pool->pcm, TD_XCODE_SCRATCH);
	if (n <= 0) {
		in->rx_ts_next = ts + (uint32_t)((uint64_t)in->rx_samples * in->clock / in->pcm_rate);
		return n < 0 ? -EBADMSG : 0;
	}
	in->rx_samples = (uint16_t)n;
	pool->pcm_n = (unsigned int)n;
	in->rx_ts_next = ts + (uint32_t)((uint64_t)n * in->clock / in->pcm_rate);
	return queue_pcm(pool, x, from, pool->pcm, (unsigned int)n);
}

int
td_xcode_decode(struct td_xcode_pool *pool, struct td_xcode *x, unsigned int from, uint16_t seq, uint32_t ts,
		uint32_t ssrc, const uint8_t *payload, size_t len)
{
	struct td_xcode_leg *in = &x->leg[from];

	if (in->rx_started) {
		/* RFC 3550 A.1: sequence numbers compared modulo 2^16. */
		int16_t d = (int16_t)(seq - in->rx_seq);
		if (d <= 0)
			return -EALREADY;
		unsigned int lost = (unsigned int)d - 1, conceal = lost < TD_XCODE_PLC_MAX ? lost : TD_XCODE_PLC_MAX;
		for (unsigned int i = 0; i < conceal; i++)
			frame_in(pool, x, from, 0, in->rx_ts_next, ssrc, NULL, 0);
	}
	in->rx_seq = seq;
	return frame_in(pool, x, from, seq, ts, ssrc, payload, len);
}

int
td_xcode_rx_put(struct td_xcode *x, unsigned int from, uint16_t seq, uint32_t ts, uint32_t ssrc, bool marker,
		const uint8_t *payload, size_t len, uint64_t now)
{
	struct td_xcode_leg *in = &x->leg[from];

	if (in->jb_used && ssrc != in->jb_ssrc)
		td_jbuf_reset(in->jb);
	in->jb_used = true;
	in->jb_ssrc = ssrc;
	if (in->play_next == 0)
		in->play_next = now; /* the buffer says when play starts */
	return td_jbuf_put(in->jb, seq, ts, marker, payload, len, now / in->tsc_per_unit);
}

int
td_xcode_play(struct td_xcode_pool *pool, struct td_xcode *x, unsigned int from, uint64_t now, uint32_t *ts)
{
	struct td_xcode_leg *in = &x->leg[from];
	struct td_jbuf_frame f;

	uint64_t at = in->play_next;
	if (at == 0 || now < at)
		return -EAGAIN;
	/* The buffer is read on a steady frame clock, at the time each
	 * frame is due, however late the tick: a late tick reads twice. */
	if (now - at > 8 * in->frame_tsc)
		at = now; /* far behind (a stall): no burst to catch up */
	in->play_next = at + in->frame_tsc;
	pool->pcm_n = 0;
	switch (td_jbuf_get(in->jb, at / in->tsc_per_unit, &f)) {
	case TD_JBUF_FRAME:
		*ts = f.ts;
		/* Frames the buffer dropped (a fast sender's clock, a delay
		 * shrinking) leave a sequence gap without LOST: their time is
		 * not kept, the stream out goes on without a jump. A timestamp
		 * gap with no sequence gap is the sender's silence: kept. */
		if (in->rx_started && (int16_t)(f.seq - in->rx_seq) > 1)
			in->rx_ts_next = f.ts;
		in->rx_seq = f.seq;
		return frame_in(pool, x, from, f.seq, f.ts, in->jb_ssrc, f.payload, f.len);
	case TD_JBUF_LOST:
		*ts = f.ts;
		if (f.inserted) {
			/* An extra frame to grow the delay: PCM, no time. */
			uint32_t next = in->rx_ts_next;
			int n = frame_in(pool, x, from, f.seq, f.ts, in->jb_ssrc, NULL, 0);
			in->rx_ts_next = next;
			return n;
		}
		in->rx_seq = f.seq;
		return frame_in(pool, x, from, f.seq, f.ts, in->jb_ssrc, NULL, 0);
	default:
		return 0;
	}
}

void
td_xcode_jbuf_stats(const struct td_xcode *x, unsigned int from, struct td_jbuf_stats *st)
{
	td_jbuf_stats(x->leg[from].jb, st);
}

int
td_xcode_encode(struct td_xcode *x, unsigned int to, uint8_t *out, size_t max, struct td_xcode_frame *f)
{
	struct td_xcode_leg *l = &x->leg[to];

	if ((unsigned int)(l->fifo_w - l->fifo_r) < l->frame || l->frame == 0)
		return 0;
	int r = l->codec->encode(l->state->state, l->fifo + l->fifo_r, l->frame, out, max);
	l->fifo_r = (uint16_t)(l->fifo_r + l->frame);
	if (l->fifo_r == l->fifo_w)
		l->fifo_r = l->fifo_w = 0;
	l->ts += l->ts_skip;
	l->ts_skip = 0;
	if (r < 0) {
		/* The frame's time passes even though it is not sent. */
		l->ts += l->ts_step;
		l->marker = true;
		return r;
	}
	*f = (struct td_xcode_frame){.pt = l->pt, .marker = l->marker, .seq = l->seq, .ts = l->ts};
	l->seq++;
	l->ts += l->ts_step;
	l->marker = false;
	return r;
}

const int16_t *
td_xcode_decoded(const struct td_xcode_pool *pool, unsigned int *n)
{
	*n = pool->pcm_n;
	return pool->pcm;
}

int
td_xcode_skip(struct td_xcode *x, unsigned int to, struct td_xcode_frame *f)
{
	struct td_xcode_leg *l = &x->leg[to];

	if ((unsigned int)(l->fifo_w - l->fifo_r) < l->frame || l->frame == 0)
		return 0;
	l->fifo_r = (uint16_t)(l->fifo_r + l->frame);
	if (l->fifo_r == l->fifo_w)
		l->fifo_r = l->fifo_w = 0;
	l->ts += l->ts_skip;
	l->ts_skip = 0;
	*f = (struct td_xcode_frame){.pt = l->pt, .marker = l->marker, .seq = l->seq, .ts = l->ts};
	l->seq++;
	l->ts += l->ts_step;
	l->marker = false;
	return 1;
}

void
td_xcode_continue(struct td_xcode *x, unsigned int to, uint16_t seq, uint32_t ts)
{
	struct td_xcode_leg *l = &x->leg[to];
	l->tx_started = true;
	l->seq = seq;
	l->ts = ts;
}
