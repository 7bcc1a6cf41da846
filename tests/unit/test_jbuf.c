/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The adaptive jitter buffer (dataplane/media/jbuf.c) against simulated
 * streams: a 20 ms tick on our clock, a sender of 8 kHz 20 ms frames whose
 * payload encodes the frame index, so that order and continuity can be
 * checked frame by frame. In order, reordered, lossy, jittered, with the
 * sender's clock 2 % fast or slow over ten minutes, across sequence and
 * timestamp wrap, source changes, silence, duplicates and bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/media/jbuf.h"

#define RATE	   8000
#define FRAME	   160 /* 20 ms at 8 kHz */
#define MS	   (RATE / 1000)
#define PAYLOAD	   160
#define NO_FRAME   UINT32_MAX
#define OUT_MAX	   40000
#define ARENA_SIZE (256 * 1024)

static _Alignas(64) uint8_t arena[ARENA_SIZE];

static struct td_jbuf *
jb_make(uint16_t min_ms, uint16_t max_ms)
{
	struct td_jbuf_cfg cfg = {
		.clock_rate = RATE, .frame_ticks = FRAME, .min_delay_ms = min_ms, .max_delay_ms = max_ms};
	size_t size = td_jbuf_size(&cfg);
	assert_true(size > 0 && size <= sizeof(arena));
	memset(arena, 0xa5, size); /* init must not rely on zeroed memory */
	assert_int_equal(td_jbuf_init(arena, size, &cfg), 0);
	return (struct td_jbuf *)arena;
}

/* Frame k's payload: k in the first four bytes, a k-dependent pattern after. */
static void
payload_fill(uint8_t *p, uint32_t k)
{
	memcpy(p, &k, 4);
	for (int i = 4; i < PAYLOAD; i++)
		p[i] = (uint8_t)(k * 7 + i);
}

static uint32_t
payload_frame(const struct td_jbuf_frame *f)
{
	uint32_t k;
	assert_int_equal(f->len, PAYLOAD);
	memcpy(&k, f->payload, 4);
	for (int i = 4; i < PAYLOAD; i++)
		assert_int_equal(f->payload[i], (uint8_t)(k * 7 + i));
	return k;
}

static int
put_frame(struct td_jbuf *jb, uint16_t seq0, uint32_t ts0, uint32_t k, uint64_t arrival)
{
	uint8_t p[PAYLOAD];
	payload_fill(p, k);
	return td_jbuf_put(jb, (uint16_t)(seq0 + k), ts0 + k * FRAME, false, p, sizeof(p), arrival);
}

static uint64_t rng_state;

