/* SPDX-License-Identifier: BSD-3-Clause */
/* Numbers and business hours: see route.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "route.h"
#include "store/users.h"

#define ZONEINFO "/usr/share/zoneinfo/"

struct span {
	uint8_t days;	   /* bit 0 Monday .. bit 6 Sunday */
	uint16_t from, to; /* minutes of the day, from < to */
};

struct calendar {
	char name[CC_NAME_MAX];
	char zone[CC_ZONE_MAX];
	uint8_t nspan, nhol;
	struct span span[CC_CAL_SPANS];
	uint32_t hol[CC_CAL_HOLIDAYS]; /* YYYYMMDD, sorted */
};

struct route {
	char number[CC_NUMBER_MAX];
	struct cc_target open;
	char calendar[CC_NAME_MAX]; /* "" = always open */
	struct cc_target closed;
};

/* Both sorted by name, found by binary search. */
static struct route *routes;
static unsigned int nroutes;
static struct calendar *cals;
static unsigned int ncals;
static cc_ivr_exists_t ivr_exists;

static const char *const kind_names[] = {
	[CC_TGT_NONE] = "none", [CC_TGT_EXTENSION] = "extension", [CC_TGT_QUEUE] = "queue",
	[CC_TGT_IVR] = "ivr",	[CC_TGT_HANGUP] = "hangup",
};

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

