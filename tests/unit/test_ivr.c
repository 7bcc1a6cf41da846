/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IVR menus (control/cc/ivr.c) on a fake clock with a real LMDB store:
 * callers walking menus by keys (submenu, back, repeat, barge-in during a
 * prompt), wrong keys and timeouts up to the menu's tries and its fail
 * action, digit collection (terminator, maximum, minimum, timeout), hang-up
 * in a menu; every refusal at definition time (unknown prompt, queue, user
 * or menu, loops without keys, deleting what is used); persistence across
 * a reopen of the store; and the commands.
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
#include <jansson.h>

#include "cc/acd.h"
#include "cc/cc_store.h"
#include "cc/ivr.h"
#include "cc/route.h"
#include "cli_run.h"
#include "store/store.h"
#include "store/users.h"

static char dir[64];
static char err[256];
static uint64_t now_ms;

/* What the IVR asked of the SIP side. */
static struct {
	char plays[64][IVR_PROMPT_MAX];
	int nplay, nstop, nleave;
	uint64_t leave_call;
	struct cc_target leave_to;
	char leave_digits[IVR_DIGITS_MAX + 1];
	int fail_play; /* make play fail */
} sip;

static uint64_t
fake_clock(void)
{
	return now_ms;
}

static int
op_play(uint64_t call, const char *prompt, void *arg)
{
	(void)call, (void)arg;
	if (sip.fail_play)
		return -ENOENT;
	snprintf(sip.plays[sip.nplay++ % 64], IVR_PROMPT_MAX, "%s", prompt);
	return 0;
}

static void
op_stop(uint64_t call, void *arg)
{
	(void)call, (void)arg;
	sip.nstop++;
}

static void
op_leave(uint64_t call, const struct cc_target *t, const char *digits, void *arg)
{
	(void)arg;
	sip.nleave++;
	sip.leave_call = call;
	sip.leave_to = *t;
	snprintf(sip.leave_digits, sizeof(sip.leave_digits), "%s", digits);
}

static const struct ivr_ops ops = {.play = op_play, .stop = op_stop, .leave = op_leave};

static bool
known_prompt(const char *p)
{
	return strcmp(p, "welcome") == 0 || strcmp(p, "billing") == 0 || strcmp(p, "sorry") == 0 ||
	       strcmp(p, "account") == 0;
}

static void
open_store(void)
{
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(td_users_open(err, sizeof(err)), 0);
	assert_int_equal(cc_store_open(err, sizeof(err)), 0);
	cc_init(fake_clock, 1);
	assert_int_equal(cc_load(err, sizeof(err)), 0);
	assert_int_equal(ivr_init(fake_clock), 0);
	ivr_set_ops(&ops);
	ivr_set_prompt_check(known_prompt);
	assert_int_equal(cc_route_load(err, sizeof(err)), 0);
	assert_int_equal(ivr_load(err, sizeof(err)), 0);
}

static void
close_store(void)
{
	ivr_fini();
	cc_route_reset();
	cc_fini();
	td_store_close();
}