static uint32_t
rng(void)
{
	/* xorshift64*: deterministic for a seed, good enough for arrivals */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

/* ---- a simulated stream ------------------------------------------------ */

struct sim {
	/* the sender */
	uint32_t n; /* frames sent */
	uint16_t seq0;
	uint32_t ts0;
	double period;	       /* our clock units between two frames sent: FRAME / (1 + drift) */
	uint32_t offset;       /* arrival of frame 0 when undelayed */
	uint32_t jitter_ms;    /* each arrival delayed by uniform [0, jitter_ms] ms ... */
	uint32_t jitter_until; /* ... for frames below this index */
	uint32_t loss_pct;     /* frames lost at random, this percent */
	bool swap;	       /* frames 2i and 2i+1 arrive in swapped order */
	uint64_t seed;
	uint16_t min_ms, max_ms;
	uint32_t ticks; /* gets, one every FRAME from time 0 */

	/* what happened */
	struct td_jbuf *jb;
	bool lost_pkt[OUT_MAX];
	uint64_t arrival[OUT_MAX];
	int res[OUT_MAX];
	uint32_t frame[OUT_MAX]; /* FRAME: the frame index; LOST: the frame by ts */
	bool inserted[OUT_MAX];
	uint32_t delay_ms[OUT_MAX], target_ms[OUT_MAX];
	int first;		/* first tick that played */
	uint32_t put_errors[8]; /* by -errno class: late, duplicate, other */
};

static struct sim S;

static int
by_arrival(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (S.arrival[x] != S.arrival[y])
		return S.arrival[x] < S.arrival[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void
sim_run(struct sim *s)
{
	static uint32_t order[OUT_MAX];
	uint32_t next = 0;

	assert_true(s->n <= OUT_MAX && s->ticks <= OUT_MAX);
	rng_state = s->seed ? s->seed : 1;
	s->jb = jb_make(s->min_ms, s->max_ms);
	for (uint32_t k = 0; k < s->n; k++) {
		uint32_t send_k = s->swap ? (k ^ 1) : k;
		double a = s->offset + send_k * s->period;
		if (k < s->jitter_until && s->jitter_ms)
			a += rng() % (s->jitter_ms * MS + 1);
		s->arrival[k] = (uint64_t)a;
		s->lost_pkt[k] = s->loss_pct && rng() % 100 < s->loss_pct;
		order[k] = k;
	}
	qsort(order, s->n, sizeof(order[0]), by_arrival);

	s->first = -1;
	for (uint32_t m = 0; m < s->ticks; m++) {
		uint64_t now = (uint64_t)m * FRAME;
		while (next < s->n && s->arrival[order[next]] <= now) {
			uint32_t k = order[next++];
			if (s->lost_pkt[k])
				continue;
			int rc = put_frame(s->jb, s->seq0, s->ts0, k, s->arrival[k]);
			if (rc == -ETIME)
				s->put_errors[0]++;
			else if (rc == -EEXIST)
				s->put_errors[1]++;
			else if (rc != 0)
				s->put_errors[2]++;
		}
		struct td_jbuf_frame f;
		struct td_jbuf_stats st;
		s->res[m] = td_jbuf_get(s->jb, now, &f);
		s->frame[m] = NO_FRAME;
		s->inserted[m] = f.inserted;
		if (s->res[m] == TD_JBUF_FRAME) {
			s->frame[m] = payload_frame(&f);
			assert_int_equal(f.ts, s->ts0 + s->frame[m] * FRAME);
			assert_int_equal(f.seq, (uint16_t)(s->seq0 + s->frame[m]));
		} else if (s->res[m] == TD_JBUF_LOST) {
			s->frame[m] = (f.ts - s->ts0) / FRAME;
		}
		if (s->first < 0 && s->res[m] != TD_JBUF_EMPTY)
			s->first = (int)m;
		td_jbuf_stats(s->jb, &st);
		s->delay_ms[m] = st.delay_ms;
		s->target_ms[m] = st.target_ms;
	}
}

/* The tick that played the last frame sent. */
static int
sim_last_tick(const struct sim *s)
{
	for (int m = (int)s->ticks - 1; m >= 0; m--)
		if (s->res[m] != TD_JBUF_EMPTY && s->frame[m] == s->n - 1 && !s->inserted[m])
			return m;
	return -1;
}

/* Ticks in [from, to] that returned res (LOST: only those not inserted). */
static uint32_t
sim_count(const struct sim *s, int from, int to, int res)
{
	uint32_t n = 0;
	for (int m = from; m <= to; m++)
		n += s->res[m] == res && !(res == TD_JBUF_LOST && s->inserted[m]);
	return n;
}

/* From the first play to the last frame: one output per tick, never EMPTY;
 * frames strictly in order. Returns the frames played. */
static uint32_t
sim_check_continuous(const struct sim *s)
{
	int last = sim_last_tick(s);
	uint32_t played = 0, prev = NO_FRAME;

	assert_true(s->first >= 0);
	assert_true(last > s->first);
	assert_int_equal(s->put_errors[2], 0);
	for (int m = s->first; m <= last; m++) {
		assert_int_not_equal(s->res[m], TD_JBUF_EMPTY);
		if (s->res[m] != TD_JBUF_FRAME)
			continue;
		if (prev != NO_FRAME)
			assert_true(s->frame[m] > prev);
		prev = s->frame[m];
		played++;
	}
	return played;
}

/* ---- 1. in order, no jitter -------------------------------------------- */

static void
test_in_order(void **state)
{
	(void)state;
	struct td_jbuf_stats st;

	memset(&S, 0, sizeof(S));
	S.n = 500;
	S.seq0 = 1000;
	S.ts0 = 123456;
	S.period = FRAME;
	S.offset = 37; /* not on a tick */
	S.ticks = 540;
	sim_run(&S);

	/* Play starts once frame 0 has waited the minimum delay (20 ms),
	 * at the first tick from then on. */
	uint64_t start = (uint64_t)S.first * FRAME;
	assert_true(start >= S.arrival[0] + 20 * MS);
	assert_true(start < S.arrival[0] + 20 * MS + FRAME);
	for (uint32_t k = 0; k < S.n; k++) {
		assert_int_equal(S.res[S.first + k], TD_JBUF_FRAME);
		assert_int_equal(S.frame[S.first + k], k);
		assert_int_equal(S.delay_ms[S.first + k], (start - S.arrival[0]) / MS);
	}
	td_jbuf_stats(S.jb, &st);
	assert_int_equal(st.put, S.n);
	assert_int_equal(st.got, S.n);
	assert_int_equal(st.late + st.duplicate + st.overflow + st.skipped_for_drift + st.skipped_for_delay +
				 st.inserted_for_drift + st.inserted_for_delay,
			 0);
	assert_int_equal(st.target_ms, 20);
	/* After the last frame: concealment while the stream may come back,
	 * then the buffer stops (max delay without a packet). */
	int after = S.first + (int)S.n;
	assert_int_equal(S.res[after], TD_JBUF_LOST);
	assert_int_equal(S.res[S.ticks - 1], TD_JBUF_EMPTY);
	assert_int_equal(st.underrun, 1);
	uint32_t conceal = 0;
	for (uint32_t m = (uint32_t)after; m < S.ticks; m++)
		conceal += (uint64_t)m * FRAME - S.arrival[S.n - 1] <= 200 * MS;
	assert_true(conceal >= 5);
	assert_int_equal(st.lost, conceal);
	assert_int_equal(sim_count(&S, after, (int)S.ticks - 1, TD_JBUF_LOST), conceal);
}

/* ---- 2. reordering ----------------------------------------------------- */

static void
test_reorder_swap(void **state)
{
	(void)state;
	struct td_jbuf_stats st;

	memset(&S, 0, sizeof(S));
	S.n = 1000;
	S.period = FRAME;
	S.offset = 50;
	S.swap = true;
	S.ticks = 1040;
	sim_run(&S);
	for (uint32_t k = 0; k < S.n; k++) {
		assert_int_equal(S.res[S.first + k], TD_JBUF_FRAME);
		assert_int_equal(S.frame[S.first + k], k);
	}
	td_jbuf_stats(S.jb, &st);
	assert_int_equal(st.got, S.n);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.skipped_for_drift + st.skipped_for_delay, 0);
}

static void
test_reorder_random(void **state)
{
	(void)state;
	struct td_jbuf_stats st;

	/* Each packet displaced by up to 60 ms: within a 60 ms minimum delay
	 * nothing is late or lost. */
	memset(&S, 0, sizeof(S));
	S.n = 3000;
	S.period = FRAME;
	S.offset = 11;
	S.jitter_ms = 60;
	S.jitter_until = S.n;
	S.min_ms = 60;
	S.seed = 42;
	S.ticks = 3040;
	sim_run(&S);
	uint32_t played = sim_check_continuous(&S);
	td_jbuf_stats(S.jb, &st);
	assert_int_equal(st.put, S.n);
	assert_int_equal(st.late, 0);
	assert_int_equal(sim_count(&S, S.first, sim_last_tick(&S), TD_JBUF_LOST), 0);
	/* Every frame was played, or dropped to shorten the delay when the
	 * first packets happened to come late (counted). */
	assert_int_equal(played + st.skipped_for_delay + st.skipped_for_drift, S.n);
	assert_true(st.skipped_for_delay + st.skipped_for_drift <= 3);
	for (uint32_t m = (uint32_t)S.first; m < S.ticks; m++)
		assert_true(S.target_ms[m] >= 60 && S.target_ms[m] <= 200);
}

/* ---- 3. loss ----------------------------------------------------------- */

static void
test_loss(void **state)
{
	(void)state;
	struct td_jbuf_stats st;
	uint32_t missing = 0;

	memset(&S, 0, sizeof(S));
	S.n = 3000;
	S.seq0 = 7;
	S.ts0 = 999;
	S.period = FRAME;
	S.offset = 90;
	S.loss_pct = 5;
	S.seed = 2024;
	S.ticks = 3010;
	sim_run(&S);

	/* One output per tick from the first frame to the last; LOST exactly
	 * at the missing frames, with their timestamps and sequence numbers. */
	uint32_t first_k = 0;
	while (S.lost_pkt[first_k])
		first_k++;
	uint32_t last_k = S.n - 1;
	while (S.lost_pkt[last_k])
		last_k--;
	for (uint32_t k = first_k; k <= last_k; k++) {
		int m = S.first + (int)(k - first_k);
		assert_int_equal(S.frame[m], k);
		assert_int_equal(S.res[m], S.lost_pkt[k] ? TD_JBUF_LOST : TD_JBUF_FRAME);
		assert_false(S.inserted[m]);
		missing += S.lost_pkt[k];
	}
	td_jbuf_stats(S.jb, &st);
	assert_true(missing > 100 && missing < 200); /* about 5 % of 3000 */
	assert_int_equal(st.got, S.n - (first_k) - (S.n - 1 - last_k) - missing);
	assert_int_equal(st.late + st.skipped_for_drift + st.skipped_for_delay + st.inserted_for_drift +
				 st.inserted_for_delay,
			 0);
	assert_int_equal(st.underrun, 0); /* the run ends while still concealing */
}

static void
test_loss_seq_prediction(void **state)
{
	(void)state;
	struct td_jbuf *jb = jb_make(0, 0);
	struct td_jbuf_frame f;
	uint32_t k;

	/* Frames 0..9 but 3 and 4, each on time: LOST for 3 and 4 carries
	 * the sequence numbers and timestamps they would have had. */
	for (k = 0; k < 10; k++)
		if (k != 3 && k != 4)
			assert_int_equal(put_frame(jb, 65534, 5, k, k * FRAME), 0);
	uint64_t now = 20 * MS;
	for (k = 0; k < 10; k++, now += FRAME) {
		int r = td_jbuf_get(jb, now, &f);
		assert_int_equal(r, k == 3 || k == 4 ? TD_JBUF_LOST : TD_JBUF_FRAME);
		assert_int_equal(f.seq, (uint16_t)(65534 + k));
		assert_int_equal(f.ts, 5 + k * FRAME);
	}
}

/* ---- 4. jitter --------------------------------------------------------- */

static void
test_jitter_adapts(void **state)
{
	(void)state;
	struct td_jbuf_stats st;

	/* Five minutes with arrivals delayed by 0-80 ms, then a minute
	 * without jitter. */
	memset(&S, 0, sizeof(S));
	S.n = 18000;
	S.period = FRAME;
	S.offset = 3;
	S.jitter_ms = 80;
	S.jitter_until = 15000;
	S.seed = 77;
	S.ticks = 18040;
	sim_run(&S);
	sim_check_continuous(&S);
	td_jbuf_stats(S.jb, &st);

	print_message("jitter: target %u ms after 2 s, %u ms after 1 min, %u ms at 5 min; %u ms 1 s and %u ms 60 s "
		      "after; late %lu of %u; inserted %lu+%lu skipped %lu+%lu (drift+delay)\n",
		      S.target_ms[S.first + 100], S.target_ms[S.first + 3000], S.target_ms[S.first + 14990],
		      S.target_ms[S.first + 15050], S.target_ms[S.first + 17990], (unsigned long)st.late, S.n,
		      (unsigned long)st.inserted_for_drift, (unsigned long)st.inserted_for_delay,
		      (unsigned long)st.skipped_for_drift, (unsigned long)st.skipped_for_delay);
	/* Up fast: the target covers the jitter within two seconds. */
	int m = S.first + 100;
	assert_true(S.target_ms[m] >= 75 && S.target_ms[m] <= 100);
	assert_true(st.inserted_for_delay >= 3);
	uint32_t tmax = 0;
	for (m = S.first + 100; m < S.first + 15000; m++)
		if (S.target_ms[m] > tmax)
			tmax = S.target_ms[m];
	assert_true(tmax <= 110);
	/* Few late packets: only before the target rose. */
	assert_true(st.late * 100 < S.n);
	assert_true(st.late > 0);
	/* Down slowly once the jitter is gone: still high after a second, near
	 * the minimum after a minute. */
	m = S.first + 15000 + 50;
	assert_true(S.target_ms[m] >= 50);
	m = S.first + 17990;
	assert_true(S.target_ms[m] <= 22);
	assert_true(S.delay_ms[m] >= 20 && S.delay_ms[m] < 20 + 20 + 6);
	assert_true(st.skipped_for_delay >= 2);
}

/* ---- 5. clock drift ---------------------------------------------------- */

static void
drift(double ppm_ratio, bool fast)
{
	struct td_jbuf_stats st;

	/* Ten minutes of our ticks; the sender's frames come 2 % more or less
	 * often than ours. */
	memset(&S, 0, sizeof(S));
	S.ticks = 30000;
	S.period = FRAME / ppm_ratio;
	S.n = (uint32_t)((S.ticks - 10) * FRAME / S.period);
	S.offset = 70;
	S.seq0 = 40000;
	S.ts0 = 0xfff00000u; /* wraps too */
	sim_run(&S);
	uint32_t played = sim_check_continuous(&S);
	td_jbuf_stats(S.jb, &st);

	int last = sim_last_tick(&S);
	for (int m = S.first; m <= last; m++) {
		assert_true(S.delay_ms[m] >= 20 && S.delay_ms[m] <= 200);
		if (S.res[m] == TD_JBUF_LOST)
			assert_true(S.inserted[m]); /* only added frames, nothing missing */
	}
	assert_int_equal(st.late, 0);
	assert_int_equal(sim_count(&S, S.first, last, TD_JBUF_LOST), 0);
	/* 2 % of 30000 ticks is 600 frames. */
	uint64_t want = fast ? st.skipped_for_drift : st.inserted_for_drift;
	uint64_t other = fast ? st.inserted_for_drift : st.skipped_for_drift;
	print_message("drift %s: skipped %lu+%lu inserted %lu+%lu (drift+delay)\n", fast ? "+2%" : "-2%",
		      (unsigned long)st.skipped_for_drift, (unsigned long)st.skipped_for_delay,
		      (unsigned long)st.inserted_for_drift, (unsigned long)st.inserted_for_delay);
	assert_true(want >= 570 && want <= 630);
	assert_true(other <= 3);
	assert_true(st.skipped_for_delay + st.inserted_for_delay <= 3);
	assert_int_equal(played + st.skipped_for_drift + st.skipped_for_delay, S.n);
}

static void
test_drift_fast(void **state)
{
	(void)state;
	drift(1.02, true);
}

static void
test_drift_slow(void **state)
{
	(void)state;
	drift(0.98, false);
}

/* ---- 6. edges ---------------------------------------------------------- */

static void
test_empty_before_put(void **state)
{
	(void)state;
	struct td_jbuf *jb = jb_make(0, 0);
	struct td_jbuf_frame f;
	struct td_jbuf_stats st;

	for (uint64_t now = 0; now < 100 * FRAME; now += FRAME)
		assert_int_equal(td_jbuf_get(jb, now, &f), TD_JBUF_EMPTY);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.put + st.got + st.lost + st.underrun, 0);
	assert_int_equal(st.target_ms, 20);
	assert_int_equal(st.delay_ms, 0);
}

static void
test_wraparound(void **state)
{
	(void)state;
	struct td_jbuf_stats st;

	/* Sequence numbers wrap after 36 frames, timestamps after 100,
	 * with adjacent packets swapped across both wraps. */
	memset(&S, 0, sizeof(S));
	S.n = 300;
	S.seq0 = 65500;
	S.ts0 = 0u - 100 * FRAME;
	S.period = FRAME;
	S.offset = 20;
	S.swap = true;
	S.ticks = 340;
	sim_run(&S);
	for (uint32_t k = 0; k < S.n; k++) {
		assert_int_equal(S.res[S.first + k], TD_JBUF_FRAME);
		assert_int_equal(S.frame[S.first + k], k);
	}
	td_jbuf_stats(S.jb, &st);
	assert_int_equal(st.got, S.n);
	assert_int_equal(st.resync + st.late + st.duplicate + st.overflow, 0);
}

static void
test_resync_on_jump(void **state)
{
	(void)state;
	struct td_jbuf *jb = jb_make(0, 0);
	struct td_jbuf_frame f;
	struct td_jbuf_stats st;
	uint64_t now = 0;
	uint32_t k, expect = 1000;

	/* Stream A, frames 0..49, played in step with arrivals. */
	for (k = 0; k < 50; k++, now += FRAME) {
		assert_int_equal(put_frame(jb, 100, 1000, k, now), 0);
		td_jbuf_get(jb, now, &f);
	}
	/* A new source: other SSRC, timestamps 5 s away, sequence random.
	 * The buffer restarts on it: nothing to play while it fills, then
	 * B in order from its first frame. */
	for (k = 1000; k < 1050; k++, now += FRAME) {
		/* frame 1000 at 41000, 4 s of timestamps after A's last */
		assert_int_equal(put_frame(jb, 9, 41000 - 1000 * FRAME, k, now), 0);
		int r = td_jbuf_get(jb, now, &f);
		if (k == 1000)
			assert_int_equal(r, TD_JBUF_EMPTY);
		else
			assert_int_equal(r, TD_JBUF_FRAME);
		if (r == TD_JBUF_FRAME)
			assert_int_equal(payload_frame(&f), expect++);
	}
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.resync, 1);
	assert_int_equal(st.flushed, 1); /* A's last frame, counted */
	assert_int_equal(st.got, 49 + 49);
	assert_int_equal(st.late + st.lost, 0);

	/* A jump backwards past a second is a new stream too. */
	uint8_t p[PAYLOAD] = {1};
	assert_int_equal(td_jbuf_put(jb, 500, 41000 + 50 * FRAME - 2 * RATE, false, p, sizeof(p), now), 0);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.resync, 2);
	assert_int_equal(st.flushed, 2);
}

