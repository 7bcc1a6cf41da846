/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transcoder module through its own API (dataplane/media/xcode.h), no
 * packets: a tone goes PCMA -> Opus -> PCMA through one transcoder, one
 * direction after the other, and must come back correlated with what went
 * in; G.711 ptime conversion is exact; losses are concealed or skipped in
 * the timestamps; old packets refused; the budget refuses, and a released
 * transcoder serves again once the main lcore has re-initialised its states.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "media/xcode.h"
#include "td_codec.h"

#define FRAME	 160 /* 20 ms at 8 kHz */
#define N_FRAMES 100

static struct td_xcode_pool *pool;

static struct td_dp_cmd_session
leg(const char *codec, uint8_t pt, uint16_t ptime)
{
	struct td_dp_cmd_session p = {.codec_pt = pt, .ptime_ms = ptime};
	strncpy(p.codec, codec, sizeof(p.codec) - 1);
	assert_int_equal(td_xcode_params_check(&p), 0);
	return p;
}

static void
tone(int16_t *pcm, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pcm[i] = (int16_t)(6000 * sin(2 * M_PI * 440 * i / 8000.0) + 4000 * sin(2 * M_PI * 1100 * i / 8000.0));
}

/* Best normalised correlation of out against in over lags 0..max_lag. */
static double
correlation(const int16_t *in, const int16_t *out, unsigned int n, unsigned int skip, unsigned int max_lag)
{
	double best = -1;
	for (unsigned int lag = 0; lag <= max_lag; lag++) {
		double xy = 0, xx = 0, yy = 0;
		for (unsigned int i = skip; i + lag < n; i++) {
			xy += (double)in[i] * out[i + lag];
			xx += (double)in[i] * in[i];
			yy += (double)out[i + lag] * out[i + lag];
		}
		double c = xy / sqrt(xx * yy + 1e-9);
		if (c > best)
			best = c;
	}
	return best;
}

static void
release(struct td_xcode *x)
{
	td_xcode_put(pool, x);
	td_xcode_pool_service(pool); /* the main lcore's share */
	td_xcode_pool_reclaim(pool);
}

static void
pcma_opus_pcma(void **state)
{
	(void)state;
	const struct td_codec_ops *pcma = td_codec_find("PCMA");
	struct td_dp_cmd_session a = leg("PCMA", 0, 20), b = leg("opus", 111, 20);
	struct td_xcode *x;
	static int16_t in[N_FRAMES * FRAME], out[N_FRAMES * FRAME];
	unsigned int got = 0;

	assert_int_equal(td_xcode_get(pool, &a, &b, &x), 0);
	assert_non_null(x);
	assert_int_equal(x->leg[1].pcm_rate, 8000); /* Opus runs at the PCMA leg's rate: no resampling */
	tone(in, N_FRAMES * FRAME);
	for (unsigned int f = 0; f < N_FRAMES; f++) {
		uint8_t alaw[FRAME], opus[400], back[FRAME];
		struct td_xcode_frame fr, fb;
		assert_int_equal(pcma->encode(NULL, in + f * FRAME, FRAME, alaw, sizeof(alaw)), FRAME);
		/* A -> B: PCMA in, one Opus frame out. */
		assert_int_equal(td_xcode_decode(pool, x, 0, (uint16_t)(7 + f), 1000 + f * FRAME, 0xa1, alaw, FRAME),
				 FRAME);
		int n = td_xcode_encode(x, 1, opus, sizeof(opus), &fr);
		assert_true(n > 0);
		assert_int_equal(fr.pt, 111);
		assert_int_equal(fr.seq, (uint16_t)(7 + f));
		assert_int_equal(fr.ts, (1000 + f * FRAME) * 6); /* the same instant in a 48 kHz clock */
		assert_int_equal(td_xcode_encode(x, 1, opus, sizeof(opus), &fr), 0); /* nothing more queued */
		/* B -> A: that Opus frame back in, PCMA out. */
		assert_int_equal(td_xcode_decode(pool, x, 1, (uint16_t)(300 + f), f * 960, 0xb2, opus, (size_t)n),
				 FRAME);
		assert_int_equal(td_xcode_encode(x, 0, back, sizeof(back), &fb), FRAME);
		assert_int_equal(fb.pt, 8);
		assert_int_equal(fb.ts, f * FRAME);
		assert_int_equal(pcma->decode(NULL, back, FRAME, out + got, FRAME), FRAME);
		got += FRAME;
	}
	/* Opus at its own narrowband bitrate, fed A-law (whose quantising
	 * noise it spends bits on): 0.88 here with libopus 1.3; the codec
	 * alone, on clean PCM, gives 0.99 (test_codecs). */
	double c = correlation(in, out, got, 1600, 400);
	print_message("PCMA -> Opus -> PCMA: correlation %.3f\n", c);
	assert_true(c > 0.85);
	assert_int_equal(td_xcode_pool_used(pool), 1);
	release(x);
	assert_int_equal(td_xcode_pool_used(pool), 0);
}

