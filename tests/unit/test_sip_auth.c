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
		"Digest username=\"1001\", nonce=\"x\", uri=\"sip:tongdai.test\", response=\"x\"", /* no realm */
		"Digest realm=\"tongdai\", username=\"1001\", nc=000\"0001",			   /* not a token */
		"Digest realm=\"tongdai\", username=\"10\\",	/* escape at the end */
		"Digest realm=\"tongdai\", user@name=\"1001\"", /* not a token name */
		"Digest realm=\"tongdai\", =\"1001\"",
		"Digest realm=\"tongdai\", username",
		"Digest ",
		"Digest realm=\"tongdai\",a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1,j=1,k=1,l=1,m=1,n=1,o=1,p=1", /* 17 */
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

/* A REGISTER carrying one header line as written by the client side. */
static enum sip_auth_result
verify_line(const char *line, bool proxy, uint64_t now)
{
	static char msg[4096];
	static struct sip_msg m;
	struct sip_err err;
	struct td_user u;

	snprintf(msg, sizeof(msg),
		 "REGISTER sip:tongdai.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n"
		 "From: <sip:1001@tongdai.test>;tag=1\r\nTo: <sip:1001@tongdai.test>\r\nCall-ID: a\r\n"
		 "CSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n",
		 line);
	assert_int_equal(sip_msg_parse(msg, strlen(msg), false, &m, &err), 0);
	memset(&u, 0, sizeof(u));
	enum sip_auth_result r = sip_auth_verify(&m, proxy, now, &u);
	if (r == SIP_AUTH_OK)
		assert_string_equal(u.name, "1001");
	return r;
}

/* Parse a 401/407 whose challenge lines (CRLF ended) are given. */
static int
client_parse(int code, const char *challenges, struct sip_auth_client *c)
{
	static char msg[4096];
	static struct sip_msg m;
	struct sip_err err;

	snprintf(msg, sizeof(msg),
		 "SIP/2.0 %d Unauthorized\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n"
		 "From: <sip:1001@tongdai.test>;tag=1\r\nTo: <sip:1001@tongdai.test>;tag=2\r\nCall-ID: a\r\n"
		 "CSeq: 1 REGISTER\r\n%sContent-Length: 0\r\n\r\n",
		 code, challenges);
	assert_int_equal(sip_msg_parse(msg, strlen(msg), false, &m, &err), 0);
	memset(c, 0x5a, sizeof(*c));
	return sip_auth_client_parse(&m, c);
}

#define RFC_NONCE  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RFC_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

/* RFC 7616 §3.9.1 through the client side: the challenges of the example
 * (SHA-256 first, MD5 second, qop "auth, auth-int") and the responses it
 * gives for cnonce RFC_CNONCE and nc 1. */