/* Run `ivr add|set|key ...` words; the command's status. */
static int
cmd(const char *words)
{
	char json[1024] = "[", buf[512];
	struct cli_sink s = {0};
	snprintf(buf, sizeof(buf), "%s", words);
	for (char *save, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		snprintf(json + strlen(json), sizeof(json) - strlen(json), "%s\"%s\"", json[1] ? "," : "", w);
	snprintf(json + strlen(json), sizeof(json) - strlen(json), "]");
	int status = cli_run(&s, json);
	snprintf(err, sizeof(err), "%s", cli_text(&s));
	cli_sink_free(&s);
	return status;
}

static int
setup(void **state)
{
	struct cc_queue_conf q;
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/td-ivr-XXXXXX");
	assert_non_null(mkdtemp(dir));
	now_ms = 1800000000000ULL;
	memset(&sip, 0, sizeof(sip));
	open_store();
	cc_queue_conf_default(&q, "sales");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
	cc_queue_conf_default(&q, "support");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
	assert_int_equal(td_user_add("1001", "secret", NULL, NULL, err, sizeof(err)), 0);
	/* main: 1 billing, 2 sales, 3 account, 0 the operator, 9 repeat;
	 * billing: 1 support, * back; account: 4 to 8 digits then support. */
	assert_int_equal(cmd("ivr add billing prompt billing invalid sorry timeout 4 tries 2"), 0);
	assert_int_equal(cmd("ivr key billing 1 queue support"), 0);
	assert_int_equal(cmd("ivr key billing * back"), 0);
	assert_int_equal(cmd("ivr add account prompt account collect 4-8 terminator # then queue support"), 0);
	assert_int_equal(cmd("ivr add main prompt welcome invalid sorry timeout 5 tries 3 fail extension 1001"), 0);
	assert_int_equal(cmd("ivr key main 1 menu billing"), 0);
	assert_int_equal(cmd("ivr key main 2 queue sales"), 0);
	assert_int_equal(cmd("ivr key main 3 menu account"), 0);
	assert_int_equal(cmd("ivr key main 0 extension 1001"), 0);
	assert_int_equal(cmd("ivr key main 9 repeat"), 0);
	return 0;
}

static int
teardown(void **state)
{
	char c[128];
	(void)state;
	close_store();
	snprintf(c, sizeof(c), "rm -rf '%s'", dir);
	assert_int_equal(system(c), 0);
	return 0;
}

static void
advance(uint64_t ms)
{
	uint64_t end = now_ms + ms;
	while (now_ms < end) {
		now_ms = now_ms + CC_TICK_MS < end ? now_ms + CC_TICK_MS : end;
		ivr_tick();
	}
}

static const char *
last_play(void)
{
	return sip.nplay ? sip.plays[(sip.nplay - 1) % 64] : "";
}

static void
keys(uint64_t call, const char *k)
{
	for (; *k; k++)
		ivr_call_key(call, *k);
}

static void
test_walk(void **state)
{
	char where[CC_NAME_MAX];
	(void)state;
	assert_int_equal(ivr_call_enter(7, "main"), 0);
	assert_int_equal(ivr_call_enter(7, "main"), -EEXIST);
	assert_int_equal(ivr_call_enter(8, "nosuch"), -ENOENT);
	assert_string_equal(last_play(), "welcome");
	ivr_call_prompt_done(7);
	ivr_call_key(7, '1');
	assert_string_equal(last_play(), "billing");
	assert_true(ivr_call_in(7, where, sizeof(where)));
	assert_string_equal(where, "billing");
	ivr_call_prompt_done(7);
	ivr_call_key(7, '*'); /* back */
	assert_string_equal(last_play(), "welcome");
	assert_true(ivr_call_in(7, where, sizeof(where)));
	assert_string_equal(where, "main");
	ivr_call_prompt_done(7);
	ivr_call_key(7, '9'); /* repeat */
	assert_string_equal(last_play(), "welcome");
	assert_int_equal(sip.nleave, 0);
	/* A key during the prompt stops it and counts. */
	int stops = sip.nstop;
	ivr_call_key(7, '2');
	assert_int_equal(sip.nstop, stops + 1);
	assert_int_equal(sip.nleave, 1);
	assert_int_equal(sip.leave_call, 7);
	assert_int_equal(sip.leave_to.kind, CC_TGT_QUEUE);
	assert_string_equal(sip.leave_to.name, "sales");
	assert_string_equal(sip.leave_digits, "");
	assert_false(ivr_call_in(7, NULL, 0));
	/* Keys after leaving change nothing. */
	ivr_call_key(7, '1');
	assert_int_equal(sip.nleave, 1);

	struct ivr_stats st;
	ivr_stats_get(&st);
	assert_int_equal(st.entered, 1);
	assert_int_equal(st.left, 1);
	assert_int_equal(st.in_menus, 0);
}

static void
test_timeouts_and_wrong_keys(void **state)
{
	struct ivr_stats st;
	(void)state;
	assert_int_equal(ivr_call_enter(1, "main"), 0);
	/* No timer while the prompt plays. */
	advance(20000);
	assert_int_equal(sip.nplay, 1);
	ivr_call_prompt_done(1);
	advance(4900);
	assert_int_equal(sip.nplay, 1);
	advance(200); /* 5 s: first try gone, the invalid prompt */
	assert_int_equal(sip.nplay, 2);
	assert_string_equal(last_play(), "sorry");
	ivr_call_prompt_done(1);
	ivr_call_key(1, '7'); /* not mapped: second try gone */
	assert_int_equal(sip.nplay, 3);
	assert_int_equal(sip.nleave, 0);
	ivr_call_prompt_done(1);
	advance(5000); /* third: the fail action, the operator */
	assert_int_equal(sip.nleave, 1);
	assert_int_equal(sip.leave_to.kind, CC_TGT_EXTENSION);
	assert_string_equal(sip.leave_to.name, "1001");
	ivr_stats_get(&st);
	assert_int_equal(st.timeouts, 2);
	assert_int_equal(st.invalid_keys, 1);

	/* billing has 2 tries and the default fail: hang up. */
	assert_int_equal(ivr_call_enter(2, "main"), 0);
	ivr_call_key(2, '1');
	ivr_call_prompt_done(2);
	advance(4000);
	ivr_call_prompt_done(2);
	advance(4000);
	assert_int_equal(sip.nleave, 2);
	assert_int_equal(sip.leave_to.kind, CC_TGT_HANGUP);

	/* A prompt that cannot play: the caller still gets the timeout. */
	sip.fail_play = 1;
	assert_int_equal(ivr_call_enter(3, "billing"), 0);
	advance(4000);
	advance(4000);
	assert_int_equal(sip.nleave, 3);
	assert_int_equal(sip.leave_to.kind, CC_TGT_HANGUP);
}

static void
test_collect(void **state)
{
	(void)state;
	/* Terminator. */
	assert_int_equal(ivr_call_enter(1, "main"), 0);
	keys(1, "3");
	assert_string_equal(last_play(), "account");
	keys(1, "1234#");
	assert_int_equal(sip.nleave, 1);
	assert_int_equal(sip.leave_to.kind, CC_TGT_QUEUE);
	assert_string_equal(sip.leave_to.name, "support");
	assert_string_equal(sip.leave_digits, "1234");

	/* Too short, then the maximum ends it without a terminator. */
	assert_int_equal(ivr_call_enter(2, "account"), 0);
	keys(2, "12#");
	assert_int_equal(sip.nleave, 1);
	assert_int_equal(sip.nplay, 4); /* account again */
	keys(2, "87654321");
	assert_int_equal(sip.nleave, 2);
	assert_string_equal(sip.leave_digits, "87654321");

	/* The timeout after the minimum ends it; '*' is a wrong key. */
	assert_int_equal(ivr_call_enter(3, "account"), 0);
	ivr_call_prompt_done(3);
	keys(3, "55*");
	assert_int_equal(sip.nleave, 2);
	keys(3, "4321");
	advance(4900);
	assert_int_equal(sip.nleave, 2);
	advance(200);
	assert_int_equal(sip.nleave, 3);
	assert_string_equal(sip.leave_digits, "4321");

	/* Hang-up in a menu: the prompt stops, nothing more. */
	assert_int_equal(ivr_call_enter(4, "account"), 0);
	int stops = sip.nstop;
	ivr_call_gone(4);
	assert_int_equal(sip.nstop, stops + 1);
	assert_false(ivr_call_in(4, NULL, 0));
	advance(60000);
	assert_int_equal(sip.nleave, 3);
	struct ivr_stats st;
	ivr_stats_get(&st);
	assert_int_equal(st.hung_up, 1);
}

static void
test_refusals(void **state)
{
	(void)state;
	assert_int_equal(cmd("ivr add x prompt nosuch"), 1);
	assert_non_null(strstr(err, "unknown prompt nosuch"));
	assert_int_equal(cmd("ivr add x prompt welcome invalid nope"), 1);
	assert_int_equal(cmd("ivr add x prompt welcome fail queue nosuch"), 1);
	assert_non_null(strstr(err, "no queue nosuch"));
	assert_int_equal(cmd("ivr add x prompt welcome fail menu nosuch"), 1);
	assert_non_null(strstr(err, "no menu nosuch"));
	assert_int_equal(cmd("ivr add x prompt welcome fail extension 2002"), 1);
	assert_int_equal(cmd("ivr add x prompt welcome fail repeat"), 2);
	assert_non_null(strstr(err, "forever"));
	assert_int_equal(cmd("ivr add x prompt welcome timeout 0"), 2);
	assert_int_equal(cmd("ivr add x prompt welcome tries 11"), 2);
	assert_int_equal(cmd("ivr add x prompt welcome collect 5-4 then hangup"), 2);
	assert_int_equal(cmd("ivr add x prompt welcome collect 1-40 then hangup"), 2);
	assert_int_equal(cmd("ivr add x prompt welcome collect 1-4"), 2);
	assert_non_null(strstr(err, "then"));
	assert_int_equal(cmd("ivr add x prompt welcome collect 1-4 then back"), 2);
	assert_int_equal(cmd("ivr add x prompt welcome terminator 5"), 2);
	assert_int_equal(cmd("ivr add x prompt welcome colour blue"), 2);
	assert_non_null(strstr(err, "unknown option"));
	assert_int_equal(cmd("ivr add x"), 2);
	assert_int_equal(cmd("ivr add main prompt welcome"), 1);
	assert_non_null(strstr(err, "exists"));
	assert_int_equal(cmd("ivr set nosuch timeout 3"), 1);
	assert_int_equal(cmd("ivr key main 5 park"), 2);
	assert_int_equal(cmd("ivr key main 55 hangup"), 2);
	assert_int_equal(cmd("ivr key main 5 menu nosuch"), 1);
	assert_int_equal(cmd("ivr key account 1 hangup"), 2);
	assert_int_equal(cmd("ivr key nosuch 1 hangup"), 1);

	/* A loop without keys: a fails to b, b to a. */
	assert_int_equal(cmd("ivr add a prompt welcome"), 0);
	assert_int_equal(cmd("ivr add b prompt welcome fail menu a"), 0);
	assert_int_equal(cmd("ivr set a fail menu b"), 2);
	assert_non_null(strstr(err, "loop"));
	assert_int_equal(cmd("ivr set a fail menu a"), 2);
	/* Loops through keys are menus, not loops. */
	assert_int_equal(cmd("ivr key a 1 menu b"), 0);
	assert_int_equal(cmd("ivr key b 1 menu a"), 0);

	/* What is used cannot go. */
	assert_int_equal(cmd("ivr del a"), 1);
	assert_non_null(strstr(err, "used by menu b"));
	assert_int_equal(cmd("ivr del billing"), 1);
	assert_int_equal(cmd("route add 800 ivr main"), 0);
	assert_int_equal(cmd("ivr key a 1 none"), 0);
	assert_int_equal(cmd("ivr del b"), 0);
	assert_int_equal(cmd("ivr del main"), 1);
	assert_non_null(strstr(err, "target of a route"));
	assert_int_equal(cmd("route del 800"), 0);
	assert_int_equal(ivr_call_enter(5, "main"), 0);
	assert_int_equal(cmd("ivr del main"), 1);
	assert_non_null(strstr(err, "callers"));
	ivr_call_gone(5);
	assert_int_equal(cmd("ivr del main"), 0);
	assert_int_equal(cmd("ivr del nosuch"), 1);
	assert_int_equal(cmd("route add 801 ivr main"), 1);
	assert_non_null(strstr(err, "no IVR menu main"));
}

static void
test_persistence(void **state)
{
	struct ivr_menu_conf m;
	(void)state;
	close_store();
	open_store();
	assert_int_equal(ivr_menu_get("main", &m), 0);
	assert_string_equal(m.prompt, "welcome");
	assert_string_equal(m.invalid, "sorry");
	assert_int_equal(m.tries, 3);
	assert_int_equal(m.on_fail.act, IVR_TARGET);
	assert_int_equal(m.on_fail.target.kind, CC_TGT_EXTENSION);
	assert_int_equal(m.key[1].act, IVR_MENU);
	assert_string_equal(m.key[1].target.name, "billing");
	assert_int_equal(m.key[9].act, IVR_REPEAT);
	assert_int_equal(m.key[5].act, IVR_NONE);
	assert_int_equal(ivr_menu_get("account", &m), 0);
	assert_true(m.collect);
	assert_int_equal(m.min, 4);
	assert_int_equal(m.max, 8);
	assert_int_equal(m.terminator, '#');
	assert_string_equal(m.then.target.name, "support");
	assert_int_equal(ivr_menu_get("billing", &m), 0);
	assert_int_equal(m.key[10].act, IVR_BACK);
	/* and the menus work as before */
	assert_int_equal(ivr_call_enter(1, "main"), 0);
	keys(1, "3");
	keys(1, "9999#");
	assert_string_equal(sip.leave_digits, "9999");
}

static void
test_show(void **state)
{
	struct cli_sink s = {0};
	(void)state;
	assert_int_equal(ivr_call_enter(1, "main"), 0);
	assert_int_equal(cli_run(&s, "[\"show\",\"ivr\"]"), 0);
	assert_int_equal(json_array_size(json_object_get(cli_data(&s), "menus")), 3);
	assert_int_equal(json_integer_value(json_object_get(cli_data(&s), "callers")), 1);
	assert_non_null(strstr(cli_text(&s), "1 caller(s)"));
	assert_int_equal(cli_run(&s, "[\"show\",\"ivr\",\"main\"]"), 0);
	json_t *k = json_object_get(cli_data(&s), "keys");
	assert_string_equal(json_string_value(json_object_get(k, "2")), "queue sales");
	assert_string_equal(json_string_value(json_object_get(k, "1")), "menu billing");
	assert_string_equal(json_string_value(json_object_get(cli_data(&s), "fail")), "extension 1001");
	cli_refused(&s, "[\"show\",\"ivr\",\"nosuch\"]", 1, "no menu nosuch");
	cli_sink_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts_and_wrong_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
