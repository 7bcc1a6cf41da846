/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP: real offers (SIPp's, a softphone's with Opus, G.722 and
 * telephone-event, holds), offer/answer, the exact text we build,
 * build-then-parse round trips, refusals with their reason, and every
 * truncation of a valid body handled without a crash (exact-size copies, so
 * the ASan build sees any read past the end).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/sip/sdp.h"

/* What SIPp's uac scenario sends. */
static const char sipp_offer[] = "v=0\r\n"
				 "o=user1 53655765 2353687637 IN IP4 10.0.0.1\r\n"
				 "s=-\r\n"
				 "c=IN IP4 10.0.0.1\r\n"
				 "t=0 0\r\n"
				 "m=audio 6000 RTP/AVP 0\r\n"
				 "a=rtpmap:0 PCMU/8000\r\n";

/* The shape of a baresip offer: Opus first, every format mapped, DTMF,
 * attributes we do not use, bare LF line ends. */
static const char baresip_offer[] = "v=0\n"
				    "o=- 1391187624 2137683493 IN IP4 192.0.2.10\n"
				    "s=-\n"
				    "c=IN IP4 192.0.2.10\n"
				    "t=0 0\n"
				    "m=audio 10922 RTP/AVP 96 9 0 8 101\n"
				    "b=AS:64\n"
				    "a=rtpmap:96 opus/48000/2\n"
				    "a=fmtp:96 stereo=1;sprop-stereo=1\n"
				    "a=rtpmap:9 G722/8000\n"
				    "a=rtpmap:0 PCMU/8000\n"
				    "a=rtpmap:8 PCMA/8000\n"
				    "a=rtpmap:101 telephone-event/8000\n"
				    "a=fmtp:101 0-15\n"
				    "a=ptime:20\n"
				    "a=sendrecv\n"
				    "a=label:1\n"
				    "a=ssrc:1524453346 cname:5f0c4b9e-7a2c\n"
				    "a=rtcp-rsize\n"
				    "a=rtcp-mux\n";

/* A softphone with video: the media c=, G.722 without rtpmap, video to be
 * refused. */
static const char phone_offer[] = "v=0\n"
				  "o=- 1 2 IN IP4 192.0.2.5\n"
				  "s=call\n"
				  "t=0 0\n"
				  "m=audio 40000 RTP/AVP 111 9 0 8 101\n"
				  "c=IN IP4 192.0.2.5\n"
				  "a=rtpmap:111 opus/48000/2\n"
				  "a=fmtp:111 useinbandfec=1\n"
				  "a=rtpmap:101 telephone-event/8000\n"
				  "a=ptime:20\n"
				  "a=sendrecv\n"
				  "m=video 40002 RTP/AVP 96\n"
				  "c=IN IP6 2001:db8::5\n"
				  "a=rtpmap:96 H264/90000\n";

static const char hold_offer[] = "v=0\r\n"
				 "o=- 1 3 IN IP4 10.0.0.1\r\n"
				 "s=-\r\n"
				 "c=IN IP4 10.0.0.1\r\n"
				 "t=0 0\r\n"
				 "m=audio 6000 RTP/AVP 8 101\r\n"
				 "a=rtpmap:101 telephone-event/8000\r\n"
				 "a=sendonly\r\n";

static const char *const samples[] = {sipp_offer, baresip_offer, phone_offer, hold_offer};

static int
parse(const char *sdp, struct sdp_session *s, char *err, size_t errlen)
{
	return sdp_parse(sdp, strlen(sdp), s, err, errlen);
}

static void
assert_parses(const char *sdp, struct sdp_session *s)
{
	char err[160];
	int rc = parse(sdp, s, err, sizeof(err));
	if (rc != 0)
		fail_msg("parse: %d (%s)", rc, err);
}

