/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The contact-center commands: `queue add|set|del`, `show queues`,
 * `show queue`, `agent add|del|login|logout|pause|unpause`, `show agents`,
 * `report queues|agents` (docs/cli.md, docs/contact-center.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd.h"
#include "cc_report.h"
#include "cc_store.h"
#include "mgmt/mgmt.h"
#include "route.h"

/* A reply for ret (0 / -errno) with err as the reason. */
static void
reply_ret(struct td_mgmt_req *req, int ret, const char *err, json_t *data, const char *done)
{
	if (ret == 0) {
		td_mgmt_reply(req, TD_MGMT_OK, data, "%s", done);
		return;
	}
	json_decref(data);
	/* Bad input is a usage error; a state that forbids it (exists, busy ...) a failure. */
	bool usage = ret == -EINVAL || ret == -ELOOP || (ret == -ENOENT && strstr(err, "overflow"));
	td_mgmt_reply(req, usage ? TD_MGMT_USAGE : TD_MGMT_FAILED, NULL, "%s", err);
}

static int
seconds(const char *opt, const char *v, uint32_t *out, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (*v == '\0' || *end || errno || n < 0 || n > 86400 * 7) {
		snprintf(err, errlen, "bad %s '%s': a whole number, 0 or more%s", opt, v,
			 n < 0 ? " (not negative)" : "");
		return -EINVAL;
	}
	*out = (uint32_t)n;
	return 0;
}

/* The options of queue add/set over q: 0 or -EINVAL with err. */
static int
queue_opts(struct cc_queue_conf *q, int argc, char **argv, char *err, size_t errlen)
{
	bool skills = false;
	for (int i = 0; i < argc; i += 2) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int ret = 0;
		if (v == NULL) {
			snprintf(err, errlen, "'%s' needs a value", o);
			return -EINVAL;
		}
		if (strcmp(o, "strategy") == 0) {
			if (cc_strategy_parse(v, &q->strategy) < 0) {
				snprintf(err, errlen,
					 "bad strategy '%s' (longest-idle, round-robin, fewest-calls, random, skills)",
					 v);
				return -EINVAL;
			}
		} else if (strcmp(o, "ring-timeout") == 0) {
			ret = seconds(o, v, &q->ring_timeout_s, err, errlen);
		} else if (strcmp(o, "wrapup") == 0) {
			ret = seconds(o, v, &q->wrapup_s, err, errlen);
		} else if (strcmp(o, "max-len") == 0) {
			ret = seconds(o, v, &q->max_len, err, errlen);
		} else if (strcmp(o, "timeout") == 0) {
			ret = seconds(o, v, &q->timeout_s, err, errlen);
		} else if (strcmp(o, "sl") == 0) {
			ret = seconds(o, v, &q->sl_s, err, errlen);
		} else if (strcmp(o, "overflow") == 0) {
			if (strlen(v) >= CC_TARGET_MAX) {
				snprintf(err, errlen, "overflow target too long");
				return -EINVAL;
			}
			snprintf(q->overflow, sizeof(q->overflow), "%s", strcmp(v, "none") == 0 ? "" : v);
		} else if (strcmp(o, "skill") == 0) {
			/* skill name=level (repeatable); "skill none" clears */
			struct cc_login l;
			char buf[CC_NAME_MAX + 80];
			if (!skills) {
				q->nreq = 0;
				skills = true;
			}
			if (strcmp(v, "none") == 0)
				continue;
			snprintf(buf, sizeof(buf), "x:%s", v);
			if (cc_login_parse(buf, &l, err, errlen) < 0)
				return -EINVAL;
			for (int k = 0; k < l.nskill; k++) {
				if (q->nreq == CC_SKILLS_MAX) {
					snprintf(err, errlen, "at most %d skill requirements", CC_SKILLS_MAX);
					return -EINVAL;
				}
				q->req[q->nreq++] = l.skill[k];
			}
		} else {
			snprintf(err, errlen,
				 "unknown option '%s' (strategy, ring-timeout, wrapup, max-len, timeout, overflow, sl, "
				 "skill)",
				 o);
			return -EINVAL;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

static json_t *
queue_json(const struct cc_queue_conf *q)
{
	json_t *sk = json_object();
	for (int i = 0; i < q->nreq; i++)
		json_object_set_new(sk, q->req[i].name, json_integer(q->req[i].level));
	return json_pack("{s:s,s:s,s:i,s:i,s:i,s:i,s:s,s:i,s:o}", "name", q->name, "strategy",
			 cc_strategy_name(q->strategy), "ring_timeout", (int)q->ring_timeout_s, "wrapup",
			 (int)q->wrapup_s, "max_len", (int)q->max_len, "timeout", (int)q->timeout_s, "overflow",
			 q->overflow, "sl", (int)q->sl_s, "skills", sk);
}

static void
cmd_queue_add_set(struct td_mgmt_req *req, int argc, char **argv, bool add)
{
	struct cc_queue_conf q;
	char err[200];
	int ret;

	if (argc < 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "queue %s takes <name> [options]", add ? "add" : "set");
		return;
	}
	if (add) {
		cc_queue_conf_default(&q, argv[0]);
		if (strlen(argv[0]) >= CC_NAME_MAX) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "a queue name has 1 to %d characters", CC_NAME_MAX - 1);
			return;
		}
	} else if (cc_queue_get(argv[0], &q) < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no queue %s", argv[0]);
		return;
	}
	ret = queue_opts(&q, argc - 1, argv + 1, err, sizeof(err));
	if (ret == 0)
		ret = add ? cc_queue_add(&q, err, sizeof(err)) : cc_queue_set(&q, err, sizeof(err));
	char done[80];
	snprintf(done, sizeof(done), "queue %s %s", q.name, add ? "added" : "changed");
	reply_ret(req, ret, err, ret == 0 ? queue_json(&q) : NULL, done);
}

