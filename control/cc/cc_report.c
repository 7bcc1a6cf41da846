/* SPDX-License-Identifier: BSD-3-Clause */
/* Contact-center statistics: see the header. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cc_report.h"
#include "cc_store.h"

struct qacc {
	struct cc_queue_kpi *v;
	int n, cap;
	int err;
};

static struct cc_queue_kpi *
qkpi(struct qacc *a, const char *name)
{
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->v[i].queue, name) == 0)
			return &a->v[i];
	if (a->n == a->cap) {
		int cap = a->cap ? a->cap * 2 : 16;
		struct cc_queue_kpi *v = realloc(a->v, (size_t)cap * sizeof(*v));
		if (v == NULL) {
			a->err = -ENOMEM;
			return NULL;
		}
		a->v = v;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[0]));
	snprintf(a->v[a->n].queue, CC_NAME_MAX, "%s", name);
	return &a->v[a->n++];
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static uint64_t
num(json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));
	return v > 0 ? (uint64_t)v : 0;
}

static void
on_cdr(json_t *r, void *arg)
{
	struct qacc *a = arg;
	struct cc_queue_kpi *k = qkpi(a, str(r, "queue"));
	const char *d = str(r, "disp");
	uint64_t wait = num(r, "wait"), sl = num(r, "sl") * 1000;
	if (k == NULL)
		return;
	k->offered++;
	for (int i = 0; i < CC_DISPOSITION_COUNT; i++)
		if (strcmp(d, cc_disposition_name((enum cc_disposition)i)) == 0)
			k->disp[i]++;
	if (strcmp(d, "answered") == 0) {
		k->wait_ms += wait;
		k->handle_ms += num(r, "talk") + num(r, "wrapup") * 1000;
		k->answered_in_sl += wait <= sl;
	} else if (strcmp(d, "abandoned") == 0) {
		k->abandoned_in_sl += wait <= sl;
	}
}

/* ---- time in states, replayed from the events ---- */

struct ag {
	char id[CC_NAME_MAX];
	char state[16];
	char callq[CC_NAME_MAX]; /* the queue of its call (on-call, wrap-up) */
	int nq;
	char q[CC_MEMBER_MAX][CC_NAME_MAX];
	uint64_t since;
	struct cc_agent_stat st;
};

struct replay {
	uint64_t from, to;
	struct ag *v;
	int n, cap;
	struct qacc *qa; /* NULL: agents only */
	int err;
};

static struct ag *
agent_of(struct replay *r, const char *id)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return &r->v[i];
	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 16;
		struct ag *v = realloc(r->v, (size_t)cap * sizeof(*v));
		if (v == NULL) {
			r->err = -ENOMEM;
			return NULL;
		}
		r->v = v;
		r->cap = cap;
	}
	struct ag *g = &r->v[r->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", id);
	snprintf(g->state, sizeof(g->state), "logged-out");
	snprintf(g->st.agent, sizeof(g->st.agent), "%s", id);
	return g;
}

/* Account g's time from its last change to t, clipped to the range. */
static void
account(struct replay *r, struct ag *g, uint64_t t)
{
	uint64_t s = g->since > r->from ? g->since : r->from, e = t < r->to ? t : r->to;
	g->since = t;
	if (e <= s)
		return;
	uint64_t d = e - s;
	bool staffed = strcmp(g->state, "logged-out") && strcmp(g->state, "paused");
	bool busy = strcmp(g->state, "on-call") == 0 || strcmp(g->state, "wrap-up") == 0;
	if (!staffed)
		return;
	g->st.staffed_ms += d;
	g->st.busy_ms += busy ? d : 0;
	if (r->qa == NULL)
		return;
	for (int i = 0; i < g->nq; i++) {
		struct cc_queue_kpi *k = qkpi(r->qa, g->q[i]);
		if (k == NULL)
			return;
		k->staffed_ms += d;
		k->busy_ms += busy && strcmp(g->callq, g->q[i]) == 0 ? d : 0;
	}
}

