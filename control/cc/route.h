/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Numbers and business hours (docs/contact-center.md "Routing").
 *
 * A route maps a dialled number (a DID after its trunk mapped it, an
 * extension, a feature code) to a target: an extension (a user), a queue,
 * an IVR menu, or a hang-up. A route may name a business-hours calendar:
 * inside its hours the route's target applies, outside them (or on one of
 * its holidays) the route's closed target does.
 *
 * A calendar has a time zone (a name from the tz database, UTC by default),
 * up to CC_CAL_SPANS weekly spans (days and a [from, to) time of day) and
 * up to CC_CAL_HOLIDAYS dates closed all day. Definitions are checked when
 * made: an unknown queue, IVR menu, user, calendar or zone is refused, as
 * is deleting a calendar, queue or menu a route still uses. Everything is
 * kept in LMDB (`cc_routes`, `cc_calendars`) and loaded by cc_route_load().
 * Control's event loop only.
 */
#ifndef TD_CC_ROUTE_H
#define TD_CC_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "acd.h"

#define CC_NUMBER_MAX	32 /* a dialled number: digits, '+', '*', '#' */
#define CC_TGT_NAME_MAX 64 /* an extension, queue or menu name */
#define CC_ROUTES_MAX	8192
#define CC_CALS_MAX	256
#define CC_CAL_SPANS	16
#define CC_CAL_HOLIDAYS 64
#define CC_ZONE_MAX	48

enum cc_target_kind {
	CC_TGT_NONE,
	CC_TGT_EXTENSION,
	CC_TGT_QUEUE,
	CC_TGT_IVR,
	CC_TGT_HANGUP,
};

struct cc_target {
	enum cc_target_kind kind;
	char name[CC_TGT_NAME_MAX]; /* "" for hangup */
};

/* The number's target at now_ms (Unix time in ms): 0 and out, or -ENOENT. */
int cc_route_lookup(const char *number, uint64_t now_ms, struct cc_target *out);

/* Checks a target exists; IVR menus are checked through the hook below. */
typedef bool (*cc_ivr_exists_t)(const char *menu);
void cc_route_set_ivr_check(cc_ivr_exists_t fn);

/* 0 if t names something that exists now, else -ENOENT / -EINVAL and err. */
int cc_target_check(const struct cc_target *t, char *err, size_t errlen);

/* Whether some route names target (kind, name): for refusing deletions. */
bool cc_route_uses(enum cc_target_kind kind, const char *name);

/* Index of name in a sorted array of n elements of size sz whose first
 * member is a name: found, or where it would go. */
unsigned int cc_name_find(const void *arr, unsigned int n, size_t sz, const char *name, bool *found);

const char *cc_target_kind_name(enum cc_target_kind k);
/* "queue sales", "extension 1001", "ivr main", "hangup": words start at argv[0]; the count used or -EINVAL. */
int cc_target_parse(int argc, char **argv, struct cc_target *t, char *err, size_t errlen);

/* ---- definitions (each checks, then persists; -errno with err) ---- */
int cc_route_add(const char *number, const struct cc_target *open, const char *calendar, const struct cc_target *closed,
		 char *err, size_t errlen);
int cc_route_del(const char *number, char *err, size_t errlen);
/* Calendar text: "[tz ZONE] DAYS HH:MM-HH:MM [DAYS HH:MM-HH:MM]..." with DAYS
 * like mon, mon-fri, sat,sun. */
int cc_calendar_set(const char *name, int argc, char **argv, bool add, char *err, size_t errlen);
int cc_calendar_del(const char *name, char *err, size_t errlen);
int cc_calendar_holiday(const char *name, const char *date, bool add, char *err, size_t errlen);
/* Open at now_ms: 1 open, 0 closed (the reason in why, if given), -ENOENT. */
int cc_calendar_open(const char *name, uint64_t now_ms, const char **why);

int cc_route_load(char *err, size_t errlen);
void cc_route_reset(void); /* forget everything in memory (tests, stop) */

json_t *cc_routes_json(void);
json_t *cc_calendars_json(uint64_t now_ms);

#endif
