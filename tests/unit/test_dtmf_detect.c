/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-band DTMF detection against ITU-T Q.24's limits: every key at the edge
 * of the operating limits (level -25 and -3 dBm0, twist +4/-8 dB, 40 ms
 * tones with 40 ms pauses, frequency ±1.2 %) is detected exactly once;
 * beyond the non-operate limits (frequency ±3.5 %, 20 ms tones) nothing is;
 * speech without digits gives no digit at all.
 *
 * Q.24 asks ±1.5 % for the frequency: spandsp's detector misses the 1477
 * and 1633 Hz columns there (its 102-sample blocks), so ±1.2 % is what
 * tongdai promises today (docs/media.md).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dtmf/dtmf_detect.h"

#define RATE 8000

static const char keys[] = "123A456B789C*0#D";
static const double low[] = {697, 770, 852, 941}, high[] = {1209, 1336, 1477, 1633};

static double
amp_dbm0(double dbm0)
{
	/* a full-scale sine is +3.14 dBm0 in G.711 terms */
	return 32767.0 * pow(10, (dbm0 - 3.14) / 20);
}

/* Append one key: tone for on_ms (low at lo_db, high at hi_db, both
 * frequencies scaled by 1 + dev), then silence for off_ms. */
static unsigned int
key(int16_t *buf, unsigned int pos, char k, double dev, double lo_db, double hi_db, unsigned on_ms, unsigned off_ms)
{
	const char *p = strchr(keys, k);
	int i = (int)(p - keys);
	double fl = low[i / 4] * (1 + dev), fh = high[i % 4] * (1 + dev);
	double al = amp_dbm0(lo_db), ah = amp_dbm0(hi_db);
	unsigned int on = RATE * on_ms / 1000, off = RATE * off_ms / 1000;
	for (unsigned int n = 0; n < on; n++)
		buf[pos + n] = (int16_t)(al * sin(2 * M_PI * fl * n / RATE) + ah * sin(2 * M_PI * fh * n / RATE));
	memset(buf + pos + on, 0, off * sizeof(*buf));
	return pos + on + off;
}

/* Detect over a buffer fed in 20 ms frames; returns the digits as a string. */
static void
detect(const int16_t *buf, unsigned int n, char *out, size_t max)
{
	struct td_dtmf_detect d;
	struct td_dtmf_digit got[8];
	size_t len = 0;
	assert_int_equal(td_dtmf_detect_init(&d), 0);
	for (unsigned int off = 0; off < n; off += 160) {
		int k = td_dtmf_detect_process(&d, buf + off, n - off < 160 ? n - off : 160, got, 8);
		for (int i = 0; i < k && len + 1 < max; i++)
			out[len++] = got[i].digit;
	}
	out[len] = '\0';
	td_dtmf_detect_fini(&d);
}

static int16_t buf[RATE * 30];

static void
run_keys(double dev, double lo_db, double hi_db, unsigned on_ms, unsigned off_ms, char *out, size_t max)
{
	unsigned int pos = 0;
	memset(buf, 0, RATE * sizeof(*buf) / 10);
	pos = RATE / 10;
	for (const char *k = keys; *k; k++)
		pos = key(buf, pos, *k, dev, lo_db, hi_db, on_ms, off_ms);
	memset(buf + pos, 0, RATE / 5 * sizeof(*buf));
	detect(buf, pos + RATE / 5, out, max);
}

static void
test_operating_limits(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		double dev, lo, hi;
		unsigned on, off;
	} ok[] = {
		{"nominal", 0, -10, -10, 50, 50},	   {"+1.2 %", 0.012, -10, -10, 50, 50},
		{"-1.2 %", -0.012, -10, -10, 50, 50},	   {"low level -25 dBm0", 0, -25, -25, 50, 50},
		{"high level -3 dBm0", 0, -3, -3, 50, 50}, {"twist +4 dB", 0, -14, -10, 50, 50},
		{"twist -8 dB", 0, -10, -18, 50, 50},	   {"40 ms tone, 40 ms pause", 0, -10, -10, 40, 40},
	};
	char got[64];
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		run_keys(ok[i].dev, ok[i].lo, ok[i].hi, ok[i].on, ok[i].off, got, sizeof(got));
		print_message("%-26s -> %s\n", ok[i].what, got);
		assert_string_equal(got, keys);
	}
}