static void
test_far_ahead(void **state)
{
	(void)state;
	struct td_jbuf *jb = jb_make(0, 0);
	struct td_jbuf_frame f;
	struct td_jbuf_stats st;
	uint8_t p[PAYLOAD];
	uint64_t now = 0;
	uint32_t k;

	for (k = 0; k < 10; k++, now += FRAME) {
		assert_int_equal(put_frame(jb, 0, 0, k, now), 0);
		td_jbuf_get(jb, now, &f);
	}
	/* 0.8 s ahead: past the buffer (32 frames, 0.64 s), under a second.
	 * One such packet alone is refused (seq gap, no marker)... */
	assert_int_equal(put_frame(jb, 0, 0, 50, now), -ENOBUFS);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.overflow, 1);
	assert_int_equal(st.resync, 0);
	/* ... and the stream goes on. */
	assert_int_equal(put_frame(jb, 0, 0, 10, now), 0);
	/* Two in a row move the buffer to them. */
	assert_int_equal(put_frame(jb, 0, 0, 45, now), -ENOBUFS);
	assert_int_equal(put_frame(jb, 0, 0, 46, now), 0);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.overflow, 2);
	assert_int_equal(st.resync, 1);
	/* A talkspurt (marker) that far ahead moves it at once. */
	payload_fill(p, 86);
	assert_int_equal(td_jbuf_put(jb, 200, 86 * FRAME, true, p, sizeof(p), now), 0);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.overflow, 2);
	assert_int_equal(st.resync, 2);
	/* And a sequence number without a gap means silence, not loss. */
	payload_fill(p, 126);
	assert_int_equal(td_jbuf_put(jb, 201, 126 * FRAME, false, p, sizeof(p), now), 0);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.resync, 3);
	now += 20 * MS;
	assert_int_equal(td_jbuf_get(jb, now, &f), TD_JBUF_FRAME);
	assert_int_equal(payload_frame(&f), 126);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.flushed, 1 + 1 + 1 + 1); /* 9 and 10, 46, 86 */
}