static void
test_sipp_offer(void **state)
{
	struct sdp_session s;
	(void)state;
	assert_parses(sipp_offer, &s);
	assert_int_equal(s.n_media, 1);
	assert_int_equal(s.n_audio, 1);
	assert_int_equal(s.n_other_media, 0);
	assert_string_equal(s.origin_user, "user1");
	assert_string_equal(s.origin_addr, "10.0.0.1");
	assert_int_equal(s.sess_id, 53655765);
	assert_int_equal(s.sess_version, 2353687637ull);
	assert_int_equal(s.conn_addr, inet_addr("10.0.0.1"));
	assert_int_equal(s.audio.port, 6000);
	assert_string_equal(s.audio.proto, "RTP/AVP");
	assert_int_equal(s.audio.addr, inet_addr("10.0.0.1"));
	assert_int_equal(s.audio.n_fmts, 1);
	assert_int_equal(s.audio.fmts[0].pt, 0);
	assert_string_equal(s.audio.fmts[0].name, "PCMU");
	assert_int_equal(s.audio.fmts[0].clock, 8000);
	assert_int_equal(s.audio.fmts[0].channels, 1);
	assert_int_equal(s.audio.tel_event_pt, -1);
	assert_int_equal(s.audio.ptime, 0);
	assert_int_equal(s.audio.dir, SDP_SENDRECV);
	assert_false(s.audio.rtcp_mux);
}

static void
test_baresip_offer(void **state)
{
	struct sdp_session s;
	(void)state;
	assert_parses(baresip_offer, &s);
	const struct sdp_media *m = &s.audio;
	static const struct {
		uint8_t pt;
		const char *name;
		uint32_t clock;
		uint8_t ch;
		const char *fmtp;
	} want[] = {
		{96, "opus", 48000, 2, "stereo=1;sprop-stereo=1"},
		{9, "G722", 8000, 1, ""},
		{0, "PCMU", 8000, 1, ""},
		{8, "PCMA", 8000, 1, ""},
		{101, "telephone-event", 8000, 1, "0-15"},
	};
	assert_int_equal(m->n_fmts, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(m->fmts[i].pt, want[i].pt);
		assert_string_equal(m->fmts[i].name, want[i].name);
		assert_int_equal(m->fmts[i].clock, want[i].clock);
		assert_int_equal(m->fmts[i].channels, want[i].ch);
		assert_string_equal(m->fmts[i].fmtp, want[i].fmtp);
	}
	assert_int_equal(m->port, 10922);
	assert_int_equal(m->addr, inet_addr("192.0.2.10"));
	assert_int_equal(m->tel_event_pt, 101);
	assert_int_equal(m->tel_event_clock, 8000);
	assert_int_equal(m->ptime, 20);
	assert_true(m->rtcp_mux);
	assert_int_equal(m->dir, SDP_SENDRECV);
	assert_int_equal(s.sess_version, 2137683493ull);
}

static void
test_phone_offer(void **state)
{
	struct sdp_session s;
	(void)state;
	/* The video stream's IPv6 c= does not matter: that stream is refused. */
	assert_parses(phone_offer, &s);
	const struct sdp_media *m = &s.audio;
	assert_int_equal(m->n_fmts, 5);
	assert_string_equal(m->fmts[0].name, "opus");
	assert_int_equal(m->fmts[0].channels, 2);
	assert_string_equal(m->fmts[0].fmtp, "useinbandfec=1");
	assert_string_equal(m->fmts[1].name, "G722"); /* static, no rtpmap */
	assert_int_equal(m->fmts[1].clock, 8000);
	assert_string_equal(m->fmts[3].name, "PCMA");
	assert_int_equal(m->addr, inet_addr("192.0.2.5")); /* media c= only */
	assert_int_equal(s.conn_addr, 0);
	assert_int_equal(m->tel_event_pt, 101);
	assert_int_equal(s.n_media, 2);
	assert_int_equal(s.audio_pos, 0);
	assert_int_equal(s.n_other_media, 1);
	assert_string_equal(s.other_media_lines[0], "video 0 RTP/AVP 96");
}

