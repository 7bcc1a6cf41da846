/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Numbers and business hours (control/cc/route.c) with a real LMDB store in
 * a temporary folder: calendars in a zone with daylight saving time, spans
 * and holidays; routes to each kind of target, inside and outside hours;
 * every refusal at definition time; persistence across a reopen of the
 * store; and the commands through the management dispatcher.
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
#include "cc/route.h"
#include "cli_run.h"
#include "store/store.h"
#include "store/users.h"

/* Instants (UTC) and what they are in Europe/Paris. */
#define MON_0930_CET  1795422600ULL /* 2026-11-23 08:30Z: Monday 09:30 CET */
#define MON_1745_CET  1795452300ULL /* 2026-11-23 16:45Z: Monday 17:45 CET */
#define MON_0930_CEST 1783323000ULL /* 2026-07-06 07:30Z: Monday 09:30 CEST */
#define MON_0830_CEST 1783319400ULL /* 2026-07-06 06:30Z: Monday 08:30 CEST */
#define SAT_1030_CET  1795858200ULL /* 2026-11-28 09:30Z */
#define SUN_1100_CET  1795946400ULL /* 2026-11-29 10:00Z */
#define FRI_1100_XMAS 1798192800ULL /* 2026-12-25 10:00Z */

static char dir[64];
static char err[256];

static bool
menu_exists(const char *name)
{
	return strcmp(name, "main") == 0;
}

static void
open_store(void)
{
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(td_users_open(err, sizeof(err)), 0);
	assert_int_equal(cc_store_open(err, sizeof(err)), 0);
	cc_init(NULL, 1);
	assert_int_equal(cc_load(err, sizeof(err)), 0);
	assert_int_equal(cc_route_load(err, sizeof(err)), 0);
	cc_route_set_ivr_check(menu_exists);
}

static void
close_store(void)
{
	cc_route_reset();
	cc_fini();
	td_store_close();
}