static void
test_duplicates_and_late(void **state)
{
	(void)state;
	struct td_jbuf *jb = jb_make(0, 0);
	struct td_jbuf_frame f;
	struct td_jbuf_stats st;
	uint64_t now = 0;

	assert_int_equal(put_frame(jb, 0, 0, 0, 0), 0);
	assert_int_equal(put_frame(jb, 0, 0, 0, 0), -EEXIST); /* buffered */
	assert_int_equal(put_frame(jb, 0, 0, 1, FRAME), 0);
	assert_int_equal(put_frame(jb, 0, 0, 3, 3 * FRAME), 0); /* 2 missing */
	now = 20 * MS;
	assert_int_equal(td_jbuf_get(jb, now, &f), TD_JBUF_FRAME);
	assert_int_equal(put_frame(jb, 0, 0, 0, now), -EEXIST); /* played already */
	assert_int_equal(td_jbuf_get(jb, now += FRAME, &f), TD_JBUF_FRAME);
	assert_int_equal(td_jbuf_get(jb, now += FRAME, &f), TD_JBUF_LOST);
	assert_int_equal(f.ts, 2 * FRAME);
	assert_false(f.inserted);
	assert_int_equal(td_jbuf_get(jb, now += FRAME, &f), TD_JBUF_FRAME);
	assert_int_equal(payload_frame(&f), 3);
	assert_int_equal(put_frame(jb, 0, 0, 2, now), -ETIME); /* concealed already */
	assert_int_equal(put_frame(jb, 0, 0, 1, now), -EEXIST);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.put, 3);
	assert_int_equal(st.duplicate, 3);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.got, 3);
	assert_int_equal(st.lost, 1);
}