static void
cmd_queue_add(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_queue_add_set(req, argc, argv, true);
}

static void
cmd_queue_set(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_queue_add_set(req, argc, argv, false);
}

static void
cmd_queue_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "queue del takes one queue name");
		return;
	}
	if (cc_route_uses(CC_TGT_QUEUE, argv[0])) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "queue %s is the target of a route (show routes)", argv[0]);
		return;
	}
	snprintf(done, sizeof(done), "queue %.40s deleted", argv[0]);
	reply_ret(req, cc_queue_del(argv[0], err, sizeof(err)), err, NULL, done);
}

struct text {
	char *buf;
	size_t len;
	FILE *f;
	json_t *arr;
};

static bool
text_open(struct td_mgmt_req *req, struct text *t)
{
	memset(t, 0, sizeof(*t));
	t->arr = json_array();
	t->f = t->arr ? open_memstream(&t->buf, &t->len) : NULL;
	if (t->f == NULL) {
		json_decref(t->arr);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return false;
	}
	return true;
}

static void
text_close(struct text *t)
{
	fclose(t->f);
	t->f = NULL;
}

static void
one_queue(const struct cc_queue_conf *q, uint32_t waiting, uint32_t logged, uint32_t avail, void *arg)
{
	struct text *t = arg;
	json_t *o = queue_json(q);
	json_object_set_new(o, "waiting", json_integer(waiting));
	json_object_set_new(o, "agents", json_integer(logged));
	json_object_set_new(o, "available", json_integer(avail));
	json_array_append_new(t->arr, o);
	fprintf(t->f, "\n%-20s %-13s %7u %6u %9u %5u %5u %7u %s", q->name, cc_strategy_name(q->strategy), waiting,
		logged, avail, q->ring_timeout_s, q->wrapup_s, q->timeout_s, q->overflow[0] ? q->overflow : "-");
}

