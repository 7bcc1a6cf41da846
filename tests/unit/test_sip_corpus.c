/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP parser and UAS checks against the 49 RFC 4475 torture messages
 * (tests/data/rfc4475, handled as its manifest says): each file is
 * fed as one datagram and, where the RFC frames it so, as a stream in
 * pieces; the outcome (accepted, the response code, or dropped) must be the
 * expected one. Runs under ASan/UBSan too: no read past any buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/sip_msg.h"

#ifndef RFC4475_DIR
#error RFC4475_DIR must name the corpus folder
#endif

/* Expected outcome: 0 accepted by parser and UAS; a code: the response;
 * -1 a response to drop. A second code is an alternative the RFC allows.
 * mpart01 parses (test_details) and is a MESSAGE, which tongdai does not
 * take yet: 405. */
static const struct {
	const char *file;
	int want, alt;
} cases[] = {
	{"wsinv", 0, 0},      {"intmeth", 501, 0},    {"esc01", 0, 0},		{"escnull", 0, 0},
	{"esc02", 501, 0},    {"lwsdisp", 0, 0},      {"longreq", 0, 0},	{"dblreq", 0, 0},
	{"semiuri", 0, 0},    {"transports", 0, 0},   {"mpart01", 405, 0},	{"unreason", 0, 0},
	{"noreason", 0, 0},   {"badinv01", 400, 0},   {"clerr", 400, 0},	{"ncl", 400, 0},
	{"scalar02", 400, 0}, {"scalarlg", -1, 0},    {"quotbal", 400, 0},	{"ltgtruri", 400, 0},
	{"lwsruri", 400, 0},  {"lwsstart", 400, 0},   {"trws", 400, 0},		{"escruri", 400, 0},
	{"baddate", 0, 400},  {"regbadct", 400, 0},   {"badaspec", 400, 0},	{"baddn", 400, 0},
	{"badvers", 505, 0},  {"mismatch01", 400, 0}, {"mismatch02", 501, 400}, {"bigcode", -1, 0},
	{"badbranch", 0, 0},  {"insuf", 400, 0},      {"unkscm", 416, 0},	{"novelsc", 416, 0},
	{"unksm2", 0, 0},     {"bext01", 420, 0},     {"invut", 415, 0},	{"regaut01", 0, 0},
	{"multi01", 400, 0},  {"mcl01", 400, 0},      {"bcast", 0, 0},		{"zeromf", 0, 0},
	{"cparam01", 0, 0},   {"cparam02", 0, 0},     {"regescrt", 0, 0},	{"sdp01", 406, 0},
	{"inv2543", 0, 0},
};

static char *
load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.dat", RFC4475_DIR, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	char *buf = malloc(70000);
	*len = fread(buf, 1, 70000, f);
	fclose(f);
	/* an exact-size copy, so that ASan catches any read past the end */
	char *exact = malloc(*len);
	memcpy(exact, buf, *len);
	free(buf);
	return exact;
}

static int
outcome(const char *buf, size_t len, bool stream, struct sip_msg *m, struct sip_err *err)
{
	char extra[256];
	int r = sip_msg_parse(buf, len, stream, m, err);
	if (r == -EAGAIN)
		return -EAGAIN;
	if (r < 0)
		return err->code ? err->code : -1;
	if (!m->is_request)
		return 0;
	return sip_uas_check(m, err, extra, sizeof(extra)) < 0 ? err->code : 0;
}

static void
test_corpus_datagrams(void **state)
{
	(void)state;
	static struct sip_msg m;
	struct sip_err err;
	int bad = 0;
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), 49);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *buf = load(cases[i].file, &len);
		int got = outcome(buf, len, false, &m, &err);
		if (got != cases[i].want && (cases[i].alt == 0 || got != cases[i].alt)) {
			print_message("%s: got %d (%s), want %d\n", cases[i].file, got, err.reason, cases[i].want);
			bad++;
		}
		free(buf);
	}
	assert_int_equal(bad, 0);
}