const char *
cc_target_kind_name(enum cc_target_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

void
cc_route_set_ivr_check(cc_ivr_exists_t fn)
{
	ivr_exists = fn;
}

unsigned int
cc_name_find(const void *arr, unsigned int n, size_t sz, const char *name, bool *found)
{
	unsigned int lo = 0, hi = n;
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		int c = strcmp((const char *)arr + (size_t)mid * sz, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct calendar *
cal_find(const char *name)
{
	bool found;
	unsigned int i = cc_name_find(cals, ncals, sizeof(*cals), name, &found);
	return found ? &cals[i] : NULL;
}

static struct route *
route_find(const char *number)
{
	bool found;
	unsigned int i = cc_name_find(routes, nroutes, sizeof(*routes), number, &found);
	return found ? &routes[i] : NULL;
}

/* ---- targets ---- */

int
cc_target_parse(int argc, char **argv, struct cc_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (argc < 1) {
		snprintf(err, errlen, "a target is queue <name>, extension <user>, ivr <menu> or hangup");
		return -EINVAL;
	}
	if (strcmp(argv[0], "hangup") == 0) {
		t->kind = CC_TGT_HANGUP;
		return 1;
	}
	for (int k = CC_TGT_EXTENSION; k < CC_TGT_HANGUP; k++)
		if (strcmp(argv[0], kind_names[k]) == 0)
			t->kind = (enum cc_target_kind)k;
	if (t->kind == CC_TGT_NONE) {
		snprintf(err, errlen, "unknown target '%s' (queue, extension, ivr, hangup)", argv[0]);
		return -EINVAL;
	}
	if (argc < 2 || argv[1][0] == '\0' || strlen(argv[1]) >= sizeof(t->name)) {
		snprintf(err, errlen, "%s needs a name of 1 to %d characters", argv[0], CC_TGT_NAME_MAX - 1);
		return -EINVAL;
	}
	snprintf(t->name, sizeof(t->name), "%s", argv[1]);
	return 2;
}

int
cc_target_check(const struct cc_target *t, char *err, size_t errlen)
{
	struct cc_queue_conf q;
	struct td_user u;

	switch (t->kind) {
	case CC_TGT_QUEUE:
		if (cc_queue_get(t->name, &q) < 0) {
			snprintf(err, errlen, "no queue %s", t->name);
			return -ENOENT;
		}
		return 0;
	case CC_TGT_EXTENSION:
		if (td_user_get(t->name, &u) < 0) {
			snprintf(err, errlen, "no user %s for an extension", t->name);
			return -ENOENT;
		}
		return 0;
	case CC_TGT_IVR:
		if (ivr_exists == NULL || !ivr_exists(t->name)) {
			snprintf(err, errlen, "no IVR menu %s", t->name);
			return -ENOENT;
		}
		return 0;
	case CC_TGT_HANGUP:
		return 0;
	default:
		snprintf(err, errlen, "no target");
		return -EINVAL;
	}
}

bool
cc_route_uses(enum cc_target_kind kind, const char *name)
{
	for (unsigned int i = 0; i < nroutes; i++) {
		const struct route *r = &routes[i];
		if ((r->open.kind == kind && strcmp(r->open.name, name) == 0) ||
		    (r->calendar[0] && r->closed.kind == kind && strcmp(r->closed.name, name) == 0))
			return true;
	}
	return false;
}

/* ---- time ---- */

static bool
zone_ok(const char *zone)
{
	char path[sizeof(ZONEINFO) + CC_ZONE_MAX];
	if (strcmp(zone, "UTC") == 0)
		return true;
	if (zone[0] == '\0' || zone[0] == '/' || strstr(zone, "..") || strlen(zone) >= CC_ZONE_MAX)
		return false;
	for (const char *p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return false;
	snprintf(path, sizeof(path), ZONEINFO "%s", zone);
	return access(path, R_OK) == 0;
}

/* Broken-down local time of t in zone (TZ is switched and put back: this
 * runs on the event loop only). */
static void
local_time(const char *zone, time_t t, struct tm *tm)
{
	const char *old = getenv("TZ");
	char saved[128];
	bool had = old != NULL && strlen(old) < sizeof(saved);
	if (had)
		snprintf(saved, sizeof(saved), "%s", old);
	setenv("TZ", zone, 1);
	tzset();
	localtime_r(&t, tm);
	if (had)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
}

static int
cal_open(const struct calendar *c, uint64_t now_ms, const char **why)
{
	struct tm tm;
	local_time(c->zone, (time_t)(now_ms / 1000), &tm);
	uint32_t date = (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
	for (unsigned int i = 0; i < c->nhol; i++)
		if (c->hol[i] == date) {
			if (why)
				*why = "holiday";
			return 0;
		}
	unsigned int day = (unsigned int)(tm.tm_wday + 6) % 7; /* Monday 0 */
	unsigned int min = (unsigned int)(tm.tm_hour * 60 + tm.tm_min);
	for (unsigned int i = 0; i < c->nspan; i++)
		if ((c->span[i].days >> day & 1) && min >= c->span[i].from && min < c->span[i].to) {
			if (why)
				*why = "open";
			return 1;
		}
	if (why)
		*why = "outside hours";
	return 0;
}

int
cc_calendar_open(const char *name, uint64_t now_ms, const char **why)
{
	const struct calendar *c = cal_find(name);
	return c ? cal_open(c, now_ms, why) : -ENOENT;
}

int
cc_route_lookup(const char *number, uint64_t now_ms, struct cc_target *out)
{
	const struct route *r = route_find(number);
	if (r == NULL)
		return -ENOENT;
	*out = r->open;
	if (r->calendar[0]) {
		const struct calendar *c = cal_find(r->calendar);
		if (c && cal_open(c, now_ms, NULL) == 0)
			*out = r->closed;
	}
	return 0;
}

/* ---- calendar text ---- */

static int
day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "mon-fri", "sat,sun", "mon,wed-fri" -> bit set, or -1. */
static int
days_parse(const char *s)
{
	int set = 0;
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		const char *dash = memchr(s, '-', n);
		int a = day_index(s, dash ? (size_t)(dash - s) : n);
		int b = dash ? day_index(dash + 1, n - (size_t)(dash + 1 - s)) : a;
		if (a < 0 || b < 0)
			return -1;
		for (int d = a;; d = (d + 1) % 7) { /* sat-mon wraps */
			set |= 1 << d;
			if (d == b)
				break;
		}
		s += n + (comma != NULL);
		if (comma && *s == '\0')
			return -1;
	}
	return set ? set : -1;
}

static int
hhmm(const char *s, const char **end)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] - '0';
	*end = s + 5;
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

static int
date_parse(const char *s, uint32_t *out)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end || strlen(s) != 10)
		return -1;
	int y = tm.tm_year + 1900, mo = tm.tm_mon + 1, d = tm.tm_mday;
	/* strptime takes 02-31; a real date normalises to itself */
	struct tm chk = tm;
	chk.tm_isdst = -1;
	chk.tm_hour = 12;
	if (timegm(&chk) == (time_t)-1 || chk.tm_mday != d || chk.tm_mon + 1 != mo)
		return -1;
	*out = (uint32_t)(y * 10000 + mo * 100 + d);
	return 0;
}

static int
cal_parse(struct calendar *c, int argc, char **argv, char *err, size_t errlen)
{
	int i = 0;
	if (argc >= 2 && strcmp(argv[0], "tz") == 0) {
		if (!zone_ok(argv[1])) {
			snprintf(err, errlen, "unknown time zone '%s' (a name like Europe/Paris, or UTC)", argv[1]);
			return -EINVAL;
		}
		snprintf(c->zone, sizeof(c->zone), "%s", argv[1]);
		i = 2;
	}
	if (i < argc)
		c->nspan = 0;
	for (; i < argc; i += 2) {
		const char *e;
		int days = days_parse(argv[i]), from, to;
		if (days < 0) {
			snprintf(err, errlen, "bad days '%s' (like mon-fri, sat,sun or tue)", argv[i]);
			return -EINVAL;
		}
		if (i + 1 >= argc || (from = hhmm(argv[i + 1], &e)) < 0 || *e != '-' || (to = hhmm(e + 1, &e)) < 0 ||
		    *e) {
			snprintf(err, errlen, "'%s' needs hours HH:MM-HH:MM", argv[i]);
			return -EINVAL;
		}
		if (from >= to) {
			snprintf(err, errlen, "hours %s end before they start (split a span over midnight in two)",
				 argv[i + 1]);
			return -EINVAL;
		}
		if (c->nspan == CC_CAL_SPANS) {
			snprintf(err, errlen, "at most %d spans in a calendar", CC_CAL_SPANS);
			return -EINVAL;
		}
		c->span[c->nspan++] = (struct span){.days = (uint8_t)days, .from = (uint16_t)from, .to = (uint16_t)to};
	}
	if (c->nspan == 0) {
		snprintf(err, errlen, "a calendar needs opening hours: [tz ZONE] DAYS HH:MM-HH:MM ...");
		return -EINVAL;
	}
	return 0;
}

/* ---- persistence ---- */

static void
target_put(json_t *o, const char *key, const struct cc_target *t)
{
	json_object_set_new(o, key, json_pack("{s:s,s:s}", "kind", cc_target_kind_name(t->kind), "name", t->name));
}

static int
target_get(json_t *o, struct cc_target *t)
{
	const char *kind = "", *name = "";
	memset(t, 0, sizeof(*t));
	if (json_unpack(o, "{s:s,s:s}", "kind", &kind, "name", &name) < 0 || strlen(name) >= sizeof(t->name))
		return -EIO;
	for (int k = CC_TGT_EXTENSION; k <= CC_TGT_HANGUP; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			t->kind = (enum cc_target_kind)k;
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t->kind == CC_TGT_NONE ? -EIO : 0;
}

static json_t *
route_json(const struct route *r)
{
	json_t *o = json_pack("{s:s,s:s}", "number", r->number, "calendar", r->calendar);
	target_put(o, "target", &r->open);
	if (r->calendar[0])
		target_put(o, "closed", &r->closed);
	return o;
}

static json_t *
cal_json(const struct calendar *c)
{
	json_t *spans = json_array(), *hol = json_array();
	for (unsigned int i = 0; i < c->nspan; i++) {
		char days[40] = "", hours[16];
		for (int d = 0; d < 7; d++)
			if (c->span[i].days >> d & 1)
				snprintf(days + strlen(days), sizeof(days) - strlen(days), "%s%s", days[0] ? "," : "",
					 day_names[d]);
		snprintf(hours, sizeof(hours), "%02u:%02u-%02u:%02u", c->span[i].from / 60u, c->span[i].from % 60u,
			 c->span[i].to / 60u, c->span[i].to % 60u);
		json_array_append_new(spans, json_pack("{s:s,s:s}", "days", days, "hours", hours));
	}
	for (unsigned int i = 0; i < c->nhol; i++) {
		char d[16];
		snprintf(d, sizeof(d), "%04u-%02u-%02u", c->hol[i] / 10000, c->hol[i] / 100 % 100, c->hol[i] % 100);
		json_array_append_new(hol, json_string(d));
	}
	return json_pack("{s:s,s:s,s:o,s:o}", "name", c->name, "tz", c->zone, "hours", spans, "holidays", hol);
}

static int
cal_from_json(const char *name, json_t *o, struct calendar *c)
{
	json_t *spans, *hol, *e;
	const char *zone;
	size_t i;
	memset(c, 0, sizeof(*c));
	if (strlen(name) >= sizeof(c->name) ||
	    json_unpack(o, "{s:s,s:o,s:o}", "tz", &zone, "hours", &spans, "holidays", &hol) < 0 ||
	    strlen(zone) >= sizeof(c->zone) || !json_is_array(spans) || !json_is_array(hol) ||
	    json_array_size(spans) > CC_CAL_SPANS || json_array_size(hol) > CC_CAL_HOLIDAYS)
		return -EIO;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->zone, sizeof(c->zone), "%s", zone);
	json_array_foreach (spans, i, e) {
		const char *days, *hours;
		char *argv[2];
		struct calendar one = {.nspan = 0};
		char err[8];
		if (json_unpack(e, "{s:s,s:s}", "days", &days, "hours", &hours) < 0)
			return -EIO;
		argv[0] = (char *)days;
		argv[1] = (char *)hours;
		if (cal_parse(&one, 2, argv, err, sizeof(err)) < 0)
			return -EIO;
		c->span[c->nspan++] = one.span[0];
	}
	json_array_foreach (hol, i, e) {
		if (!json_is_string(e) || date_parse(json_string_value(e), &c->hol[c->nhol]) < 0)
			return -EIO;
		c->nhol++;
	}
	return 0;
}

/* ---- definitions ---- */

/* The tables, made on first use (before cc_route_load in tests). */
static int
ready(char *err, size_t errlen)
{
	if (routes == NULL)
		routes = calloc(CC_ROUTES_MAX, sizeof(*routes));
	if (cals == NULL)
		cals = calloc(CC_CALS_MAX, sizeof(*cals));
	if (routes == NULL || cals == NULL) {
		snprintf(err, errlen, "routes: out of memory");
		return -ENOMEM;
	}
	return 0;
}

static bool
number_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len >= CC_NUMBER_MAX)
		return false;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+*#_.-", *p))
			return false;
	return true;
}

