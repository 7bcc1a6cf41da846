/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP URI and parameter readers: the parts, and refusals of what is not a URI. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/sip/sip_uri.h"

static struct sip_str
sv(const char *s)
{
	return (struct sip_str){s, (uint32_t)strlen(s)};
}

static void
test_parts(void **state)
{
	struct sip_uri u;
	(void)state;
	assert_int_equal(sip_uri_parse(sv("sip:1002@10.0.0.5:5070;transport=tcp?X=y"), &u), 0);
	assert_true(sip_str_eq(u.scheme, "sip"));
	assert_true(sip_str_eq(u.user, "1002"));
	assert_true(sip_str_eq(u.host, "10.0.0.5"));
	assert_int_equal(u.port, 5070);
	assert_true(sip_str_eq(u.params, ";transport=tcp"));

	assert_int_equal(sip_uri_parse(sv("sips:alice:secret@example.com"), &u), 0);
	assert_true(sip_str_eq(u.user, "alice"));
	assert_true(sip_str_eq(u.host, "example.com"));
	assert_int_equal(u.port, 0);

	assert_int_equal(sip_uri_parse(sv("sip:example.com;lr"), &u), 0);
	assert_int_equal(u.user.len, 0);
	assert_true(sip_str_eq(u.params, ";lr"));

	/* A user part may hold ';' (RFC 3261 §19.1.2): the last '@' splits. */
	assert_int_equal(sip_uri_parse(sv("sip:+1555;phone-context=x@gw.example:5062"), &u), 0);
	assert_true(sip_str_eq(u.user, "+1555;phone-context=x"));
	assert_true(sip_str_eq(u.host, "gw.example"));
	assert_int_equal(u.port, 5062);

	assert_int_equal(sip_uri_parse(sv("sip:[2001:db8::1]:5060"), &u), 0);
	assert_true(sip_str_eq(u.host, "[2001:db8::1]"));
	assert_int_equal(u.port, 5060);
}

static void
test_refused(void **state)
{
	struct sip_uri u;
	static const char *const bad[] = {
		"tel:+15551234",
		"http://x",
		"sip:",
		"sip:@host",
		"sip:user@",
		"sip:host:0",
		"sip:host:65536",
		"sip:host:abc",
		"sip:[2001:db8::1",
		"nocolon",
		"",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sip_uri_parse(sv(bad[i]), &u) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
	}
}

static void
test_params(void **state)
{
	struct sip_str v;
	(void)state;
	struct sip_str p = sv(";expires=60 ; q=0.5;lr;tag=\"a;b\";+sip.instance=\"<urn:x>\"");
	assert_int_equal(sip_param_get(p, "expires", &v), 1);
	assert_true(sip_str_eq(v, "60"));
	assert_int_equal(sip_param_get(p, "Q", &v), 1);
	assert_true(sip_str_eq(v, "0.5"));
	assert_int_equal(sip_param_get(p, "lr", &v), 1);
	assert_int_equal(v.len, 0);
	assert_int_equal(sip_param_get(p, "tag", &v), 1);
	assert_true(sip_str_eq(v, "\"a;b\""));
	assert_int_equal(sip_param_get(p, "+sip.instance", &v), 1);
	assert_int_equal(sip_param_get(p, "exp", &v), 0);
	assert_int_equal(sip_param_get(sv(""), "x", &v), 0);
	/* An unterminated quote ends the list, never reads past it. */
	assert_int_equal(sip_param_get(sv(";a=\"x;b=1"), "b", &v), 0);
}

static void
test_copy(void **state)
{
	char buf[4];
	(void)state;
	assert_int_equal(sip_str_copy(sv("abc"), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(sip_str_copy(sv("abcd"), buf, sizeof(buf)), -ENOBUFS);
}

static void
test_headers(void **state)
{
	char buf[128];
	struct sip_replaces r;
	(void)state;
	/* A Refer-To of an attended transfer: the Replaces value escaped. */
	struct sip_str u =
		sv("sip:1003@10.0.0.1;transport=udp?X-A=1&Replaces=abc%40host%3Bto-tag%3D7%3Bfrom-tag%3Dq9&Y");
	assert_int_equal(sip_uri_header(u, "replaces", buf, sizeof(buf)), (int)strlen("abc@host;to-tag=7;from-tag=q9"));
	assert_string_equal(buf, "abc@host;to-tag=7;from-tag=q9");
	assert_int_equal(sip_uri_header(u, "X-A", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "1");
	assert_int_equal(sip_uri_header(u, "Y", buf, sizeof(buf)), 0);
	assert_int_equal(sip_uri_header(u, "Z", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(sip_uri_header(sv("sip:a@b"), "Replaces", buf, sizeof(buf)), -ENOENT);
	/* Bad escapes, a decoded NUL and a short buffer are refused. */
	assert_int_equal(sip_uri_header(sv("sip:a@b?R=x%4"), "R", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sip_uri_header(sv("sip:a@b?R=x%zz"), "R", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sip_uri_header(sv("sip:a@b?R=x%00y"), "R", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sip_uri_header(sv("sip:a@b?R=abcd"), "R", buf, 4), -ENOBUFS);

	assert_int_equal(sip_replaces_parse("abc@host;to-tag=7;from-tag=q9", &r), 0);
	assert_string_equal(r.call_id, "abc@host");
	assert_string_equal(r.to_tag, "7");
	assert_string_equal(r.from_tag, "q9");
	assert_false(r.early_only);
	assert_int_equal(sip_replaces_parse("c1; from-tag=f ;to-tag=t;early-only", &r), 0);
	assert_string_equal(r.call_id, "c1");
	assert_string_equal(r.to_tag, "t");
	assert_string_equal(r.from_tag, "f");
	assert_true(r.early_only);
	assert_int_equal(sip_replaces_parse("c1;to-tag=t", &r), -EINVAL);
	assert_int_equal(sip_replaces_parse(";to-tag=t;from-tag=f", &r), -EINVAL);
	assert_int_equal(sip_replaces_parse("c1;to-tag=;from-tag=f", &r), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts), cmocka_unit_test(test_refused), cmocka_unit_test(test_params),
		cmocka_unit_test(test_copy),  cmocka_unit_test(test_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