static void
cmd_show_queues(struct td_mgmt_req *req, int argc, char **argv)
{
	struct text t;
	if (td_mgmt_reply_extra_args(req, argc, argv) || !text_open(req, &t))
		return;
	fprintf(t.f, "%-20s %-13s %7s %6s %9s %5s %5s %7s %s", "queue", "strategy", "waiting", "agents", "available",
		"ring", "wrap", "timeout", "overflow");
	cc_queue_foreach(one_queue, &t);
	text_close(&t);
	size_t n = json_array_size(t.arr);
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "queues", t.arr), "%s\n%zu queue(s)", t.buf ? t.buf : "", n);
	free(t.buf);
}

static void
one_caller(const struct cc_call_view *c, void *arg)
{
	struct text *t = arg;
	uint64_t wait = cc_now() - c->arrive_ms;
	const char *st = c->state == CC_WAITING	       ? (c->callback ? "callback" : "waiting")
			 : c->state == CC_CALL_OFFERED ? "offered"
						       : "connected";
	json_array_append_new(t->arr, json_pack("{s:I,s:s,s:i,s:I,s:i,s:s?}", "call", (json_int_t)c->call, "state", st,
						"position", (int)c->position, "wait_ms", (json_int_t)wait, "priority",
						c->priority, "agent", c->agent));
	fprintf(t->f, "\n  %-20llu %-10s %8u %8.1f %8d %s", (unsigned long long)c->call, st, c->position,
		(double)wait / 1000.0, c->priority, c->agent ? c->agent : "-");
}

static void
one_member(const struct cc_agent_view *a, void *arg)
{
	json_t *arr = arg;
	json_array_append_new(arr,
			      json_pack("{s:s,s:s,s:s,s:I}", "agent", a->id, "state", cc_agent_state_name(a->state),
					"reason", a->reason, "since_ms", (json_int_t)(cc_now() - a->since_ms)));
}

static void
cmd_show_queue(struct td_mgmt_req *req, int argc, char **argv)
{
	struct cc_queue_conf q;
	struct text t;
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "show queue takes one queue name");
		return;
	}
	if (cc_queue_get(argv[0], &q) < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no queue %s", argv[0]);
		return;
	}
	if (!text_open(req, &t))
		return;
	json_t *members = json_array();
	fprintf(t.f, "queue %s: %s, ring %u s, wrap-up %u s, max %u, timeout %u s, overflow %s, sl %u s", q.name,
		cc_strategy_name(q.strategy), q.ring_timeout_s, q.wrapup_s, q.max_len, q.timeout_s,
		q.overflow[0] ? q.overflow : "-", q.sl_s);
	fprintf(t.f, "\ncallers:\n  %-20s %-10s %8s %8s %8s %s", "call", "state", "position", "wait s", "priority",
		"agent");
	cc_queue_calls(q.name, one_caller, &t);
	cc_queue_agents(q.name, one_member, members);
	fprintf(t.f, "\nagents:\n  %-20s %-11s %-12s %s", "agent", "state", "reason", "for s");
	size_t i;
	json_t *m;
	json_array_foreach (members, i, m) {
		fprintf(t.f, "\n  %-20s %-11s %-12s %.1f", json_string_value(json_object_get(m, "agent")),
			json_string_value(json_object_get(m, "state")), json_string_value(json_object_get(m, "reason")),
			(double)json_integer_value(json_object_get(m, "since_ms")) / 1000.0);
	}
	text_close(&t);
	json_t *data = queue_json(&q);
	json_object_set_new(data, "callers", t.arr);
	json_object_set_new(data, "members", members);
	td_mgmt_reply(req, TD_MGMT_OK, data, "%s", t.buf ? t.buf : "");
	free(t.buf);
}

static void
cmd_agent_add(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc != 2) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "agent add takes <id> <extension>");
		return;
	}
	snprintf(done, sizeof(done), "agent %.40s added", argv[0]);
	int ret = cc_agent_add(argv[0], argv[1], err, sizeof(err));
	reply_ret(req, ret, err, NULL, done);
}

