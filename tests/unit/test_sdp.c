/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP: real offers (SIPp's, a softphone's with Opus and telephone-event,
 * holds), offer/answer, build-then-parse round trips, refusals with a
 * reason, and every truncation of a valid body handled without a crash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/sip/sdp.h"

static const char sipp_offer[] = "v=0\r\no=user1 53655765 2353687637 IN IP4 10.0.0.1\r\ns=-\r\n"
				 "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

static const char phone_offer[] = "v=0\n"
				  "o=- 1 2 IN IP4 192.0.2.5\n"
				  "s=call\n"
				  "t=0 0\n"
				  "m=audio 40000 RTP/AVP 111 9 0 8 101\n"
				  "c=IN IP4 192.0.2.5\n"
				  "a=rtpmap:111 opus/48000/2\n"
				  "a=fmtp:111 useinbandfec=1\n"
				  "a=rtpmap:101 telephone-event/8000\n"
				  "a=fmtp:101 0-16\n"
				  "a=ptime:20\n"
				  "a=rtcp-mux\n"
				  "a=sendrecv\n"
				  "m=video 40002 RTP/AVP 96\n"
				  "a=rtpmap:96 H264/90000\n";

static void
test_sipp_offer(void **state)
{
	struct sdp_session s;
	char err[128];
	(void)state;
	assert_int_equal(sdp_parse(sipp_offer, strlen(sipp_offer), &s, err, sizeof(err)), 0);
	assert_int_equal(s.n_audio, 1);
	assert_int_equal(s.audio.port, 6000);
	assert_int_equal(s.audio.addr, inet_addr("10.0.0.1"));
	assert_int_equal(s.audio.n_fmts, 1);
	assert_string_equal(s.audio.fmts[0].name, "PCMU");
	assert_int_equal(s.audio.fmts[0].clock, 8000);
	assert_int_equal(s.audio.tel_event_pt, -1);
	assert_int_equal(s.audio.dir, SDP_SENDRECV);
	assert_int_equal(s.sess_version, 2353687637ull);
}

static void
test_phone_offer(void **state)
{
	struct sdp_session s;
	char err[128];
	(void)state;
	assert_int_equal(sdp_parse(phone_offer, strlen(phone_offer), &s, err, sizeof(err)), 0);
	const struct sdp_media *m = &s.audio;
	assert_int_equal(m->n_fmts, 5);
	assert_string_equal(m->fmts[0].name, "opus");
	assert_int_equal(m->fmts[0].clock, 48000);
	assert_int_equal(m->fmts[0].channels, 2);
	assert_string_equal(m->fmts[0].fmtp, "useinbandfec=1");
	assert_string_equal(m->fmts[1].name, "G722"); /* static, no rtpmap */
	assert_int_equal(m->tel_event_pt, 101);
	assert_int_equal(m->ptime, 20);
	assert_true(m->rtcp_mux);
	assert_int_equal(s.n_media, 2);
	assert_int_equal(s.n_other_media, 1);
	assert_string_equal(s.other_media_lines[0], "video 0 RTP/AVP 96");
}

static void
test_hold(void **state)
{
	struct sdp_session s;
	char err[128];
	(void)state;
	static const char sendonly[] = "v=0\r\no=- 1 3 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
				       "a=sendonly\r\nm=audio 6000 RTP/AVP 8\r\n";
	static const char zero[] = "v=0\r\no=- 1 3 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				   "m=audio 6000 RTP/AVP 8\r\n";
	assert_int_equal(sdp_parse(sendonly, strlen(sendonly), &s, err, sizeof(err)), 0);
	assert_int_equal(s.audio.dir, SDP_SENDONLY); /* session level applies */
	assert_true(sdp_is_hold(&s.audio));
	assert_int_equal(sdp_parse(zero, strlen(zero), &s, err, sizeof(err)), 0);
	assert_int_equal(s.audio.addr, 0);
	assert_true(sdp_is_hold(&s.audio));
	assert_int_equal(sdp_parse(sipp_offer, strlen(sipp_offer), &s, err, sizeof(err)), 0);
	assert_false(sdp_is_hold(&s.audio));
}

