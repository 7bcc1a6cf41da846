/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-bench-xcode: the cost of one transcoding channel (both directions of
 * a call, 20 ms each) through the dataplane's transcoder (media/xcode.h),
 * against a loop that calls the raw codec functions only, in one run on one
 * core. Pairs: PCMA<->Opus (8 kHz) and PCMA<->G.729; the raw Opus loop is
 * also timed at complexity 0, 5 and 10 (the transcoder uses 5). Prints,
 * per pair, ns per channel-frame for both, the transcoder's overhead over
 * the raw loop, and channels per core (20 ms / cost). Medians of 5 rounds.
 *
 *   td-bench-xcode [frames per round, default 3000]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_memory.h>

#include "codecs/td_codec.h"
#include "dataplane/media/xcode.h"

#define FRAME  160
#define ROUNDS 5

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Speech-like test signal: a few partials with a slow envelope and noise. */
static void
signal(int16_t *pcm, unsigned int n)
{
	unsigned int seed = 1;
	for (unsigned int i = 0; i < n; i++) {
		double t = i / 8000.0, env = 0.5 + 0.5 * sin(2 * M_PI * 3 * t);
		double v = env * (5000 * sin(2 * M_PI * 220 * t) + 2500 * sin(2 * M_PI * 660 * t) +
				  1200 * sin(2 * M_PI * 1500 * t));
		seed = seed * 1103515245 + 12345;
		pcm[i] = (int16_t)(v + (int)((seed >> 16) % 600) - 300);
	}
}

struct codec {
	const struct td_codec_ops *ops;
	void *enc, *dec;
};

static int
codec_open(struct codec *c, const char *name, uint8_t complexity)
{
	struct td_codec_params p = {.sample_rate = 8000, .complexity = complexity};
	c->ops = td_codec_find(name);
	if (c->ops == NULL)
		return -1;
	c->enc = calloc(1, c->ops->state_size ? c->ops->state_size : 1);
	c->dec = calloc(1, c->ops->state_size ? c->ops->state_size : 1);
	if (c->enc == NULL || c->dec == NULL || c->ops->init(c->enc, &p) < 0 || c->ops->init(c->dec, &p) < 0)
		return -1;
	return 0;
}

static void
codec_close(struct codec *c)
{
	c->ops->fini(c->enc);
	c->ops->fini(c->dec);
	free(c->enc);
	free(c->dec);
}

/* One channel-frame of the raw loop: A-law in from the caller decoded and
 * encoded for the callee, the callee's frame decoded and encoded in A-law. */
static double
raw_round(struct codec *a, struct codec *b, const uint8_t (*alaw)[FRAME], const uint8_t (*bframe)[400], const int *blen,
	  unsigned int n)
{
	int16_t pcm[FRAME];
	uint8_t out[400];
	uint64_t t0 = now_ns();
	for (unsigned int f = 0; f < n; f++) {
		a->ops->decode(a->dec, alaw[f], FRAME, pcm, FRAME);
		b->ops->encode(b->enc, pcm, FRAME, out, sizeof(out));
		b->ops->decode(b->dec, bframe[f], (size_t)blen[f], pcm, FRAME);
		a->ops->encode(a->enc, pcm, FRAME, out, sizeof(out));
	}
	return (double)(now_ns() - t0) / n;
}

static double
xcode_round(struct td_xcode_pool *pool, struct td_xcode *x, const uint8_t (*alaw)[FRAME], const uint8_t (*bframe)[400],
	    const int *blen, unsigned int n, uint32_t base)
{
	uint8_t out[400];
	struct td_xcode_frame fr;
	uint64_t t0 = now_ns();
	for (unsigned int f = 0; f < n; f++) {
		uint32_t k = base + f;
		td_xcode_decode(pool, x, 0, (uint16_t)k, k * FRAME, 0xa1, alaw[f], FRAME);
		td_xcode_encode(x, 1, out, sizeof(out), &fr);
		td_xcode_decode(pool, x, 1, (uint16_t)k, k * FRAME * (x->leg[1].clock / 8000), 0xb2, bframe[f],
				(size_t)blen[f]);
		td_xcode_encode(x, 0, out, sizeof(out), &fr);
	}
	return (double)(now_ns() - t0) / n;
}

