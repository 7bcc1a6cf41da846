/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTP header checks (RFC 3550 §5.1, A.1), receive statistics with known loss,
 * reordering, wrap and jitter (A.1, A.3, A.8), and RTCP compound parsing
 * (§6.4, A.2) including every malformed class.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rtp/rtcp.h"
#include "rtp/rtp_hdr.h"
#include "rtp/rtp_stats.h"

static uint16_t
mk_rtp(uint8_t *b, uint8_t vpxcc, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	b[0] = vpxcc;
	b[1] = pt;
	b[2] = seq >> 8;
	b[3] = seq & 0xff;
	for (int i = 0; i < 4; i++) {
		b[4 + i] = ts >> (24 - 8 * i);
		b[8 + i] = ssrc >> (24 - 8 * i);
	}
	return RTP_HDR_LEN;
}

static void
test_rtp_valid_plain(void **state)
{
	(void)state;
	uint8_t b[200] = {0};
	struct rtp_info ri;
	mk_rtp(b, 0x80, 0x80 | 8, 1234, 160000, 0xdeadbeef);
	assert_int_equal(rtp_hdr_check(b, 172, &ri), RTP_OK);
	assert_int_equal(ri.payload_off, 12);
	assert_int_equal(ri.payload_len, 160);
	assert_int_equal(ri.pt, 8);
	assert_int_equal(ri.marker, 1);
	assert_int_equal(ri.seq, 1234);
	assert_int_equal(ri.ts, 160000);
	assert_int_equal(ri.ssrc, 0xdeadbeef);
}

static void
test_rtp_csrc_ext_padding(void **state)
{
	(void)state;
	uint8_t b[200] = {0};
	struct rtp_info ri;
	/* 2 CSRCs, an extension of 1 word, 3 bytes of padding */
	mk_rtp(b, 0x80 | 0x20 | 0x10 | 2, 0, 1, 1, 1);
	uint16_t off = 12 + 8;
	b[off + 2] = 0;
	b[off + 3] = 1;
	uint16_t len = off + 8 + 20 + 3;
	b[len - 1] = 3;
	assert_int_equal(rtp_hdr_check(b, len, &ri), RTP_OK);
	assert_int_equal(ri.payload_off, 28);
	assert_int_equal(ri.payload_len, 20);
}

static void
test_rtp_malformed(void **state)
{
	(void)state;
	uint8_t b[64] = {0};
	struct rtp_info ri;

	mk_rtp(b, 0x80, 0, 1, 1, 1);
	assert_int_equal(rtp_hdr_check(b, 11, &ri), RTP_SHORT);
	mk_rtp(b, 0x40, 0, 1, 1, 1);
	assert_int_equal(rtp_hdr_check(b, 20, &ri), RTP_BAD_VERSION);
	mk_rtp(b, 0x80 | 15, 0, 1, 1, 1); /* 15 CSRCs = 60 bytes */
	assert_int_equal(rtp_hdr_check(b, 64, &ri), RTP_BAD_CSRC);
	mk_rtp(b, 0x80 | 0x10, 0, 1, 1, 1); /* extension header cut */
	assert_int_equal(rtp_hdr_check(b, 14, &ri), RTP_BAD_EXT);
	b[14] = 0x00;
	b[15] = 0x20; /* 32 words of extension in a 40-byte packet */
	assert_int_equal(rtp_hdr_check(b, 40, &ri), RTP_BAD_EXT);
	mk_rtp(b, 0x80 | 0x20, 0, 1, 1, 1);
	b[19] = 0; /* padding count 0 */
	assert_int_equal(rtp_hdr_check(b, 20, &ri), RTP_BAD_PADDING);
	b[19] = 9; /* eats into the header */
	assert_int_equal(rtp_hdr_check(b, 20, &ri), RTP_BAD_PADDING);
	b[19] = 8; /* exactly the payload: valid, empty */
	assert_int_equal(rtp_hdr_check(b, 20, &ri), RTP_OK);
	assert_int_equal(ri.payload_len, 0);
}