static void
test_bad_input(void **state)
{
	(void)state;
	struct td_jbuf_cfg cfg = {.clock_rate = RATE, .frame_ticks = FRAME, .max_payload = 100};
	struct td_jbuf_stats st;
	uint8_t p[200] = {0};

	size_t size = td_jbuf_size(&cfg);
	assert_true(size > 0 && size < sizeof(arena));
	assert_int_equal(td_jbuf_init(arena, size - 1, &cfg), -ENOBUFS);
	assert_int_equal(td_jbuf_init(arena + 4, size, &cfg), -EINVAL);
	assert_int_equal(td_jbuf_init(arena, size, &cfg), 0);
	struct td_jbuf *jb = (struct td_jbuf *)arena;

	assert_int_equal(td_jbuf_put(jb, 1, 1, false, p, 101, 0), -EMSGSIZE);
	assert_int_equal(td_jbuf_put(jb, 1, 1, false, p, 100, 0), 0);
	assert_int_equal(td_jbuf_put(jb, 2, 1 + FRAME, false, NULL, 10, 0), -EINVAL);
	assert_int_equal(td_jbuf_put(jb, 2, 1 + FRAME, false, p, 0, 0), -EINVAL);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.oversize, 1);
	assert_int_equal(st.invalid, 2);
	assert_int_equal(st.put, 1);

	struct td_jbuf_cfg bad[] = {
		{.clock_rate = 0, .frame_ticks = FRAME},
		{.clock_rate = RATE, .frame_ticks = 0},
		{.clock_rate = RATE, .frame_ticks = RATE + 1},
		{.clock_rate = RATE, .frame_ticks = FRAME, .min_delay_ms = 300, .max_delay_ms = 200},
		{.clock_rate = RATE, .frame_ticks = 8, .max_delay_ms = 2000}, /* 2000 frames */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(td_jbuf_size(&bad[i]), 0);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(td_jbuf_init(arena, sizeof(arena), &bad[i]), -EINVAL);
	}
	assert_int_equal(td_jbuf_size(NULL), 0);
	/* Opus at 48 kHz: 960 per 20 ms frame, the defaults fit. */
	struct td_jbuf_cfg opus = {.clock_rate = 48000, .frame_ticks = 960};
	assert_true(td_jbuf_size(&opus) > 0);
}

