/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 4733 key presses: every one of SIPp's dtmf_2833_*.pcap yields its
 * digit exactly once, also with the end packets lost, duplicated or
 * reordered; back-to-back presses stay two; malformed payloads and unknown
 * events are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtmf/telev.h"

#define PCAP_DIR "/usr/share/sip-tester"

struct pkt {
	uint64_t ms;
	uint32_t ts;
	uint8_t payload[16];
	size_t len;
};

/* The telephone-event packets of a SIPp pcap (Ethernet, IPv4, UDP, RTP). */
static int
load(const char *name, struct pkt *out, int max)
{
	char path[256];
	snprintf(path, sizeof(path), PCAP_DIR "/dtmf_2833_%s.pcap", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (package sip-tester)", path);
	uint8_t gh[24], rh[16], frame[2048];
	int n = 0;
	assert_int_equal(fread(gh, 1, 24, f), 24);
	while (n < max && fread(rh, 1, 16, f) == 16) {
		uint32_t sec, usec, incl;
		memcpy(&sec, rh, 4);
		memcpy(&usec, rh + 4, 4);
		memcpy(&incl, rh + 8, 4);
		assert_true(incl <= sizeof(frame));
		assert_int_equal(fread(frame, 1, incl, f), incl);
		size_t ihl = (size_t)(frame[14] & 0xf) * 4, rtp = 14 + ihl + 8;
		if (incl < rtp + 12 || (frame[rtp + 1] & 0x7f) != 101)
			continue;
		out[n].ms = (uint64_t)sec * 1000 + usec / 1000;
		out[n].ts =
			(uint32_t)frame[rtp + 4] << 24 | frame[rtp + 5] << 16 | frame[rtp + 6] << 8 | frame[rtp + 7];
		out[n].len = incl - rtp - 12;
		assert_true(out[n].len <= sizeof(out[n].payload));
		memcpy(out[n].payload, frame + rtp + 12, out[n].len);
		n++;
	}
	fclose(f);
	return n;
}

/* Feed packets (then ticks for a second); count presses, keep the last. */
static int
feed(const struct pkt *p, int n, struct td_dtmf_press *last)
{
	struct td_telev_rx rx = {0};
	struct td_dtmf_press press;
	int presses = 0;
	uint64_t t = 0;
	for (int i = 0; i < n; i++) {
		t = p[i].ms;
		if (td_telev_rx_packet(&rx, p[i].ts, p[i].payload, p[i].len, t, &press) == TD_TELEV_PRESS) {
			presses++;
			*last = press;
		}
		if (td_telev_rx_tick(&rx, t, &press) == TD_TELEV_PRESS) {
			presses++;
			*last = press;
		}
	}
	for (uint64_t end = t + 1000; t < end; t += 20)
		if (td_telev_rx_tick(&rx, t, &press) == TD_TELEV_PRESS) {
			presses++;
			*last = press;
		}
	return presses;
}

static const struct {
	const char *file;
	char digit;
} files[] = {{"0", '0'}, {"1", '1'}, {"2", '2'}, {"3", '3'}, {"4", '4'},    {"5", '5'},
	     {"6", '6'}, {"7", '7'}, {"8", '8'}, {"9", '9'}, {"star", '*'}, {"pound", '#'}};

static void
test_sipp_pcaps_once_each(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct pkt p[64];
		struct td_dtmf_press last;
		int n = load(files[i].file, p, 64);
		assert_true(n >= 4);
		assert_int_equal(feed(p, n, &last), 1);
		assert_int_equal(last.digit, files[i].digit);
		assert_true(last.end_seen);
		assert_int_equal(last.duration, 0x08c0); /* 280 ms at 8 kHz */
	}
}

static void
test_end_packets_lost(void **state)
{
	(void)state;
	struct pkt p[64];
	struct td_dtmf_press last;
	int n = load("5", p, 64);
	int kept = 0;
	for (int i = 0; i < n; i++)
		if (!(p[i].payload[1] & 0x80))
			p[kept++] = p[i];
	assert_int_equal(feed(p, kept, &last), 1);
	assert_int_equal(last.digit, '5');
	assert_false(last.end_seen);
}

static void
test_duplicates_and_reorder(void **state)
{
	(void)state;
	struct pkt p[64], q[128];
	struct td_dtmf_press last;
	int n = load("7", p, 64), m = 0;
	/* every packet twice, and the first two swapped */
	for (int i = 0; i < n; i++) {
		q[m++] = p[i];
		q[m++] = p[i];
	}
	struct pkt t = q[0];
	q[0] = q[2];
	q[2] = t;
	assert_int_equal(feed(q, m, &last), 1);
	assert_int_equal(last.digit, '7');
}

static void
test_back_to_back(void **state)
{
	(void)state;
	struct pkt a[32], b[32], all[64];
	struct td_dtmf_press last;
	int na = load("1", a, 32), nb = load("2", b, 32), n = 0;
	/* 1 without its end packets, then 2 right after: still two presses */
	for (int i = 0; i < na; i++)
		if (!(a[i].payload[1] & 0x80))
			all[n++] = a[i];
	for (int i = 0; i < nb; i++) {
		all[n] = b[i];
		all[n].ms = all[n - 1].ms + 20;
		n++;
	}
	assert_int_equal(feed(all, n, &last), 2);
	assert_int_equal(last.digit, '2');
}

static void
test_bad_payloads(void **state)
{
	(void)state;
	struct td_telev_rx rx = {0};
	struct td_dtmf_press press;
	uint8_t three[3] = {1, 0x0a, 0}, unknown[4] = {200, 0x8a, 0, 160}, empty[1] = {0};
	assert_int_equal(td_telev_rx_packet(&rx, 1, three, 3, 0, &press), TD_TELEV_MALFORMED);
	assert_int_equal(td_telev_rx_packet(&rx, 1, empty, 0, 0, &press), TD_TELEV_MALFORMED);
	assert_int_equal(td_telev_rx_packet(&rx, 1, unknown, 4, 0, &press), TD_TELEV_UNKNOWN);
	assert_int_equal(td_telev_rx_tick(&rx, 5000, &press), TD_TELEV_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sipp_pcaps_once_each),   cmocka_unit_test(test_end_packets_lost),
		cmocka_unit_test(test_duplicates_and_reorder), cmocka_unit_test(test_back_to_back),
		cmocka_unit_test(test_bad_payloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