static struct rtp_info
info(uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	return (struct rtp_info){.seq = seq, .ts = ts, .ssrc = ssrc};
}

static void
test_stats_loss_and_wrap(void **state)
{
	(void)state;
	struct rtp_rx_stats s = {0};
	/* 200 packets crossing the 16-bit wrap; every 10th lost (20 lost). */
	for (uint32_t i = 0; i < 200; i++) {
		uint16_t seq = (uint16_t)(65500 + i);
		if (i % 10 == 5)
			continue;
		struct rtp_info ri = info(seq, i * 160, 7);
		rtp_rx_stats_update(&s, &ri, i * 160 + 1000);
	}
	assert_int_equal(rtp_rx_stats_expected(&s), 200);
	assert_int_equal(s.received, 180);
	assert_int_equal(rtp_rx_stats_lost(&s), 20);
	assert_int_equal(s.cycles, 65536);
	/* Arrival exactly paced: no jitter. */
	assert_int_equal(s.jitter16, 0);
}

static void
test_stats_reorder_duplicate(void **state)
{
	(void)state;
	struct rtp_rx_stats s = {0};
	uint16_t order[] = {1, 2, 4, 3, 5, 5, 6};
	for (unsigned i = 0; i < 7; i++) {
		struct rtp_info ri = info(order[i], order[i] * 160, 9);
		rtp_rx_stats_update(&s, &ri, order[i] * 160);
	}
	assert_int_equal(rtp_rx_stats_expected(&s), 6);
	assert_int_equal(s.received, 7);
	assert_int_equal(rtp_rx_stats_lost(&s), -1); /* a duplicate offsets */
	assert_int_equal(s.misordered, 1);
	assert_int_equal(s.duplicates, 1);
}

static void
test_stats_jitter_converges(void **state)
{
	(void)state;
	struct rtp_rx_stats s = {0};
	/* Arrivals alternate 20 units early/late around the nominal time:
	 * |D| is 40 every packet after the first, so J converges to 40. */
	for (uint32_t i = 0; i < 2000; i++) {
		struct rtp_info ri = info((uint16_t)i, i * 160, 3);
		uint32_t arrival = i * 160 + 5000 + ((i & 1) ? 20 : -20);
		rtp_rx_stats_update(&s, &ri, arrival);
	}
	uint32_t j = s.jitter16 >> 4;
	assert_true(j >= 39 && j <= 40);
}

static void
test_stats_ssrc_change_resyncs(void **state)
{
	(void)state;
	struct rtp_rx_stats s = {0};
	for (uint16_t i = 0; i < 10; i++) {
		struct rtp_info ri = info(i, i * 160, 1);
		rtp_rx_stats_update(&s, &ri, i * 160);
	}
	struct rtp_info ri = info(30000, 99, 2);
	rtp_rx_stats_update(&s, &ri, 0);
	assert_int_equal(s.ssrc, 2);
	assert_int_equal(s.received, 1);
	assert_int_equal(s.restarts, 1);
	assert_int_equal(rtp_rx_stats_lost(&s), 0);
}

static void
test_stats_big_jump_needs_two(void **state)
{
	(void)state;
	struct rtp_rx_stats s = {0};
	struct rtp_info ri = info(100, 0, 5);
	rtp_rx_stats_update(&s, &ri, 0);
	ri = info(20000, 0, 5); /* one stray: ignored */
	rtp_rx_stats_update(&s, &ri, 0);
	assert_int_equal(s.max_seq, 100);
	assert_int_equal(s.received, 1);
	ri = info(20001, 0, 5); /* and a sequential one: re-synchronised */
	rtp_rx_stats_update(&s, &ri, 0);
	assert_int_equal(s.max_seq, 20001);
	assert_int_equal(s.base_seq, 20001);
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	return p + 4;
}

