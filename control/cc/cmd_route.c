/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing commands: `route add|del|test`, `show routes`,
 * `calendar add|set|del|holiday`, `show calendars` (docs/cli.md,
 * docs/contact-center.md "Routing").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mgmt/mgmt.h"
#include "route.h"

static void
reply(struct td_mgmt_req *req, int ret, const char *err, const char *done)
{
	if (ret == 0)
		td_mgmt_reply(req, TD_MGMT_OK, NULL, "%s", done);
	else
		td_mgmt_reply(req, ret == -EINVAL ? TD_MGMT_USAGE : TD_MGMT_FAILED, NULL, "%s", err);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
target_text(const struct cc_target *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", cc_target_kind_name(t->kind), t->name[0] ? " " : "", t->name);
}

/* route add <number> <target> [calendar <cal> closed <target>] */
static void
cmd_route_add(struct td_mgmt_req *req, int argc, char **argv)
{
	struct cc_target open, closed = {.kind = CC_TGT_NONE};
	const char *cal = NULL;
	char err[200], done[200], what[CC_TGT_NAME_MAX + 16];
	int n;

	if (argc < 2) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
			      "route add takes <number> <queue Q|extension U|ivr M|hangup> "
			      "[calendar C closed <target>]");
		return;
	}
	if ((n = cc_target_parse(argc - 1, argv + 1, &open, err, sizeof(err))) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
		return;
	}
	int i = 1 + n;
	if (i < argc) {
		if (strcmp(argv[i], "calendar") != 0 || i + 3 > argc || strcmp(argv[i + 2], "closed") != 0) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "after the target: calendar <name> closed <target>");
			return;
		}
		cal = argv[i + 1];
		if ((n = cc_target_parse(argc - i - 3, argv + i + 3, &closed, err, sizeof(err))) < 0) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
			return;
		}
		if (i + 3 + n != argc) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unexpected '%s'", argv[i + 3 + n]);
			return;
		}
	}
	target_text(&open, what, sizeof(what));
	snprintf(done, sizeof(done), "route %.32s -> %s%s%.32s", argv[0], what, cal ? " in hours of " : "",
		 cal ? cal : "");
	reply(req, cc_route_add(argv[0], &open, cal, &closed, err, sizeof(err)), err, done);
}

static void
cmd_route_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "route del takes one number");
		return;
	}
	snprintf(done, sizeof(done), "route %.32s deleted", argv[0]);
	reply(req, cc_route_del(argv[0], err, sizeof(err)), err, done);
}

/* A time for `route test ... at T`: Unix seconds or YYYY-MM-DDTHH:MM[:SS]Z (UTC). */
static int
time_parse(const char *s, uint64_t *ms)
{
	struct tm tm = {0};
	char *end;
	unsigned long long secs = strtoull(s, &end, 10);
	if (*s && *end == '\0') {
		*ms = secs * 1000;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end, ":%S", &tm);
	if (end == NULL || strcmp(end, "Z") != 0)
		return -EINVAL;
	time_t t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*ms = (uint64_t)t * 1000;
	return 0;
}

static void
cmd_route_test(struct td_mgmt_req *req, int argc, char **argv)
{
	struct cc_target t;
	uint64_t at = now_ms();
	char what[CC_TGT_NAME_MAX + 16];

	if ((argc != 1 && argc != 3) || (argc == 3 && (strcmp(argv[1], "at") != 0 || time_parse(argv[2], &at) < 0))) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
			      "route test takes <number> [at <unix seconds | YYYY-MM-DDTHH:MM[:SS]Z>]");
		return;
	}
	if (cc_route_lookup(argv[0], at, &t) < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no route for %s", argv[0]);
		return;
	}
	target_text(&t, what, sizeof(what));
	td_mgmt_reply(req, TD_MGMT_OK,
		      json_pack("{s:s,s:I,s:s,s:s}", "number", argv[0], "at", (json_int_t)(at / 1000), "kind",
				cc_target_kind_name(t.kind), "name", t.name),
		      "%s -> %s", argv[0], what);
}

static void
cmd_show_routes(struct td_mgmt_req *req, int argc, char **argv)
{
	json_t *a, *r;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	a = cc_routes_json();
	if (a == NULL || (f = open_memstream(&buf, &len)) == NULL) {
		json_decref(a);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	fprintf(f, "%-20s %-24s %-14s %s", "number", "target", "calendar", "closed");
	json_array_foreach (a, i, r) {
		json_t *t = json_object_get(r, "target"), *c = json_object_get(r, "closed");
		char tt[CC_TGT_NAME_MAX + 16], ct[CC_TGT_NAME_MAX + 16] = "-";
		const char *cal = json_string_value(json_object_get(r, "calendar"));
		snprintf(tt, sizeof(tt), "%s %s", json_string_value(json_object_get(t, "kind")),
			 json_string_value(json_object_get(t, "name")));
		if (c)
			snprintf(ct, sizeof(ct), "%s %s", json_string_value(json_object_get(c, "kind")),
				 json_string_value(json_object_get(c, "name")));
		fprintf(f, "\n%-20s %-24s %-14s %s", json_string_value(json_object_get(r, "number")), tt,
			cal && cal[0] ? cal : "-", ct);
	}
	fclose(f);
	size_t n = json_array_size(a);
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "routes", a), "%s\n%zu route(s)", buf ? buf : "", n);
	free(buf);
}

