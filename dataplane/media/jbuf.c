/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adaptive jitter buffer (contract in jbuf.h, design in docs/media.md).
 *
 * A ring of slots, one frame each, indexed by the frame's distance from
 * the next frame to play (play_ts, at slot head). Timestamps and sequence
 * numbers are compared as signed differences modulo 2^32 and 2^16
 * (RFC 3550 §5.1, A.1), so wraparound needs no special case.
 *
 * The delay: for each packet, w = (the time its frame is due) - (its
 * arrival), in RTP units; late packets give a negative w. The greatest w
 * in the window (the last 0.5-1 s of packets) is the delay a packet without
 * jitter sees; the spread of w is the jitter. The target is spread + guard,
 * within [min, max]: it rises at once, and falls with a 256-tick time
 * constant. A tick inserts a concealed frame when the delay is below the
 * target, and skips a frame when it is a frame and a guard above; each
 * correction moves every w in the window by one frame (the playout moved).
 * A sender clock faster than ours makes w grow, a slower one shrink, so the
 * same two corrections keep drift bounded; they are counted as drift while
 * the drift measured since the start of play (the growth of the greatest w
 * net of corrections) still owes a frame, as delay otherwise.
 */
#include <errno.h>
#include <string.h>

#include "jbuf.h"

enum jb_slot_state {
	JB_SLOT_FREE = 0,
	JB_SLOT_FRAME,	/* a packet is stored */
	JB_SLOT_SILENT, /* the sender left the frame out (RFC 3551 §4.1 silence) */
};

enum jb_state {
	JB_NEW = 0,   /* nothing received since init or reset */
	JB_IDLE,      /* played, then the stream stopped; play_ts remembers where */
	JB_BUFFERING, /* receiving, not playing yet; play_ts is the earliest frame */
	JB_PLAYING,
};

#define JB_HISTORY 64 /* frames behind play_ts told apart as duplicate or late */

struct jb_slot {
	uint64_t arrival;
	uint32_t ts;
	uint16_t seq;
	uint16_t len;
	uint8_t state;
	uint8_t marker;
};

struct td_jbuf {
	/* configuration, in RTP units */
	uint32_t frame;
	uint32_t clock_rate;
	uint32_t min_t, max_t;
	uint32_t guard;	  /* margin above the jitter, and skip hysteresis */
	uint32_t one_sec; /* a jump further than this is a new stream */
	uint32_t mask;	  /* slots - 1 */
	uint32_t bucket;  /* samples per estimator bucket */
	uint32_t stride;  /* bytes per slot payload */
	uint16_t max_payload;

	uint8_t state;
	uint8_t overflow_run; /* consecutive packets beyond capacity */
	bool have_newest;
	uint32_t head;
	uint32_t play_ts;
	uint32_t newest_ts;
	uint16_t newest_seq;
	uint16_t next_seq; /* predicted sequence number at play_ts */
	uint32_t nbuf;	   /* slots holding a packet */
	uint64_t last_arrival;
	uint64_t received; /* bit i: frame play_ts - (i + 1) frames was received */
	/* buffering: a packet's key is its grid offset from ref_ts minus its
	 * arrival; the greatest key gives the wait of the fastest one */
	uint32_t ref_ts;
	int64_t max_key;
	/* playing: the frame at play_ts is due at map_now */
	uint64_t map_now;

	/* the window: w samples in two buckets */
	int32_t cur_lo, cur_hi, prev_lo, prev_hi;
	uint32_t cur_n;
	bool prev_valid;
	uint32_t target_q8; /* target << 8 */
	uint32_t target_inst;
	uint32_t skip_wait; /* ticks before a packet may be skipped again */
	int64_t shift_total;
	int64_t raw_start;
	int64_t drift_done; /* frames corrected for drift since play started, + skipped */

	struct td_jbuf_stats st;
	struct jb_slot slot[];
};

static uint32_t
jb_ms_to_ticks(uint32_t ms, uint32_t rate)
{
	return (uint32_t)(((uint64_t)ms * rate + 999) / 1000);
}

static uint32_t
jb_ticks_to_ms(int64_t t, uint32_t rate)
{
	return t <= 0 ? 0 : (uint32_t)(t * 1000 / rate);
}