static void
test_silence_is_not_loss(void **state)
{
	(void)state;
	struct td_jbuf *jb = jb_make(100, 0);
	struct td_jbuf_frame f;
	struct td_jbuf_stats st;
	uint8_t p[PAYLOAD];
	uint64_t now = 0;
	int frames = 0, silent = 0;

	/* Frames 0..9, then the sender is silent for frames 10..14 (RFC 3551
	 * §4.1: the timestamp jumps, the sequence number does not), then a
	 * talkspurt from frame 15 with the marker bit. */
	for (uint32_t k = 0; k < 25; k++, now += FRAME) {
		if (k < 10 || k >= 15) {
			uint16_t seq = (uint16_t)(k < 10 ? k : k - 5);
			payload_fill(p, k);
			assert_int_equal(td_jbuf_put(jb, seq, k * FRAME, k == 15, p, sizeof(p), now), 0);
		}
		int r = td_jbuf_get(jb, now, &f);
		if (r == TD_JBUF_FRAME)
			frames++;
		if (r == TD_JBUF_EMPTY && frames > 0)
			silent++;
		if (r == TD_JBUF_FRAME && payload_frame(&f) == 15)
			assert_true(f.marker);
	}
	td_jbuf_stats(jb, &st);
	/* The talkspurt's first packet came 100 ms before its frame was due:
	 * the gap is known as silence by then, and nothing is concealed. */
	assert_int_equal(st.silent, 5);
	assert_int_equal(st.lost, 0);
	assert_int_equal(silent, 5);
	assert_int_equal(frames, 25 - 5 - 5);
	assert_int_equal(st.resync, 0);
}