static void
test_non_operating_limits(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		double dev;
		unsigned on;
	} no[] = {{"+3.5 %", 0.035, 50}, {"-3.5 %", -0.035, 50}, {"20 ms tone", 0, 20}};
	char got[64];
	for (unsigned i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		run_keys(no[i].dev, -10, -10, no[i].on, 60, got, sizeof(got));
		print_message("%-26s -> '%s'\n", no[i].what, got);
		assert_string_equal(got, "");
	}
}

/* Speech (espeak-ng's, at 22.05 kHz, taken to 8 kHz after a crude
 * low-pass) holds no digit: an IVR prompt with many digits spoken. */
/* Where a press began and how long it lasted, within the detector's
 * latency: 120 ms of '1' from 400 ms, then 60 ms of '#' from 700 ms. */
static void
test_start_and_duration(void **state)
{
	(void)state;
	struct td_dtmf_detect d;
	struct td_dtmf_digit got[8], all[8];
	unsigned int n = 0, pos = 0;

	memset(buf, 0, sizeof(buf));
	pos = key(buf, RATE * 400 / 1000, '1', 0, -10, -10, 120, 180);
	key(buf, pos, '#', 0, -10, -10, 60, 300);
	assert_int_equal(td_dtmf_detect_init(&d), 0);
	for (unsigned int off = 0; off < RATE; off += 160) {
		int k = td_dtmf_detect_process(&d, buf + off, 160, got, 8);
		for (int i = 0; i < k && n < 8; i++)
			all[n++] = got[i];
	}
	td_dtmf_detect_fini(&d);
	assert_int_equal(n, 2);
	assert_int_equal(all[0].digit, '1');
	assert_int_equal(all[1].digit, '#');
	print_message("'1' at %llu for %u, '#' at %llu for %u samples\n", (unsigned long long)all[0].start,
		      all[0].duration, (unsigned long long)all[1].start, all[1].duration);
	/* 30 ms either way: the detector decides on blocks of about 13 ms. */
	assert_in_range(all[0].start, 3200 - 240, 3200 + 240);
	assert_in_range(all[0].duration, 960 - 240, 960 + 240);
	assert_in_range(all[1].start, 5600 - 240, 5600 + 240);
	assert_in_range(all[1].duration, 480 - 240, 480 + 240);
}

static void
test_speech_no_digits(void **state)
{
	(void)state;
	char wav[] = "/tmp/td-speech-XXXXXX", cmd[1024];
	int fd = mkstemp(wav);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "espeak-ng -w %s 'Thank you for calling. Your call is important to us. Please hold while we "
		 "connect you to the next available agent. For billing, press one. For technical support, press two. "
		 "To hear these options again, press star. Your account number is four five six seven eight nine zero "
		 "one two three. We are open Monday to Friday from nine in the morning until six in the evening.'",
		 wav);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(wav, "rb");
	assert_non_null(f);
	static int16_t in[22050 * 60];
	fseek(f, 44, SEEK_SET);
	size_t n = fread(in, sizeof(int16_t), sizeof(in) / sizeof(in[0]), f);
	fclose(f);
	unlink(wav);
	assert_true(n > 22050 * 5); /* several seconds of speech */
	unsigned int m = 0;
	for (double t = 0; (size_t)(t + 3) < n && m < sizeof(buf) / sizeof(buf[0]); t += 22050.0 / RATE) {
		size_t i = (size_t)t;
		buf[m++] = (int16_t)((in[i] + 2 * in[i + 1] + in[i + 2]) / 4);
	}
	char got[64];
	detect(buf, m, got, sizeof(got));
	print_message("speech, %.1f s -> '%s'\n", (double)m / RATE, got);
	assert_string_equal(got, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operating_limits),
		cmocka_unit_test(test_non_operating_limits),
		cmocka_unit_test(test_start_and_duration),
		cmocka_unit_test(test_speech_no_digits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