static void
test_rtpmap_rules(void **state)
{
	struct sdp_session s;
	(void)state;
	/* rtpmap/fmtp for a PT not on the m= line: ignored; a static PT
	 * renamed by rtpmap: the rtpmap wins; an unmapped dynamic PT stays
	 * nameless (never chosen); a second audio m= is refused like video;
	 * CRLF and LF mixed, blank lines and trailing blanks. */
	static const char sdp[] = "v=0\r\n"
				  "o=- 7 7 IN IP4 10.0.0.1\n"
				  "\r\n"
				  "s=-  \r\n"
				  "c=IN IP4 10.0.0.1\r\n"
				  "t=0 0\r\n"
				  "a=recvonly\r\n"
				  "m=audio 6000 RTP/AVP 18 97 120\r\n"
				  "a=rtpmap:99 PCMA/8000\r\n"
				  "a=fmtp:99 x=1\r\n"
				  "a=rtpmap:18 G729/8000\r\n"
				  "a=fmtp:18 annexb=no \r\n"
				  "a=rtpmap:120 opus/48000/2\r\n"
				  "a=maxptime:40\r\n"
				  "m=audio 6002 RTP/AVP 0\r\n"
				  "a=sendonly\r\n";
	assert_parses(sdp, &s);
	assert_int_equal(s.audio.n_fmts, 3);
	assert_string_equal(s.audio.fmts[0].name, "G729");
	assert_string_equal(s.audio.fmts[0].fmtp, "annexb=no");
	assert_string_equal(s.audio.fmts[1].name, "");
	assert_int_equal(s.audio.fmts[1].clock, 0);
	assert_string_equal(s.audio.fmts[2].name, "opus");
	assert_int_equal(s.audio.fmts[2].clock, 48000);
	assert_int_equal(s.audio.dir, SDP_RECVONLY); /* the second stream's sendonly is not ours */
	assert_int_equal(s.n_other_media, 1);
	assert_string_equal(s.other_media_lines[0], "audio 0 RTP/AVP 0");
}

static void
test_hold(void **state)
{
	struct sdp_session s;
	(void)state;
	assert_parses(hold_offer, &s);
	assert_int_equal(s.audio.dir, SDP_SENDONLY);
	assert_true(sdp_is_hold(&s.audio));

	static const char sess_level[] = "v=0\r\no=- 1 3 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
					 "a=inactive\r\nm=audio 6000 RTP/AVP 8\r\n";
	assert_parses(sess_level, &s);
	assert_int_equal(s.audio.dir, SDP_INACTIVE); /* the session's applies */
	assert_true(sdp_is_hold(&s.audio));

	static const char overridden[] = "v=0\r\no=- 1 3 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
					 "a=sendonly\r\nm=audio 6000 RTP/AVP 8\r\na=sendrecv\r\n";
	assert_parses(overridden, &s);
	assert_int_equal(s.audio.dir, SDP_SENDRECV); /* the media's wins */
	assert_false(sdp_is_hold(&s.audio));

	static const char zero[] = "v=0\r\no=- 1 3 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				   "m=audio 6000 RTP/AVP 8\r\n";
	assert_parses(zero, &s);
	assert_int_equal(s.audio.addr, 0);
	assert_int_equal(s.audio.dir, SDP_SENDRECV);
	assert_true(sdp_is_hold(&s.audio));

	assert_parses(sipp_offer, &s);
	assert_false(sdp_is_hold(&s.audio));
	s.audio.dir = SDP_RECVONLY;
	assert_false(sdp_is_hold(&s.audio));
}

