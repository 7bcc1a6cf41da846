/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DTMF on the worker (contract in dtmf.h): telephone-events and in-band
 * tones received, digits sent as events or tones, the DTMF commands, and the
 * tick that ends presses whose end packets were lost and paces RFC 4733
 * packets on relay pairs. Runs on the worker that owns the sessions; the
 * channel pool is made on the main lcore.
 *
 * RFC 4733 timing as sent here (clock: the session's RTP clock):
 *   packet   marker  E  timestamp  duration
 *   first    1       0  T          one ptime
 *   update   0       0  T          grows by one ptime every 20 ms
 *   end x3   0       1  T          the digit's duration
 * then TD_DTMF_PAUSE_MS (or the sender's pause) of audio before the next.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ctl/ctl.h"
#include "drop.h"
#include "dtmf.h"
#include "dtmf/dtmf_detect.h"
#include "media.h"
#include "rtp/rtp_hdr.h"
#include "rtp/rtp_session.h"
#include "worker/worker.h"
#include "xcode.h"

TD_DROP_REGISTER(dtmf_malformed)
TD_DROP_REGISTER(dtmf_unknown_event)
TD_DROP_REGISTER(dtmf_no_mbuf)

#define DTMF_CHUNK	 160 /* samples decoded or generated at a time */
#define DTMF_CONV_PAUSE	 40  /* ms between digits converted from the peer */
#define DTMF_SILENCE_A	 0xd5
#define DTMF_SILENCE_U	 0xff
#define DTMF_PENDING_MAX TD_DTMF_MAX_PENDING

struct td_dtmf_chan {
	struct td_dtmf_detect det;
	dtmf_tx_state_t gen;
};

struct td_dtmf_ctx {
	struct td_dtmf_chan *chans;
	struct td_dtmf_chan **free;
	uint32_t n_chans, n_free;
	uint32_t *busy; /* session slots on the tick list */
	uint32_t n_busy, max_busy;
	uint64_t next_tick, tick_tsc, tsc_hz;
	uint64_t no_chan; /* channels refused: pool empty */
};

static const char dtmf_digits[] = "0123456789*#ABCD!";

static struct td_dtmf_ctx *
ctx_of(const struct td_worker *w)
{
	return w->media ? w->media->dtmf : NULL;
}

static uint32_t
slot_of(const struct td_worker *w, const struct td_rtp_session *s)
{
	return (uint32_t)(s->port - w->rtp->port_lo) >> 1;
}

/* The pool's use, in the worker's stats block: the worker's every path
 * (rx, commands, media tick) runs inside its stats sequence already. */
static void
chans_publish(struct td_worker *w, const struct td_dtmf_ctx *c)
{
	if (w->st == NULL)
		return; /* at start, before the worker has its block: td_media_init */
	w->st->dtmf_chans_max = c->n_chans;
	w->st->dtmf_chans_used = c->n_chans - c->n_free;
	w->st->dtmf_chans_refused = c->no_chan;
}

static void
chan_reset(struct td_dtmf_chan *c)
{
	/* With memory given, neither allocates (spandsp builds its tables
	 * once, on the first init: on the main lcore, below). */
	td_dtmf_detect_init(&c->det);
	dtmf_tx_init(&c->gen);
	dtmf_tx_set_level(&c->gen, -TD_DTMF_EVENT_VOLUME, 0);
}

int
td_dtmf_init(struct td_worker *w, uint32_t chans)
{
	struct td_dtmf_ctx *c = rte_zmalloc("td_dtmf", sizeof(*c), RTE_CACHE_LINE_SIZE);

	if (c == NULL || w->media == NULL || w->rtp == NULL)
		goto fail;
	w->media->dtmf = c;
	c->n_chans = chans;
	c->max_busy = w->rtp->n;
	c->chans = rte_zmalloc("td_dtmf_chans", (size_t)chans * sizeof(*c->chans) + 1, RTE_CACHE_LINE_SIZE);
	c->free = rte_zmalloc("td_dtmf_free", (size_t)chans * sizeof(*c->free) + 1, RTE_CACHE_LINE_SIZE);
	c->busy = rte_zmalloc("td_dtmf_busy", (size_t)c->max_busy * sizeof(*c->busy) + 1, RTE_CACHE_LINE_SIZE);
	if (c->chans == NULL || c->free == NULL || c->busy == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < chans; i++) {
		chan_reset(&c->chans[i]);
		c->free[c->n_free++] = &c->chans[i];
	}
	c->tsc_hz = rte_get_tsc_hz();
	c->tick_tsc = c->tsc_hz / 1000 * TD_DTMF_TICK_MS;
	chans_publish(w, c);
	return 0;
fail:
	rte_free(c);
	return -ENOMEM;
}

void
td_dtmf_fini(struct td_worker *w)
{
	struct td_dtmf_ctx *c = ctx_of(w);

	if (c == NULL)
		return;
	rte_free(c->chans);
	rte_free(c->free);
	rte_free(c->busy);
	rte_free(c);
	w->media->dtmf = NULL;
}

static void
busy_add(struct td_worker *w, struct td_rtp_session *s)
{
	struct td_dtmf_ctx *c = ctx_of(w);

	if (s->dtmf.busy || c == NULL || c->n_busy == c->max_busy)
		return;
	c->busy[c->n_busy++] = slot_of(w, s);
	s->dtmf.busy = true;
}

static void
busy_del(struct td_worker *w, struct td_rtp_session *s)
{
	struct td_dtmf_ctx *c = ctx_of(w);
	uint32_t slot = slot_of(w, s);

	if (!s->dtmf.busy || c == NULL)
		return;
	for (uint32_t i = 0; i < c->n_busy; i++)
		if (c->busy[i] == slot) {
			c->busy[i] = c->busy[--c->n_busy];
			break;
		}
	s->dtmf.busy = false;
}

/* Digits toward s go out as tones (no telephone-event on s's side). */
static bool
out_inband(const struct td_rtp_session *s)
{
	return s->p.tel_event_pt == 0;
}

static bool
out_pending(const struct td_dtmf_out *o)
{
	return o->n || o->state != TD_DTMF_OUT_IDLE;
}

/* A channel while s detects, is a transcoding leg, or sends tones. */
static void
chan_follow(struct td_worker *w, struct td_rtp_session *s)
{
	struct td_dtmf_ctx *c = ctx_of(w);
	struct td_dtmf_sess *d = &s->dtmf;
	bool need = s->xc || (d->flags & TD_DP_DTMF_DETECT_ON) || (out_inband(s) && out_pending(&d->out));

	if (c == NULL)
		return;
	if (need && d->chan == NULL) {
		if (c->n_free == 0) {
			c->no_chan++;
			chans_publish(w, c);
			return;
		}
		d->chan = c->free[--c->n_free];
		chan_reset(d->chan);
		chans_publish(w, c);
	} else if (!need && d->chan) {
		c->free[c->n_free++] = d->chan;
		d->chan = NULL;
		d->tone = false;
		chans_publish(w, c);
	}
}

void
td_dtmf_pair_changed(struct td_worker *w, struct td_rtp_session *s)
{
	/* Digits on their way toward s were paced by the other path (relay
	 * tick or media tick, relayed or transcoded stream): they stop here
	 * rather than go on in a stream that is not theirs. */
	s->dtmf.out = (struct td_dtmf_out){.sent = s->dtmf.out.sent};
	if (!s->dtmf.telev.active)
		busy_del(w, s);
	chan_follow(w, s);
}

void
td_dtmf_session_end(struct td_worker *w, struct td_rtp_session *s)
{
	/* After the unbridge: no transcoder holds it any more. */
	busy_del(w, s);
	s->dtmf.flags = 0;
	s->dtmf.out = (struct td_dtmf_out){0};
	chan_follow(w, s);
	td_dp_seq_begin(&s->st->seq);
	s->st->dtmf_detect = 0;
	td_dp_seq_end(&s->st->seq);
}

static int
event_code(char digit)
{
	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	const char *p = digit ? strchr(dtmf_digits, digit) : NULL;
	return p ? (int)(p - dtmf_digits) : -1;
}

static int
out_push(struct td_dtmf_out *o, char digit, uint16_t dur_ms, uint16_t pause_ms)
{
	int ev = event_code(digit);

	if (ev < 0)
		return -EINVAL;
	if (o->n == TD_DTMF_OUT_MAX)
		return -EBUSY;
	unsigned int i = (o->head + o->n) % TD_DTMF_OUT_MAX;
	o->digit[i] = dtmf_digits[ev];
	o->dur_ms[i] = dur_ms;
	o->pause_ms[i] = pause_ms;
	o->n++;
	return 0;
}

static char
out_pop(struct td_dtmf_out *o, uint16_t *dur_ms, uint16_t *pause_ms)
{
	char d = o->digit[o->head];
	*dur_ms = o->dur_ms[o->head];
	*pause_ms = o->pause_ms[o->head];
	o->head = (uint8_t)((o->head + 1) % TD_DTMF_OUT_MAX);
	o->n--;
	return d;
}

/*
 * The next RFC 4733 packet of the digits queued on o, for a packet time of
 * step timestamp units (ptime_ms): 4 when pl holds one, 0 when audio goes
 * in this packet's place. *start: it begins an event (the caller sets
 * o->ev_ts to the stream's timestamp now).
 */
static int
out_event_next(struct td_dtmf_out *o, uint32_t step, uint32_t clock, uint16_t ptime_ms, uint8_t *pl, bool *start)
{
	bool end;

	*start = false;
	switch (o->state) {
	case TD_DTMF_OUT_PAUSE:
		o->pause_left_ms -= ptime_ms;
		if (o->pause_left_ms > 0)
			return 0;
		o->state = TD_DTMF_OUT_IDLE;
		/* fall through */
	case TD_DTMF_OUT_IDLE: {
		if (o->n == 0)
			return 0;
		uint16_t dur_ms, pause_ms;
		char d = out_pop(o, &dur_ms, &pause_ms);
		uint64_t dur = (uint64_t)dur_ms * clock / 1000;
		o->event = (uint8_t)event_code(d);
		/* §2.5.2.3: a duration field holds 16 bits; longer digits
		 * are sent at the most it holds. */
		o->dur = dur > 0xffff ? 0xffff : (uint32_t)dur;
		o->pause_left_ms = pause_ms;
		o->elapsed = 0;
		o->first = true;
		o->state = TD_DTMF_OUT_EVENT;
		*start = true;
	}
		/* fall through */
	case TD_DTMF_OUT_EVENT:
		o->elapsed += step;
		end = o->elapsed >= o->dur;
		if (end) {
			o->elapsed = o->dur;
			o->state = TD_DTMF_OUT_END;
			o->ends_left = TD_DTMF_END_PACKETS - 1;
		}
		break;
	case TD_DTMF_OUT_END:
		end = true;
		if (--o->ends_left == 0) {
			o->state = TD_DTMF_OUT_PAUSE;
			o->sent++;
		}
		break;
	default:
		return 0;
	}
	/* §2.3: event, E R volume, duration. */
	pl[0] = o->event;
	pl[1] = (uint8_t)((end ? 0x80 : 0) | TD_DTMF_EVENT_VOLUME);
	pl[2] = (uint8_t)(o->elapsed >> 8);
	pl[3] = (uint8_t)o->elapsed;
	return 4;
}

/*
 * Tones of the digits queued on d, n samples at 8 kHz, written over pcm:
 * returns how many were written (the generator's digit and its pause),
 * fewer than n when it ran out.
 */
static unsigned int
out_tone(struct td_dtmf_sess *d, int16_t *pcm, unsigned int n)
{
	struct td_dtmf_out *o = &d->out;
	unsigned int done = 0;

	if (d->chan == NULL)
		return 0;
	while (done < n) {
		if (o->state != TD_DTMF_OUT_TONE) {
			uint16_t dur_ms, pause_ms;
			char digit = 0;
			/* A flash has no tone. */
			while (o->n && (digit = out_pop(o, &dur_ms, &pause_ms)) == '!')
				digit = 0;
			if (digit == 0)
				break;
			dtmf_tx_set_timing(&d->chan->gen, dur_ms, pause_ms);
			dtmf_tx_put(&d->chan->gen, &digit, 1);
			o->state = TD_DTMF_OUT_TONE;
		}
		int k = dtmf_tx(&d->chan->gen, pcm + done, (int)(n - done));
		done += k > 0 ? (unsigned int)k : 0;
		if (done < n) {
			o->state = TD_DTMF_OUT_IDLE;
			o->sent++;
		}
	}
	return done;
}

/* Tones over n samples of PCM at rate (8 or 16 kHz). */
static void
out_tone_pcm(struct td_dtmf_sess *d, int16_t *pcm, unsigned int n, uint32_t rate)
{
	int16_t buf[DTMF_CHUNK];
	unsigned int f = rate == 16000 ? 2 : 1;

	if (rate != 8000 && rate != 16000)
		return;
	for (unsigned int off = 0; off < n;) {
		unsigned int k = (n - off) / f < DTMF_CHUNK ? (n - off) / f : DTMF_CHUNK;
		if (k == 0)
			break;
		unsigned int got = out_tone(d, buf, k);
		for (unsigned int i = 0; i < got; i++)
			for (unsigned int j = 0; j < f; j++)
				pcm[off + i * f + j] = buf[i];
		if (got < k)
			break;
		off += k * f;
	}
}

static void
dtmf_event(struct td_worker *w, struct td_rtp_session *s, char digit, uint8_t source, uint32_t rtp_ts, uint32_t dur_ms,
	   bool end_seen)
{
	struct td_dp_msg m;

	/* The caller holds s's stats sequence (packet path or DTMF tick). */
	s->dtmf.rx++;
	s->st->dtmf_rx = (uint32_t)s->dtmf.rx;
	td_dp_msg_init(&m, TD_DP_EVT_DTMF, 0);
	m.hdr.worker = w->index;
	m.dtmf = (struct td_dp_evt_dtmf){
		.session = s->id,
		.call_tag = s->p.call_tag,
		.rtp_ts = rtp_ts,
		.duration_ms = dur_ms,
		.digit = digit,
		.source = source,
		.end_seen = end_seen,
	};
	td_worker_event(w, &m);
}

/* A press received on s, on a transcoding pair: toward s's peer too. */
static void
convert(struct td_worker *w, struct td_rtp_session *s, char digit, uint32_t dur_ms, uint8_t source)
{
	if (s->xc == NULL || s->peer == TD_RTP_NO_PEER)
		return;
	struct td_rtp_session *b = &w->rtp->s[s->peer];
	/* In-band digits stay tones in the audio, unless the peer's side
	 * signals events and s's side cannot. */
	if (source == TD_DP_DTMF_INBAND && (b->p.tel_event_pt == 0 || s->p.tel_event_pt))
		return;
	if (out_inband(b) && digit == '!')
		return;
	if (dur_ms < TD_DTMF_DURATION_MIN)
		dur_ms = TD_DTMF_DURATION_MIN;
	if (dur_ms > TD_DTMF_DURATION_MAX)
		dur_ms = TD_DTMF_DURATION_MAX;
	/* Tones need the leg's generator (none when the pool ran out). */
	if (out_inband(b) && b->dtmf.chan == NULL)
		return;
	out_push(&b->dtmf.out, digit, (uint16_t)dur_ms, DTMF_CONV_PAUSE);
}

static void
telev_press(struct td_worker *w, struct td_rtp_session *s, const struct td_dtmf_press *p)
{
	uint32_t dur_ms = (uint32_t)((uint64_t)p->duration * 1000 / s->p.clock_rate);
	dtmf_event(w, s, p->digit, TD_DP_DTMF_RFC4733, p->rtp_ts, dur_ms, p->end_seen);
	convert(w, s, p->digit, dur_ms, TD_DP_DTMF_RFC4733);
}

static uint64_t
now_ms(const struct td_worker *w)
{
	return rte_rdtsc() / (w->rtp->tsc_hz / 1000);
}

bool
td_dtmf_rx_telev(struct td_worker *w, struct td_rtp_session *s, struct rte_mbuf *m, const uint8_t *rtp,
		 const struct rtp_info *ri, bool *consumed, uint16_t *reason)
{
	struct td_dtmf_press p;
	int r = td_telev_rx_packet(&s->dtmf.telev, ri->ts, rtp + ri->payload_off, ri->payload_len, now_ms(w), &p);

	*consumed = false;
	if (r == TD_TELEV_MALFORMED) {
		*reason = td_drop_dtmf_malformed;
		return false;
	}
	if (r == TD_TELEV_UNKNOWN) {
		*reason = td_drop_dtmf_unknown_event;
		return false;
	}
	if (r == TD_TELEV_PRESS)
		telev_press(w, s, &p);
	if (s->dtmf.telev.active)
		busy_add(w, s);
	/* Across a transcoding pair the peer's side gets the digit afresh
	 * (its own payload type and timestamps, or tones). */
	if (s->xc) {
		rte_pktmbuf_free(m);
		*consumed = true;
	}
	return true;
}

/* In-band detection on 8 kHz PCM of s; rtp_ts: of the first sample. */
static void
detect(struct td_worker *w, struct td_rtp_session *s, const int16_t *pcm, unsigned int n, uint32_t rtp_ts)
{
	struct td_dtmf_chan *c = s->dtmf.chan;
	struct td_dtmf_digit dg[DTMF_PENDING_MAX];
	uint64_t first = c->det.samples;
	int k = td_dtmf_detect_process(&c->det, pcm, n, dg, DTMF_PENDING_MAX);

	for (int i = 0; i < k; i++) {
		int64_t back = (int64_t)first - (int64_t)dg[i].start;
		uint32_t ts = rtp_ts - (uint32_t)(back * (int64_t)s->p.clock_rate / 8000);
		uint32_t dur_ms = dg[i].duration / 8;
		dtmf_event(w, s, dg[i].digit, TD_DP_DTMF_INBAND, ts, dur_ms, true);
		convert(w, s, dg[i].digit, dur_ms, TD_DP_DTMF_INBAND);
	}
	s->dtmf.tone = c->det.cur != 0 || k > 0;
}

/* The G.711 law of a payload type on s: 'A', 'U', or 0. */
static char
g711_law(const struct td_rtp_session *s, uint8_t pt)
{
	if (s->p.codec[0]) {
		uint8_t cpt = s->p.codec_pt;
		if (strncasecmp(s->p.codec, "PCMA", sizeof(s->p.codec)) == 0)
			return pt == (cpt ? cpt : 8) ? 'A' : 0;
		if (strncasecmp(s->p.codec, "PCMU", sizeof(s->p.codec)) == 0)
			return pt == cpt ? 'U' : 0;
		return 0;
	}
	return pt == 8 ? 'A' : pt == 0 ? 'U' : 0;
}

void
td_dtmf_relay_detect(struct td_worker *w, struct td_rtp_session *s, uint8_t *rtp, const struct rtp_info *ri)
{
	uint8_t *pl = rtp + ri->payload_off;
	char law = g711_law(s, ri->pt);
	int16_t pcm[DTMF_CHUNK];

	if (law == 0 || s->dtmf.chan == NULL || !(s->dtmf.flags & TD_DP_DTMF_DETECT_ON))
		return;
	for (unsigned int off = 0; off < ri->payload_len; off += DTMF_CHUNK) {
		unsigned int k = ri->payload_len - off < DTMF_CHUNK ? ri->payload_len - off : DTMF_CHUNK;
		for (unsigned int i = 0; i < k; i++)
			pcm[i] = law == 'A' ? alaw_to_linear(pl[off + i]) : ulaw_to_linear(pl[off + i]);
		detect(w, s, pcm, k, ri->ts + off);
	}
	if ((s->dtmf.flags & TD_DP_DTMF_DETECT_SUPPRESS) && s->dtmf.tone)
		memset(pl, law == 'A' ? DTMF_SILENCE_A : DTMF_SILENCE_U, ri->payload_len);
}

void
td_dtmf_relay_tones(struct td_worker *w, struct td_rtp_session *s, struct td_rtp_session *b, uint8_t *rtp,
		    const struct rtp_info *ri)
{
	uint8_t *pl = rtp + ri->payload_off;
	char law = g711_law(s, ri->pt);
	int16_t pcm[DTMF_CHUNK];

	if (law == 0 || !out_inband(b) || !out_pending(&b->dtmf.out) || b->dtmf.chan == NULL)
		return;
	for (unsigned int off = 0; off < ri->payload_len; off += DTMF_CHUNK) {
		unsigned int k = ri->payload_len - off < DTMF_CHUNK ? ri->payload_len - off : DTMF_CHUNK;
		unsigned int got = out_tone(&b->dtmf, pcm, k);
		for (unsigned int i = 0; i < got; i++)
			pl[off + i] = law == 'A' ? linear_to_alaw(pcm[i]) : linear_to_ulaw(pcm[i]);
		if (got < k)
			break;
	}
	td_dp_seq_begin(&b->st->seq);
	b->st->dtmf_tx = (uint32_t)b->dtmf.out.sent;
	td_dp_seq_end(&b->st->seq);
	if (!out_pending(&b->dtmf.out))
		chan_follow(w, b);
}

void
td_dtmf_xcode_audio(struct td_worker *w, struct td_rtp_session *s, struct td_xcode *x, unsigned int from,
		    uint32_t rtp_ts, const int16_t *pcm, unsigned int n, uint32_t rate, unsigned int queued)
{
	int16_t buf[DTMF_CHUNK];
	bool tone = false;

	(void)queued;
	if (s->dtmf.chan == NULL || (rate != 8000 && rate != 16000))
		return;
	unsigned int f = rate / 8000;
	for (unsigned int off = 0; off < n;) {
		unsigned int k = (n - off) / f < DTMF_CHUNK ? (n - off) / f : DTMF_CHUNK;
		if (k == 0)
			break;
		/* 16 kHz: pairs averaged, enough of a low-pass below 4 kHz for
		 * tones under 1.7 kHz. */
		for (unsigned int i = 0; i < k; i++)
			buf[i] = f == 1 ? pcm[off + i]
					: (int16_t)(((int32_t)pcm[off + 2 * i] + pcm[off + 2 * i + 1]) / 2);
		detect(w, s, buf, k, rtp_ts + (uint32_t)((uint64_t)off / f * s->p.clock_rate / 8000));
		tone |= s->dtmf.tone;
		off += k * f;
	}
	s->dtmf.tone = tone;
	if ((s->dtmf.flags & TD_DP_DTMF_DETECT_SUPPRESS) && tone) {
		/* Everything not yet sent toward the peer: the tone's first
		 * part, still queued, goes too. */
		struct td_xcode_leg *out = &x->leg[!from];
		memset(out->fifo + out->fifo_r, 0, (size_t)(out->fifo_w - out->fifo_r) * sizeof(int16_t));
	}
}

void
td_dtmf_xcode_pad(struct td_rtp_session *b, struct td_xcode *x, unsigned int to, uint64_t now, uint64_t tsc_hz)
{
	struct td_dtmf_out *o = &b->dtmf.out;
	struct td_xcode_leg *l = &x->leg[to];

	if (!out_pending(o) || td_xcode_ready(x, to) || now < o->pad_tsc || !l->tx_started)
		return;
	if (l->fifo_w + (unsigned int)l->frame > TD_XCODE_FIFO)
		return;
	/* No audio toward b while digits go to it: silence carries them. */
	memset(l->fifo + l->fifo_w, 0, (size_t)l->frame * sizeof(int16_t));
	l->fifo_w = (uint16_t)(l->fifo_w + l->frame);
	o->pad_tsc = now + tsc_hz / 1000 * l->ptime_ms;
}

int
td_dtmf_xcode_frame(struct td_rtp_session *b, struct td_xcode *x, unsigned int to, uint8_t *payload,
		    struct td_xcode_frame *f)
{
	struct td_dtmf_out *o = &b->dtmf.out;
	struct td_xcode_leg *l = &x->leg[to];
	bool start;

	if (!out_pending(o))
		return 0;
	if (out_inband(b)) {
		if (b->dtmf.chan == NULL)
			*o = (struct td_dtmf_out){.sent = o->sent};
		else
			out_tone_pcm(&b->dtmf, l->fifo + l->fifo_r, l->frame, l->pcm_rate);
		return 0;
	}
	int len = out_event_next(o, l->ts_step, l->clock, l->ptime_ms, payload, &start);
	if (len == 0)
		return 0;
	td_xcode_skip(x, to, f);
	if (start)
		o->ev_ts = f->ts;
	/* §2.5.1.2: every packet of an event carries its start time; the
	 * marker on the first. */
	f->ts = o->ev_ts;
	f->pt = b->p.tel_event_pt;
	f->marker = o->first;
	o->first = false;
	return len;
}

/* RFC 4733 packets toward b's remote on a relay pair, in b's stream. */
static unsigned int
relay_event_tick(struct td_worker *w, struct td_rtp_session *b, uint64_t now)
{
	struct td_dtmf_out *o = &b->dtmf.out;
	uint8_t pl[4];
	bool start;

	if (b->peer == TD_RTP_NO_PEER) {
		*o = (struct td_dtmf_out){.sent = o->sent};
		return 0;
	}
	uint32_t step = b->p.clock_rate / 1000 * TD_DTMF_TICK_MS;
	if (out_event_next(o, step, b->p.clock_rate, TD_DTMF_TICK_MS, pl, &start) == 0)
		return 0;
	struct td_rtp_tx *tx = &b->tx;
	uint64_t hz = w->rtp->tsc_hz;
	if (!tx->init) {
		/* Nothing relayed toward b yet: the events start its stream,
		 * and what is relayed later continues it as a new source. */
		tx->init = true;
		tx->in_ssrc = 0;
		if (tx->out_ssrc == 0)
			tx->out_ssrc = b->id * 2654435761u;
		tx->last_seq = (uint16_t)(b->id * 40503u);
		tx->last_ts = (uint32_t)(now / (hz / b->p.clock_rate));
		tx->last_tsc = now;
	}
	if (start)
		o->ev_ts = tx->last_ts + (uint32_t)((now - tx->last_tsc) * b->p.clock_rate / hz);
	struct td_rtp_session *s = &w->rtp->s[b->peer];
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->media->mp);
	if (m == NULL) {
		w->st->drops[td_drop_dtmf_no_mbuf]++;
		return 0;
	}
	/* One sequence number more in b's stream: relayed packets after it
	 * move on by one. */
	tx->last_seq++;
	tx->seq_delta++;
	uint8_t *pkt = rte_pktmbuf_mtod(m, uint8_t *);
	struct rtp_hdr *h = (struct rtp_hdr *)pkt;
	h->vpxcc = RTP_VERSION << 6;
	h->mpt = (uint8_t)((o->first ? 0x80 : 0) | b->p.tel_event_pt);
	h->seq = rte_cpu_to_be_16(tx->last_seq);
	h->ts = rte_cpu_to_be_32(o->ev_ts);
	h->ssrc = rte_cpu_to_be_32(tx->out_ssrc);
	memcpy(pkt + RTP_HDR_LEN, pl, sizeof(pl));
	rte_pktmbuf_append(m, RTP_HDR_LEN + sizeof(pl));
	o->first = false;
	td_dp_seq_begin(&s->st->seq);
	bool ok = td_rtp_send(w, s, b->tx_port, m);
	td_dp_seq_end(&s->st->seq);
	if (!ok)
		return 0;
	td_dp_seq_begin(&b->st->seq);
	b->st->dtmf_tx = (uint32_t)o->sent;
	b->st->tx_ssrc = tx->out_ssrc;
	b->st->rtp_tx_pkts++;
	b->st->rtp_tx_bytes += RTP_HDR_LEN + sizeof(pl);
	td_dp_seq_end(&b->st->seq);
	return 1;
}

unsigned int
td_dtmf_tick(struct td_worker *w, uint64_t now)
{
	struct td_dtmf_ctx *c = ctx_of(w);
	unsigned int sent = 0;

	if (c == NULL || c->n_busy == 0 || now < c->next_tick)
		return 0;
	c->next_tick = now + c->tick_tsc;
	uint64_t ms = now / (c->tsc_hz / 1000);
	td_dp_seq_begin(&w->st->seq);
	for (uint32_t i = 0; i < c->n_busy;) {
		struct td_rtp_session *s = &w->rtp->s[c->busy[i]];
		struct td_dtmf_press p;
		if (s->dtmf.telev.active) {
			td_dp_seq_begin(&s->st->seq);
			if (td_telev_rx_tick(&s->dtmf.telev, ms, &p) == TD_TELEV_PRESS)
				telev_press(w, s, &p);
			td_dp_seq_end(&s->st->seq);
		}
		/* Takes the stats sequences it needs itself. */
		if (s->xc == NULL && !out_inband(s) && out_pending(&s->dtmf.out))
			sent += relay_event_tick(w, s, now);
		if (!s->dtmf.telev.active && !(s->xc == NULL && !out_inband(s) && out_pending(&s->dtmf.out))) {
			c->busy[i] = c->busy[--c->n_busy];
			s->dtmf.busy = false;
			continue;
		}
		i++;
	}
	td_dp_seq_end(&w->st->seq);
	return sent;
}

/* The session an id names on this worker, or NULL with *err. */
static struct td_rtp_session *
sess_of(struct td_worker *w, uint32_t id, int *err)
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

static bool
g711_or_none(const struct td_rtp_session *s)
{
	return s->p.codec[0] == '\0' || strncasecmp(s->p.codec, "PCMA", sizeof(s->p.codec)) == 0 ||
	       strncasecmp(s->p.codec, "PCMU", sizeof(s->p.codec)) == 0;
}

static int
ctl_dtmf_detect(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	int ret;
	struct td_rtp_session *s = sess_of(w, cmd->dtmf_detect.session, &ret);
	uint32_t flags = cmd->dtmf_detect.flags;

	if (s == NULL)
		return ret;
	if (flags & ~(uint32_t)(TD_DP_DTMF_DETECT_ON | TD_DP_DTMF_DETECT_SUPPRESS))
		return -EINVAL;
	if ((flags & TD_DP_DTMF_DETECT_ON) && s->xc == NULL && !g711_or_none(s))
		return -EOPNOTSUPP; /* a relay session is decoded for G.711 only */
	uint8_t old = s->dtmf.flags;
	s->dtmf.flags = (uint8_t)flags;
	chan_follow(w, s);
	if ((flags & TD_DP_DTMF_DETECT_ON) && s->dtmf.chan == NULL) {
		s->dtmf.flags = old;
		return -ENOSPC;
	}
	td_dp_seq_begin(&s->st->seq);
	s->st->dtmf_detect = s->dtmf.flags;
	td_dp_seq_end(&s->st->seq);
	ack->ack.session = s->id;
	return 0;
}

static int
ctl_dtmf_send(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	const struct td_dp_cmd_dtmf_send *c = &cmd->dtmf_send;
	int ret;
	struct td_rtp_session *s = sess_of(w, c->session, &ret);
	uint16_t dur = c->duration_ms ? c->duration_ms : TD_DTMF_DURATION_MS;
	uint16_t pause = c->pause_ms ? c->pause_ms : TD_DTMF_PAUSE_MS;
	size_t len = strnlen(c->digits, sizeof(c->digits));

	if (s == NULL)
		return ret;
	if (len == 0 || dur < TD_DTMF_DURATION_MIN || dur > TD_DTMF_DURATION_MAX || pause > TD_DTMF_DURATION_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (event_code(c->digits[i]) < 0 || (out_inband(s) && c->digits[i] == '!'))
			return -EINVAL;
	if (s->peer == TD_RTP_NO_PEER)
		return -ENOTCONN; /* what goes to its remote comes from its peer */
	if (out_inband(s) && s->xc == NULL && !g711_or_none(s))
		return -EOPNOTSUPP;
	struct td_dtmf_out *o = &s->dtmf.out;
	if (o->n + len > TD_DTMF_OUT_MAX)
		return -EBUSY;
	for (size_t i = 0; i < len; i++)
		out_push(o, c->digits[i], dur, pause);
	chan_follow(w, s);
	if (out_inband(s) && s->dtmf.chan == NULL) {
		o->n = (uint8_t)(o->n - len);
		return -ENOSPC;
	}
	if (!out_inband(s) && s->xc == NULL)
		busy_add(w, s);
	ack->ack.session = s->id;
	ack->ack.count = (uint32_t)len;
	return 0;
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_DTMF_DETECT, ctl_dtmf_detect)
TD_CTL_CMD_REGISTER(TD_DP_CMD_DTMF_SEND, ctl_dtmf_send)