static void
on_event(json_t *o, void *arg)
{
	struct replay *r = arg;
	const char *type = str(o, "type"), *agent = str(o, "agent"), *queue = str(o, "queue");
	uint64_t t = num(o, "t");
	bool in = t >= r->from && t < r->to;
	if (agent[0] == '\0')
		return;
	struct ag *g = agent_of(r, agent);
	if (g == NULL)
		return;
	if (strcmp(type, "state") == 0) {
		account(r, g, t);
		snprintf(g->state, sizeof(g->state), "%s", str(o, "state"));
		if (strcmp(g->state, "on-call") && strcmp(g->state, "wrap-up"))
			g->callq[0] = '\0';
	} else if (strcmp(type, "login") == 0) {
		account(r, g, t);
		if (g->nq < CC_MEMBER_MAX)
			snprintf(g->q[g->nq++], CC_NAME_MAX, "%s", queue);
	} else if (strcmp(type, "logout") == 0) {
		account(r, g, t);
		for (int i = 0; i < g->nq; i++)
			if (strcmp(g->q[i], queue) == 0) {
				memcpy(g->q[i], g->q[--g->nq], CC_NAME_MAX);
				break;
			}
	} else if (strcmp(type, "offer") == 0) {
		g->st.offered += in;
	} else if (strcmp(type, "answer") == 0) {
		/* The state event (on-call) comes first: account from here on to the call's queue. */
		account(r, g, t);
		snprintf(g->callq, sizeof(g->callq), "%s", queue);
		g->st.answered += in;
	} else if (strcmp(type, "noanswer") == 0) {
		g->st.unanswered += in;
	} else if (strcmp(type, "end") == 0 && strcmp(str(o, "disp"), "answered") == 0) {
		g->st.talk_ms += in ? num(o, "talk") : 0;
	}
}

static double
pct(uint64_t x, uint64_t y)
{
	return y ? 100.0 * (double)x / (double)y : 0;
}

static int
qcmp(const void *x, const void *y)
{
	return strcmp(((const struct cc_queue_kpi *)x)->queue, ((const struct cc_queue_kpi *)y)->queue);
}

static int
acmp(const void *x, const void *y)
{
	return strcmp(((const struct cc_agent_stat *)x)->agent, ((const struct cc_agent_stat *)y)->agent);
}

/* Replay every event before `to` (states started before the range count from `from`). */
static int
replay(struct replay *r)
{
	int ret = cc_records_walk("cc_events", 0, r->to, on_event, r);
	if (ret < 0)
		return ret;
	/* States still open end now (or at `to`). */
	uint64_t now = cc_now();
	for (int i = 0; i < r->n; i++)
		account(r, &r->v[i], r->to < now ? r->to : now);
	return r->err;
}

int
cc_report_queues(uint64_t from, uint64_t to, struct cc_queue_kpi **out)
{
	struct qacc a = {0};
	struct replay r = {.from = from, .to = to, .qa = &a};
	int ret = cc_records_walk("cc_cdr", from, to, on_cdr, &a);
	if (ret >= 0)
		ret = replay(&r);
	free(r.v);
	if (ret >= 0)
		ret = a.err;
	if (ret < 0) {
		free(a.v);
		return ret;
	}
	for (int i = 0; i < a.n; i++) {
		struct cc_queue_kpi *k = &a.v[i];
		uint64_t ans = k->disp[CC_ANSWERED];
		k->asa_s = ans ? (double)k->wait_ms / 1000.0 / (double)ans : 0;
		k->aht_s = ans ? (double)k->handle_ms / 1000.0 / (double)ans : 0;
		k->sl_pct = pct(k->answered_in_sl, k->offered - k->abandoned_in_sl);
		k->abandon_pct = pct(k->disp[CC_ABANDONED], k->offered);
		k->occupancy_pct = pct(k->busy_ms, k->staffed_ms);
	}
	if (a.n > 0) /* no queue in the range: a.v may be NULL */
		qsort(a.v, (size_t)a.n, sizeof(*a.v), qcmp);
	*out = a.v;
	return a.n;
}

int
cc_report_agents(uint64_t from, uint64_t to, struct cc_agent_stat **out)
{
	struct replay r = {.from = from, .to = to};
	int ret = replay(&r);
	if (ret < 0) {
		free(r.v);
		return ret;
	}
	struct cc_agent_stat *v = calloc((size_t)r.n + 1, sizeof(*v));
	if (v == NULL) {
		free(r.v);
		return -ENOMEM;
	}
	for (int i = 0; i < r.n; i++) {
		v[i] = r.v[i].st;
		v[i].occupancy_pct = pct(v[i].busy_ms, v[i].staffed_ms);
	}
	qsort(v, (size_t)r.n, sizeof(*v), acmp);
	free(r.v);
	*out = v;
	return r.n;
}