static uint32_t
jb_pow2(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

/* Slots, or 0 when cfg is invalid; fills in the defaults in *c. */
static uint32_t
jb_geometry(const struct td_jbuf_cfg *cfg, struct td_jbuf_cfg *c)
{
	if (cfg == NULL)
		return 0;
	*c = *cfg;
	if (c->min_delay_ms == 0)
		c->min_delay_ms = TD_JBUF_MIN_DELAY_MS;
	if (c->max_delay_ms == 0)
		c->max_delay_ms = TD_JBUF_MAX_DELAY_MS;
	if (c->max_payload == 0)
		c->max_payload = TD_JBUF_MAX_PAYLOAD;
	if (c->clock_rate == 0 || c->frame_ticks == 0 || c->frame_ticks > c->clock_rate ||
	    c->min_delay_ms > c->max_delay_ms)
		return 0;
	/* The delay, the frame being played and as much again for packets
	 * that arrive early. */
	uint32_t max_t = jb_ms_to_ticks(c->max_delay_ms, c->clock_rate);
	uint32_t frames = (max_t + c->frame_ticks - 1) / c->frame_ticks + 2;
	uint32_t n = jb_pow2(2 * frames);
	if (n < 16)
		n = 16;
	return n > TD_JBUF_SLOTS_MAX ? 0 : n;
}

static uint32_t
jb_stride(uint32_t max_payload)
{
	return (max_payload + 7u) & ~7u;
}

size_t
td_jbuf_size(const struct td_jbuf_cfg *cfg)
{
	struct td_jbuf_cfg c;
	uint32_t n = jb_geometry(cfg, &c);
	if (n == 0) {
		errno = EINVAL;
		return 0;
	}
	return sizeof(struct td_jbuf) + (size_t)n * (sizeof(struct jb_slot) + jb_stride(c.max_payload));
}

static uint8_t *
jb_data(struct td_jbuf *jb, uint32_t idx)
{
	return (uint8_t *)&jb->slot[jb->mask + 1] + (size_t)idx * jb->stride;
}

static uint32_t
jb_target(const struct td_jbuf *jb)
{
	return jb->target_q8 >> 8;
}

static void
jb_window_reset(struct td_jbuf *jb)
{
	jb->cur_n = 0;
	jb->prev_valid = false;
}

static bool
jb_window(const struct td_jbuf *jb, int32_t *lo, int32_t *hi)
{
	if (jb->cur_n == 0 && !jb->prev_valid)
		return false;
	if (jb->cur_n == 0) {
		*lo = jb->prev_lo;
		*hi = jb->prev_hi;
	} else if (!jb->prev_valid) {
		*lo = jb->cur_lo;
		*hi = jb->cur_hi;
	} else {
		*lo = jb->cur_lo < jb->prev_lo ? jb->cur_lo : jb->prev_lo;
		*hi = jb->cur_hi > jb->prev_hi ? jb->cur_hi : jb->prev_hi;
	}
	return true;
}

/* The playout moved by delta: every w in the window moves with it. */
static void
jb_window_shift(struct td_jbuf *jb, int32_t delta)
{
	jb->cur_lo += delta;
	jb->cur_hi += delta;
	jb->prev_lo += delta;
	jb->prev_hi += delta;
	jb->shift_total += delta;
}

static void
jb_sample(struct td_jbuf *jb, int64_t w)
{
	int32_t lo = 0, hi = 0;

	if (w > (1 << 30))
		w = 1 << 30;
	else if (w < -(1 << 30))
		w = -(1 << 30);
	if (jb->cur_n == 0) {
		jb->cur_lo = jb->cur_hi = (int32_t)w;
	} else {
		if (w < jb->cur_lo)
			jb->cur_lo = (int32_t)w;
		if (w > jb->cur_hi)
			jb->cur_hi = (int32_t)w;
	}
	if (++jb->cur_n >= jb->bucket) {
		jb->prev_lo = jb->cur_lo;
		jb->prev_hi = jb->cur_hi;
		jb->prev_valid = true;
		jb->cur_n = 0;
	}
	jb_window(jb, &lo, &hi);
	/* The slowest packet must still make it: wait for the spread of
	 * arrivals plus a guard. A higher need is taken at once. */
	int64_t t = (int64_t)hi - lo + jb->guard;
	if (t < jb->min_t)
		t = jb->min_t;
	if (t > jb->max_t)
		t = jb->max_t;
	jb->target_inst = (uint32_t)t;
	if (((uint32_t)t << 8) > jb->target_q8)
		jb->target_q8 = (uint32_t)t << 8;
}

/* Once per tick: a lower need lowers the target slowly. */
static void
jb_target_decay(struct td_jbuf *jb)
{
	uint32_t inst = jb->target_inst << 8;
	if (jb->target_q8 > inst)
		jb->target_q8 -= (jb->target_q8 - inst + 255) >> 8;
}

/* Distance of ts from play_ts in frames, rounded to the nearest frame. */
static int32_t
jb_frames(const struct td_jbuf *jb, uint32_t ts)
{
	int64_t x = (int64_t)(int32_t)(ts - jb->play_ts) + jb->frame / 2;
	return (int32_t)(x >= 0 ? x / jb->frame : -((-x + jb->frame - 1) / jb->frame));
}

static bool
jb_jump(const struct td_jbuf *jb, uint32_t ts)
{
	int32_t d = (int32_t)(ts - jb->play_ts);
	return d > (int32_t)jb->one_sec || d < -(int32_t)jb->one_sec;
}

/* Drop whatever is buffered (counted) and wait for packets again. */
static void
jb_begin(struct td_jbuf *jb, uint32_t ts)
{
	for (uint32_t i = 0; i <= jb->mask; i++)
		jb->slot[i].state = JB_SLOT_FREE;
	jb->st.flushed += jb->nbuf;
	jb->nbuf = 0;
	jb->state = JB_BUFFERING;
	jb->head = 0;
	jb->play_ts = ts;
	jb->ref_ts = ts;
	jb->max_key = INT64_MIN;
	jb->have_newest = false;
	jb->received = 0;
	jb->overflow_run = 0;
	jb_window_reset(jb);
}

int
td_jbuf_init(void *mem, size_t size, const struct td_jbuf_cfg *cfg)
{
	struct td_jbuf_cfg c;
	uint32_t n = jb_geometry(cfg, &c);

	if (n == 0 || mem == NULL || ((uintptr_t)mem & 7) != 0)
		return -EINVAL;
	if (size < td_jbuf_size(cfg))
		return -ENOBUFS;
	struct td_jbuf *jb = mem;
	memset(jb, 0, sizeof(*jb) + n * sizeof(struct jb_slot));
	jb->frame = c.frame_ticks;
	jb->clock_rate = c.clock_rate;
	jb->min_t = jb_ms_to_ticks(c.min_delay_ms, c.clock_rate);
	jb->max_t = jb_ms_to_ticks(c.max_delay_ms, c.clock_rate);
	jb->guard = c.frame_ticks / 4;
	jb->one_sec = c.clock_rate;
	jb->mask = n - 1;
	/* Half a second of packets per bucket, at least 8. */
	jb->bucket = c.clock_rate / 2 / c.frame_ticks;
	if (jb->bucket < 8)
		jb->bucket = 8;
	jb->max_payload = c.max_payload;
	jb->stride = jb_stride(c.max_payload);
	jb->target_q8 = jb->min_t << 8;
	jb->target_inst = jb->min_t;
	jb->state = JB_NEW;
	return 0;
}

void
td_jbuf_reset(struct td_jbuf *jb)
{
	jb_begin(jb, 0);
	jb->state = JB_NEW;
}

/* A packet for a frame before play_ts: seen already, or too late. */
static int
jb_behind(struct td_jbuf *jb, int32_t f, uint64_t arrival)
{
	uint32_t back = (uint32_t)-f;
	if (back <= JB_HISTORY && ((jb->received >> (back - 1)) & 1)) {
		jb->st.duplicate++;
		return -EEXIST;
	}
	jb->st.late++;
	if (jb->state == JB_PLAYING) {
		/* It missed its frame: whatever the clocks say, its wait was
		 * below zero. */
		int64_t w = (int64_t)jb->map_now + (int64_t)f * jb->frame - (int64_t)arrival;
		jb_sample(jb, w < 0 ? w : -1);
	}
	return -ETIME;
}

static int
jb_store(struct td_jbuf *jb, int32_t f, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload, size_t len,
	 uint64_t arrival)
{
	uint32_t idx = (jb->head + (uint32_t)f) & jb->mask;
	struct jb_slot *s = &jb->slot[idx];

	if (s->state == JB_SLOT_FRAME) {
		jb->st.duplicate++;
		return -EEXIST;
	}
	memcpy(jb_data(jb, idx), payload, len);
	s->arrival = arrival;
	s->ts = ts;
	s->seq = seq;
	s->len = (uint16_t)len;
	s->marker = marker;
	s->state = JB_SLOT_FRAME;
	jb->nbuf++;
	jb->st.put++;
	jb->overflow_run = 0;

	if (!jb->have_newest || (int32_t)(ts - jb->newest_ts) > 0) {
		/* RFC 3551 §4.1: with silence suppression the timestamp
		 * jumps while the sequence number does not; the frames in
		 * between are silence, not loss. */
		if (jb->have_newest && (uint16_t)(seq - jb->newest_seq) == 1) {
			int32_t i = jb_frames(jb, jb->newest_ts) + 1;
			for (i = i < 0 ? 0 : i; i < f; i++) {
				struct jb_slot *g = &jb->slot[(jb->head + (uint32_t)i) & jb->mask];
				if (g->state == JB_SLOT_FREE)
					g->state = JB_SLOT_SILENT;
			}
		}
		jb->newest_ts = ts;
		jb->newest_seq = seq;
		jb->have_newest = true;
	}

	if (jb->state == JB_PLAYING) {
		jb_sample(jb, (int64_t)jb->map_now + (int64_t)f * jb->frame - (int64_t)arrival);
	} else {
		int64_t key = (int64_t)(int32_t)(jb->play_ts - jb->ref_ts) + (int64_t)f * jb->frame - (int64_t)arrival;
		if (key > jb->max_key)
			jb->max_key = key;
	}
	return 0;
}

int
td_jbuf_put(struct td_jbuf *jb, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload, size_t len,
	    uint64_t arrival)
{
	int32_t f;

	if (payload == NULL || len == 0) {
		jb->st.invalid++;
		return -EINVAL;
	}
	if (len > jb->max_payload) {
		jb->st.oversize++;
		return -EMSGSIZE;
	}
	jb->last_arrival = arrival;

	switch (jb->state) {
	case JB_NEW:
		jb_begin(jb, ts);
		break;
	case JB_IDLE:
		if (jb_jump(jb, ts)) {
			jb->st.resync++;
		} else if ((f = jb_frames(jb, ts)) < 0) {
			return jb_behind(jb, f, arrival);
		}
		jb_begin(jb, ts);
		break;
	default:
		if (jb_jump(jb, ts)) {
			/* A new source, or a talkspurt after a long silence. */
			jb->st.resync++;
			jb_begin(jb, ts);
			break;
		}
		f = jb_frames(jb, ts);
		if (f < 0 && jb->state == JB_BUFFERING) {
			/* Earlier than anything buffered and nothing played
			 * yet: play starts from it, if the span still fits. */
			if (jb_frames(jb, jb->newest_ts) - f > (int32_t)jb->mask) {
				jb->st.overflow++;
				return -ENOBUFS;
			}
			jb->head = (jb->head + (uint32_t)f) & jb->mask;
			jb->play_ts += (uint32_t)f * jb->frame;
			break;
		}
		if (f < 0)
			return jb_behind(jb, f, arrival);
		if (f > (int32_t)jb->mask) {
			/* Beyond capacity: a talkspurt (marker, or no
			 * sequence gap) or a second such packet in a row
			 * means the stream moved on; one alone is refused. */
			if (marker || (uint16_t)(seq - jb->newest_seq) == 1 || ++jb->overflow_run >= 2) {
				jb->st.resync++;
				jb_begin(jb, ts);
				break;
			}
			jb->st.overflow++;
			return -ENOBUFS;
		}
		return jb_store(jb, f, seq, ts, marker, payload, len, arrival);
	}
	return jb_store(jb, jb_frames(jb, ts), seq, ts, marker, payload, len, arrival);
}

/* Consume the slot at head. */
static void
jb_advance(struct td_jbuf *jb)
{
	struct jb_slot *s = &jb->slot[jb->head];
	uint64_t got = s->state == JB_SLOT_FRAME;

	jb->nbuf -= (uint32_t)got;
	s->state = JB_SLOT_FREE;
	jb->received = (jb->received << 1) | got;
	jb->head = (jb->head + 1) & jb->mask;
	jb->play_ts += jb->frame;
}

/* Frames of drift not yet corrected: > 0 the sender is fast. */
static int64_t
jb_drift_owed(const struct td_jbuf *jb, int32_t hi)
{
	return (int64_t)hi - jb->shift_total - jb->raw_start - jb->drift_done * jb->frame;
}

static void
jb_start(struct td_jbuf *jb, uint64_t now)
{
	int32_t lo, hi;

	jb->state = JB_PLAYING;
	jb->map_now = now;
	jb_window_reset(jb);
	for (uint32_t f = 0; f <= jb->mask; f++) {
		const struct jb_slot *s = &jb->slot[(jb->head + f) & jb->mask];
		if (s->state == JB_SLOT_FRAME)
			jb_sample(jb, (int64_t)now + (int64_t)f * jb->frame - (int64_t)s->arrival);
	}
	jb->next_seq = jb->slot[jb->head].seq;
	jb->skip_wait = 0;
	jb->shift_total = 0;
	jb->drift_done = 0;
	jb->raw_start = jb_window(jb, &lo, &hi) ? hi : 0;
}

int
td_jbuf_get(struct td_jbuf *jb, uint64_t now, struct td_jbuf_frame *out)
{
	int32_t lo, hi;
	int res;

	memset(out, 0, sizeof(*out));
	switch (jb->state) {
	case JB_NEW:
	case JB_IDLE:
		return TD_JBUF_EMPTY;
	case JB_BUFFERING:
		/* Start when the fastest packet buffered has waited the
		 * target: slower ones then wait less, as they will in play. */
		if ((int64_t)now - (int32_t)(jb->play_ts - jb->ref_ts) + jb->max_key < (int64_t)jb_target(jb))
			return TD_JBUF_EMPTY;
		jb_start(jb, now);
		break;
	default:
		if (jb->nbuf == 0 && (int64_t)(now - jb->last_arrival) > (int64_t)jb->max_t) {
			jb->state = JB_IDLE;
			jb->st.underrun++;
			return TD_JBUF_EMPTY;
		}
		jb->map_now = now;
		break;
	}

	struct jb_slot *s = &jb->slot[jb->head];
	int64_t target = jb_target(jb);
	bool have = jb_window(jb, &lo, &hi);

	if (have && hi < target) {
		/* Stretch: one more frame before the one due. */
		if (jb_drift_owed(jb, hi) <= -(int64_t)jb->frame / 2) {
			jb->st.inserted_for_drift++;
			jb->drift_done--;
		} else {
			jb->st.inserted_for_delay++;
		}
		jb_window_shift(jb, (int32_t)jb->frame);
		out->ts = jb->play_ts;
		if (s->state == JB_SLOT_SILENT) {
			res = TD_JBUF_EMPTY;
		} else {
			out->seq = jb->next_seq;
			out->inserted = true;
			res = TD_JBUF_LOST;
		}
		goto done;
	}
	/* Shrink: drop the frame due. Dropping one that is missing or silent
	 * costs nothing and may happen every tick; a received one at most
	 * every quarter second. */
	if (have && hi >= target + jb->frame + jb->guard && (jb->skip_wait == 0 || s->state != JB_SLOT_FRAME)) {
		if (jb_drift_owed(jb, hi) >= (int64_t)jb->frame / 2) {
			jb->st.skipped_for_drift++;
			jb->drift_done++;
		} else {
			jb->st.skipped_for_delay++;
		}
		if (s->state == JB_SLOT_FRAME) {
			jb->next_seq = (uint16_t)(s->seq + 1);
			jb->skip_wait = jb->bucket / 2;
		} else if (s->state == JB_SLOT_FREE) {
			jb->next_seq++;
		}
		jb_advance(jb);
		jb_window_shift(jb, -(int32_t)jb->frame);
		s = &jb->slot[jb->head];
	}

	out->ts = jb->play_ts;
	switch (s->state) {
	case JB_SLOT_FRAME:
		out->payload = jb_data(jb, jb->head);
		out->len = s->len;
		out->ts = s->ts;
		out->seq = s->seq;
		out->marker = s->marker;
		jb->next_seq = (uint16_t)(s->seq + 1);
		jb->st.got++;
		res = TD_JBUF_FRAME;
		break;
	case JB_SLOT_SILENT:
		jb->st.silent++;
		res = TD_JBUF_EMPTY;
		break;
	default:
		out->seq = jb->next_seq++;
		jb->st.lost++;
		res = TD_JBUF_LOST;
		break;
	}
	jb_advance(jb);
done:
	jb->map_now = now + jb->frame;
	if (jb->skip_wait > 0)
		jb->skip_wait--;
	jb_target_decay(jb);
	return res;
}

void
td_jbuf_stats(const struct td_jbuf *jb, struct td_jbuf_stats *st)
{
	int32_t lo, hi;

	*st = jb->st;
	st->delay_ms = jb->state == JB_PLAYING && jb_window(jb, &lo, &hi) ? jb_ticks_to_ms(hi, jb->clock_rate) : 0;
	st->target_ms = jb_ticks_to_ms(jb_target(jb), jb->clock_rate);
}
