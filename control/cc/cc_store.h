/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The contact center in LMDB (control/store): configuration (`cc_queues`,
 * `cc_agents`: JSON by name; `cc_routes`, `cc_calendars`, `cc_ivr`
 * created here for route.c and ivr.c, which use td_store_json_*) and records (`cc_cdr`: one per caller and
 * queue, keyed by arrival; `cc_events`: every ACD event, keyed by time).
 * Records are buffered as the ACD emits them and written in one
 * transaction by cc_records_flush() (group commit, from a short timer); a
 * crash loses at most the records of the last period. -ENOTCONN when the
 * store is not open.
 */
#ifndef TD_CC_STORE_H
#define TD_CC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "acd.h"

#define CC_FLUSH_MS 200

int cc_store_open(char *err, size_t errlen);
int cc_store_put_queue(const struct cc_queue_conf *q);
int cc_store_del_queue(const char *name);
int cc_store_put_agent(const struct cc_agent_conf *a, const struct cc_login *l, int n);
int cc_store_del_agent(const char *id);
int cc_store_load(int (*queue_cb)(const struct cc_queue_conf *q, void *arg),
		  int (*agent_cb)(const struct cc_agent_conf *a, const struct cc_login *l, int n, void *arg),
		  void *arg);

/* Record the ACD's events (cc_on_event) from now on. */
int cc_records_attach(void);
/* Write the buffered records: the count written, or -errno (they stay buffered). */
int cc_records_flush(void);
size_t cc_records_pending(void);

/* Walk the records whose key time is in [from, to): JSON objects, borrowed. */
int cc_records_walk(const char *db, uint64_t from, uint64_t to, void (*cb)(json_t *rec, void *arg), void *arg);

#endif