static void
g711_ptime_exact(void **state)
{
	(void)state;
	struct td_dp_cmd_session a = leg("PCMA", 0, 20), b = leg("PCMA", 0, 60);
	struct td_xcode *x;
	uint8_t in[3][FRAME], out[3 * FRAME];
	struct td_xcode_frame f;

	assert_true(td_xcode_needed(&a, &b));
	assert_int_equal(td_xcode_get(pool, &a, &b, &x), 0);
	for (unsigned int i = 0; i < 3; i++) {
		for (unsigned int k = 0; k < FRAME; k++)
			in[i][k] = (uint8_t)(i * 31 + k * 7);
		assert_int_equal(td_xcode_encode(x, 1, out, sizeof(out), &f), 0); /* not full yet */
		assert_int_equal(td_xcode_decode(pool, x, 0, (uint16_t)(1 + i), 160 * i, 1, in[i], FRAME), FRAME);
	}
	assert_int_equal(td_xcode_encode(x, 1, out, sizeof(out), &f), 3 * FRAME);
	assert_memory_equal(out, in, sizeof(out));
	assert_int_equal(f.marker, 1); /* the stream's first packet */
	release(x);
}

static void
loss_and_gaps(void **state)
{
	(void)state;
	struct td_dp_cmd_session a = leg("PCMU", 0, 20), b = leg("PCMA", 0, 20);
	struct td_xcode *x;
	uint8_t pl[FRAME], out[FRAME];
	struct td_xcode_frame f;

	memset(pl, 0xff, sizeof(pl));
	assert_int_equal(td_xcode_get(pool, &a, &b, &x), 0);
	assert_int_equal(td_xcode_decode(pool, x, 0, 10, 0, 1, pl, FRAME), FRAME);
	assert_int_equal(td_xcode_encode(x, 1, out, sizeof(out), &f), FRAME);
	assert_int_equal(f.seq, 10);
	assert_int_equal(f.ts, 0);
	/* Two lost: concealed, so three frames go out, timestamps on. */
	assert_int_equal(td_xcode_decode(pool, x, 0, 13, 480, 1, pl, FRAME), FRAME);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(td_xcode_encode(x, 1, out, sizeof(out), &f), FRAME);
		assert_int_equal(f.ts, 160 * (i + 1));
		assert_int_equal(f.marker, 0);
	}
	/* Repeated and old packets are refused. */
	assert_int_equal(td_xcode_decode(pool, x, 0, 13, 480, 1, pl, FRAME), -EALREADY);
	assert_int_equal(td_xcode_decode(pool, x, 0, 12, 320, 1, pl, FRAME), -EALREADY);
	/* One second of silence suppression: the timestamp jumps with it,
	 * and the packet is marked. */
	assert_int_equal(td_xcode_decode(pool, x, 0, 14, 480 + 160 + 8000, 1, pl, FRAME), FRAME);
	assert_int_equal(td_xcode_encode(x, 1, out, sizeof(out), &f), FRAME);
	assert_int_equal(f.ts, 640 + 8000);
	assert_int_equal(f.marker, 1);
	release(x);
}