static void
cmd_agent_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "agent del takes one agent id");
		return;
	}
	snprintf(done, sizeof(done), "agent %.40s deleted", argv[0]);
	reply_ret(req, cc_agent_del(argv[0], err, sizeof(err)), err, NULL, done);
}

static void
cmd_agent_login(struct td_mgmt_req *req, int argc, char **argv)
{
	struct cc_login l[CC_MEMBER_MAX];
	char err[200] = "", done[120];
	if (argc < 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "agent login takes <id> [<queue[:skill=level,..]>...]");
		return;
	}
	if (argc - 1 > CC_MEMBER_MAX) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "an agent serves at most %d queues", CC_MEMBER_MAX);
		return;
	}
	for (int i = 1; i < argc; i++)
		if (cc_login_parse(argv[i], &l[i - 1], err, sizeof(err)) < 0) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
			return;
		}
	int ret = cc_agent_login(argv[0], l, argc - 1, err, sizeof(err));
	snprintf(done, sizeof(done), "agent %.40s logged in%s%.60s", argv[0], err[0] ? "; " : "", err);
	reply_ret(req, ret, err, NULL, done);
}

static void
cmd_agent_logout(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "agent logout takes one agent id");
		return;
	}
	snprintf(done, sizeof(done), "agent %.40s logged out", argv[0]);
	reply_ret(req, cc_agent_logout(argv[0], err, sizeof(err)), err, NULL, done);
}

static void
cmd_agent_pause(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc < 1 || argc > 2) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "agent pause takes <id> [reason]");
		return;
	}
	snprintf(done, sizeof(done), "agent %.40s paused", argv[0]);
	reply_ret(req, cc_agent_pause(argv[0], argc > 1 ? argv[1] : NULL, err, sizeof(err)), err, NULL, done);
}

static void
cmd_agent_unpause(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "agent unpause takes one agent id");
		return;
	}
	snprintf(done, sizeof(done), "agent %.40s available", argv[0]);
	reply_ret(req, cc_agent_unpause(argv[0], err, sizeof(err)), err, NULL, done);
}

static void
one_agent(const struct cc_agent_view *a, void *arg)
{
	struct text *t = arg;
	char qs[200] = "";
	size_t off = 0;
	json_t *ql = json_array();
	for (int i = 0; i < a->nlogin; i++) {
		json_array_append_new(ql, json_string(a->login[i].queue));
		if (off < sizeof(qs))
			off += (size_t)snprintf(qs + off, sizeof(qs) - off, "%s%s", i ? "," : "", a->login[i].queue);
	}
	json_array_append_new(t->arr, json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "agent", a->id, "extension", a->extension,
						"state", cc_agent_state_name(a->state), "reason", a->reason, "since_ms",
						(json_int_t)(cc_now() - a->since_ms), "queues", ql));
	fprintf(t->f, "\n%-20s %-16s %-11s %-12s %8.1f %s", a->id, a->extension, cc_agent_state_name(a->state),
		a->reason[0] ? a->reason : "-", (double)(cc_now() - a->since_ms) / 1000.0, qs);
}

static void
cmd_show_agents(struct td_mgmt_req *req, int argc, char **argv)
{
	struct text t;
	if (td_mgmt_reply_extra_args(req, argc, argv) || !text_open(req, &t))
		return;
	fprintf(t.f, "%-20s %-16s %-11s %-12s %8s %s", "agent", "extension", "state", "reason", "for s", "queues");
	cc_agent_foreach(one_agent, &t);
	text_close(&t);
	size_t n = json_array_size(t.arr);
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "agents", t.arr), "%s\n%zu agent(s)", t.buf ? t.buf : "", n);
	free(t.buf);
}

/* Seconds since 1970, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC): ms. */
static int
parse_time(const char *v, uint64_t *ms)
{
	struct tm tm;
	char *end;
	memset(&tm, 0, sizeof(tm));
	errno = 0;
	long long s = strtoll(v, &end, 10);
	if (*v && *end == '\0' && errno == 0 && s >= 0) {
		*ms = (uint64_t)s * 1000;
		return 0;
	}
	end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(v, "%Y-%m-%d", &tm);
		if (end == NULL || *end)
			return -EINVAL;
	}
	time_t t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*ms = (uint64_t)t * 1000;
	return 0;
}