int
cc_route_add(const char *number, const struct cc_target *open, const char *calendar, const struct cc_target *closed,
	     char *err, size_t errlen)
{
	struct route r = {.open = *open};
	bool found;
	int ret;

	if ((ret = ready(err, errlen)) < 0)
		return ret;
	if (!number_ok(number)) {
		snprintf(err, errlen, "bad number '%s': 1 to %d of digits, letters and + * # _ . -", number,
			 CC_NUMBER_MAX - 1);
		return -EINVAL;
	}
	if ((ret = cc_target_check(open, err, errlen)) < 0)
		return ret;
	if (calendar && calendar[0]) {
		if (cal_find(calendar) == NULL) {
			snprintf(err, errlen, "no calendar %s", calendar);
			return -ENOENT;
		}
		if (closed == NULL || closed->kind == CC_TGT_NONE) {
			snprintf(err, errlen, "a route with a calendar needs a closed target");
			return -EINVAL;
		}
		if ((ret = cc_target_check(closed, err, errlen)) < 0)
			return ret;
		snprintf(r.calendar, sizeof(r.calendar), "%s", calendar);
		r.closed = *closed;
	}
	snprintf(r.number, sizeof(r.number), "%s", number);
	unsigned int i = cc_name_find(routes, nroutes, sizeof(*routes), number, &found);
	if (!found && nroutes == CC_ROUTES_MAX) {
		snprintf(err, errlen, "at most %d routes", CC_ROUTES_MAX);
		return -ENOSPC;
	}
	if ((ret = td_store_json_put("cc_routes", number, route_json(&r))) < 0) {
		snprintf(err, errlen, "cannot keep route %s: %s", number, strerror(-ret));
		return ret;
	}
	if (!found) {
		memmove(&routes[i + 1], &routes[i], (nroutes - i) * sizeof(*routes));
		nroutes++;
	}
	routes[i] = r;
	return 0;
}