static void
admission(void **state)
{
	(void)state;
	struct td_dp_cmd_session a = leg("G722", 0, 20), b = leg("PCMU", 0, 20), c = leg("PCMU", 0, 20);
	struct td_xcode *x, *y, *z;

	assert_false(td_xcode_needed(&b, &c));
	assert_int_equal(td_xcode_get(pool, &b, &c, &z), 0);
	assert_null(z); /* same codec: relay, no transcoder */
	assert_int_equal(td_xcode_get(pool, &a, &b, &x), 0);
	assert_non_null(x->leg[1].rs); /* 16 -> 8 kHz toward the PCMU leg */
	assert_int_equal(td_xcode_get(pool, &b, &a, &y), 0);
	assert_int_equal(td_xcode_pool_used(pool), td_xcode_pool_max(pool));
	assert_int_equal(td_xcode_get(pool, &a, &c, &z), -ENOSPC);
	/* Released, its states are not the worker's again until the main
	 * lcore made them afresh. */
	td_xcode_put(pool, y);
	assert_int_equal(td_xcode_get(pool, &a, &c, &z), -ENOSPC);
	assert_int_equal(td_xcode_pool_service(pool), 4); /* G722, PCMU, two resamplers */
	td_xcode_pool_reclaim(pool);
	assert_int_equal(td_xcode_get(pool, &a, &c, &z), 0);
	/* Same codecs, new payload type and ptime: followed in place. */
	b.ptime_ms = 40;
	b.codec_pt = 0;
	assert_int_equal(td_xcode_reconfigure(pool, x, &a, &b), 0);
	assert_int_equal(x->leg[1].frame, 320);
	struct td_dp_cmd_session o = leg("opus", 96, 20);
	assert_int_equal(td_xcode_reconfigure(pool, x, &a, &o), -EAGAIN);
	release(x);
	release(z);
}

static void
params(void **state)
{
	(void)state;
	struct td_dp_cmd_session p = {0};
	assert_int_equal(td_xcode_params_check(&p), 0); /* no codec: nothing to check */
	strcpy(p.codec, "G722");
	assert_int_equal(td_xcode_params_check(&p), 0);
	assert_int_equal(p.codec_pt, 9);
	assert_int_equal(p.clock_rate, 8000);
	p = (struct td_dp_cmd_session){.codec = "opus"};
	assert_int_equal(td_xcode_params_check(&p), -EINVAL); /* dynamic: needs a PT */
	p.codec_pt = 111;
	assert_int_equal(td_xcode_params_check(&p), 0);
	assert_int_equal(p.clock_rate, 48000);
	p.ptime_ms = 30;
	assert_int_equal(td_xcode_params_check(&p), -EINVAL); /* not whole 20 ms frames */
	p = (struct td_dp_cmd_session){.codec = "PCMA", .clock_rate = 16000};
	assert_int_equal(td_xcode_params_check(&p), -EINVAL);
	p = (struct td_dp_cmd_session){.codec = "iLBC"};
	assert_int_equal(td_xcode_params_check(&p), -EINVAL);
	p = (struct td_dp_cmd_session){.codec = "PCMU", .ptime_ms = 80};
	assert_int_equal(td_xcode_params_check(&p), -EINVAL);
}

int
main(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "td_test_xcode%d", getpid());
	char *eal[] = {"test_xcode",  "--no-huge",	"-m",		"128", "--no-pci",
		       "--no-shconf", "--no-telemetry", "-l",		"0",   "--file-prefix",
		       prefix,	      "--log-level",	"lib.eal:error"};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	pool = td_xcode_pool_create("td_xc_test", 2, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(params),	 cmocka_unit_test(pcma_opus_pcma), cmocka_unit_test(g711_ptime_exact),
		cmocka_unit_test(loss_and_gaps), cmocka_unit_test(admission),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	td_xcode_pool_free(pool);
	rte_eal_cleanup();
	return ret;
}