static void
test_client_rfc7616(void **state)
{
	struct sip_auth_client c;
	char line[1024];
	const char *sha = "WWW-Authenticate: Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
			  "algorithm=SHA-256, nonce=\"" RFC_NONCE "\", opaque=\"" RFC_OPAQUE "\"\r\n";
	const char *md5 = "WWW-Authenticate: Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
			  "algorithm=MD5, nonce=\"" RFC_NONCE "\", opaque=\"" RFC_OPAQUE "\"\r\n";
	char both[1024];
	(void)state;

	/* Either order: SHA-256 is chosen. */
	snprintf(both, sizeof(both), "%s%s", md5, sha);
	assert_int_equal(client_parse(401, both, &c), 0);
	assert_int_equal(c.alg, SIP_AUTH_SHA256);
	assert_true(c.qop_auth);
	assert_false(c.proxy);
	assert_int_equal(c.nc, 0);
	assert_string_equal(c.realm, "http-auth@example.org");
	assert_string_equal(c.nonce, RFC_NONCE);
	assert_string_equal(c.opaque, RFC_OPAQUE);
	c.nc = 1;
	snprintf(c.cnonce, sizeof(c.cnonce), "%s", RFC_CNONCE);
	int n = sip_auth_client_build(&c, false, "Mufasa", "Circle of Life", "GET", "/dir/index.html", line,
				      sizeof(line));
	assert_int_equal(n, (int)strlen(line));
	assert_string_equal(line, "Authorization: Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
				  "nonce=\"" RFC_NONCE "\", uri=\"/dir/index.html\", "
				  "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
				  "algorithm=SHA-256, opaque=\"" RFC_OPAQUE "\", qop=auth, nc=00000001, "
				  "cnonce=\"" RFC_CNONCE "\"\r\n");

	assert_int_equal(client_parse(401, md5, &c), 0);
	assert_int_equal(c.alg, SIP_AUTH_MD5);
	c.nc = 1;
	snprintf(c.cnonce, sizeof(c.cnonce), "%s", RFC_CNONCE);
	assert_true(sip_auth_client_build(&c, true, "Mufasa", "Circle of Life", "GET", "/dir/index.html", line,
					  sizeof(line)) > 0);
	assert_non_null(strstr(line, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
	assert_true(strncmp(line, "Proxy-Authorization: Digest ", 28) == 0);

	/* sip_auth_client_header counts and draws a new cnonce each time. */
	n = sip_auth_client_header(&c, false, "Mufasa", "Circle of Life", "GET", "/", line, sizeof(line));
	assert_int_equal(n, (int)strlen(line));
	assert_int_equal(c.nc, 2);
	assert_int_equal(strlen(c.cnonce), 32);
	assert_string_not_equal(c.cnonce, RFC_CNONCE);
	assert_non_null(strstr(line, "nc=00000002"));
	char first[33];
	snprintf(first, sizeof(first), "%s", c.cnonce);
	assert_true(sip_auth_client_header(&c, false, "Mufasa", "Circle of Life", "GET", "/", line, sizeof(line)) > 0);
	assert_int_equal(c.nc, 3);
	assert_string_not_equal(c.cnonce, first);
}

/* Our challenge, read by our client, answered, and checked by our server. */
static void
test_client_roundtrip(void **state)
{
	struct sip_auth_client c, saved;
	char chal[1024], line[1024], first[1024];
	(void)state;

	assert_int_equal(sip_auth_init(NULL, 60), 0);
	assert_true(sip_auth_challenge(false, false, 1000, chal, sizeof(chal)) > 0);
	assert_int_equal(client_parse(401, chal, &c), 0);
	assert_int_equal(c.alg, SIP_AUTH_SHA256);
	assert_true(c.has_opaque);
	saved = c;
	assert_true(sip_auth_client_header(&c, false, "1001", "pass-1001", "REGISTER", "sip:tongdai.test", first,
					   sizeof(first)) > 0);
	assert_int_equal(verify_line(first, false, 1500), SIP_AUTH_OK);
	assert_int_equal(verify_line(first, false, 1600), SIP_AUTH_REPLAY);
	assert_true(sip_auth_client_header(&c, false, "1001", "pass-1001", "REGISTER", "sip:tongdai.test", line,
					   sizeof(line)) > 0);
	assert_int_equal(verify_line(line, false, 1700), SIP_AUTH_OK);
	/* The wrong password, and the right one under the wrong header. */
	assert_true(sip_auth_client_header(&c, false, "1001", "pass-1002", "REGISTER", "sip:tongdai.test", line,
					   sizeof(line)) > 0);
	assert_int_equal(verify_line(line, false, 1800), SIP_AUTH_BAD_PASSWORD);
	assert_true(sip_auth_client_header(&c, true, "1001", "pass-1001", "REGISTER", "sip:tongdai.test", line,
					   sizeof(line)) > 0);
	assert_int_equal(verify_line(line, false, 1800), SIP_AUTH_MISSING);
	assert_int_equal(verify_line(line, true, 1800), SIP_AUTH_OK);
	/* Another URI than the Request-URI. */
	assert_true(sip_auth_client_header(&c, false, "1001", "pass-1001", "REGISTER", "sip:other.test", line,
					   sizeof(line)) > 0);
	assert_int_equal(verify_line(line, false, 1800), SIP_AUTH_BAD_URI);
	/* A 407 with MD5 only: Proxy-Authorization with MD5. */
	sip_auth_set_algorithms(false, true);
	assert_true(sip_auth_challenge(true, false, 2000, chal, sizeof(chal)) > 0);
	sip_auth_set_algorithms(true, true);
	assert_int_equal(client_parse(407, chal, &c), 0);
	assert_int_equal(c.alg, SIP_AUTH_MD5);
	assert_true(c.proxy);
	assert_true(sip_auth_client_header(&c, c.proxy, "1001", "pass-1001", "REGISTER", "sip:tongdai.test", line,
					   sizeof(line)) > 0);
	assert_non_null(strstr(line, "algorithm=MD5"));
	assert_int_equal(verify_line(line, true, 2100), SIP_AUTH_OK);
	/* Past the TTL the same nonce is stale, whatever the count. */
	c = saved;
	assert_true(sip_auth_client_header(&c, false, "1001", "pass-1001", "REGISTER", "sip:tongdai.test", line,
					   sizeof(line)) > 0);
	assert_int_equal(verify_line(line, false, 1000 + 60001), SIP_AUTH_STALE);
}

/* Without qop (RFC 2069 style) a nonce is good once. */
static void
test_client_no_qop(void **state)
{
	struct sip_auth_client c;
	char chal[1024], line[1024], *q;
	(void)state;

	assert_true(sip_auth_challenge(false, false, 3000, chal, sizeof(chal)) > 0);
	while ((q = strstr(chal, ", qop=\"auth\"")) != NULL)
		memmove(q, q + 12, strlen(q + 12) + 1);
	assert_int_equal(client_parse(401, chal, &c), 0);
	assert_false(c.qop_auth);
	assert_true(sip_auth_client_header(&c, false, "1001", "pass-1001", "REGISTER", "sip:tongdai.test", line,
					   sizeof(line)) > 0);
	assert_null(strstr(line, "nc="));
	assert_null(strstr(line, "cnonce="));
	assert_int_equal(c.nc, 0);
	assert_int_equal(verify_line(line, false, 3100), SIP_AUTH_OK);
	assert_int_equal(verify_line(line, false, 3200), SIP_AUTH_STALE);
}

static void
test_client_errors(void **state)
{
	struct sip_auth_client c;
	char line[1024], big[1024];
	(void)state;

	assert_int_equal(client_parse(401, "", &c), -ENOENT);
	assert_int_equal(client_parse(401, "WWW-Authenticate: Basic realm=\"x\"\r\n", &c), -ENOTSUP);
	assert_int_equal(
		client_parse(401, "WWW-Authenticate: Digest realm=\"x\", nonce=\"n\", algorithm=MD5-sess\r\n", &c),
		-ENOTSUP);
	assert_int_equal(
		client_parse(401, "WWW-Authenticate: Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256\r\n", &c),
		-ENOTSUP);
	assert_int_equal(
		client_parse(401, "WWW-Authenticate: Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\"\r\n", &c),
		-ENOTSUP);
	assert_int_equal(client_parse(401, "WWW-Authenticate: Digest realm=\"x\", qop=\"auth\"\r\n", &c), -EINVAL);
	assert_int_equal(client_parse(401, "WWW-Authenticate: Digest nonce=\"n\"\r\n", &c), -EINVAL);
	assert_int_equal(client_parse(401, "WWW-Authenticate: Digest realm=\"x, nonce=\"n\"\r\n", &c), -EINVAL);
	assert_int_equal(client_parse(401, "WWW-Authenticate: Digest realm=\"x\", realm=\"y\", nonce=\"n\"\r\n", &c),
			 -EINVAL);
	/* A nonce longer than the struct holds is refused, not cut. */
	snprintf(big, sizeof(big), "WWW-Authenticate: Digest realm=\"x\", nonce=\"%0200d\"\r\n", 7);
	assert_int_equal(client_parse(401, big, &c), -EINVAL);
	/* Basic next to Digest: Digest, MD5 by default, a comma inside quotes
	 * and an escaped quote kept as data. */
	assert_int_equal(client_parse(401,
				      "WWW-Authenticate: Basic realm=\"x\"\r\n"
				      "WWW-Authenticate: Digest realm=\"a,\\\"b\", nonce=n1\r\n",
				      &c),
			 0);
	assert_int_equal(c.alg, SIP_AUTH_MD5);
	assert_false(c.qop_auth);
	assert_false(c.has_opaque);
	assert_string_equal(c.realm, "a,\"b");
	assert_string_equal(c.nonce, "n1");
	/* Written back escaped. */
	int n = sip_auth_client_header(&c, false, "1\"2", "p", "INVITE", "sip:x", line, sizeof(line));
	assert_int_equal(n, (int)strlen(line));
	assert_non_null(strstr(line, "username=\"1\\\"2\", realm=\"a,\\\"b\", nonce=\"n1\""));
	/* Every buffer too small: -ENOBUFS, the struct untouched. */
	for (int m = 0; m < n + 1; m++)
		assert_int_equal(sip_auth_client_build(&c, false, "1\"2", "p", "INVITE", "sip:x", line, (size_t)m),
				 -ENOBUFS);
	assert_int_equal(sip_auth_client_build(&c, false, "1\"2", "p", "INVITE", "sip:x", line, (size_t)n + 1), n);
	/* Control characters, an empty user, a method that is not a token. */
	assert_int_equal(sip_auth_client_header(&c, false, "10\r\n01", "p", "INVITE", "sip:x", line, sizeof(line)),
			 -EINVAL);
	assert_int_equal(sip_auth_client_header(&c, false, "", "p", "INVITE", "sip:x", line, sizeof(line)), -EINVAL);
	assert_int_equal(sip_auth_client_header(&c, false, "1", "p", "IN VITE", "sip:x", line, sizeof(line)), -EINVAL);
	/* With qop the count cannot wrap. */
	assert_int_equal(client_parse(401, "WWW-Authenticate: Digest realm=\"x\", nonce=n, qop=auth\r\n", &c), 0);
	c.nc = UINT32_MAX;
	assert_int_equal(sip_auth_client_header(&c, false, "1", "p", "INVITE", "sip:x", line, sizeof(line)),
			 -EOVERFLOW);
}

/* Nonce n's slot set in the replay table (the MAC's first four octets). */
static uint32_t
nonce_set(const char *n)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++) {
		unsigned v;
		assert_int_equal(sscanf(n + 24 + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	uint32_t h;
	memcpy(&h, b, sizeof(h));
	return (h & (SIP_AUTH_REPLAY_SLOTS - 1)) & ~3u;
}

/* A used nonce pushed out of the replay table by four younger ones in its
 * set is not taken as new again: its old counts would be replayable. */
static void
test_replay_eviction(void **state)
{
	char target[128], n[128], line[1024], chal[1024];
	struct sip_auth_client c;
	int found = 0;
	(void)state;

	assert_int_equal(sip_auth_init(NULL, 60), 0);
	challenge_nonce(1000, target, sizeof(target));
	assert_int_equal(verify("MD5", "1001", "pass-1001", target, "00000001", 1000, NULL), SIP_AUTH_OK);
	for (int i = 0; i < 1000000 && found < 4; i++) {
		challenge_nonce(1001 + (uint64_t)found, n, sizeof(n));
		if (nonce_set(n) != nonce_set(target))
			continue;
		found++;
		assert_int_equal(verify("MD5", "1001", "pass-1001", n, "00000001", 2000, NULL), SIP_AUTH_OK);
	}
	assert_int_equal(found, 4);
	assert_int_equal(verify("MD5", "1001", "pass-1001", target, "00000001", 2000, NULL), SIP_AUTH_STALE);
	assert_int_equal(verify("MD5", "1001", "pass-1001", target, "00000002", 2000, NULL), SIP_AUTH_STALE);
	/* A nonce made after that is served as usual. */
	assert_true(sip_auth_challenge(false, false, 1500, chal, sizeof(chal)) > 0);
	assert_int_equal(client_parse(401, chal, &c), 0);
	assert_true(sip_auth_client_header(&c, false, "1001", "pass-1001", "REGISTER", "sip:tongdai.test", line,
					   sizeof(line)) > 0);
	assert_int_equal(verify_line(line, false, 2000), SIP_AUTH_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7616_example), cmocka_unit_test(test_stored_ha1),
		cmocka_unit_test(test_verify),		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_malformed),	cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_client_rfc7616),	cmocka_unit_test(test_client_roundtrip),
		cmocka_unit_test(test_client_no_qop),	cmocka_unit_test(test_client_errors),
		cmocka_unit_test(test_replay_eviction),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