int
cc_route_del(const char *number, char *err, size_t errlen)
{
	bool found;
	unsigned int i = cc_name_find(routes, nroutes, sizeof(*routes), number, &found);
	int ret;
	if (!found) {
		snprintf(err, errlen, "no route for %s", number);
		return -ENOENT;
	}
	if ((ret = td_store_json_del("cc_routes", number)) < 0 && ret != -ENOENT) {
		snprintf(err, errlen, "cannot delete route %s: %s", number, strerror(-ret));
		return ret;
	}
	memmove(&routes[i], &routes[i + 1], (nroutes - i - 1) * sizeof(*routes));
	nroutes--;
	return 0;
}

int
cc_calendar_set(const char *name, int argc, char **argv, bool add, char *err, size_t errlen)
{
	struct calendar c;
	bool found;
	int ret = ready(err, errlen);
	if (ret < 0)
		return ret;
	unsigned int i = cc_name_find(cals, ncals, sizeof(*cals), name, &found);

	if (name[0] == '\0' || strlen(name) >= CC_NAME_MAX) {
		snprintf(err, errlen, "a calendar name has 1 to %d characters", CC_NAME_MAX - 1);
		return -EINVAL;
	}
	if (add && found) {
		snprintf(err, errlen, "calendar %s exists (calendar set changes it)", name);
		return -EEXIST;
	}
	if (!add && !found) {
		snprintf(err, errlen, "no calendar %s", name);
		return -ENOENT;
	}
	if (add && ncals == CC_CALS_MAX) {
		snprintf(err, errlen, "at most %d calendars", CC_CALS_MAX);
		return -ENOSPC;
	}
	if (found) {
		c = cals[i];
	} else {
		memset(&c, 0, sizeof(c));
		snprintf(c.name, sizeof(c.name), "%s", name);
		snprintf(c.zone, sizeof(c.zone), "UTC");
	}
	if ((ret = cal_parse(&c, argc, argv, err, errlen)) < 0)
		return ret;
	if ((ret = td_store_json_put("cc_calendars", name, cal_json(&c))) < 0) {
		snprintf(err, errlen, "cannot keep calendar %s: %s", name, strerror(-ret));
		return ret;
	}
	if (!found) {
		memmove(&cals[i + 1], &cals[i], (ncals - i) * sizeof(*cals));
		ncals++;
	}
	cals[i] = c;
	return 0;
}