static int
setup(void **state)
{
	struct cc_queue_conf q;
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/td-route-XXXXXX");
	assert_non_null(mkdtemp(dir));
	open_store();
	cc_queue_conf_default(&q, "sales");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
	assert_int_equal(td_user_add("1001", "secret", NULL, NULL, err, sizeof(err)), 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	close_store();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int
cal(const char *name, const char *text, bool add)
{
	char buf[256], *argv[32];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *save, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	return cc_calendar_set(name, argc, argv, add, err, sizeof(err));
}

static void
office(void)
{
	assert_int_equal(cal("office", "tz Europe/Paris mon-fri 09:00-17:30 sat 10:00-12:00", true), 0);
}

static void
test_calendar_hours(void **state)
{
	const char *why;
	(void)state;
	office();
	assert_int_equal(cc_calendar_open("office", MON_0930_CET * 1000, &why), 1);
	assert_string_equal(why, "open");
	assert_int_equal(cc_calendar_open("office", MON_1745_CET * 1000, &why), 0);
	assert_string_equal(why, "outside hours");
	/* Summer time: 07:30Z is 09:30 in Paris, 06:30Z only 08:30. */
	assert_int_equal(cc_calendar_open("office", MON_0930_CEST * 1000, NULL), 1);
	assert_int_equal(cc_calendar_open("office", MON_0830_CEST * 1000, NULL), 0);
	assert_int_equal(cc_calendar_open("office", SAT_1030_CET * 1000, NULL), 1);
	assert_int_equal(cc_calendar_open("office", SUN_1100_CET * 1000, NULL), 0);
	/* The end of a span is closed: 17:30 is out, 17:29 in. */
	assert_int_equal(cc_calendar_open("office", (MON_0930_CET + 8 * 3600 - 60) * 1000, NULL), 1);
	assert_int_equal(cc_calendar_open("office", (MON_0930_CET + 8 * 3600) * 1000, NULL), 0);

	/* A holiday closes a working day all day, and can be taken back. */
	assert_int_equal(cc_calendar_open("office", FRI_1100_XMAS * 1000, NULL), 1);
	assert_int_equal(cc_calendar_holiday("office", "2026-12-25", true, err, sizeof(err)), 0);
	assert_int_equal(cc_calendar_open("office", FRI_1100_XMAS * 1000, &why), 0);
	assert_string_equal(why, "holiday");
	assert_int_equal(cc_calendar_holiday("office", "2026-12-25", false, err, sizeof(err)), 0);
	assert_int_equal(cc_calendar_open("office", FRI_1100_XMAS * 1000, NULL), 1);

	/* set replaces the hours and keeps the zone when none is given. */
	assert_int_equal(cal("office", "mon 09:00-10:00", false), 0);
	assert_int_equal(cc_calendar_open("office", MON_0930_CET * 1000, NULL), 1);
	assert_int_equal(cc_calendar_open("office", SAT_1030_CET * 1000, NULL), 0);
	/* UTC by default; wrapping day ranges. */
	assert_int_equal(cal("night", "sat-mon 08:00-09:00", true), 0);
	assert_int_equal(cc_calendar_open("night", MON_0930_CET * 1000, NULL), 1); /* 08:30Z Monday */
	assert_int_equal(cc_calendar_open("night", (MON_0930_CET + 86400) * 1000, NULL), 0);
	assert_int_equal(cc_calendar_open("none", MON_0930_CET * 1000, NULL), -ENOENT);
}

static void
test_calendar_refusals(void **state)
{
	(void)state;
	assert_int_equal(cal("c", "tz Mars/Olympus mon 09:00-10:00", true), -EINVAL);
	assert_non_null(strstr(err, "time zone"));
	assert_int_equal(cal("c", "tz ../../etc/passwd mon 09:00-10:00", true), -EINVAL);
	assert_int_equal(cal("c", "moon 09:00-10:00", true), -EINVAL);
	assert_non_null(strstr(err, "bad days"));
	assert_int_equal(cal("c", "mon 9-10", true), -EINVAL);
	assert_non_null(strstr(err, "HH:MM-HH:MM"));
	assert_int_equal(cal("c", "mon 10:00-09:00", true), -EINVAL);
	assert_non_null(strstr(err, "before they start"));
	assert_int_equal(cal("c", "mon 09:60-10:00", true), -EINVAL);
	assert_int_equal(cal("c", "mon", true), -EINVAL);
	assert_int_equal(cal("c", "tz UTC", true), -EINVAL);
	assert_non_null(strstr(err, "opening hours"));
	assert_int_equal(cal("c", "mon,, 09:00-10:00", true), -EINVAL);
	assert_int_equal(cal("c", "mon 09:00-10:00", false), -ENOENT);
	assert_int_equal(cal("c", "mon 09:00-10:00", true), 0);
	assert_int_equal(cal("c", "mon 09:00-10:00", true), -EEXIST);
	assert_int_equal(cc_calendar_holiday("c", "2026-02-30", true, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_calendar_holiday("c", "26-12-25", true, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_calendar_holiday("c", "2026-12-24", false, err, sizeof(err)), -ENOENT);
	assert_int_equal(cc_calendar_holiday("x", "2026-12-24", true, err, sizeof(err)), -ENOENT);
	assert_int_equal(cc_calendar_del("x", err, sizeof(err)), -ENOENT);
}

static void
test_routes(void **state)
{
	struct cc_target q = {.kind = CC_TGT_QUEUE}, ext = {.kind = CC_TGT_EXTENSION}, t;
	struct cc_target ivr = {.kind = CC_TGT_IVR}, bye = {.kind = CC_TGT_HANGUP};
	(void)state;
	office();
	snprintf(q.name, sizeof(q.name), "sales");
	snprintf(ext.name, sizeof(ext.name), "1001");
	snprintf(ivr.name, sizeof(ivr.name), "main");

	assert_int_equal(cc_route_add("+33140000000", &q, "office", &ext, err, sizeof(err)), 0);
	assert_int_equal(cc_route_add("800", &ivr, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(cc_route_add("*99", &bye, NULL, NULL, err, sizeof(err)), 0);

	assert_int_equal(cc_route_lookup("+33140000000", MON_0930_CET * 1000, &t), 0);
	assert_int_equal(t.kind, CC_TGT_QUEUE);
	assert_string_equal(t.name, "sales");
	assert_int_equal(cc_route_lookup("+33140000000", MON_1745_CET * 1000, &t), 0);
	assert_int_equal(t.kind, CC_TGT_EXTENSION);
	assert_string_equal(t.name, "1001");
	assert_int_equal(cc_route_lookup("800", SUN_1100_CET * 1000, &t), 0);
	assert_int_equal(t.kind, CC_TGT_IVR);
	assert_int_equal(cc_route_lookup("*99", 0, &t), 0);
	assert_int_equal(t.kind, CC_TGT_HANGUP);
	assert_int_equal(cc_route_lookup("801", 0, &t), -ENOENT);

	/* Adding again replaces. */
	assert_int_equal(cc_route_add("800", &q, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(cc_route_lookup("800", SUN_1100_CET * 1000, &t), 0);
	assert_int_equal(t.kind, CC_TGT_QUEUE);
	assert_true(cc_route_uses(CC_TGT_QUEUE, "sales"));
	assert_true(cc_route_uses(CC_TGT_EXTENSION, "1001"));
	assert_false(cc_route_uses(CC_TGT_IVR, "main"));

	/* Refusals: nothing changes. */
	struct cc_target nq = {.kind = CC_TGT_QUEUE, .name = "nosuch"};
	assert_int_equal(cc_route_add("900", &nq, NULL, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no queue nosuch"));
	struct cc_target nu = {.kind = CC_TGT_EXTENSION, .name = "2002"};
	assert_int_equal(cc_route_add("900", &nu, NULL, NULL, err, sizeof(err)), -ENOENT);
	struct cc_target nm = {.kind = CC_TGT_IVR, .name = "other"};
	assert_int_equal(cc_route_add("900", &nm, NULL, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no IVR menu other"));
	assert_int_equal(cc_route_add("900", &q, "nocal", &ext, err, sizeof(err)), -ENOENT);
	assert_int_equal(cc_route_add("900", &q, "office", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_route_add("900", &q, "office", &nq, err, sizeof(err)), -ENOENT);
	assert_int_equal(cc_route_add("9 0", &q, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_route_add("", &q, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_route_lookup("900", 0, &t), -ENOENT);
	assert_int_equal(cc_calendar_del("office", err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "+33140000000"));

	assert_int_equal(cc_route_del("+33140000000", err, sizeof(err)), 0);
	assert_int_equal(cc_route_del("+33140000000", err, sizeof(err)), -ENOENT);
	assert_int_equal(cc_calendar_del("office", err, sizeof(err)), 0);
}

static void
test_persistence(void **state)
{
	struct cc_target q = {.kind = CC_TGT_QUEUE, .name = "sales"}, ext = {.kind = CC_TGT_EXTENSION, .name = "1001"};
	struct cc_target t;
	(void)state;
	office();
	assert_int_equal(cc_calendar_holiday("office", "2026-12-25", true, err, sizeof(err)), 0);
	assert_int_equal(cc_calendar_holiday("office", "2026-01-01", true, err, sizeof(err)), 0);
	assert_int_equal(cc_route_add("5000", &q, "office", &ext, err, sizeof(err)), 0);
	assert_int_equal(cc_route_add("5001", &ext, NULL, NULL, err, sizeof(err)), 0);
	close_store();
	open_store();
	assert_int_equal(cc_route_lookup("5000", MON_0930_CEST * 1000, &t), 0);
	assert_int_equal(t.kind, CC_TGT_QUEUE);
	assert_int_equal(cc_route_lookup("5000", MON_0830_CEST * 1000, &t), 0);
	assert_int_equal(t.kind, CC_TGT_EXTENSION);
	assert_int_equal(cc_route_lookup("5000", FRI_1100_XMAS * 1000, &t), 0);
	assert_int_equal(t.kind, CC_TGT_EXTENSION);
	assert_int_equal(cc_route_lookup("5001", 0, &t), 0);
	assert_string_equal(t.name, "1001");
	json_t *cals = cc_calendars_json(0);
	assert_int_equal(json_array_size(cals), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cals, 0), "tz")), "Europe/Paris");
	assert_int_equal(json_array_size(json_object_get(json_array_get(cals, 0), "holidays")), 2);
	json_decref(cals);
}

static void
test_commands(void **state)
{
	struct cli_sink s = {0};
	(void)state;
	assert_int_equal(cli_run(&s, "[\"calendar\",\"add\",\"office\",\"tz\",\"Europe/Paris\",\"mon-fri\","
				     "\"09:00-17:30\"]"),
			 0);
	assert_int_equal(cli_run(&s, "[\"calendar\",\"holiday\",\"office\",\"add\",\"2026-12-25\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"route\",\"add\",\"800\",\"queue\",\"sales\",\"calendar\",\"office\","
				     "\"closed\",\"hangup\"]"),
			 0);
	assert_int_equal(cli_run(&s, "[\"route\",\"test\",\"800\",\"at\",\"2026-11-23T08:30Z\"]"), 0);
	assert_string_equal(json_string_value(json_object_get(cli_data(&s), "kind")), "queue");
	assert_int_equal(cli_run(&s, "[\"route\",\"test\",\"800\",\"at\",\"2026-12-25T10:00:00Z\"]"), 0);
	assert_string_equal(json_string_value(json_object_get(cli_data(&s), "kind")), "hangup");
	assert_int_equal(cli_run(&s, "[\"route\",\"test\",\"800\",\"at\",\"1795452300\"]"), 0);
	assert_string_equal(json_string_value(json_object_get(cli_data(&s), "kind")), "hangup");
	assert_int_equal(cli_run(&s, "[\"show\",\"routes\"]"), 0);
	assert_int_equal(json_array_size(json_object_get(cli_data(&s), "routes")), 1);
	assert_non_null(strstr(cli_text(&s), "queue sales"));
	assert_int_equal(cli_run(&s, "[\"show\",\"calendars\"]"), 0);
	assert_non_null(strstr(cli_text(&s), "2026-12-25"));

	cli_refused(&s, "[\"route\",\"add\",\"801\",\"queue\",\"nosuch\"]", 1, "no queue nosuch");
	cli_refused(&s, "[\"route\",\"add\",\"801\",\"park\",\"x\"]", 2, "unknown target 'park'");
	cli_refused(&s, "[\"route\",\"add\",\"801\",\"queue\"]", 2, "needs a name");
	cli_refused(&s, "[\"route\",\"add\",\"801\",\"queue\",\"sales\",\"calendar\",\"office\"]", 2, "closed");
	cli_refused(&s,
		    "[\"route\",\"add\",\"801\",\"queue\",\"sales\",\"calendar\",\"office\",\"closed\",\"hangup\","
		    "\"x\"]",
		    2, "unexpected 'x'");
	cli_refused(&s, "[\"route\",\"test\",\"800\",\"at\",\"yesterday\"]", 2, "route test takes");
	cli_refused(&s, "[\"route\",\"test\",\"801\"]", 1, "no route for 801");
	cli_refused(&s, "[\"route\",\"del\",\"801\"]", 1, "no route for 801");
	cli_refused(&s, "[\"calendar\",\"add\",\"c2\",\"tz\",\"Nowhere/City\",\"mon\",\"09:00-10:00\"]", 2,
		    "unknown time zone");
	cli_refused(&s, "[\"calendar\",\"holiday\",\"office\",\"move\",\"2026-12-25\"]", 2, "add|del");
	cli_refused(&s, "[\"calendar\",\"del\",\"office\"]", 1, "used by the route for 800");
	/* What a route targets cannot go while the route stands. */
	cli_refused(&s, "[\"queue\",\"del\",\"sales\"]", 1, "target of a route");
	assert_int_equal(cli_run(&s, "[\"route\",\"add\",\"802\",\"extension\",\"1001\"]"), 0);
	cli_refused(&s, "[\"user\",\"del\",\"1001\"]", 1, "target of a route");
	assert_int_equal(cli_run(&s, "[\"route\",\"del\",\"802\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"route\",\"del\",\"800\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"calendar\",\"del\",\"office\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"queue\",\"del\",\"sales\"]"), 0);
	cli_sink_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_calendar_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calendar_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
