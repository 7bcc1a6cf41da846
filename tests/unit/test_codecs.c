/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Each codec round-trips a known signal (two tones, speech band) through
 * encode and decode, frame by frame as a call would, and what comes out must
 * match what went in within that codec's quality bound: SNR for the
 * waveform coders (G.711, G.722), normalised correlation for the parametric
 * ones (G.729, Opus), after aligning for the codec's delay. Also: the
 * registry, concealment of a lost frame, and bad arguments.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resample/resample.h"
#include "td_codec.h"

#define SECONDS 2

static void
tones(int16_t *pcm, unsigned int n, uint32_t rate)
{
	for (unsigned int i = 0; i < n; i++) {
		double t = (double)i / rate;
		pcm[i] = (int16_t)(6000 * sin(2 * M_PI * 440 * t) + 4000 * sin(2 * M_PI * 1100 * t + 0.3));
	}
}

/* Best SNR (dB) and correlation of out against in over lags 0..max_lag,
 * skipping the first 0.2 s while the coder settles. */
static void
compare(const int16_t *in, const int16_t *out, unsigned int n, uint32_t rate, double *snr_db, double *corr)
{
	unsigned int skip = rate / 5, max_lag = rate / 20;
	*snr_db = -100;
	*corr = -1;
	for (unsigned int lag = 0; lag <= max_lag; lag++) {
		double sig = 0, err = 0, xy = 0, xx = 0, yy = 0;
		for (unsigned int i = skip; i + lag < n; i++) {
			double x = in[i], y = out[i + lag];
			sig += x * x;
			err += (x - y) * (x - y);
			xy += x * y;
			xx += x * x;
			yy += y * y;
		}
		double s = 10 * log10(sig / (err + 1e-9)), c = xy / sqrt(xx * yy + 1e-9);
		if (s > *snr_db)
			*snr_db = s;
		if (c > *corr)
			*corr = c;
	}
}

