/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Digest authentication: the RFC 7616 §3.9.1 example values, and the
 * verifier against users in a real LMDB store: good credentials in both
 * algorithms, wrong password, unknown user, stale and forged nonces, a
 * replayed nonce count, malformed headers and every truncation of a good
 * one. HA1 values are checked against an independent computation.
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
#include <openssl/evp.h>

#include "control/sip/sip_auth.h"
#include "control/sip/sip_msg.h"
#include "control/store/store.h"
#include "control/store/users.h"

static char dir[] = "/tmp/td-auth-XXXXXX";

static int
setup(void **state)
{
	char err[256];
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(td_users_open(err, sizeof(err)), 0);
	assert_int_equal(td_user_add("1001", "pass-1001", "Desk", NULL, err, sizeof(err)), 0);
	assert_int_equal(sip_auth_init(NULL, 60), 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[64];
	(void)state;
	td_store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
test_rfc7616_example(void **state)
{
	char out[65], ha1[65];
	const char *nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	const char *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	(void)state;
	assert_int_equal(td_user_ha1("MD5", "Mufasa", "http-auth@example.org", "Circle of Life", ha1), 0);
	assert_int_equal(
		sip_auth_response("MD5", ha1, nonce, "00000001", cnonce, "auth", "GET", "/dir/index.html", out), 0);
	assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
	assert_int_equal(td_user_ha1("SHA-256", "Mufasa", "http-auth@example.org", "Circle of Life", ha1), 0);
	assert_int_equal(
		sip_auth_response("SHA-256", ha1, nonce, "00000001", cnonce, "auth", "GET", "/dir/index.html", out), 0);
	assert_string_equal(out, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

/* HA1 as stored: MD5("1001:tongdai:pass-1001") computed here on its own. */
static void
test_stored_ha1(void **state)
{
	struct td_user u;
	unsigned char h[16];
	unsigned int hl;
	char hex[33];
	(void)state;
	assert_int_equal(td_user_get("1001", &u), 0);
	EVP_Digest("1001:tongdai:pass-1001", 22, h, &hl, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", h[i]);
	assert_string_equal(u.ha1_md5, hex);
	assert_int_equal(strlen(u.ha1_sha256), 64);
	assert_string_equal(u.realm, "tongdai");
}

/* The nonce of a challenge made now. */
static void
challenge_nonce(uint64_t now, char *nonce, size_t len)
{
	char buf[1024];
	assert_true(sip_auth_challenge(false, false, now, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "algorithm=SHA-256"));
	assert_true(strstr(buf, "algorithm=SHA-256") < strstr(buf, "algorithm=MD5")); /* SHA-256 first */
	const char *n = strstr(buf, "nonce=\"") + 7;
	size_t l = (size_t)(strchr(n, '"') - n);
	assert_true(l < len);
	memcpy(nonce, n, l);
	nonce[l] = '\0';
}

static enum sip_auth_result
verify(const char *alg, const char *user, const char *password, const char *nonce, const char *nc, uint64_t now,
       const char *override_hdr)
{
	static char msg[4096];
	static struct sip_msg m;
	struct sip_err err;
	struct td_user u;
	char ha1[65], resp[65], hdr[1024];

	assert_int_equal(td_user_ha1(alg, user, "tongdai", password, ha1), 0);
	assert_int_equal(sip_auth_response(alg, ha1, nonce, nc, "abc", "auth", "REGISTER", "sip:tongdai.test", resp),
			 0);
	snprintf(hdr, sizeof(hdr),
		 "Digest username=\"%s\", realm=\"tongdai\", nonce=\"%s\", uri=\"sip:tongdai.test\", "
		 "response=\"%s\", algorithm=%s, qop=auth, nc=%s, cnonce=\"abc\"",
		 user, nonce, resp, alg, nc);
	snprintf(msg, sizeof(msg),
		 "REGISTER sip:tongdai.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n"
		 "From: <sip:%s@tongdai.test>;tag=1\r\nTo: <sip:%s@tongdai.test>\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\n"
		 "Max-Forwards: 70\r\nAuthorization: %s\r\nContent-Length: 0\r\n\r\n",
		 user, user, override_hdr ? override_hdr : hdr);
	assert_int_equal(sip_msg_parse(msg, strlen(msg), false, &m, &err), 0);
	return sip_auth_verify(&m, false, now, &u);
}

static void
test_verify(void **state)
{
	char nonce[128];
	(void)state;
	challenge_nonce(1000, nonce, sizeof(nonce));
	assert_int_equal(verify("SHA-256", "1001", "pass-1001", nonce, "00000001", 2000, NULL), SIP_AUTH_OK);
	assert_int_equal(verify("MD5", "1001", "pass-1001", nonce, "00000002", 2000, NULL), SIP_AUTH_OK);
	/* The same count again is a replay; a higher one is fine. */
	assert_int_equal(verify("MD5", "1001", "pass-1001", nonce, "00000002", 2000, NULL), SIP_AUTH_REPLAY);
	assert_int_equal(verify("MD5", "1001", "pass-1001", nonce, "00000003", 2000, NULL), SIP_AUTH_OK);
	assert_int_equal(verify("MD5", "1001", "wrong", nonce, "00000004", 2000, NULL), SIP_AUTH_BAD_PASSWORD);
	assert_int_equal(verify("MD5", "9999", "x", nonce, "00000004", 2000, NULL), SIP_AUTH_UNKNOWN_USER);
	/* Past the TTL (60 s here): stale, so the client is challenged again. */
	assert_int_equal(verify("MD5", "1001", "pass-1001", nonce, "00000005", 1000 + 61000, NULL), SIP_AUTH_STALE);
	/* A nonce of the right shape that we did not make: challenged afresh. */
	char forged[128];
	snprintf(forged, sizeof(forged), "%s", nonce);
	forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
	assert_int_equal(verify("MD5", "1001", "pass-1001", forged, "00000001", 2000, NULL), SIP_AUTH_STALE);
	assert_int_equal(verify("MD5", "1001", "pass-1001", "short", "00000001", 2000, NULL), SIP_AUTH_MALFORMED);
	/* Two challenges in one millisecond give two nonces. */
	char n1[128], n2[128];
	challenge_nonce(5000, n1, sizeof(n1));
	challenge_nonce(5000, n2, sizeof(n2));
	assert_string_not_equal(n1, n2);
}

static void
test_algorithms(void **state)
{
	char buf[1024], nonce[128];
	(void)state;
	sip_auth_set_algorithms(false, true);
	assert_true(sip_auth_challenge(true, true, 10, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "SHA-256"));
	assert_non_null(strstr(buf, "Proxy-Authenticate: Digest"));
	assert_non_null(strstr(buf, "stale=true"));
	/* SHA-256 credentials are refused while only MD5 is offered. */
	const char *n = strstr(buf, "nonce=\"") + 7;
	size_t l = (size_t)(strchr(n, '"') - n);
	memcpy(nonce, n, l);
	nonce[l] = '\0';
	assert_int_equal(verify("SHA-256", "1001", "pass-1001", nonce, "00000001", 20, NULL), SIP_AUTH_BAD_ALGORITHM);
	assert_int_equal(verify("MD5", "1001", "pass-1001", nonce, "00000001", 20, NULL), SIP_AUTH_OK);
	sip_auth_set_algorithms(true, true);
}

static void
test_malformed(void **state)
{
	char nonce[128];
	static const char *const bad[] = {
		"Digest username=\"1001\", realm=\"tongdai\", nonce=\"x", /* unterminated quote */
		"Digest username=\"1001\", username=\"1001\", realm=\"tongdai\"",
		"Digest realm=\"tongdai\", ,",
		"Digest realm=\"tongdai\" username=\"1001\"",
		"Digest realm=\"tongdai\", username=",
		"Digest realm=\"tongdai\"", /* no username, nonce, uri, response */
	};
	(void)state;
	sip_auth_set_algorithms(true, true);
	challenge_nonce(1000, nonce, sizeof(nonce));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum sip_auth_result r = verify("MD5", "1001", "pass-1001", nonce, "00000001", 2000, bad[i]);
		if (r != SIP_AUTH_MALFORMED)
			fail_msg("'%s' gave %s", bad[i], sip_auth_result_name(r));
	}
	/* A huge value is refused, not truncated into something valid. */
	char huge[2048] = "Digest realm=\"tongdai\", username=\"";
	memset(huge + strlen(huge), 'a', 600);
	strcat(huge, "\"");
	assert_int_equal(verify("MD5", "1001", "pass-1001", nonce, "00000001", 2000, huge), SIP_AUTH_MALFORMED);
	/* Another scheme is not ours: as if there were no credentials. */
	assert_int_equal(verify("MD5", "1001", "pass-1001", nonce, "00000001", 2000, "Basic dXNlcjpwYXNz"),
			 SIP_AUTH_MISSING);
}

/* Every truncation of a good header: never OK, never a crash. */
static void
test_truncations(void **state)
{
	char nonce[128], ha1[65], resp[65], hdr[1024], cut[1024];
	(void)state;
	challenge_nonce(1000, nonce, sizeof(nonce));
	assert_int_equal(td_user_ha1("MD5", "1001", "tongdai", "pass-1001", ha1), 0);
	assert_int_equal(
		sip_auth_response("MD5", ha1, nonce, "00000001", "abc", "auth", "REGISTER", "sip:tongdai.test", resp),
		0);
	int n = snprintf(hdr, sizeof(hdr),
			 "Digest username=\"1001\", realm=\"tongdai\", nonce=\"%s\", uri=\"sip:tongdai.test\", "
			 "response=\"%s\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"abc\"",
			 nonce, resp);
	for (int l = 1; l < n; l++) {
		memcpy(cut, hdr, (size_t)l);
		cut[l] = '\0';
		if (l >= 6 && (cut[l - 1] == ' ' || cut[l - 1] == '\t'))
			continue; /* the parser trims the value: same as a shorter cut */
		assert_int_not_equal(verify("MD5", "1001", "pass-1001", nonce, "00000001", 2000, cut), SIP_AUTH_OK);
	}
	assert_int_equal(verify("MD5", "1001", "pass-1001", nonce, "00000001", 2000, hdr), SIP_AUTH_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7616_example), cmocka_unit_test(test_stored_ha1),
		cmocka_unit_test(test_verify),		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_malformed),	cmocka_unit_test(test_truncations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