static void
cmd_calendar_add_set(struct td_mgmt_req *req, int argc, char **argv, bool add)
{
	char err[200], done[80];
	if (argc < 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "calendar %s takes <name> [tz ZONE] DAYS HH:MM-HH:MM ...",
			      add ? "add" : "set");
		return;
	}
	snprintf(done, sizeof(done), "calendar %.32s %s", argv[0], add ? "added" : "changed");
	reply(req, cc_calendar_set(argv[0], argc - 1, argv + 1, add, err, sizeof(err)), err, done);
}

static void
cmd_calendar_add(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_calendar_add_set(req, argc, argv, true);
}

static void
cmd_calendar_set(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_calendar_add_set(req, argc, argv, false);
}

static void
cmd_calendar_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "calendar del takes one calendar name");
		return;
	}
	snprintf(done, sizeof(done), "calendar %.32s deleted", argv[0]);
	reply(req, cc_calendar_del(argv[0], err, sizeof(err)), err, done);
}

static void
cmd_calendar_holiday(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[100];
	if (argc != 3 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "del") != 0)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "calendar holiday takes <name> add|del <YYYY-MM-DD>");
		return;
	}
	bool add = strcmp(argv[1], "add") == 0;
	snprintf(done, sizeof(done), "%.12s %s calendar %.32s's holidays", argv[2], add ? "added to" : "removed from",
		 argv[0]);
	reply(req, cc_calendar_holiday(argv[0], argv[2], add, err, sizeof(err)), err, done);
}

static void
cmd_show_calendars(struct td_mgmt_req *req, int argc, char **argv)
{
	json_t *a, *c, *e;
	char *buf = NULL;
	size_t len = 0, i, k;
	FILE *f;

	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	a = cc_calendars_json(now_ms());
	if (a == NULL || (f = open_memstream(&buf, &len)) == NULL) {
		json_decref(a);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	json_array_foreach (a, i, c) {
		fprintf(f, "%s%s (%s): %s now\n  hours:", i ? "\n" : "", json_string_value(json_object_get(c, "name")),
			json_string_value(json_object_get(c, "tz")), json_string_value(json_object_get(c, "state")));
		json_array_foreach (json_object_get(c, "hours"), k, e)
			fprintf(f, " %s %s", json_string_value(json_object_get(e, "days")),
				json_string_value(json_object_get(e, "hours")));
		fprintf(f, "\n  holidays:");
		json_array_foreach (json_object_get(c, "holidays"), k, e)
			fprintf(f, " %s", json_string_value(e));
		if (json_array_size(json_object_get(c, "holidays")) == 0)
			fprintf(f, " -");
	}
	fclose(f);
	size_t n = json_array_size(a);
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "calendars", a), "%s%s%zu calendar(s)", buf ? buf : "",
		      n ? "\n" : "", n);
	free(buf);
}

TD_CMD_REGISTER(cc_route_add, "route add", "<number> <queue Q|extension U|ivr M|hangup> [calendar C closed <target>]",
		"send a dialled number to a target, by business hours if a calendar is given", cmd_route_add)
TD_CMD_REGISTER(cc_route_del, "route del", "<number>", "delete a number's route", cmd_route_del)
TD_CMD_REGISTER(cc_route_test, "route test", "<number> [at <time>]", "where a number goes now or at a time",
		cmd_route_test)
TD_CMD_REGISTER(cc_show_routes, "show routes", "", "the numbers and their targets", cmd_show_routes)
TD_CMD_REGISTER(cc_calendar_add, "calendar add", "<name> [tz ZONE] DAYS HH:MM-HH:MM ...",
		"business hours (DAYS like mon-fri, sat,sun; tz like Europe/Paris)", cmd_calendar_add)
TD_CMD_REGISTER(cc_calendar_set, "calendar set", "<name> [tz ZONE] [DAYS HH:MM-HH:MM ...]",
		"change a calendar's zone or hours", cmd_calendar_set)
TD_CMD_REGISTER(cc_calendar_del, "calendar del", "<name>", "delete a calendar no route uses", cmd_calendar_del)
TD_CMD_REGISTER(cc_calendar_holiday, "calendar holiday", "<name> add|del <YYYY-MM-DD>",
		"a date closed all day (or no longer)", cmd_calendar_holiday)
TD_CMD_REGISTER(cc_show_calendars, "show calendars", "", "calendars: hours, holidays, open now or not",
		cmd_show_calendars)
