/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP trunks without the network: `trunk add` arguments parsed into a
 * configuration (every option, defaults, and each bad value refused with
 * its reason), dial-prefix matching (longest prefix, strip counts, nothing
 * left to dial), routing over several trunks, sources, DIDs, and storage in
 * a real LMDB store in a temporary folder (kept across a close and reopen,
 * the password stored but never shown by `show trunks`).
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
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli_run.h"
#include "mgmt/mgmt.h"
#include "sip/trunk.h"
#include "store/store.h"

static char dir[64];
static char err[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/td-trunk-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(trunks_open(err, sizeof(err)), 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	trunk_shutdown();
	td_store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Parse a space-separated argument line. */
static int
parse(struct trunk_cfg *t, const char *line)
{
	char buf[512], *argv[64];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *p = strtok(buf, " "); p && argc < 64; p = strtok(NULL, " "))
		argv[argc++] = p;
	err[0] = '\0';
	return trunk_cfg_parse(t, argc, argv, err, sizeof(err));
}

static void
test_parse(void **state)
{
	struct trunk_cfg t;
	char ip[INET_ADDRSTRLEN];
	(void)state;

	assert_int_equal(parse(&t,
			       "op host 192.0.2.10:5080 user acct1 password p4ss register yes expires 600 "
			       "prefix 9/strip 1 prefix +33 prefix 00/2 source 198.51.100.7 source 192.0.2.11:5060"),
			 0);
	assert_string_equal(t.name, "op");
	inet_ntop(AF_INET, t.addr, ip, sizeof(ip));
	assert_string_equal(ip, "192.0.2.10");
	assert_int_equal(t.port, 5080);
	assert_string_equal(t.user, "acct1");
	assert_string_equal(t.password, "p4ss");
	assert_true(t.reg);
	assert_int_equal(t.expires, 600);
	assert_int_equal(t.n_prefix, 3);
	assert_string_equal(t.prefix[0].digits, "9");
	assert_int_equal(t.prefix[0].strip, 1);
	assert_string_equal(t.prefix[1].digits, "+33");
	assert_int_equal(t.prefix[1].strip, 0);
	assert_string_equal(t.prefix[2].digits, "00");
	assert_int_equal(t.prefix[2].strip, 2);
	assert_int_equal(t.n_source, 2);
	inet_ntop(AF_INET, t.source[0].addr, ip, sizeof(ip));
	assert_string_equal(ip, "198.51.100.7");
	assert_int_equal(t.source[0].port, 0); /* any port */
	assert_int_equal(t.source[1].port, 5060);

	/* Defaults: port 5060, no registration, the host as the only source. */
	assert_int_equal(parse(&t, "plain host 203.0.113.5"), 0);
	assert_int_equal(t.port, 5060);
	assert_false(t.reg);
	assert_int_equal(t.expires, TRUNK_EXPIRES_DEF);
	assert_int_equal(t.n_source, 1);
	assert_memory_equal(t.source[0].addr, t.addr, 4);
	assert_int_equal(t.source[0].port, 5060);
	assert_int_equal(parse(&t, "p host 203.0.113.5 prefix 0/stripe1"), -EINVAL); /* "stripe1" */

	/* Each bad value, with a reason naming it. */
	static const struct {
		const char *line, *reason;
	} bad[] = {
		{"", "trunk add takes"},
		{"bad!name host 192.0.2.1", "bad character '!'"},
		{"op", "needs a host"},
		{"op host", "'host' needs a value"},
		{"op host example.com", "bad host 'example.com'"},
		{"op host 192.0.2.1:0", "bad host"},
		{"op host 192.0.2.1:70000", "bad host"},
		{"op host 0.0.0.0", "bad host"},
		{"op host ::1", "bad host"},
		{"op host 192.0.2.1 user a@b", "bad user 'a@b'"},
		{"op host 192.0.2.1 password x", "a password needs a user"},
		{"op host 192.0.2.1 register maybe", "bad register 'maybe'"},
		{"op host 192.0.2.1 register yes user u", "register yes needs a user and a password"},
		{"op host 192.0.2.1 expires 10", "bad expires '10'"},
		{"op host 192.0.2.1 expires 3600x", "bad expires"},
		{"op host 192.0.2.1 register no expires 600", "expires is for register yes"},
		{"op host 192.0.2.1 prefix 9a", "bad prefix '9a'"},
		{"op host 192.0.2.1 prefix 12345678901234567", "bad prefix"},
		{"op host 192.0.2.1 prefix 9/3", "bad strip count"},
		{"op host 192.0.2.1 prefix 9/x", "bad strip count"},
		{"op host 192.0.2.1 prefix 9 prefix 9/1", "prefix 9 given twice"},
		{"op host 192.0.2.1 source 192.0.2.300", "bad source"},
		{"op host 192.0.2.1 colour blue", "unknown option 'colour'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(&t, bad[i].line);
		if (ret != -EINVAL || strstr(err, bad[i].reason) == NULL)
			fail_msg("'%s': %d '%s', want -EINVAL with '%s'", bad[i].line, ret, err, bad[i].reason);
	}
}

static void
test_prefix_match(void **state)
{
	struct trunk_cfg t;
	char out[40];
	(void)state;

	assert_int_equal(parse(&t, "op host 192.0.2.10 prefix 9/1 prefix 900/3 prefix +33"), 0);
	assert_int_equal(trunk_prefix_match(&t, "90142", out, sizeof(out)), 1);
	assert_string_equal(out, "0142");
	/* The longest prefix wins, with its own strip count. */
	assert_int_equal(trunk_prefix_match(&t, "900555", out, sizeof(out)), 3);
	assert_string_equal(out, "555");
	assert_int_equal(trunk_prefix_match(&t, "+33142", out, sizeof(out)), 3);
	assert_string_equal(out, "+33142");
	assert_int_equal(trunk_prefix_match(&t, "1001", out, sizeof(out)), -ENOENT);
	/* Nothing left to dial once stripped. */
	assert_int_equal(trunk_prefix_match(&t, "9", out, sizeof(out)), -ENOENT);
	assert_int_equal(trunk_prefix_match(&t, "900", out, sizeof(out)), -ENOENT);
	/* A result that does not fit is no match either. */
	assert_int_equal(trunk_prefix_match(&t, "9123456", out, 4), -ENOENT);
	assert_int_equal(trunk_number_check("+33*12#", err, sizeof(err)), 0);
	assert_int_equal(trunk_number_check("12a", err, sizeof(err)), -EINVAL);
	assert_int_equal(trunk_number_check("", err, sizeof(err)), -EINVAL);
}

static void
test_routing_and_storage(void **state)
{
	struct trunk_cfg a, b;
	char dial[40];
	(void)state;

	assert_int_equal(
		parse(&a, "alpha host 192.0.2.10:5080 user acct password s3cr3t prefix 9/1 source 198.51.100.7"), 0);
	assert_int_equal(trunk_add(&a, err, sizeof(err)), 0);
	assert_int_equal(parse(&b, "beta host 192.0.2.20 prefix 90/2 prefix 8"), 0);
	assert_int_equal(trunk_add(&b, err, sizeof(err)), 0);
	assert_int_equal(trunk_add(&b, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "trunk beta exists"));

	const struct trunk_cfg *r = trunk_route_out("9142", dial, sizeof(dial));
	assert_non_null(r);
	assert_string_equal(r->name, "alpha");
	assert_string_equal(dial, "142");
	r = trunk_route_out("90142", dial, sizeof(dial));
	assert_non_null(r);
	assert_string_equal(r->name, "beta");
	assert_string_equal(dial, "142");
	r = trunk_route_out("8555", dial, sizeof(dial));
	assert_non_null(r);
	assert_string_equal(r->name, "beta");
	assert_string_equal(dial, "8555");
	assert_null(trunk_route_out("1001", dial, sizeof(dial)));

	/* Sources: alpha only from its given source, beta from host:5060. */
	struct sip_peer p = {.family = AF_INET, .port = 40000};
	inet_pton(AF_INET, "198.51.100.7", p.addr);
	assert_non_null(trunk_by_source(&p));
	assert_string_equal(trunk_by_source(&p)->name, "alpha");
	inet_pton(AF_INET, "192.0.2.10", p.addr);
	p.port = 5080;
	assert_null(trunk_by_source(&p));
	inet_pton(AF_INET, "192.0.2.20", p.addr);
	p.port = 5060;
	assert_string_equal(trunk_by_source(&p)->name, "beta");
	p.port = 5061;
	assert_null(trunk_by_source(&p));

	/* DIDs. */
	assert_int_equal(trunk_did_add("alpha", "+3314200", "1002", err, sizeof(err)), 0);
	assert_int_equal(trunk_did_add("alpha", "+3314200", "1003", err, sizeof(err)), -EEXIST);
	assert_int_equal(trunk_did_add("alpha", "12x", "1003", err, sizeof(err)), -EINVAL);
	assert_int_equal(trunk_did_add("alpha", "555", "bad ext", err, sizeof(err)), -EINVAL);
	assert_int_equal(trunk_did_add("gamma", "555", "1003", err, sizeof(err)), -ENOENT);
	assert_int_equal(trunk_did_add("alpha", "555", "1003", err, sizeof(err)), 0);
	assert_string_equal(trunk_did_ext(trunk_find("alpha"), "555"), "1003");
	assert_int_equal(trunk_did_del("alpha", "555", err, sizeof(err)), 0);
	assert_null(trunk_did_ext(trunk_find("alpha"), "555"));
	assert_int_equal(trunk_did_del("alpha", "555", err, sizeof(err)), -ENOENT);

	/* Kept across a close and reopen of the store, password included. */
	trunk_shutdown();
	td_store_close();
	assert_null(trunk_find("alpha"));
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(trunks_open(err, sizeof(err)), 2);
	r = trunk_find("alpha");
	assert_non_null(r);
	assert_string_equal(r->password, "s3cr3t");
	assert_int_equal(r->port, 5080);
	assert_string_equal(trunk_did_ext(r, "+3314200"), "1002");
	assert_int_equal(r->n_source, 1);
	assert_int_equal(trunk_del("alpha", err, sizeof(err)), 0);
	assert_int_equal(trunk_del("alpha", err, sizeof(err)), -ENOENT);
	assert_null(trunk_route_out("9142", dial, sizeof(dial)));
	trunk_shutdown();
	assert_int_equal(trunks_open(err, sizeof(err)), 1);
}

/* ---- the commands, through the management dispatcher ---- */

static void
test_commands(void **state)
{
	struct cli_sink s = {0};
	(void)state;

	assert_int_equal(cli_run(&s, "[\"trunk\", \"add\", \"op\", \"host\", \"192.0.2.10:5080\", \"user\", \"acct\", "
				     "\"password\", \"TopSecret9\", \"prefix\", \"9/strip\", \"1\"]"),
			 0);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"add\", \"op\", \"host\", \"192.0.2.10\"]"), 1);
	assert_non_null(strstr(cli_text(&s), "exists"));
	assert_int_equal(cli_run(&s, "[\"trunk\", \"add\", \"x\", \"host\", \"nowhere\"]"), 2);
	assert_non_null(strstr(cli_text(&s), "bad host 'nowhere'"));
	assert_int_equal(cli_run(&s, "[\"trunk\", \"did\", \"add\", \"op\", \"0142\", \"1002\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"did\", \"add\", \"op\", \"0142\"]"), 2);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"did\", \"add\", \"op\", \"01x\", \"1002\"]"), 2);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"did\", \"add\", \"nope\", \"0142\", \"1002\"]"), 1);
	assert_int_equal(cli_run(&s, "[\"show\", \"trunks\"]"), 0);
	char *dump = json_dumps(s.last, 0);
	assert_null(strstr(dump, "TopSecret9"));
	free(dump);
	json_t *t = json_array_get(json_object_get(json_object_get(s.last, "data"), "trunks"), 0);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(t, "name")), "op");
	assert_true(json_is_true(json_object_get(t, "password_set")));
	assert_null(json_object_get(t, "password"));
	assert_string_equal(json_string_value(json_object_get(t, "state")), "not registering");
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(json_object_get(t, "prefixes"), 0), "strip")), 1);
	assert_non_null(strstr(cli_text(&s), "did 0142 -> 1002"));
	assert_int_equal(cli_run(&s, "[\"show\", \"trunks\", \"x\"]"), 2);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"did\", \"del\", \"op\", \"0142\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"did\", \"del\", \"op\", \"0142\"]"), 1);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"del\", \"op\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"del\", \"op\"]"), 1);
	assert_int_equal(cli_run(&s, "[\"trunk\", \"del\", \"a b\"]"), 2);
	json_decref(s.last);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_prefix_match),
		cmocka_unit_test_setup_teardown(test_routing_and_storage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