int
cc_calendar_del(const char *name, char *err, size_t errlen)
{
	bool found;
	unsigned int i = cc_name_find(cals, ncals, sizeof(*cals), name, &found);
	int ret;
	if (!found) {
		snprintf(err, errlen, "no calendar %s", name);
		return -ENOENT;
	}
	for (unsigned int k = 0; k < nroutes; k++)
		if (strcmp(routes[k].calendar, name) == 0) {
			snprintf(err, errlen, "calendar %s is used by the route for %s", name, routes[k].number);
			return -EBUSY;
		}
	if ((ret = td_store_json_del("cc_calendars", name)) < 0 && ret != -ENOENT) {
		snprintf(err, errlen, "cannot delete calendar %s: %s", name, strerror(-ret));
		return ret;
	}
	memmove(&cals[i], &cals[i + 1], (ncals - i - 1) * sizeof(*cals));
	ncals--;
	return 0;
}

int
cc_calendar_holiday(const char *name, const char *date, bool add, char *err, size_t errlen)
{
	struct calendar *c = cal_find(name), tmp;
	uint32_t d;
	unsigned int i;
	int ret;

	if (c == NULL) {
		snprintf(err, errlen, "no calendar %s", name);
		return -ENOENT;
	}
	if (date_parse(date, &d) < 0) {
		snprintf(err, errlen, "bad date '%s' (YYYY-MM-DD)", date);
		return -EINVAL;
	}
	tmp = *c;
	for (i = 0; i < tmp.nhol && tmp.hol[i] < d; i++)
		;
	bool there = i < tmp.nhol && tmp.hol[i] == d;
	if (add) {
		if (there)
			return 0;
		if (tmp.nhol == CC_CAL_HOLIDAYS) {
			snprintf(err, errlen, "at most %d holidays in a calendar", CC_CAL_HOLIDAYS);
			return -ENOSPC;
		}
		memmove(&tmp.hol[i + 1], &tmp.hol[i], (tmp.nhol - i) * sizeof(tmp.hol[0]));
		tmp.hol[i] = d;
		tmp.nhol++;
	} else {
		if (!there) {
			snprintf(err, errlen, "%s is not a holiday of %s", date, name);
			return -ENOENT;
		}
		memmove(&tmp.hol[i], &tmp.hol[i + 1], (tmp.nhol - i - 1) * sizeof(tmp.hol[0]));
		tmp.nhol--;
	}
	if ((ret = td_store_json_put("cc_calendars", name, cal_json(&tmp))) < 0) {
		snprintf(err, errlen, "cannot keep calendar %s: %s", name, strerror(-ret));
		return ret;
	}
	*c = tmp;
	return 0;
}