static void
test_negotiate(void **state)
{
	struct sdp_session s;
	struct sdp_media ans;
	static const char *const ours[] = {"PCMA", "PCMU", "G722", "G729", "opus"};
	static const char *const opus_first[] = {"opus", "telephone-event", "PCMA"};
	static const char *const none[] = {"G729", "telephone-event"};
	(void)state;
	assert_parses(baresip_offer, &s);
	assert_int_equal(sdp_negotiate(&s.audio, ours, 5, &ans), 0);
	assert_int_equal(ans.n_fmts, 5); /* PCMA, PCMU, G722, opus, telephone-event */
	assert_string_equal(ans.fmts[0].name, "PCMA");
	assert_int_equal(ans.fmts[0].pt, 8);
	assert_string_equal(ans.fmts[3].name, "opus");
	assert_int_equal(ans.fmts[3].pt, 96); /* the offerer's number */
	assert_string_equal(ans.fmts[4].name, "telephone-event");
	assert_int_equal(ans.tel_event_pt, 101);
	assert_int_equal(ans.tel_event_clock, 8000);
	assert_int_equal(ans.ptime, 20);
	assert_int_equal(ans.port, 10922);
	assert_int_equal(ans.dir, SDP_SENDRECV);

	assert_int_equal(sdp_negotiate(&s.audio, opus_first, 3, &ans), 0);
	assert_int_equal(ans.n_fmts, 3); /* telephone-event once, after the codecs */
	assert_int_equal(ans.fmts[0].pt, 96);
	assert_string_equal(ans.fmts[0].fmtp, "stereo=1;sprop-stereo=1");
	assert_int_equal(ans.fmts[1].pt, 8);
	assert_int_equal(ans.fmts[2].pt, 101);

	assert_int_equal(sdp_negotiate(&s.audio, none, 2, &ans), -ENOENT);
	assert_int_equal(sdp_negotiate(&s.audio, ours, 0, &ans), -ENOENT);

	/* No telephone-event offered: none answered. */
	assert_parses(sipp_offer, &s);
	assert_int_equal(sdp_negotiate(&s.audio, ours, 5, &ans), 0);
	assert_int_equal(ans.n_fmts, 1);
	assert_int_equal(ans.tel_event_pt, -1);

	/* Directions (RFC 3264 §6.1). */
	static const enum sdp_dir dirs[][2] = {{SDP_SENDRECV, SDP_SENDRECV},
					       {SDP_SENDONLY, SDP_RECVONLY},
					       {SDP_RECVONLY, SDP_SENDONLY},
					       {SDP_INACTIVE, SDP_INACTIVE}};
	for (unsigned i = 0; i < 4; i++) {
		s.audio.dir = dirs[i][0];
		assert_int_equal(sdp_negotiate(&s.audio, ours, 5, &ans), 0);
		assert_int_equal(ans.dir, dirs[i][1]);
	}
}

static void
test_negotiate_tel_event_clock(void **state)
{
	struct sdp_session s;
	struct sdp_media ans;
	static const char *const opus[] = {"opus"};
	static const char *const pcma[] = {"PCMA"};
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
				  "m=audio 6000 RTP/AVP 111 8 101 110\r\n"
				  "a=rtpmap:111 opus/48000/2\r\n"
				  "a=rtpmap:101 telephone-event/8000\r\n"
				  "a=rtpmap:110 telephone-event/48000\r\n";
	(void)state;
	assert_parses(sdp, &s);
	assert_int_equal(s.audio.tel_event_pt, 101); /* the first one */
	assert_int_equal(sdp_negotiate(&s.audio, opus, 1, &ans), 0);
	assert_int_equal(ans.tel_event_pt, 110); /* RFC 4733: Opus' clock */
	assert_int_equal(ans.tel_event_clock, 48000);
	assert_int_equal(ans.n_fmts, 2);
	assert_int_equal(sdp_negotiate(&s.audio, pcma, 1, &ans), 0);
	assert_int_equal(ans.tel_event_pt, 101);
}

