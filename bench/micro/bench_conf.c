/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-bench-conf: the cost of one conference participant per 20 ms on one
 * core: its frame decoded, mixed with the others (dataplane/conf/conf_mix.c:
 * mix-minus, ramps, talker detection) and its own mix encoded, for
 * conferences of 3, 5, 10 and 30 participants who all speak (the mixer's
 * worst case), G.711 A-law and Opus (8 kHz, complexity 5, as the
 * transcoder uses). Also the mixer alone. Prints ns per participant-frame
 * and participants per core (20 ms / cost). Medians of 5 rounds. Packets,
 * rings and the RTP path are not included (bench_relay.c measures those).
 *
 *   td-bench-conf [frames per round, default 500]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecs/td_codec.h"
#include "dataplane/conf/conf_mix.h"

#define RATE	  8000
#define FRAME	  160
#define ROUNDS	  5
#define PARTS_MAX 30
#define PKT_MAX	  400

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

/* Speech-like: partials at a participant's own pitch, a slow envelope, noise. */
static void
signal(int16_t *pcm, unsigned int n, unsigned int who)
{
	unsigned int seed = who + 1;
	double f0 = 110 + 23 * who;
	for (unsigned int i = 0; i < n; i++) {
		double t = i / (double)RATE, env = 0.5 + 0.5 * sin(2 * M_PI * (2 + who % 3) * t);
		double v = env * (4000 * sin(2 * M_PI * f0 * t) + 2000 * sin(2 * M_PI * 3 * f0 * t) +
				  900 * sin(2 * M_PI * 7 * f0 * t));
		seed = seed * 1103515245 + 12345;
		pcm[i] = (int16_t)(v + (int)((seed >> 16) % 600) - 300);
	}
}

struct part {
	void *enc, *dec;
	uint8_t pkt[64][PKT_MAX]; /* a second of its frames, encoded, played in a loop */
	int len[64];
};

static struct part parts[PARTS_MAX];
static _Alignas(64) uint8_t mix_mem[1 << 20];

static int
parts_open(const struct td_codec_ops *ops, unsigned int n)
{
	struct td_codec_params p = {.sample_rate = RATE, .complexity = 5};
	static int16_t pcm[64 * FRAME];
	for (unsigned int i = 0; i < n; i++) {
		struct part *pt = &parts[i];
		pt->enc = calloc(1, ops->state_size ? ops->state_size : 1);
		pt->dec = calloc(1, ops->state_size ? ops->state_size : 1);
		if (pt->enc == NULL || pt->dec == NULL || ops->init(pt->enc, &p) < 0 || ops->init(pt->dec, &p) < 0)
			return -1;
		signal(pcm, 64 * FRAME, i);
		for (int f = 0; f < 64; f++)
			if ((pt->len[f] = ops->encode(pt->enc, pcm + f * FRAME, FRAME, pt->pkt[f], PKT_MAX)) <= 0)
				return -1;
	}
	return 0;
}

static void
parts_close(const struct td_codec_ops *ops, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		ops->fini(parts[i].enc);
		ops->fini(parts[i].dec);
		free(parts[i].enc);
		free(parts[i].dec);
	}
}

static struct td_conf_mix *
mix_open(unsigned int n, int *idx)
{
	struct td_conf_mix_cfg cfg = {.rate = RATE, .max_parts = PARTS_MAX};
	if (td_conf_mix_init(mix_mem, sizeof(mix_mem), &cfg) < 0)
		return NULL;
	struct td_conf_mix *m = (struct td_conf_mix *)mix_mem;
	for (unsigned int i = 0; i < n; i++)
		idx[i] = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	return m;
}

/*
 * ns per participant-frame: decode all, mix, encode all (ops NULL: mixer
 * only; m NULL: the codec calls only, each participant's own frame
 * re-encoded, the reference the mixer's share is read against).
 */
static double
conf_round(const struct td_codec_ops *ops, struct td_conf_mix *m, const int *idx, unsigned int n, unsigned int frames)
{
	static int16_t dec[PARTS_MAX][FRAME];
	int16_t pcm[FRAME];
	uint8_t out[PKT_MAX];
	static int16_t pre[PARTS_MAX][FRAME];
	for (unsigned int i = 0; ops == NULL && i < n; i++)
		signal(pre[i], FRAME, i);
	uint64_t t0 = now_ns();
	for (unsigned int f = 0; f < frames; f++) {
		for (unsigned int i = 0; i < n; i++) {
			const int16_t *in = pre[i];
			if (ops != NULL) {
				struct part *pt = &parts[i];
				ops->decode(pt->dec, pt->pkt[f & 63], (size_t)pt->len[f & 63], m ? pcm : dec[i], FRAME);
				in = pcm;
			}
			if (m != NULL)
				td_conf_mix_put(m, idx[i], in, FRAME);
		}
		if (m != NULL)
			td_conf_mix_run(m);
		for (unsigned int i = 0; ops != NULL && i < n; i++)
			ops->encode(parts[i].enc, m ? td_conf_mix_output(m, idx[i]) : dec[i], FRAME, out, sizeof(out));
	}
	return (double)(now_ns() - t0) / ((double)frames * n);
}

static int
bench(const char *codec, unsigned int n, unsigned int frames)
{
	const struct td_codec_ops *ops = codec ? td_codec_find(codec) : NULL;
	int idx[PARTS_MAX];
	double t[ROUNDS], raw[ROUNDS];
	if ((codec && ops == NULL) || (ops && parts_open(ops, n) < 0)) {
		fprintf(stderr, "cannot set up %s\n", codec);
		return -1;
	}
	struct td_conf_mix *m = mix_open(n, idx);
	if (m == NULL)
		return -1;
	for (int r = 0; r < ROUNDS; r++) {
		t[r] = conf_round(ops, m, idx, n, frames);
		raw[r] = ops ? conf_round(ops, NULL, idx, n, frames) : 0;
	}
	qsort(t, ROUNDS, sizeof(double), cmp_d);
	qsort(raw, ROUNDS, sizeof(double), cmp_d);
	double med = t[ROUNDS / 2], mr = raw[ROUNDS / 2];
	printf("%-10s %2u participants: %8.0f ns per participant-frame (%7.0f participants/core)",
	       codec ? codec : "mixer only", n, med, 20e6 / med);
	if (ops)
		printf(" | codec calls alone %8.0f ns, conference %+.1f %%", mr, 100.0 * (med / mr - 1));
	printf("\n");
	if (ops)
		parts_close(ops, n);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int frames = argc > 1 ? (unsigned int)atoi(argv[1]) : 500;
	static const unsigned int sizes[] = {3, 5, 10, 30};
	int ret = 0;
	if (frames == 0 || frames > 100000) {
		fprintf(stderr, "usage: td-bench-conf [frames per round, 1..100000]\n");
		return 2;
	}
	printf("%u frames per round, median of %d rounds, one core, %d Hz\n", frames, ROUNDS, RATE);
	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		ret |= bench(NULL, sizes[s], frames);
		ret |= bench("PCMA", sizes[s], frames);
		ret |= bench("opus", sizes[s], frames);
	}
	return ret ? 1 : 0;
}