static void
test_details(void **state)
{
	(void)state;
	static struct sip_msg m;
	struct sip_err err;
	size_t len;
	char *buf;

	/* wsinv: folding, compact and odd-case names, tags with LWS */
	buf = load("wsinv", &len);
	assert_int_equal(sip_msg_parse(buf, len, false, &m, &err), 0);
	assert_int_equal(m.method, SIP_M_INVITE);
	assert_int_equal(m.cseq, 9);
	assert_true(sip_str_eq(m.to.tag, "1918181833n"));
	assert_true(sip_str_eq(m.from.tag, "98asjd8"));
	assert_int_equal(m.max_forwards, 68);
	assert_true(sip_str_eq(m.via.transport, "UDP"));
	free(buf);

	/* dblreq: the first request per Content-Length; the rest ignored */
	buf = load("dblreq", &len);
	assert_int_equal(sip_msg_parse(buf, len, false, &m, &err), 0);
	assert_true(m.size < len);
	assert_int_equal(m.method, SIP_M_REGISTER);
	free(buf);

	/* escnull: %00 is data, the Call-ID and URIs keep their length */
	buf = load("escnull", &len);
	assert_int_equal(sip_msg_parse(buf, len, false, &m, &err), 0);
	assert_non_null(memchr(m.to.uri.p, '%', m.to.uri.len));
	free(buf);

	/* mpart01: a binary body, Content-Length framed */
	buf = load("mpart01", &len);
	assert_int_equal(sip_msg_parse(buf, len, false, &m, &err), 0);
	assert_true(m.body.len > 0 && m.body.p + m.body.len <= buf + len);
	free(buf);

	/* bext01: the 420 lists the unsupported option tags */
	buf = load("bext01", &len);
	char extra[256];
	assert_int_equal(sip_msg_parse(buf, len, false, &m, &err), 0);
	assert_int_equal(sip_uas_check(&m, &err, extra, sizeof(extra)), -EBADMSG);
	assert_int_equal(err.code, 420);
	assert_non_null(strstr(extra, "Unsupported: "));
	assert_non_null(strstr(extra, "nothingSupportsThis"));
	free(buf);
}

/* Every valid request again as a stream, fed one octet more at a time:
 * -EAGAIN until complete, then the same message (a stream needs a
 * Content-Length: those without one are refused). */
static void
test_corpus_streams(void **state)
{
	(void)state;
	static struct sip_msg m;
	struct sip_err err;
	static const char *const files[] = {"wsinv", "esc01", "longreq", "mpart01", "cparam01", "badbranch"};
	for (unsigned int i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *buf = load(files[i], &len);
		int r = -EAGAIN;
		size_t n;
		for (n = 1; n <= len && r == -EAGAIN; n++) {
			char *part = malloc(n);
			memcpy(part, buf, n);
			r = sip_msg_parse(part, n, true, &m, &err);
			free(part);
		}
		if (r != 0)
			print_message("%s: stream parse %d (%s) after %zu of %zu octets\n", files[i], r, err.reason,
				      n - 1, len);
		assert_int_equal(r, 0);
		assert_int_equal(m.size, n - 1);
		free(buf);
	}
}

static void
test_truncations_never_read_past(void **state)
{
	(void)state;
	static struct sip_msg m;
	struct sip_err err;
	/* Every prefix of every file, as a datagram and as a stream. */
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *buf = load(cases[i].file, &len);
		for (size_t n = 0; n < len; n += (n < 200 ? 1 : 7)) {
			char *part = malloc(n ? n : 1);
			memcpy(part, buf, n);
			(void)sip_msg_parse(part, n, false, &m, &err);
			(void)sip_msg_parse(part, n, true, &m, &err);
			free(part);
		}
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_datagrams),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_corpus_streams),
		cmocka_unit_test(test_truncations_never_read_past),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