static void
test_build_text(void **state)
{
	struct sdp_session s = {0};
	char buf[1024];
	(void)state;
	s.sess_id = 42;
	s.sess_version = 7;
	s.n_audio = 1;
	s.audio.port = 20000;
	s.audio.addr = inet_addr("203.0.113.9");
	s.audio.ptime = 20;
	s.audio.dir = SDP_RECVONLY;
	s.audio.n_fmts = 3;
	s.audio.fmts[0] = (struct sdp_fmt){.pt = 8, .name = "PCMA", .clock = 8000, .channels = 1};
	s.audio.fmts[1] =
		(struct sdp_fmt){.pt = 96, .name = "opus", .clock = 48000, .channels = 2, .fmtp = "useinbandfec=1"};
	s.audio.fmts[2] = (struct sdp_fmt){.pt = 101, .name = "telephone-event", .clock = 8000, .channels = 1};
	s.n_other_media = 1;
	s.audio_pos = 1;
	snprintf(s.other_media_lines[0], sizeof(s.other_media_lines[0]), "video 0 RTP/AVP 31");
	static const char want[] = "v=0\r\n"
				   "o=tongdai 42 7 IN IP4 203.0.113.9\r\n"
				   "s=-\r\n"
				   "c=IN IP4 203.0.113.9\r\n"
				   "t=0 0\r\n"
				   "m=video 0 RTP/AVP 31\r\n"
				   "m=audio 20000 RTP/AVP 8 96 101\r\n"
				   "a=rtpmap:8 PCMA/8000\r\n"
				   "a=rtpmap:96 opus/48000/2\r\n"
				   "a=fmtp:96 useinbandfec=1\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\n"
				   "a=fmtp:101 0-16\r\n"
				   "a=ptime:20\r\n"
				   "a=recvonly\r\n";
	int n = sdp_build(&s, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
	/* Every buffer too small by even one byte is refused. */
	for (size_t max = 0; max <= (size_t)n; max++)
		assert_int_equal(sdp_build(&s, buf, max), -ENOBUFS);
	assert_int_equal(sdp_build(&s, buf, (size_t)n + 1), n);
}

static void
assert_same(const struct sdp_session *a, const struct sdp_session *b)
{
	assert_int_equal(b->sess_id, a->sess_id);
	assert_int_equal(b->sess_version, a->sess_version);
	assert_string_equal(b->origin_user, a->origin_user);
	assert_int_equal(b->n_media, a->n_media);
	assert_int_equal(b->n_audio, a->n_audio);
	assert_int_equal(b->audio_pos, a->audio_pos);
	assert_int_equal(b->audio.port, a->audio.port);
	assert_string_equal(b->audio.proto, a->audio.proto);
	assert_int_equal(b->audio.addr, a->audio.addr);
	assert_int_equal(b->audio.dir, a->audio.dir);
	assert_int_equal(b->audio.ptime, a->audio.ptime);
	assert_int_equal(b->audio.rtcp_mux, a->audio.rtcp_mux);
	assert_int_equal(b->audio.tel_event_pt, a->audio.tel_event_pt);
	assert_int_equal(b->audio.tel_event_clock, a->audio.tel_event_clock);
	assert_int_equal(b->audio.n_fmts, a->audio.n_fmts);
	for (unsigned i = 0; i < a->audio.n_fmts; i++) {
		const struct sdp_fmt *x = &a->audio.fmts[i], *y = &b->audio.fmts[i];
		assert_int_equal(y->pt, x->pt);
		assert_string_equal(y->name, x->name);
		assert_int_equal(y->clock, x->clock);
		assert_int_equal(y->channels, x->channels);
		/* The one addition: telephone-event gets its events listed. */
		if (x->fmtp[0] == '\0' && strcmp(x->name, "telephone-event") == 0)
			assert_string_equal(y->fmtp, "0-16");
		else
			assert_string_equal(y->fmtp, x->fmtp);
	}
	assert_int_equal(b->n_other_media, a->n_other_media);
	for (unsigned i = 0; i < a->n_other_media; i++)
		assert_string_equal(b->other_media_lines[i], a->other_media_lines[i]);
}

static void
test_round_trip(void **state)
{
	struct sdp_session a, b;
	struct sdp_media ans;
	char err[160], buf[4096];
	static const char *const ours[] = {"G722", "PCMA"};
	(void)state;
	for (unsigned k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
		assert_parses(samples[k], &a);
		int n = sdp_build(&a, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(strlen(buf), (size_t)n);
		if (sdp_parse(buf, (size_t)n, &b, err, sizeof(err)) != 0)
			fail_msg("sample %u rebuilt does not parse: %s\n%s", k, err, buf);
		assert_same(&a, &b);
	}
	/* The answer, built and read back. */
	assert_parses(phone_offer, &a);
	assert_int_equal(sdp_negotiate(&a.audio, ours, 2, &ans), 0);
	a.audio = ans;
	int n = sdp_build(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sdp_parse(buf, (size_t)n, &b, err, sizeof(err)), 0);
	assert_same(&a, &b);
	assert_int_equal(b.audio.n_fmts, 3);
	assert_string_equal(b.audio.fmts[0].name, "G722");
	assert_non_null(strstr(buf, "m=video 0 RTP/AVP 96\r\n"));
	assert_non_null(strstr(buf, "a=fmtp:101 0-16\r\n"));
}

static void
test_refused(void **state)
{
	struct sdp_session s;
	char err[160];
#define HDR  "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
#define CONN "c=IN IP4 1.2.3.4\r\n"
	static const struct {
		const char *sdp;
		int want;
		const char *reason; /* a part of the reason given */
	} bad[] = {
		{"", -EINVAL, "empty SDP"},
		{"\r\n\r\n", -EINVAL, "empty SDP"},
		{"o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", -EINVAL, "line 1: SDP must start with v=0"},
		{"v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n", -EINVAL, "line 1: version '1' is not 0"},
		{"v=0\r\nv=0\r\n", -EINVAL, "line 2: second v= line"},
		{"v=0\r\nm=audio 1 RTP/AVP 0\r\n", -EINVAL, "no o= line"},
		{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\no=- 1 1 IN IP4 1.2.3.4\r\n", -EINVAL, "second o= line"},
		{"v=0\r\no=- 1 IN IP4 1.2.3.4\r\n", -EINVAL, "line 2: o= wants"},
		{"v=0\r\no=- x 1 IN IP4 1.2.3.4\r\n", -EINVAL, "session id and version"},
		{"v=0\r\no=- 18446744073709551616 1 IN IP4 1.2.3.4\r\n", -EINVAL, "session id and version"},
		{"v=0\r\no=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 1 IN IP4 1.2.3.4\r\n", -E2BIG, "username longer"},
		{HDR "m=audio 6000 RTP/AVP 0\r\n", -EINVAL, "no c= line for the audio stream"},
		{HDR "c=IN IP6 ::1\r\nm=audio 6000 RTP/AVP 0\r\n", -EAFNOSUPPORT,
		 "line 4: the audio stream is on the "},
		{HDR "m=audio 6000 RTP/AVP 0\r\nc=IN IP6 2001:db8::1\r\n", -EAFNOSUPPORT, "IPv4 media only"},
		{HDR "c=IN IP6 2001:db8::zz\r\n", -EINVAL, "'2001:db8::zz' is not an IPv6 address"},
		{HDR "c=IN IP4 1.2.3\r\nm=audio 6000 RTP/AVP 0\r\n", -EINVAL, "'1.2.3' is not an IPv4 address"},
		{HDR "c=IN IP4 pbx.example.com\r\n", -EINVAL, "names are not resolved"},
		{HDR "c=ATM NSAP 1\r\n", -EINVAL, "network type 'ATM' is not IN"},
		{HDR "c=IN IPX 1\r\n", -EINVAL, "neither IP4 nor IP6"},
		{HDR "c=IN IP4\r\n", -EINVAL, "c= wants"},
		{HDR CONN "m=audio 70000 RTP/AVP 0\r\n", -EINVAL, "port '70000' is not a number"},
		{HDR CONN "m=audio -1 RTP/AVP 0\r\n", -EINVAL, "port '-1'"},
		{HDR CONN "m=audio 6000/2 RTP/AVP 0\r\n", -EINVAL, "one port per stream"},
		{HDR CONN "m=audio 6000 RTP/AVP\r\n", -EINVAL, "line 5: m=: no formats"},
		{HDR CONN "m=audio 6000\r\n", -EINVAL, "m= wants"},
		{HDR CONN "m=audio 6000 RTP/AVP 0 x\r\n", -EINVAL, "payload type 'x'"},
		{HDR CONN "m=audio 6000 RTP/AVP 128\r\n", -EINVAL, "payload type '128'"},
		{HDR CONN "m=audio 6000 RTP/AVP 0 12345678901234567890123\r\n", -EINVAL, "payload type '1234"},
		{HDR CONN "m=audio 6000 RTP/AVP 8 0 8\r\n", -EINVAL, "payload type 8 listed twice"},
		{HDR CONN "m=audio 6000 RTP/SAVP/VERY/LONG 0\r\n", -E2BIG, "transport 'RTP/SAVP/VERY/LONG' longer"},
		{HDR CONN "m=audio 6000 RTP/AVP 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\r\n", -E2BIG,
		 "more than 16 formats"},
		{HDR CONN "m=audio 6000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\nm=video 0 RTP/AVP 31\r\n"
			  "m=video 0 RTP/AVP 31\r\nm=video 0 RTP/AVP 31\r\nm=video 0 RTP/AVP 31\r\n",
		 -E2BIG, "line 10: more than 4 m= lines"},
		{HDR CONN "m=video x RTP/AVP 31\r\n", -EINVAL, "port 'x'"},
		{HDR CONN "m=video 0 RTP/AVP\r\n", -EINVAL, "m= wants"},
		{HDR CONN "m=application 9 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa x\r\n", -E2BIG,
		 "too long to be refused"},
		{HDR CONN "m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", -EINVAL, "'opus' is not <encoding>"},
		{HDR CONN "m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 opus/0\r\n", -EINVAL, "is not <encoding>"},
		{HDR CONN "m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 /8000\r\n", -EINVAL, "is not <encoding>"},
		{HDR CONN "m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/0\r\n", -EINVAL, "is not <encoding>"},
		{HDR CONN "m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2 x\r\n", -EINVAL, "a=rtpmap wants"},
		{HDR CONN "m=audio 6000 RTP/AVP 96\r\na=rtpmap:x opus/48000\r\n", -EINVAL, "a=rtpmap wants"},
		{HDR CONN "m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 a-very-long-codec-name/8000\r\n", -E2BIG,
		 "encoding name longer than 15"},
		{HDR CONN "m=audio 6000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:8 PCMA/8000\r\n", -EINVAL,
		 "line 7: a=rtpmap:8 given twice"},
		{HDR CONN "m=audio 6000 RTP/AVP 8\r\na=fmtp:8\r\n", -EINVAL, "a=fmtp:8 without parameters"},
		{HDR CONN "m=audio 6000 RTP/AVP 8\r\na=fmtp:x y\r\n", -EINVAL, "a=fmtp wants"},
		{HDR CONN "m=audio 6000 RTP/AVP 8\r\na=fmtp:8 a\r\na=fmtp:8 b\r\n", -EINVAL, "a=fmtp:8 given twice"},
		{HDR CONN
		 "m=audio 6000 RTP/AVP 8\r\na=fmtp:8 "
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
		 -E2BIG, "parameters longer than 127"},
		{HDR CONN "m=audio 6000 RTP/AVP 8\r\na=ptime:0\r\n", -EINVAL, "a=ptime: '0'"},
		{HDR CONN "m=audio 6000 RTP/AVP 8\r\na=ptime:20.5\r\n", -EINVAL, "a=ptime: '20.5'"},
		{HDR CONN "m=audio 6000 RTP/AVP 8\r\na=ptime:\r\n", -EINVAL, "a=ptime"},
		{HDR CONN "m=audio 6000 RTP/AVP 8\r\na=sendonly:yes\r\n", -EINVAL, "a=sendonly takes no value"},
		{HDR "bad line\r\n", -EINVAL, "line 4: not a <type>=<value> line"},
		{HDR "A=x\r\n", -EINVAL, "line 4: not a <type>=<value>"},
		{HDR "a\r\n", -EINVAL, "not a <type>=<value>"},
		{HDR "s=a\rb\r\n", -EINVAL, "control character 0x0d"},
		{"v=0\n\n\no=- 1 1 IN IP4 1.2.3.4\n\nc=IN IP4 1.2.3.4\nm=audio 6000 RTP/AVP 0\na=rtpmap:0 x\n", -EINVAL,
		 "line 8: a=rtpmap:0:"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 'x', sizeof(err));
		int r = sdp_parse(bad[i].sdp, strlen(bad[i].sdp), &s, err, sizeof(err));
		if (r != bad[i].want)
			fail_msg("case %zu: got %d, want %d (%s)", i, r, bad[i].want, r < 0 ? err : "");
		if (strstr(err, bad[i].reason) == NULL)
			fail_msg("case %zu: reason '%s' lacks '%s'", i, err, bad[i].reason);
	}
	/* A NUL inside a line is data the parser must see, and refuse. */
	static const char nul[] = HDR "s=a\0b\r\n" CONN;
	assert_int_equal(sdp_parse(nul, sizeof(nul) - 1, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 4: control character 0x00");
#undef HDR
#undef CONN
}

static void
test_err_buffers(void **state)
{
	struct sdp_session s;
	char err[8];
	static const char bad[] = "v=0\r\nx\r\n";
	(void)state;
	/* No reason wanted, or a short buffer: still the right code, still a string. */
	assert_int_equal(sdp_parse(bad, strlen(bad), &s, NULL, 0), -EINVAL);
	assert_int_equal(sdp_parse(bad, strlen(bad), &s, err, 0), -EINVAL);
	assert_int_equal(sdp_parse(bad, strlen(bad), &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2:");
	/* Success leaves an empty reason, even after a session c= on IPv6
	 * that the audio stream did not use. */
	static const char ok6[] = "v=0\r\no=- 1 1 IN IP6 ::1\r\nc=IN IP6 ::1\r\nm=audio 6000 RTP/AVP 0\r\n"
				  "c=IN IP4 10.1.1.1\r\n";
	char err2[128];
	assert_int_equal(sdp_parse(ok6, strlen(ok6), &s, err2, sizeof(err2)), 0);
	assert_string_equal(err2, "");
	assert_int_equal(s.audio.addr, inet_addr("10.1.1.1"));
	assert_string_equal(s.origin_addr, "::1");
	/* A refused audio stream (port 0) needs no address. */
	static const char refused[] = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n";
	assert_int_equal(sdp_parse(refused, strlen(refused), &s, err2, sizeof(err2)), 0);
	assert_int_equal(s.audio.port, 0);
}

static void
test_truncations(void **state)
{
	struct sdp_session s;
	char err[160];
	(void)state;
	for (unsigned k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
		size_t n = strlen(samples[k]);
		unsigned ok = 0;
		for (size_t l = 0; l <= n; l++) {
			/* A copy of exactly l bytes: ASan catches any read past it. */
			char *p = malloc(l ? l : 1);
			assert_non_null(p);
			memcpy(p, samples[k], l);
			int r = sdp_parse(p, l, &s, err, sizeof(err));
			free(p);
			if (r == 0) {
				ok++;
				continue;
			}
			if (r != -EINVAL && r != -E2BIG && r != -EAFNOSUPPORT)
				fail_msg("sample %u cut at %zu: %d", k, l, r);
			if (err[0] == '\0')
				fail_msg("sample %u cut at %zu: no reason", k, l);
		}
		assert_true(ok > 0); /* the whole at least */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sipp_offer),
		cmocka_unit_test(test_baresip_offer),
		cmocka_unit_test(test_phone_offer),
		cmocka_unit_test(test_rtpmap_rules),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_negotiate_tel_event_clock),
		cmocka_unit_test(test_build_text),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_err_buffers),
		cmocka_unit_test(test_truncations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
