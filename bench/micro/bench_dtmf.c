/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-bench-dtmf: the cost of in-band DTMF detection per channel, as the
 * dataplane runs it on a relay G.711 session (decode A-law for detection
 * only, then spandsp's dtmf_rx through codecs/dtmf/dtmf_detect) and on a
 * transcoding leg (the PCM is already there: detection alone). Each of
 * CHANNELS channels has its own detector, fed 20 ms frames round robin, so
 * that the states do not all sit in cache. Signals: speech-like (partials,
 * envelope, noise) and a digit every 200 ms. Prints ns per channel-frame
 * and channels per core (20 ms / cost); medians of 5 rounds.
 *
 *   td-bench-dtmf [frames per channel per round, default 500] [channels, default 256]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtmf/dtmf_detect.h"

#define FRAME  160
#define ROUNDS 5
#define SIGLEN (8000 * 2) /* two seconds, looped */

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

static void
speech(int16_t *pcm, unsigned int n)
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

/* A 100 ms digit every 200 ms (697 + 1209 Hz, about -10 dBm0 each). */
static void
digits(int16_t *pcm, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		double t = i / 8000.0;
		pcm[i] = (i % 1600) < 800 ? (int16_t)(3300 * sin(2 * M_PI * 697 * t) + 3300 * sin(2 * M_PI * 1209 * t))
					  : 0;
	}
}

/* ns per channel-frame: with alaw, A-law payloads decoded first. */
static double
run(struct td_dtmf_detect *d, unsigned int channels, const int16_t *pcm, const uint8_t *alaw, unsigned int frames,
    unsigned int *found)
{
	int16_t buf[FRAME];
	struct td_dtmf_digit got[TD_DTMF_MAX_PENDING];
	uint64_t t0 = now_ns();

	for (unsigned int f = 0; f < frames; f++) {
		unsigned int off = (f * FRAME) % SIGLEN;
		for (unsigned int c = 0; c < channels; c++) {
			const int16_t *in = pcm + off;
			if (alaw) {
				for (unsigned int i = 0; i < FRAME; i++)
					buf[i] = alaw_to_linear(alaw[off + i]);
				in = buf;
			}
			*found += (unsigned int)td_dtmf_detect_process(&d[c], in, FRAME, got, TD_DTMF_MAX_PENDING);
		}
	}
	return (double)(now_ns() - t0) / ((double)frames * channels);
}

int
main(int argc, char **argv)
{
	unsigned int frames = argc > 1 ? (unsigned int)atoi(argv[1]) : 500;
	unsigned int channels = argc > 2 ? (unsigned int)atoi(argv[2]) : 256;
	static int16_t sp[SIGLEN], dg[SIGLEN];
	static uint8_t sp_a[SIGLEN], dg_a[SIGLEN];
	struct td_dtmf_detect *d = calloc(channels, sizeof(*d));

	if (frames == 0 || channels == 0 || d == NULL) {
		fprintf(stderr, "usage: td-bench-dtmf [frames > 0] [channels > 0]\n");
		return 2;
	}
	speech(sp, SIGLEN);
	digits(dg, SIGLEN);
	for (unsigned int i = 0; i < SIGLEN; i++) {
		sp_a[i] = linear_to_alaw(sp[i]);
		dg_a[i] = linear_to_alaw(dg[i]);
	}
	static const struct {
		const char *name;
		const int16_t *pcm;
		const uint8_t *alaw;
	} cases[] = {
		{"relay G.711, speech", sp, sp_a},
		{"relay G.711, digits", dg, dg_a},
		{"transcoding leg, speech", sp, NULL},
		{"transcoding leg, digits", dg, NULL},
	};
	printf("%u channels, %u frames of 20 ms each per round, median of %d rounds\n", channels, frames, ROUNDS);
	for (unsigned int k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		double ns[ROUNDS];
		unsigned int found = 0;
		for (int r = 0; r < ROUNDS; r++) {
			for (unsigned int c = 0; c < channels; c++)
				td_dtmf_detect_init(&d[c]);
			found = 0;
			ns[r] = run(d, channels, cases[k].pcm, cases[k].alaw, frames, &found);
		}
		qsort(ns, ROUNDS, sizeof(ns[0]), cmp_d);
		printf("%-26s %8.0f ns per channel-frame, %7.0f channels per core, %u digits found per round\n",
		       cases[k].name, ns[ROUNDS / 2], 20e6 / ns[ROUNDS / 2], found);
	}
	free(d);
	return 0;
}