static void
cmd_report(struct td_mgmt_req *req, int argc, char **argv)
{
	uint64_t from = 0, to = 0;
	bool have_from = false, have_to = false, csv = false;
	const char *what = argc > 0 ? argv[0] : "";
	bool queues = strcmp(what, "queues") == 0;

	if (!queues && strcmp(what, "agents") != 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "report takes agents or queues, then --from T --to T [--csv]");
		return;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--csv") == 0) {
			csv = true;
		} else if (strcmp(argv[i], "--json") == 0) {
			continue; /* the data is always there */
		} else if ((strcmp(argv[i], "--from") == 0 || strcmp(argv[i], "--to") == 0) && i + 1 < argc) {
			bool f = argv[i][2] == 'f';
			if (parse_time(argv[i + 1], f ? &from : &to) < 0) {
				td_mgmt_reply(
					req, TD_MGMT_USAGE, NULL,
					"bad time '%s' (seconds since 1970, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)",
					argv[i + 1]);
				return;
			}
			*(f ? &have_from : &have_to) = true;
			i++;
		} else {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
				      "unknown or incomplete option '%s' (--from T --to T --csv)", argv[i]);
			return;
		}
	}
	if (!have_from || !have_to || from >= to) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
			      have_from && have_to ? "--from must come before --to"
						   : "report needs --from T and --to T");
		return;
	}
	/* Everything recorded so far, not only what the last group commit wrote. */
	int ret = cc_records_flush();
	if (ret < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "cannot write the pending records: %s", strerror(-ret));
		return;
	}
	struct text t;
	if (!text_open(req, &t))
		return;
	int n;
	if (queues) {
		struct cc_queue_kpi *k = NULL;
		n = cc_report_queues(from, to, &k);
		fprintf(t.f,
			csv ? "queue,offered,answered,abandoned,overflowed,timed_out,refused,asa_s,aht_s,sl_pct,"
			      "abandon_pct,occupancy_pct"
			    : "%-20s %7s %8s %9s %10s %9s %7s %7s %7s %6s %8s %9s",
			"queue", "offered", "answered", "abandoned", "overflowed", "timed-out", "refused", "ASA s",
			"AHT s", "SL %", "abandon%", "occupancy%");
		for (int i = 0; i < n; i++) {
			fprintf(t.f,
				csv ? "\n%s,%llu,%llu,%llu,%llu,%llu,%llu,%.3f,%.3f,%.2f,%.2f,%.2f"
				    : "\n%-20s %7llu %8llu %9llu %10llu %9llu %7llu %7.1f %7.1f %6.1f %8.1f %9.1f",
				k[i].queue, (unsigned long long)k[i].offered,
				(unsigned long long)k[i].disp[CC_ANSWERED], (unsigned long long)k[i].disp[CC_ABANDONED],
				(unsigned long long)k[i].disp[CC_OVERFLOWED],
				(unsigned long long)k[i].disp[CC_TIMED_OUT], (unsigned long long)k[i].disp[CC_REFUSED],
				k[i].asa_s, k[i].aht_s, k[i].sl_pct, k[i].abandon_pct, k[i].occupancy_pct);
			json_array_append_new(t.arr,
					      json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f}", "queue",
							k[i].queue, "offered", (json_int_t)k[i].offered, "answered",
							(json_int_t)k[i].disp[CC_ANSWERED], "abandoned",
							(json_int_t)k[i].disp[CC_ABANDONED], "overflowed",
							(json_int_t)k[i].disp[CC_OVERFLOWED], "timed_out",
							(json_int_t)k[i].disp[CC_TIMED_OUT], "refused",
							(json_int_t)k[i].disp[CC_REFUSED], "asa_s", k[i].asa_s, "aht_s",
							k[i].aht_s, "sl_pct", k[i].sl_pct, "abandon_pct",
							k[i].abandon_pct, "occupancy_pct", k[i].occupancy_pct));
		}
		free(k);
	} else {
		struct cc_agent_stat *a = NULL;
		n = cc_report_agents(from, to, &a);
		fprintf(t.f,
			csv ? "agent,offered,answered,unanswered,talk_s,staffed_s,occupancy_pct"
			    : "%-20s %7s %8s %10s %8s %9s %10s",
			"agent", "offered", "answered", "unanswered", "talk s", "staffed s", "occupancy%");
		for (int i = 0; i < n; i++) {
			fprintf(t.f,
				csv ? "\n%s,%llu,%llu,%llu,%.3f,%.3f,%.2f"
				    : "\n%-20s %7llu %8llu %10llu %8.1f %9.1f %10.1f",
				a[i].agent, (unsigned long long)a[i].offered, (unsigned long long)a[i].answered,
				(unsigned long long)a[i].unanswered, (double)a[i].talk_ms / 1000.0,
				(double)a[i].staffed_ms / 1000.0, a[i].occupancy_pct);
			json_array_append_new(
				t.arr,
				json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "agent", a[i].agent, "offered",
					  (json_int_t)a[i].offered, "answered", (json_int_t)a[i].answered, "unanswered",
					  (json_int_t)a[i].unanswered, "talk_ms", (json_int_t)a[i].talk_ms,
					  "staffed_ms", (json_int_t)a[i].staffed_ms, "busy_ms",
					  (json_int_t)a[i].busy_ms, "occupancy_pct", a[i].occupancy_pct));
		}
		free(a);
	}
	text_close(&t);
	if (n < 0) {
		json_decref(t.arr);
		free(t.buf);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "cannot read the records: %s", strerror(-n));
		return;
	}
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", what, t.arr), "%s", t.buf ? t.buf : "");
	free(t.buf);
}

