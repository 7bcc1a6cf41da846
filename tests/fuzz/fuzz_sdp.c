/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the SDP parser, then offer/answer and the builder on what
 * parsed. Beyond "no crash" it checks two properties and aborts when one
 * fails: what we build from a parsed session parses back to the same
 * session, and so does the answer we negotiate. libFuzzer with clang
 * (bench/fuzz.sh), or replayed from a corpus by tests/fuzz/driver.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
same_fmt(const struct sdp_fmt *x, const struct sdp_fmt *y)
{
	/* The builder adds the events of a telephone-event that had none. */
	const char *want = x->fmtp[0] == '\0' && strcasecmp(x->name, "telephone-event") == 0 ? "0-16" : x->fmtp;
	return x->pt == y->pt && strcmp(x->name, y->name) == 0 && x->clock == y->clock && x->channels == y->channels &&
	       strcmp(want, y->fmtp) == 0;
}

static bool
same(const struct sdp_session *a, const struct sdp_session *b)
{
	const struct sdp_media *x = &a->audio, *y = &b->audio;
	if (a->sess_id != b->sess_id || a->sess_version != b->sess_version ||
	    strcmp(a->origin_user, b->origin_user) != 0 || strcmp(a->origin_addr, b->origin_addr) != 0 ||
	    a->n_media != b->n_media || a->n_audio != b->n_audio || a->n_other_media != b->n_other_media)
		return false;
	for (unsigned i = 0; i < a->n_other_media; i++)
		if (strcmp(a->other_media_lines[i], b->other_media_lines[i]) != 0)
			return false;
	if (a->n_audio == 0)
		return true;
	if (a->audio_pos != b->audio_pos || x->port != y->port || strcmp(x->proto, y->proto) != 0 ||
	    x->addr != y->addr || x->dir != y->dir || x->ptime != y->ptime || x->rtcp_mux != y->rtcp_mux ||
	    x->n_fmts != y->n_fmts || x->tel_event_pt != y->tel_event_pt)
		return false;
	for (unsigned i = 0; i < x->n_fmts; i++)
		if (!same_fmt(&x->fmts[i], &y->fmts[i]))
			return false;
	return true;
}

/* Build s into a block of exactly the size it needs and parse it back. */
static void
round_trip(const struct sdp_session *s)
{
	static char out[16384];
	struct sdp_session again;
	char err[160];
	int n = sdp_build(s, out, sizeof(out));

	if (n < 0)
		abort(); /* a parsed session always fits 16 KiB */
	char *exact = malloc((size_t)n + 1);
	if (exact == NULL)
		return;
	if (sdp_build(s, exact, (size_t)n + 1) != n)
		abort();
	if (sdp_parse(exact, (size_t)n, &again, err, sizeof(err)) != 0 || !same(s, &again))
		abort();
	if (sdp_build(s, exact, (size_t)n) != -ENOBUFS) /* one byte short */
		abort();
	free(exact);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ours[] = {"PCMA", "PCMU", "G722", "G729", "opus"};
	struct sdp_session s;
	struct sdp_media ans;
	char err[160];
	/* An exact-size copy: a read past the input is a read past the heap
	 * block, which the sanitizers report. */
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	int rc = sdp_parse(buf, size, &s, err, sizeof(err));
	free(buf);
	if (rc < 0) {
		if (err[0] == '\0' || (rc != -EINVAL && rc != -E2BIG && rc != -EAFNOSUPPORT))
			abort(); /* every refusal has a reason */
		return 0;
	}
	round_trip(&s);
	if (s.n_audio && sdp_negotiate(&s.audio, ours, 5, &ans) == 0) {
		s.audio = ans;
		round_trip(&s);
	}
	return 0;
}