/* ---- load ---- */

static int
load_cal(const char *name, json_t *o, void *arg)
{
	(void)arg;
	if (ncals == CC_CALS_MAX || cal_from_json(name, o, &cals[ncals]) < 0)
		return -EIO;
	ncals++; /* LMDB walks in name order: stays sorted */
	return 0;
}

static int
load_route(const char *name, json_t *o, void *arg)
{
	struct route *r = &routes[nroutes];
	json_t *t = json_object_get(o, "target"), *cl = json_object_get(o, "closed");
	const char *cal = "";
	(void)arg;
	memset(r, 0, sizeof(*r));
	if (nroutes == CC_ROUTES_MAX || strlen(name) >= sizeof(r->number) || t == NULL || target_get(t, &r->open) < 0 ||
	    json_unpack(o, "{s:s}", "calendar", &cal) < 0 || strlen(cal) >= sizeof(r->calendar) ||
	    (cal[0] && (cl == NULL || target_get(cl, &r->closed) < 0)))
		return -EIO;
	snprintf(r->number, sizeof(r->number), "%s", name);
	snprintf(r->calendar, sizeof(r->calendar), "%s", cal);
	nroutes++;
	return 0;
}

void
cc_route_reset(void)
{
	free(routes);
	free(cals);
	routes = NULL;
	cals = NULL;
	nroutes = ncals = 0;
}

int
cc_route_load(char *err, size_t errlen)
{
	int ret;
	cc_route_reset();
	if ((ret = ready(err, errlen)) < 0)
		return ret;
	if ((ret = td_store_json_foreach("cc_calendars", load_cal, NULL)) < 0) {
		snprintf(err, errlen, "cannot read the calendars: %s", strerror(-ret));
		return ret;
	}
	if ((ret = td_store_json_foreach("cc_routes", load_route, NULL)) < 0) {
		snprintf(err, errlen, "cannot read the routes: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* ---- views ---- */

json_t *
cc_routes_json(void)
{
	json_t *a = json_array();
	for (unsigned int i = 0; i < nroutes; i++)
		json_array_append_new(a, route_json(&routes[i]));
	return a;
}

json_t *
cc_calendars_json(uint64_t now_ms)
{
	json_t *a = json_array();
	for (unsigned int i = 0; i < ncals; i++) {
		const char *why;
		json_t *o = cal_json(&cals[i]);
		int open = cal_open(&cals[i], now_ms, &why);
		json_object_set_new(o, "open", json_boolean(open == 1));
		json_object_set_new(o, "state", json_string(why));
		json_array_append_new(a, o);
	}
	return a;
}