static void
test_negotiate(void **state)
{
	struct sdp_session s;
	struct sdp_media ans;
	char err[128];
	static const char *const ours[] = {"PCMA", "PCMU", "G722"};
	static const char *const none[] = {"G729"};
	(void)state;
	assert_int_equal(sdp_parse(phone_offer, strlen(phone_offer), &s, err, sizeof(err)), 0);
	assert_int_equal(sdp_negotiate(&s.audio, ours, 3, &ans), 0);
	assert_int_equal(ans.n_fmts, 4); /* PCMA, PCMU, G722, telephone-event */
	assert_string_equal(ans.fmts[0].name, "PCMA");
	assert_int_equal(ans.fmts[0].pt, 8); /* the offerer's payload types */
	assert_int_equal(ans.tel_event_pt, 101);
	assert_int_equal(sdp_negotiate(&s.audio, none, 1, &ans), -ENOENT);
	s.audio.dir = SDP_SENDONLY;
	assert_int_equal(sdp_negotiate(&s.audio, ours, 3, &ans), 0);
	assert_int_equal(ans.dir, SDP_RECVONLY);
	s.audio.dir = SDP_INACTIVE;
	assert_int_equal(sdp_negotiate(&s.audio, ours, 3, &ans), 0);
	assert_int_equal(ans.dir, SDP_INACTIVE);
}

static void
test_round_trip(void **state)
{
	struct sdp_session a, b;
	char err[128], buf[2048];
	(void)state;
	assert_int_equal(sdp_parse(phone_offer, strlen(phone_offer), &a, err, sizeof(err)), 0);
	int n = sdp_build(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sdp_parse(buf, (size_t)n, &b, err, sizeof(err)), 0);
	assert_int_equal(b.audio.port, a.audio.port);
	assert_int_equal(b.audio.addr, a.audio.addr);
	assert_int_equal(b.audio.n_fmts, a.audio.n_fmts);
	for (unsigned i = 0; i < a.audio.n_fmts; i++) {
		assert_int_equal(b.audio.fmts[i].pt, a.audio.fmts[i].pt);
		assert_string_equal(b.audio.fmts[i].name, a.audio.fmts[i].name);
		assert_int_equal(b.audio.fmts[i].clock, a.audio.fmts[i].clock);
		assert_string_equal(b.audio.fmts[i].fmtp, a.audio.fmts[i].fmtp);
	}
	assert_int_equal(b.audio.tel_event_pt, 101);
	assert_int_equal(b.audio.ptime, 20);
	assert_int_equal(b.n_other_media, 1);
	assert_string_equal(b.other_media_lines[0], "video 0 RTP/AVP 96");
	assert_int_equal(sdp_build(&a, buf, 40), -ENOBUFS);
}

static void
test_refused(void **state)
{
	struct sdp_session s;
	char err[128];
	static const struct {
		const char *sdp;
		int want;
	} bad[] = {
		{"o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", -EINVAL},
		{"v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n", -EINVAL},
		{"v=0\r\nm=audio 1 RTP/AVP 0\r\n", -EINVAL},					 /* no o= */
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 6000 RTP/AVP 0\r\n", -EINVAL}, /* no c= */
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP6 ::1\r\nm=audio 6000 RTP/AVP 0\r\n", -EINVAL},
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3\r\nm=audio 6000 RTP/AVP 0\r\n", -EINVAL},
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", -EINVAL},
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 6000 RTP/AVP\r\n", -EINVAL},
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 6000 RTP/AVP 0 x\r\n", -EINVAL},
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 6000 RTP/AVP 0 1 2 3 4 5 6 7 8 9 10 "
		 "11 12 13 14 15 16\r\n",
		 -E2BIG},
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nbad line\r\n", -EINVAL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = sdp_parse(bad[i].sdp, strlen(bad[i].sdp), &s, err, sizeof(err));
		if (r != bad[i].want)
			fail_msg("case %zu: got %d, want %d", i, r, bad[i].want);
		assert_true(strlen(err) > 0); /* a reason is given */
	}
}

static void
test_truncations(void **state)
{
	struct sdp_session s;
	char err[128];
	(void)state;
	size_t n = strlen(phone_offer);
	for (size_t l = 0; l <= n; l++) {
		/* A copy of exactly l bytes: ASan catches any read past it. */
		char *p = malloc(l ? l : 1);
		memcpy(p, phone_offer, l);
		int r = sdp_parse(p, l, &s, err, sizeof(err));
		assert_true(r == 0 || r == -EINVAL || r == -E2BIG);
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sipp_offer),  cmocka_unit_test(test_phone_offer), cmocka_unit_test(test_hold),
		cmocka_unit_test(test_negotiate),   cmocka_unit_test(test_round_trip),	cmocka_unit_test(test_refused),
		cmocka_unit_test(test_truncations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