TD_CMD_REGISTER(cc_queue_add, "queue add",
		"<name> [strategy S] [ring-timeout S] [wrapup S] [max-len N] [timeout S] [overflow Q] [sl S] [skill "
		"NAME=LEVEL]...",
		"a contact-center queue", cmd_queue_add)
TD_CMD_REGISTER(cc_queue_set, "queue set", "<name> [the options of queue add]", "change a queue", cmd_queue_set)
TD_CMD_REGISTER(cc_queue_del, "queue del", "<name>", "delete a queue with no caller and no agent", cmd_queue_del)
TD_CMD_REGISTER(cc_show_queues, "show queues", "", "the queues: strategy, callers waiting, agents", cmd_show_queues)
TD_CMD_REGISTER(cc_show_queue, "show queue", "<name>", "one queue: its callers (wait, position) and its agents",
		cmd_show_queue)
TD_CMD_REGISTER(cc_agent_add, "agent add", "<id> <extension>", "a contact-center agent", cmd_agent_add)
TD_CMD_REGISTER(cc_agent_del, "agent del", "<id>", "delete an agent that is logged out", cmd_agent_del)
TD_CMD_REGISTER(cc_agent_login, "agent login", "<id> [<queue[:skill=level,..]>...]",
		"log an agent into queues (none: those of its last login)", cmd_agent_login)
TD_CMD_REGISTER(cc_agent_logout, "agent logout", "<id>", "log an agent out of every queue", cmd_agent_logout)
TD_CMD_REGISTER(cc_agent_pause, "agent pause", "<id> [reason]", "stop offering calls to an agent", cmd_agent_pause)
TD_CMD_REGISTER(cc_agent_unpause, "agent unpause", "<id>", "offer calls to a paused agent again", cmd_agent_unpause)
TD_CMD_REGISTER(cc_show_agents, "show agents", "", "the agents: state, reason, queues", cmd_show_agents)
TD_CMD_REGISTER(cc_report, "report", "agents|queues --from T --to T [--csv]",
		"agent statistics or queue KPIs over [from, to)", cmd_report)