static void
test_stream_stops_and_resumes(void **state)
{
	(void)state;
	struct td_jbuf *jb = jb_make(0, 0);
	struct td_jbuf_frame f;
	struct td_jbuf_stats st;
	uint64_t now = 0;
	uint32_t k;

	for (k = 0; k < 20; k++, now += FRAME) {
		assert_int_equal(put_frame(jb, 0, 0, k, now), 0);
		td_jbuf_get(jb, now, &f);
	}
	/* Nothing for 0.5 s: concealment for the maximum delay, then nothing. */
	int lost = 0, empty = 0;
	for (int i = 0; i < 25; i++, now += FRAME) {
		int r = td_jbuf_get(jb, now, &f);
		lost += r == TD_JBUF_LOST;
		empty += r == TD_JBUF_EMPTY;
		if (r == TD_JBUF_EMPTY)
			assert_int_equal(td_jbuf_get(jb, now, &f), TD_JBUF_EMPTY);
	}
	/* frame 19, then concealment while the last packet is under 200 ms old */
	assert_int_equal(lost, 9);
	assert_int_equal(lost + empty, 24);
	/* A straggler from before is late; the stream resuming restarts play. */
	assert_int_equal(put_frame(jb, 0, 0, 25, now), -ETIME);
	assert_int_equal(put_frame(jb, 0, 0, 45, now), 0);
	assert_int_equal(td_jbuf_get(jb, now, &f), TD_JBUF_EMPTY);
	assert_int_equal(td_jbuf_get(jb, now + 20 * MS, &f), TD_JBUF_FRAME);
	assert_int_equal(payload_frame(&f), 45);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.underrun, 1);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.resync, 0);

	/* reset: what is buffered is counted as flushed, play stops. */
	assert_int_equal(put_frame(jb, 0, 0, 46, now), 0);
	assert_int_equal(put_frame(jb, 0, 0, 47, now), 0);
	td_jbuf_reset(jb);
	assert_int_equal(td_jbuf_get(jb, now + 40 * MS, &f), TD_JBUF_EMPTY);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.flushed, 2);
	/* Afterwards any timestamp starts a stream, without a resync. */
	assert_int_equal(put_frame(jb, 0, 0, 0, now), 0);
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.resync, 0);
	assert_int_equal(st.late, 1);
}