/* SR with one report block, then an SDES with one word of content. */
static uint16_t
mk_sr_sdes(uint8_t *b)
{
	uint8_t *p = b;
	*p++ = 0x81;
	*p++ = RTCP_PT_SR;
	*p++ = 0;
	*p++ = 12; /* 13 words */
	p = put32(p, 0x11111111);
	p = put32(p, 0xAABBCCDD); /* NTP seconds */
	p = put32(p, 0xEEFF0011); /* NTP fraction */
	p = put32(p, 8000);
	p = put32(p, 50);
	p = put32(p, 8000);
	p = put32(p, 0x22222222);	      /* block: ssrc */
	p = put32(p, (64u << 24) | 0xFFFFFE); /* 25% lost, cumulative -2 */
	p = put32(p, 0x00010064);
	p = put32(p, 123);
	p = put32(p, 0x12345678);
	p = put32(p, 0x00010000);
	*p++ = 0x81;
	*p++ = RTCP_PT_SDES;
	*p++ = 0;
	*p++ = 1;
	p = put32(p, 0x11111111);
	return (uint16_t)(p - b);
}

static void
test_rtcp_sr_sdes(void **state)
{
	(void)state;
	uint8_t b[128];
	struct rtcp_info ri;
	uint16_t len = mk_sr_sdes(b);
	assert_int_equal(rtcp_parse(b, len, &ri), RTCP_OK);
	assert_int_equal(ri.ssrc, 0x11111111);
	assert_true(ri.has_sr);
	assert_int_equal(ri.sr_ntp_mid, 0xCCDDEEFF);
	assert_int_equal(ri.sr_packets, 50);
	assert_int_equal(ri.n_blocks, 1);
	assert_int_equal(ri.blocks[0].ssrc, 0x22222222);
	assert_int_equal(ri.blocks[0].fraction_lost, 64);
	assert_int_equal(ri.blocks[0].cum_lost, -2);
	assert_int_equal(ri.blocks[0].ext_max_seq, 0x00010064);
	assert_int_equal(ri.blocks[0].jitter, 123);
	assert_int_equal(ri.blocks[0].lsr, 0x12345678);
	assert_int_equal(ri.blocks[0].dlsr, 0x00010000);
}

static void
test_rtcp_malformed(void **state)
{
	(void)state;
	uint8_t b[128];
	struct rtcp_info ri;
	uint16_t len = mk_sr_sdes(b);

	assert_int_equal(rtcp_parse(b, 7, &ri), RTCP_SHORT);
	assert_int_equal(rtcp_parse(b, len - 4, &ri), RTCP_BAD_LENGTH);	    /* SDES cut */
	assert_int_equal(rtcp_parse(b, len - 8 + 2, &ri), RTCP_BAD_LENGTH); /* stray bytes */
	b[0] = 0x41;
	assert_int_equal(rtcp_parse(b, len, &ri), RTCP_BAD_VERSION);
	b[0] = 0x81;
	b[52] = 0x41; /* second packet's version */
	assert_int_equal(rtcp_parse(b, len, &ri), RTCP_BAD_VERSION);
	b[52] = 0x81;
	b[1] = RTCP_PT_SDES; /* compound must start with SR/RR */
	assert_int_equal(rtcp_parse(b, len, &ri), RTCP_BAD_TYPE);
	b[1] = RTCP_PT_SR;
	b[0] = 0xA1; /* first packet padded */
	assert_int_equal(rtcp_parse(b, len, &ri), RTCP_BAD_TYPE);
	b[0] = 0x83; /* 3 report blocks claimed, room for 1 */
	assert_int_equal(rtcp_parse(b, len, &ri), RTCP_SHORT);
	b[0] = 0x81;
	b[3] = 40; /* length past the datagram */
	assert_int_equal(rtcp_parse(b, len, &ri), RTCP_BAD_LENGTH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_valid_plain),
		cmocka_unit_test(test_rtp_csrc_ext_padding),
		cmocka_unit_test(test_rtp_malformed),
		cmocka_unit_test(test_stats_loss_and_wrap),
		cmocka_unit_test(test_stats_reorder_duplicate),
		cmocka_unit_test(test_stats_jitter_converges),
		cmocka_unit_test(test_stats_ssrc_change_resyncs),
		cmocka_unit_test(test_stats_big_jump_needs_two),
		cmocka_unit_test(test_rtcp_sr_sdes),
		cmocka_unit_test(test_rtcp_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