/* Power (dB) at one frequency, Goertzel, over samples [from, n). */
static double
tone_db(const int16_t *x, unsigned int from, unsigned int n, uint32_t rate, double f)
{
	double w = 2 * M_PI * f / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
	for (unsigned int i = from; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return 10 * log10(p / (n - from) + 1e-9);
}

static void
round_trip(const char *name, const struct td_codec_params *p, double min_snr, double min_corr)
{
	const struct td_codec_ops *c = td_codec_find(name);
	assert_non_null(c);
	uint32_t rate = p && p->sample_rate ? p->sample_rate : c->sample_rate;
	unsigned int frame = rate / 50, n = rate * SECONDS; /* 20 ms frames */
	int16_t *in = calloc(n, sizeof(*in)), *out = calloc(n, sizeof(*out));
	void *state = calloc(1, c->state_size ? c->state_size : 1);
	uint8_t payload[4000];

	tones(in, n, rate);
	assert_int_equal(c->init(state, p), 0);
	for (unsigned int off = 0; off + frame <= n; off += frame) {
		int len = c->encode(state, in + off, frame, payload, sizeof(payload));
		assert_true(len > 0);
		int got = c->decode(state, payload, (size_t)len, out + off, frame);
		assert_int_equal(got, (int)frame);
	}
	double snr, corr;
	compare(in, out, n, rate, &snr, &corr);
	/* Spectrally, whatever the coder: both tones within 3 dB, and a
	 * frequency between them (700 Hz) at least 20 dB under them. */
	unsigned int from = rate / 5;
	double d440 = tone_db(out, from, n, rate, 440) - tone_db(in, from, n, rate, 440);
	double d1100 = tone_db(out, from, n, rate, 1100) - tone_db(in, from, n, rate, 1100);
	double gap = tone_db(out, from, n, rate, 1100) - tone_db(out, from, n, rate, 700);
	print_message("%-5s %5u Hz: SNR %5.1f dB, correlation %.4f, tones %+.1f/%+.1f dB, 700 Hz %.1f dB under\n", name,
		      rate, snr, corr, d440, d1100, gap);
	assert_true(snr >= min_snr);
	assert_true(corr >= min_corr);
	assert_true(fabs(d440) < 3 && fabs(d1100) < 3 && gap > 20);

	/* A lost frame is concealed: samples come out, and the next good
	 * frame decodes as before. */
	int16_t plc[960];
	assert_int_equal(c->decode(state, NULL, 0, plc, frame), (int)frame);
	c->fini(state);
	free(state);
	free(in);
	free(out);
}

static void
test_g711(void **state)
{
	(void)state;
	round_trip("PCMA", NULL, 35, 0.999);
	round_trip("PCMU", NULL, 35, 0.999);
}

static void
test_g722(void **state)
{
	(void)state;
	round_trip("G722", NULL, 20, 0.99);
}

static void
test_g729(void **state)
{
	(void)state;
	round_trip("G729", NULL, 5, 0.90);
}

static void
test_opus(void **state)
{
	(void)state;
	struct td_codec_params p = {.sample_rate = 8000, .complexity = 0};
	round_trip("opus", &p, 5, 0.90);
	p = (struct td_codec_params){.sample_rate = 8000, .complexity = 5};
	round_trip("opus", &p, 5, 0.90);
	p = (struct td_codec_params){.sample_rate = 16000, .complexity = 10, .fec = 1};
	round_trip("opus", &p, 5, 0.90);
	p = (struct td_codec_params){.sample_rate = 48000, .complexity = 5, .bitrate = 64000};
	round_trip("opus", &p, 5, 0.90);
}

/* DTX: on silence the encoder soon sends (almost) nothing. Steady tones
 * are not silence, but DTX thins them too (-7 dB here), which is why the
 * round trips above run without it. */
static void
test_opus_dtx(void **state)
{
	(void)state;
	const struct td_codec_ops *c = td_codec_find("opus");
	struct td_codec_params p = {.sample_rate = 8000, .dtx = 1};
	void *st = calloc(1, c->state_size);
	int16_t silence[160] = {0};
	uint8_t out[400];
	int small = 0;
	assert_int_equal(c->init(st, &p), 0);
	for (int i = 0; i < 50; i++) {
		int len = c->encode(st, silence, 160, out, sizeof(out));
		assert_true(len >= 0);
		if (i >= 25 && len <= 3)
			small++;
	}
	assert_true(small >= 20);
	c->fini(st);
	free(st);
}

/* 8 -> 16 -> 48 -> 8 kHz keeps the speech band: the tones come back. */
static void
test_resample_round_trip(void **state)
{
	(void)state;
	unsigned int n = 8000 * SECONDS;
	int16_t *in = calloc(n, sizeof(*in)), *mid = calloc(n * 2, sizeof(*mid)), *hi = calloc(n * 6, sizeof(*hi)),
		*out = calloc(n, sizeof(*out));
	struct td_resample *up = td_resample_create(8000, 16000, 3), *up2 = td_resample_create(16000, 48000, 3),
			   *down = td_resample_create(48000, 8000, 3);
	assert_non_null(up);
	assert_non_null(up2);
	assert_non_null(down);
	tones(in, n, 8000);
	unsigned int a = 0, b = 0, c = 0;
	for (unsigned int off = 0; off < n; off += 160) {
		int k = td_resample_process(up, in + off, 160, mid + a, 2 * n - a);
		assert_true(k >= 0);
		int k2 = td_resample_process(up2, mid + a, (unsigned)k, hi + b, 6 * n - b);
		assert_true(k2 >= 0);
		int k3 = td_resample_process(down, hi + b, (unsigned)k2, out + c, n - c);
		assert_true(k3 >= 0);
		a += (unsigned)k;
		b += (unsigned)k2;
		c += (unsigned)k3;
	}
	assert_true(c > n - 400);
	double snr, corr;
	compare(in, out, c, 8000, &snr, &corr);
	print_message("resample 8->16->48->8 kHz: SNR %.1f dB, correlation %.4f\n", snr, corr);
	assert_true(snr > 25 && corr > 0.99);
	assert_null(td_resample_create(0, 8000, 3));
	assert_null(td_resample_create(8000, 16000, 11));
	td_resample_destroy(up);
	td_resample_destroy(up2);
	td_resample_destroy(down);
	free(in);
	free(mid);
	free(hi);
	free(out);
}

static void
test_registry_and_errors(void **state)
{
	(void)state;
	const struct td_codec_ops *c;
	assert_int_equal(td_codec_find("pcma")->static_pt, 8);
	assert_int_equal(td_codec_find("PCMU")->static_pt, 0);
	assert_int_equal(td_codec_find("G722")->rtp_clock, 8000);
	assert_int_equal(td_codec_find("G722")->sample_rate, 16000);
	assert_int_equal(td_codec_find("G729")->static_pt, 18);
	assert_int_equal(td_codec_find("opus")->rtp_clock, 48000);
	assert_null(td_codec_find("GSM"));
	assert_int_equal(errno, ENOENT);

	uint8_t st[200000], out[16];
	int16_t pcm[160] = {0};
	struct td_codec_params bad_rate = {.sample_rate = 11025};
	c = td_codec_find("opus");
	assert_int_equal(c->init(st, &bad_rate), -EINVAL);
	struct td_codec_params bad_cx = {.sample_rate = 8000, .complexity = 11};
	assert_int_equal(c->init(st, &bad_cx), -EINVAL);
	c = td_codec_find("PCMA");
	assert_int_equal(c->encode(st, pcm, 160, out, sizeof(out)), -ENOBUFS);
	c = td_codec_find("G729");
	assert_int_equal(c->init(st, NULL), 0);
	assert_int_equal(c->encode(st, pcm, 100, out, sizeof(out)), -EINVAL); /* not whole 10 ms frames */
	uint8_t odd[7] = {0};
	assert_int_equal(c->decode(st, odd, sizeof(odd), pcm, 160), -EBADMSG);
	c->fini(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g711),
		cmocka_unit_test(test_g722),
		cmocka_unit_test(test_g729),
		cmocka_unit_test(test_opus),
		cmocka_unit_test(test_opus_dtx),
		cmocka_unit_test(test_resample_round_trip),
		cmocka_unit_test(test_registry_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