static void
test_opus_clock_off_grid(void **state)
{
	(void)state;
	struct td_jbuf_cfg cfg = {.clock_rate = 48000, .frame_ticks = 960, .min_delay_ms = 40};
	struct td_jbuf_frame f;
	struct td_jbuf_stats st;
	uint8_t p[PAYLOAD];
	size_t size = td_jbuf_size(&cfg);

	assert_true(size > 0 && size <= sizeof(arena));
	assert_int_equal(td_jbuf_init(arena, size, &cfg), 0);
	struct td_jbuf *jb = (struct td_jbuf *)arena;
	/* Opus at 48 kHz, timestamps a few units off the 960 grid (each goes
	 * to its nearest frame and comes out as sent), frame 5 missing. Frame
	 * k arrives 100 units after tick k and is put at tick k + 1. */
	for (uint32_t m = 0; m < 3 + 50; m++) {
		uint64_t now = (uint64_t)m * 960;
		uint32_t k = m - 1;
		if (m >= 1 && k < 50 && k != 5) {
			payload_fill(p, k);
			assert_int_equal(td_jbuf_put(jb, (uint16_t)k, 7 + k * 960 + k % 3, false, p, sizeof(p),
						     (uint64_t)k * 960 + 100),
					 0);
		}
		int r = td_jbuf_get(jb, now, &f);
		/* frame 0 has waited 40 ms from tick 3 on */
		if (m < 3) {
			assert_int_equal(r, TD_JBUF_EMPTY);
			continue;
		}
		uint32_t due = m - 3;
		assert_int_equal(r, due == 5 ? TD_JBUF_LOST : TD_JBUF_FRAME);
		if (r == TD_JBUF_FRAME) {
			assert_int_equal(payload_frame(&f), due);
			assert_int_equal(f.ts, 7 + due * 960 + due % 3);
		} else {
			assert_int_equal(f.ts, 7 + 5 * 960);
		}
	}
	td_jbuf_stats(jb, &st);
	assert_int_equal(st.got, 49);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.target_ms, 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_before_put),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reorder_swap),
		cmocka_unit_test(test_reorder_random),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_loss_seq_prediction),
		cmocka_unit_test(test_jitter_adapts),
		cmocka_unit_test(test_drift_fast),
		cmocka_unit_test(test_drift_slow),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_resync_on_jump),
		cmocka_unit_test(test_far_ahead),
		cmocka_unit_test(test_duplicates_and_late),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_silence_is_not_loss),
		cmocka_unit_test(test_stream_stops_and_resumes),
		cmocka_unit_test(test_opus_clock_off_grid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