static int
bench_pair(struct td_xcode_pool *pool, const char *bname, uint8_t bpt, unsigned int n)
{
	static int16_t pcm[20000 * FRAME];
	static uint8_t alaw[20000][FRAME], bframe[20000][400];
	static int blen[20000];
	struct codec a, b;
	double raw[ROUNDS], xc[ROUNDS];
	struct td_dp_cmd_session la = {.codec = "PCMA", .ptime_ms = 20}, lb = {.codec_pt = bpt, .ptime_ms = 20};
	struct td_xcode *x;

	snprintf(lb.codec, sizeof(lb.codec), "%s", bname);
	if (td_xcode_params_check(&la) < 0 || td_xcode_params_check(&lb) < 0 || codec_open(&a, "PCMA", 0) < 0 ||
	    codec_open(&b, bname, 5) < 0) {
		fprintf(stderr, "cannot set up PCMA<->%s\n", bname);
		return -1;
	}
	signal(pcm, n * FRAME);
	for (unsigned int f = 0; f < n; f++) {
		a.ops->encode(a.enc, pcm + f * FRAME, FRAME, alaw[f], FRAME);
		blen[f] = b.ops->encode(b.enc, pcm + f * FRAME, FRAME, bframe[f], sizeof(bframe[f]));
		if (blen[f] <= 0) {
			fprintf(stderr, "%s encode failed\n", bname);
			return -1;
		}
	}
	if (td_xcode_get(pool, &la, &lb, &x) < 0) {
		fprintf(stderr, "no transcoder\n");
		return -1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		raw[r] = raw_round(&a, &b, (const uint8_t(*)[FRAME])alaw, (const uint8_t(*)[400])bframe, blen, n);
		xc[r] = xcode_round(pool, x, (const uint8_t(*)[FRAME])alaw, (const uint8_t(*)[400])bframe, blen, n,
				    (uint32_t)(r * n));
	}
	qsort(raw, ROUNDS, sizeof(double), cmp_d);
	qsort(xc, ROUNDS, sizeof(double), cmp_d);
	double mr = raw[ROUNDS / 2], mx = xc[ROUNDS / 2];
	printf("PCMA<->%-5s raw codec loop %8.0f ns/channel-frame (%6.0f channels/core) | transcoder %8.0f ns "
	       "(%6.0f channels/core) | overhead %+.1f %%\n",
	       bname, mr, 20e6 / mr, mx, 20e6 / mx, 100.0 * (mx / mr - 1));
	td_xcode_put(pool, x);
	td_xcode_pool_service(pool);
	td_xcode_pool_reclaim(pool);
	codec_close(&a);
	codec_close(&b);
	return 0;
}

/* The raw Opus loop alone at several complexities: what the budget costs. */
static void
opus_complexities(unsigned int n)
{
	static int16_t pcm[20000 * FRAME];
	signal(pcm, n * FRAME);
	for (int c = 0; c <= 10; c += 5) {
		struct codec o;
		uint8_t out[400];
		double t[ROUNDS];
		if (codec_open(&o, "opus", (uint8_t)c) < 0)
			return;
		for (int r = 0; r < ROUNDS; r++) {
			uint64_t t0 = now_ns();
			for (unsigned int f = 0; f < n; f++) {
				int len = o.ops->encode(o.enc, pcm + f * FRAME, FRAME, out, sizeof(out));
				o.ops->decode(o.dec, out, (size_t)len, pcm + f * FRAME, FRAME);
			}
			t[r] = (double)(now_ns() - t0) / n;
			signal(pcm, n * FRAME);
		}
		qsort(t, ROUNDS, sizeof(double), cmp_d);
		printf("opus 8 kHz complexity %2d: encode+decode %8.0f ns/frame (%6.0f one-way streams/core)\n", c,
		       t[ROUNDS / 2], 20e6 / t[ROUNDS / 2]);
		codec_close(&o);
	}
}

int
main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 3000;
	char prefix[64];
	if (n == 0 || n > 20000) {
		fprintf(stderr, "usage: td-bench-xcode [frames per round, 1..20000]\n");
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "td_bench_xcode%d", getpid());
	char *eal[] = {"td-bench-xcode", "--no-huge",	   "-m",	   "256", "--no-pci",
		       "--no-shconf",	 "--no-telemetry", "-l",	   "0",	  "--file-prefix",
		       prefix,		 "--log-level",	   "lib.eal:error"};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	struct td_xcode_pool *pool = td_xcode_pool_create("td_xc_bench", 2, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	printf("%u frames per round, median of %d rounds, one core\n", n, ROUNDS);
	int ret = bench_pair(pool, "opus", 111, n) | bench_pair(pool, "G729", 18, n);
	opus_complexities(n);
	td_xcode_pool_free(pool);
	rte_eal_cleanup();
	return ret ? 1 : 0;
}
