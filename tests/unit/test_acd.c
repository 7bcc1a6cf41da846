/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACD (control/cc) on a fake clock with a real LMDB store in a
 * temporary folder: each strategy, wrap-up, auto-pause on no answer,
 * overflow (max length, timeout, no agents, voicemail, callback), bad
 * configuration, persistence across a reopen of the store, the commands,
 * and a seeded simulation of thousands of callers checked against a
 * reference model kept here: never a double offer, never an agent with two
 * calls, never a lost caller, longest-idle order, and KPIs equal to those
 * computed from the model's own log.
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
#include "cc/cc_report.h"
#include "cc/cc_store.h"
#include "cli_run.h"
#include "mgmt/mgmt.h"
#include "store/store.h"

static char dir[64];
static char err[256];
static uint64_t now_ms;

static uint64_t
fake_clock(void)
{
	return now_ms;
}

/* What the ACD asked the SIP side to do. */
#define LOG_MAX 1024
static struct {
	uint64_t call[LOG_MAX];
	char agent[LOG_MAX][CC_NAME_MAX];
	int n;
	int cancels, routes;
	enum cc_result last_route;
	uint64_t last_route_call;
} sip;

static void
sip_offer(uint64_t call, const char *agent, const char *ext, const char *queue, void *arg)
{
	(void)ext, (void)queue, (void)arg;
	if (sip.n < LOG_MAX) {
		sip.call[sip.n] = call;
		snprintf(sip.agent[sip.n], CC_NAME_MAX, "%s", agent);
	}
	sip.n++;
}

static void
sip_cancel(uint64_t call, const char *agent, void *arg)
{
	(void)call, (void)agent, (void)arg;
	sip.cancels++;
}

static void
sip_route(uint64_t call, enum cc_result r, void *arg)
{
	(void)arg;
	sip.routes++;
	sip.last_route = r;
	sip.last_route_call = call;
}

static const struct cc_ops ops = {.offer = sip_offer, .cancel = sip_cancel, .route = sip_route};

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/td-acd-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(cc_store_open(err, sizeof(err)), 0);
	now_ms = 1700000000000ULL;
	cc_init(fake_clock, 42);
	cc_set_ops(&ops);
	assert_int_equal(cc_records_attach(), 0);
	memset(&sip, 0, sizeof(sip));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	cc_records_flush();
	cc_fini();
	td_store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
advance(uint64_t ms)
{
	/* Step in ticks, as the loop timer does. */
	uint64_t end = now_ms + ms;
	while (now_ms < end) {
		now_ms = now_ms + CC_TICK_MS < end ? now_ms + CC_TICK_MS : end;
		cc_tick();
	}
}

static void
queue(const char *name, enum cc_strategy s, uint32_t wrapup)
{
	struct cc_queue_conf q;
	cc_queue_conf_default(&q, name);
	q.strategy = s;
	q.wrapup_s = wrapup;
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
}

static void
agent(const char *id, const char *login)
{
	struct cc_login l;
	char ext[40];
	snprintf(ext, sizeof(ext), "ext-%s", id);
	assert_int_equal(cc_agent_add(id, ext, err, sizeof(err)), 0);
	assert_int_equal(cc_login_parse(login, &l, err, sizeof(err)), 0);
	assert_int_equal(cc_agent_login(id, &l, 1, err, sizeof(err)), 0);
}

static enum cc_agent_state
state_of(const char *id)
{
	struct cc_agent_view v;
	assert_int_equal(cc_agent_view(id, &v), 0);
	return v.state;
}

/* Call id arrives in q; the agent it was offered to ("" if none). */
static const char *
arrive(uint64_t id, const char *q)
{
	int before = sip.n;
	assert_int_equal(cc_call_arrive(id, q, 0, err, sizeof(err)), 0);
	if (sip.n == before)
		return "";
	assert_int_equal(sip.n, before + 1);
	assert_true(sip.call[sip.n - 1] == id);
	return sip.agent[sip.n - 1];
}

/* Arrive, answer, hang up after 1 s: the agent. */
static void
handled(uint64_t id, const char *q, const char *expect)
{
	assert_string_equal(arrive(id, q), expect);
	assert_int_equal(cc_agent_answered(id), 0);
	advance(1000);
	assert_int_equal(cc_call_hangup(id), 0);
}

static void
test_longest_idle(void **state)
{
	(void)state;
	queue("q", CC_LONGEST_IDLE, 0);
	agent("a1", "q");
	advance(1000);
	agent("a2", "q");
	advance(1000);
	agent("a3", "q");
	/* a1 paused and back: now idle the shortest. */
	assert_int_equal(cc_agent_pause("a1", "break", err, sizeof(err)), 0);
	assert_int_equal(state_of("a1"), CC_PAUSED);
	assert_int_equal(cc_agent_unpause("a1", err, sizeof(err)), 0);
	handled(1, "q", "a2");
	handled(2, "q", "a3");
	handled(3, "q", "a1");
	handled(4, "q", "a2");
}

static void
test_round_robin(void **state)
{
	(void)state;
	queue("q", CC_ROUND_ROBIN, 0);
	agent("a1", "q");
	agent("a2", "q");
	agent("a3", "q");
	assert_int_equal(cc_agent_pause("a1", NULL, err, sizeof(err)), 0);
	assert_int_equal(cc_agent_unpause("a1", err, sizeof(err)), 0);
	/* Login order, whatever the idle time. */
	handled(1, "q", "a1");
	handled(2, "q", "a2");
	/* a3 paused: skipped, then the ring goes on. */
	assert_int_equal(cc_agent_pause("a3", NULL, err, sizeof(err)), 0);
	handled(3, "q", "a1");
	assert_int_equal(cc_agent_unpause("a3", err, sizeof(err)), 0);
	handled(4, "q", "a2");
	handled(5, "q", "a3");
	handled(6, "q", "a1");

	/* Even: 300 more calls, 100 each. */
	int count[3] = {0};
	for (uint64_t id = 100; id < 400; id++) {
		const char *a = arrive(id, "q");
		count[a[1] - '1']++;
		assert_int_equal(cc_agent_answered(id), 0);
		assert_int_equal(cc_call_hangup(id), 0);
	}
	assert_int_equal(count[0], 100);
	assert_int_equal(count[1], 100);
	assert_int_equal(count[2], 100);
}

static void
test_fewest_calls(void **state)
{
	(void)state;
	queue("q", CC_FEWEST_CALLS, 0);
	agent("a1", "q");
	advance(10);
	agent("a2", "q");
	advance(10);
	agent("a3", "q");
	handled(1, "q", "a1");
	handled(2, "q", "a2");
	handled(3, "q", "a3");
	handled(4, "q", "a1");
	/* a1 has 2, a2 1, a3 1: a2 (idle longer than a3). */
	handled(5, "q", "a2");
	handled(6, "q", "a3");
}

static void
test_random(void **state)
{
	char seq1[64], seq2[64];
	int count[4] = {0};
	(void)state;
	for (int round = 0; round < 2; round++) {
		cc_init(fake_clock, 7);
		cc_set_ops(&ops);
		memset(&sip, 0, sizeof(sip));
		char name[8];
		snprintf(name, sizeof(name), "r%d", round);
		queue(name, CC_RANDOM, 0);
		for (int i = 0; i < 4; i++) {
			char id[8];
			snprintf(id, sizeof(id), "a%d", i);
			agent(id, name);
		}
		char *seq = round ? seq2 : seq1;
		for (uint64_t id = 1; id <= 400; id++) {
			const char *a = arrive(id, name);
			if (id <= 60)
				seq[id - 1] = a[1];
			if (round == 0)
				count[a[1] - '0']++;
			assert_int_equal(cc_agent_answered(id), 0);
			assert_int_equal(cc_call_hangup(id), 0);
		}
		seq[60] = '\0';
	}
	/* The same seed, the same choices; every agent chosen now and then. */
	assert_string_equal(seq1, seq2);
	for (int i = 0; i < 4; i++)
		assert_true(count[i] > 50 && count[i] < 150);
}

static void
test_skills(void **state)
{
	struct cc_queue_conf q;
	(void)state;
	cc_queue_conf_default(&q, "es");
	q.strategy = CC_SKILLS;
	q.wrapup_s = 0;
	q.nreq = 1;
	snprintf(q.req[0].name, CC_NAME_MAX, "spanish");
	q.req[0].level = 60;
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
	agent("a1", "es:spanish=50");
	agent("a2", "es:spanish=90,french=10");
	agent("a3", "es:spanish=70");
	/* The most proficient first, then the next. */
	assert_string_equal(arrive(1, "es"), "a2");
	assert_string_equal(arrive(2, "es"), "a3");
	/* Only a1 (50 < 60) left: the caller waits until relaxation (30 s: -20). */
	assert_string_equal(arrive(3, "es"), "");
	advance(CC_RELAX_STEP_MS - 200);
	assert_int_equal(sip.n, 2);
	advance(400);
	assert_int_equal(sip.n, 3);
	assert_string_equal(sip.agent[2], "a1");
	assert_true(sip.call[2] == 3);
}

static void
test_priority_and_longest_waiting(void **state)
{
	(void)state;
	queue("q1", CC_LONGEST_IDLE, 0);
	queue("q2", CC_LONGEST_IDLE, 0);
	agent("a1", "q1");
	agent("b", "q2");
	assert_int_equal(cc_agent_pause("b", NULL, err, sizeof(err)), 0);
	assert_int_equal(cc_agent_pause("a1", NULL, err, sizeof(err)), 0);
	/* A waits in q2 first, then B in q1, C (priority) in q1. */
	assert_string_equal(arrive(10, "q2"), "");
	advance(500);
	assert_string_equal(arrive(11, "q1"), "");
	advance(500);
	assert_int_equal(cc_call_arrive(12, "q1", 5, err, sizeof(err)), 0);
	struct cc_call_view v;
	assert_int_equal(cc_call_view(12, &v), 0);
	assert_int_equal(v.position, 1);
	assert_int_equal(cc_call_view(11, &v), 0);
	assert_int_equal(v.position, 2);
	/* An agent of both queues: q2's caller waited longest, but priority comes first in q1. */
	struct cc_login l[2];
	assert_int_equal(cc_agent_add("c", "ext-c", err, sizeof(err)), 0);
	assert_int_equal(cc_login_parse("q1", &l[0], err, sizeof(err)), 0);
	assert_int_equal(cc_login_parse("q2", &l[1], err, sizeof(err)), 0);
	assert_int_equal(cc_agent_login("c", l, 2, err, sizeof(err)), 0);
	assert_true(sip.call[sip.n - 1] == 12);
	assert_int_equal(cc_agent_answered(12), 0);
	assert_int_equal(cc_call_hangup(12), 0);
	/* Then the longest waiting across its queues: 10 (q2) before 11 (q1). */
	assert_true(sip.call[sip.n - 1] == 10);
}

static void
test_wrapup(void **state)
{
	(void)state;
	queue("q", CC_LONGEST_IDLE, 5);
	agent("a1", "q");
	assert_string_equal(arrive(1, "q"), "a1");
	assert_int_equal(state_of("a1"), CC_OFFERED);
	assert_int_equal(cc_agent_answered(1), 0);
	assert_int_equal(state_of("a1"), CC_ON_CALL);
	assert_int_equal(cc_call_hangup(1), 0);
	assert_int_equal(state_of("a1"), CC_WRAPUP);
	assert_string_equal(arrive(2, "q"), "");
	advance(4900);
	assert_int_equal(state_of("a1"), CC_WRAPUP);
	advance(200);
	assert_int_equal(state_of("a1"), CC_OFFERED);
	assert_true(sip.call[sip.n - 1] == 2);
}

static void
test_auto_pause(void **state)
{
	struct cc_agent_view v;
	(void)state;
	queue("q", CC_LONGEST_IDLE, 0);
	agent("a1", "q");
	advance(10);
	agent("a2", "q");
	advance(10);
	agent("a3", "q");
	assert_string_equal(arrive(1, "q"), "a1");
	/* Ring timeout (20 s): a1 paused for no-answer, the call goes to a2. */
	advance(19900);
	assert_int_equal(sip.n, 1);
	advance(200);
	assert_int_equal(sip.n, 2);
	assert_string_equal(sip.agent[1], "a2");
	assert_int_equal(sip.cancels, 1);
	assert_int_equal(cc_agent_view("a1", &v), 0);
	assert_int_equal(v.state, CC_PAUSED);
	assert_string_equal(v.reason, "no-answer");
	/* Declined by the phone: a2 paused, a3 next. */
	assert_int_equal(cc_agent_no_answer(1), 0);
	assert_int_equal(state_of("a2"), CC_PAUSED);
	assert_string_equal(sip.agent[2], "a3");
	/* The caller gone while a3 rings: a3 available again, not paused. */
	assert_int_equal(cc_call_hangup(1), 0);
	assert_int_equal(state_of("a3"), CC_AVAILABLE);
	assert_int_equal(sip.cancels, 2);
	assert_int_equal(cc_agent_answered(1), -ENOENT);
}

static void
test_overflow(void **state)
{
	struct cc_queue_conf q;
	(void)state;
	queue("vm", CC_LONGEST_IDLE, 0); /* no agent: callers go to voicemail */
	assert_int_equal(cc_queue_get("vm", &q), 0);
	snprintf(q.overflow, sizeof(q.overflow), "voicemail");
	assert_int_equal(cc_queue_set(&q, err, sizeof(err)), 0);
	cc_queue_conf_default(&q, "sales");
	q.max_len = 1;
	q.timeout_s = 60;
	snprintf(q.overflow, sizeof(q.overflow), "vm");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);

	/* No agent logged in: sales -> vm -> voicemail. */
	assert_string_equal(arrive(1, "sales"), "");
	assert_int_equal(sip.routes, 1);
	assert_int_equal(sip.last_route, CC_RESULT_VOICEMAIL);
	assert_int_equal(cc_call_hangup(1), -ENOENT);

	agent("a1", "sales");
	assert_int_equal(cc_agent_pause("a1", NULL, err, sizeof(err)), 0);
	assert_string_equal(arrive(2, "sales"), "");
	/* Full (max-len 1): the next goes on. */
	assert_string_equal(arrive(3, "sales"), "");
	assert_int_equal(sip.routes, 2);
	assert_true(sip.last_route_call == 3);
	/* Queue timeout. */
	advance(59900);
	assert_int_equal(sip.routes, 2);
	advance(200);
	assert_int_equal(sip.routes, 3);
	assert_true(sip.last_route_call == 2);

	/* Callback keeps the place and no longer times out. */
	assert_int_equal(cc_queue_get("sales", &q), 0);
	snprintf(q.overflow, sizeof(q.overflow), "callback");
	assert_int_equal(cc_queue_set(&q, err, sizeof(err)), 0);
	assert_string_equal(arrive(4, "sales"), "");
	advance(61000);
	assert_int_equal(sip.last_route, CC_RESULT_CALLBACK);
	struct cc_call_view v;
	assert_int_equal(cc_call_view(4, &v), 0);
	assert_true(v.callback);
	assert_int_equal(v.position, 1);
	advance(120000);
	assert_int_equal(cc_agent_unpause("a1", err, sizeof(err)), 0);
	assert_true(sip.call[sip.n - 1] == 4);

	/* Without a target: timed out, told to hang up. */
	cc_queue_conf_default(&q, "plain");
	q.timeout_s = 1;
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
	agent("a2", "plain");
	assert_int_equal(cc_agent_pause("a2", NULL, err, sizeof(err)), 0);
	assert_string_equal(arrive(5, "plain"), "");
	advance(1100);
	assert_int_equal(sip.last_route, CC_RESULT_HANGUP);
	assert_true(sip.last_route_call == 5);
	/* The last agent logging out sends waiting callers on. */
	assert_string_equal(arrive(6, "plain"), "");
	assert_int_equal(cc_agent_logout("a2", err, sizeof(err)), 0);
	assert_true(sip.last_route_call == 6);
}

static void
test_bad_config(void **state)
{
	struct cc_queue_conf q;
	struct cc_login l;
	(void)state;
	queue("a", CC_LONGEST_IDLE, 0);
	queue("b", CC_LONGEST_IDLE, 0);
	cc_queue_conf_default(&q, "c");
	snprintf(q.overflow, sizeof(q.overflow), "nowhere");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown overflow queue nowhere"));
	/* a -> b -> a */
	assert_int_equal(cc_queue_get("a", &q), 0);
	snprintf(q.overflow, sizeof(q.overflow), "b");
	assert_int_equal(cc_queue_set(&q, err, sizeof(err)), 0);
	assert_int_equal(cc_queue_get("b", &q), 0);
	snprintf(q.overflow, sizeof(q.overflow), "a");
	assert_int_equal(cc_queue_set(&q, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "loop"));
	snprintf(q.overflow, sizeof(q.overflow), "b");
	assert_int_equal(cc_queue_set(&q, err, sizeof(err)), -EINVAL);
	/* Longer loops: c -> a -> b, then b -> c. */
	cc_queue_conf_default(&q, "c");
	snprintf(q.overflow, sizeof(q.overflow), "a");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
	assert_int_equal(cc_queue_get("b", &q), 0);
	snprintf(q.overflow, sizeof(q.overflow), "c");
	assert_int_equal(cc_queue_set(&q, err, sizeof(err)), -ELOOP);
	cc_queue_conf_default(&q, "a");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), -EEXIST);
	cc_queue_conf_default(&q, "bad name");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), -EINVAL);
	cc_queue_conf_default(&q, "voicemail");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), -EINVAL);
	cc_queue_conf_default(&q, "d");
	q.ring_timeout_s = 0;
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), -EINVAL);
	/* In use, or a target of another queue. */
	assert_int_equal(cc_queue_del("b", err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "overflows to b"));
	assert_int_equal(cc_queue_del("zz", err, sizeof(err)), -ENOENT);
	assert_int_equal(cc_login_parse("a:lang", &l, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_login_parse("a:lang=101", &l, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_login_parse("a:lang=-1", &l, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_agent_add("x", "", err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_agent_add("x", "1001", err, sizeof(err)), 0);
	assert_int_equal(cc_agent_add("x", "1001", err, sizeof(err)), -EEXIST);
	assert_int_equal(cc_login_parse("nope", &l, err, sizeof(err)), 0);
	assert_int_equal(cc_agent_login("x", &l, 1, err, sizeof(err)), -ENOENT);
	assert_int_equal(cc_agent_login("x", NULL, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_agent_logout("x", err, sizeof(err)), -EALREADY);
	assert_int_equal(cc_agent_unpause("x", err, sizeof(err)), -EINVAL);
	assert_int_equal(cc_agent_pause("x", NULL, err, sizeof(err)), -EBUSY);
	assert_int_equal(cc_call_arrive(1, "nope", 0, err, sizeof(err)), -ENOENT);
}

static void
test_persistence(void **state)
{
	struct cc_queue_conf q;
	struct cc_agent_view v;
	(void)state;
	cc_queue_conf_default(&q, "support");
	q.strategy = CC_SKILLS;
	q.wrapup_s = 7;
	q.max_len = 9;
	q.timeout_s = 300;
	q.sl_s = 15;
	q.nreq = 1;
	snprintf(q.req[0].name, CC_NAME_MAX, "linux");
	q.req[0].level = 40;
	snprintf(q.overflow, sizeof(q.overflow), "voicemail");
	assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
	queue("sales", CC_ROUND_ROBIN, 3);
	/* overflow to a queue whose name sorts later: loads all the same */
	assert_int_equal(cc_queue_get("sales", &q), 0);
	snprintf(q.overflow, sizeof(q.overflow), "support");
	assert_int_equal(cc_queue_set(&q, err, sizeof(err)), 0);
	agent("ann", "support:linux=80,bsd=30");
	assert_int_equal(cc_records_flush() >= 0, 1);

	cc_fini();
	td_store_close();
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(cc_store_open(err, sizeof(err)), 0);
	cc_init(fake_clock, 1);
	assert_int_equal(cc_load(err, sizeof(err)), 0);
	assert_int_equal(cc_queue_get("support", &q), 0);
	assert_int_equal(q.strategy, CC_SKILLS);
	assert_int_equal(q.wrapup_s, 7);
	assert_int_equal(q.max_len, 9);
	assert_int_equal(q.timeout_s, 300);
	assert_int_equal(q.sl_s, 15);
	assert_string_equal(q.overflow, "voicemail");
	assert_int_equal(q.nreq, 1);
	assert_string_equal(q.req[0].name, "linux");
	assert_int_equal(q.req[0].level, 40);
	assert_int_equal(cc_queue_get("sales", &q), 0);
	assert_int_equal(q.strategy, CC_ROUND_ROBIN);
	assert_string_equal(q.overflow, "support");
	/* Logged out after a restart; the queues of the last login kept. */
	assert_int_equal(cc_agent_view("ann", &v), 0);
	assert_int_equal(v.state, CC_LOGGED_OUT);
	assert_string_equal(v.extension, "ext-ann");
	assert_int_equal(v.nlogin, 1);
	assert_int_equal(v.login[0].nskill, 2);
	assert_int_equal(cc_agent_login("ann", NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(state_of("ann"), CC_AVAILABLE);
	/* Deletions stay deleted. */
	assert_int_equal(cc_agent_logout("ann", err, sizeof(err)), 0);
	assert_int_equal(cc_agent_del("ann", err, sizeof(err)), 0);
	assert_int_equal(cc_queue_get("sales", &q), 0);
	q.overflow[0] = '\0';
	assert_int_equal(cc_queue_set(&q, err, sizeof(err)), 0);
	assert_int_equal(cc_queue_del("support", err, sizeof(err)), 0);
	/* A saved login whose queue is gone: that queue is skipped. */
	agent("bob", "sales");
	struct cc_login two[2];
	assert_int_equal(cc_login_parse("sales", &two[0], err, sizeof(err)), 0);
	queue("extra", CC_LONGEST_IDLE, 0);
	assert_int_equal(cc_login_parse("extra", &two[1], err, sizeof(err)), 0);
	assert_int_equal(cc_agent_login("bob", two, 2, err, sizeof(err)), 0);
	assert_int_equal(cc_agent_logout("bob", err, sizeof(err)), 0);
	assert_int_equal(cc_queue_del("extra", err, sizeof(err)), 0);
	assert_int_equal(cc_agent_login("bob", NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(state_of("bob"), CC_AVAILABLE);
	assert_int_equal(cc_agent_logout("bob", err, sizeof(err)), 0);
	cc_fini();
	cc_init(fake_clock, 1);
	assert_int_equal(cc_load(err, sizeof(err)), 0);
	assert_int_equal(cc_queue_get("support", &q), -ENOENT);
	assert_int_equal(cc_agent_view("ann", &v), -ENOENT);
	assert_int_equal(cc_queue_get("sales", &q), 0);
}

/* ---- the commands, through the management dispatcher ---- */

static void
test_commands(void **state)
{
	struct cli_sink s = {0};
	struct cc_queue_conf q;
	(void)state;

	assert_int_equal(cli_run(&s, "[\"queue\",\"add\",\"vm\",\"overflow\",\"voicemail\"]"), 0);
	assert_int_equal(
		cli_run(&s, "[\"queue\",\"add\",\"sales\",\"strategy\",\"round-robin\",\"ring-timeout\",\"15\","
			    "\"wrapup\",\"5\",\"max-len\",\"30\",\"timeout\",\"120\",\"overflow\",\"vm\",\"sl\",\"30\","
			    "\"skill\",\"spanish=50\"]"),
		0);
	assert_int_equal(cc_queue_get("sales", &q), 0);
	assert_int_equal(q.strategy, CC_ROUND_ROBIN);
	assert_int_equal(q.ring_timeout_s, 15);
	assert_int_equal(q.wrapup_s, 5);
	assert_int_equal(q.max_len, 30);
	assert_int_equal(q.timeout_s, 120);
	assert_int_equal(q.sl_s, 30);
	assert_string_equal(q.overflow, "vm");
	assert_int_equal(q.nreq, 1);
	assert_int_equal(cli_run(&s, "[\"queue\",\"set\",\"sales\",\"wrapup\",\"8\"]"), 0);
	assert_int_equal(cc_queue_get("sales", &q), 0);
	assert_int_equal(q.wrapup_s, 8);
	assert_int_equal(q.ring_timeout_s, 15);

	/* Every refusal, with its reason. */
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"strategy\",\"loudest\"]", 2, "bad strategy 'loudest'");
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"wrapup\",\"-5\"]", 2, "not negative");
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"timeout\",\"soon\"]", 2, "bad timeout 'soon'");
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"ring-timeout\",\"0\"]", 2, "ring-timeout is 1 to 600");
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"overflow\",\"nowhere\"]", 2, "unknown overflow queue nowhere");
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"overflow\",\"x\"]", 2, "itself");
	cli_refused(&s, "[\"queue\",\"set\",\"vm\",\"overflow\",\"sales\"]", 2, "overflow loop");
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"colour\",\"red\"]", 2, "unknown option 'colour'");
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"wrapup\"]", 2, "'wrapup' needs a value");
	cli_refused(&s, "[\"queue\",\"add\",\"x\",\"skill\",\"lang\"]", 2, "needs =level");
	cli_refused(&s, "[\"queue\",\"add\",\"bad/name\"]", 2, "bad character");
	cli_refused(&s, "[\"queue\",\"add\",\"callback\"]", 2, "overflow result");
	cli_refused(&s, "[\"queue\",\"add\",\"sales\"]", 1, "exists");
	cli_refused(&s, "[\"queue\",\"add\"]", 2, "<name>");
	cli_refused(&s, "[\"queue\",\"set\",\"nope\"]", 1, "no queue nope");
	cli_refused(&s, "[\"queue\",\"del\",\"vm\"]", 1, "sales overflows to vm");
	cli_refused(&s, "[\"queue\",\"del\"]", 2, "one queue name");
	assert_int_equal(cc_queue_get("x", &q), -ENOENT);

	assert_int_equal(cli_run(&s, "[\"agent\",\"add\",\"ann\",\"1001\"]"), 0);
	cli_refused(&s, "[\"agent\",\"add\",\"ann\",\"1002\"]", 1, "exists");
	cli_refused(&s, "[\"agent\",\"add\",\"bob\"]", 2, "<id> <extension>");
	cli_refused(&s, "[\"agent\",\"login\",\"ann\",\"sales:spanish=high\"]", 2, "bad level 'high'");
	cli_refused(&s, "[\"agent\",\"login\",\"ann\",\"nope\"]", 1, "no queue nope");
	cli_refused(&s, "[\"agent\",\"login\",\"zed\",\"sales\"]", 1, "no agent zed");
	cli_refused(&s, "[\"agent\",\"login\",\"ann\"]", 2, "has no queues");
	cli_refused(&s, "[\"agent\",\"unpause\",\"ann\"]", 2, "not paused");
	cli_refused(&s, "[\"agent\",\"logout\",\"ann\"]", 1, "not logged in");
	assert_int_equal(cli_run(&s, "[\"agent\",\"login\",\"ann\",\"sales:spanish=80\",\"vm\"]"), 0);
	assert_int_equal(state_of("ann"), CC_AVAILABLE);
	assert_int_equal(cli_run(&s, "[\"agent\",\"pause\",\"ann\",\"lunch\"]"), 0);
	assert_int_equal(state_of("ann"), CC_PAUSED);
	cli_refused(&s, "[\"agent\",\"del\",\"ann\"]", 1, "log out first");
	cli_refused(&s, "[\"queue\",\"del\",\"sales\"]", 1, "in use");

	/* A caller waiting, seen in show queue with its position. */
	assert_int_equal(cc_call_arrive(77, "sales", 0, err, sizeof(err)), 0);
	advance(2000);
	assert_int_equal(cli_run(&s, "[\"show\",\"queue\",\"sales\"]"), 0);
	json_t *c = json_array_get(json_object_get(cli_data(&s), "callers"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "call")), 77);
	assert_int_equal(json_integer_value(json_object_get(c, "position")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "wait_ms")), 2000);
	json_t *m = json_array_get(json_object_get(cli_data(&s), "members"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "paused");
	assert_string_equal(json_string_value(json_object_get(m, "reason")), "lunch");
	assert_non_null(strstr(cli_text(&s), "lunch"));
	cli_refused(&s, "[\"show\",\"queue\",\"nope\"]", 1, "no queue nope");

	assert_int_equal(cli_run(&s, "[\"show\",\"queues\"]"), 0);
	assert_int_equal(json_array_size(json_object_get(cli_data(&s), "queues")), 2);
	json_t *sq = json_array_get(json_object_get(cli_data(&s), "queues"), 0);
	assert_string_equal(json_string_value(json_object_get(sq, "name")), "sales");
	assert_int_equal(json_integer_value(json_object_get(sq, "waiting")), 1);
	assert_int_equal(cli_run(&s, "[\"show\",\"agents\"]"), 0);
	json_t *a = json_array_get(json_object_get(cli_data(&s), "agents"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "state")), "paused");
	assert_int_equal(json_array_size(json_object_get(a, "queues")), 2);

	/* Unpaused: offered at once; answered, 3 s of talk. */
	assert_int_equal(cli_run(&s, "[\"agent\",\"unpause\",\"ann\"]"), 0);
	assert_int_equal(state_of("ann"), CC_OFFERED);
	cli_refused(&s, "[\"agent\",\"pause\",\"ann\"]", 1, "offered");
	assert_int_equal(cc_agent_answered(77), 0);
	cli_refused(&s, "[\"agent\",\"logout\",\"ann\"]", 1, "on a call");
	advance(3000);
	assert_int_equal(cc_call_hangup(77), 0);
	assert_true(cc_records_flush() > 0);

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "[\"report\",\"queues\",\"--from\",\"%llu\",\"--to\",\"%llu\",\"--csv\"]",
		 (unsigned long long)(now_ms / 1000 - 60), (unsigned long long)(now_ms / 1000 + 60));
	assert_int_equal(cli_run(&s, cmd), 0);
	assert_non_null(strstr(cli_text(&s), "queue,offered,answered"));
	assert_non_null(strstr(cli_text(&s), "\nsales,1,1,0,0,0,0,2.000,11.000,100.00,0.00,"));
	json_t *k = json_array_get(json_object_get(cli_data(&s), "queues"), 0);
	assert_int_equal(json_integer_value(json_object_get(k, "answered")), 1);
	snprintf(cmd, sizeof(cmd), "[\"report\",\"agents\",\"--from\",\"%llu\",\"--to\",\"%llu\"]",
		 (unsigned long long)(now_ms / 1000 - 60), (unsigned long long)(now_ms / 1000 + 60));
	assert_int_equal(cli_run(&s, cmd), 0);
	k = json_array_get(json_object_get(cli_data(&s), "agents"), 0);
	assert_string_equal(json_string_value(json_object_get(k, "agent")), "ann");
	assert_int_equal(json_integer_value(json_object_get(k, "offered")), 1);
	assert_int_equal(json_integer_value(json_object_get(k, "answered")), 1);
	assert_int_equal(json_integer_value(json_object_get(k, "talk_ms")), 3000);
	assert_int_equal(
		cli_run(&s, "[\"report\",\"queues\",\"--from\",\"2026-01-01\",\"--to\",\"2026-01-02T00:00:00\"]"), 0);
	cli_refused(&s, "[\"report\",\"queues\",\"--from\",\"yesterday\",\"--to\",\"1\"]", 2, "bad time 'yesterday'");
	cli_refused(&s, "[\"report\",\"queues\",\"--from\",\"10\"]", 2, "needs --from T and --to T");
	cli_refused(&s, "[\"report\",\"queues\",\"--from\",\"10\",\"--to\",\"5\"]", 2, "--from must come before --to");
	cli_refused(&s, "[\"report\",\"calls\"]", 2, "agents or queues");
	cli_refused(&s, "[\"report\",\"agents\",\"--from\",\"1\",\"--to\",\"2\",\"--xml\"]", 2, "'--xml'");

	/* Logged out, deleted; queues deleted once free. */
	advance(9000);
	assert_int_equal(cli_run(&s, "[\"agent\",\"logout\",\"ann\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"agent\",\"del\",\"ann\"]"), 0);
	cli_refused(&s, "[\"agent\",\"del\",\"ann\"]", 1, "no agent ann");
	assert_int_equal(cli_run(&s, "[\"queue\",\"del\",\"sales\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"queue\",\"del\",\"vm\"]"), 0);
	cli_refused(&s, "[\"show\",\"queues\",\"x\"]", 2, "x");
	json_decref(s.last);
}

/* ---- the simulation against a reference model ---- */

#define SIM_AGENTS 60
#define SIM_QUEUES 5
#define SIM_CALLS  3000

struct m_agent {
	char id[8];
	enum cc_agent_state st;
	uint64_t call;	     /* offered or connected */
	uint64_t idle_since; /* when it last turned available */
	bool q[SIM_QUEUES];
	int lang; /* its level in the skills queue */
	uint64_t offered, answered, unanswered, talk;
};

struct m_call {
	int q;	   /* its current queue */
	int agent; /* -1 */
	int state; /* 0 unknown, 1 waiting, 2 offered, 3 connected, 4 ended */
	uint64_t arrive, answer;
	enum cc_disposition disp;
	bool ended;
	int ends; /* CDRs */
};

static struct {
	struct m_agent a[SIM_AGENTS];
	struct m_call c[SIM_CALLS + 1];
	uint64_t rng;
	int offers, violations, skill_offers;
	/* KPIs of the model, per queue, from its own log */
	uint64_t offered[SIM_QUEUES], answered[SIM_QUEUES], abandoned[SIM_QUEUES], wait[SIM_QUEUES], talk[SIM_QUEUES],
		in_sl[SIM_QUEUES], ab_in_sl[SIM_QUEUES];
} M;

static const char *const sim_q[SIM_QUEUES] = {"q0", "q1", "q2", "q3", "q4"};
static const enum cc_strategy sim_s[SIM_QUEUES] = {CC_LONGEST_IDLE, CC_ROUND_ROBIN, CC_FEWEST_CALLS, CC_RANDOM,
						   CC_SKILLS};
#define SIM_SKILLQ 4 /* requires lang=SIM_REQ */
#define SIM_REQ	   50

static uint32_t
rnd(uint32_t n)
{
	M.rng = M.rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(M.rng >> 33) % n;
}

static int
qidx(const char *name)
{
	for (int i = 0; i < SIM_QUEUES; i++)
		if (strcmp(sim_q[i], name) == 0)
			return i;
	fail_msg("unknown queue %s", name);
	return -1;
}

static int
aidx(const char *id)
{
	return atoi(id + 1);
}

static void
sim_event(const struct cc_event *e, void *arg)
{
	(void)arg;
	if (e->type == CC_EV_AGENT_STATE) {
		struct m_agent *a = &M.a[aidx(e->agent)];
		if (e->state == CC_AVAILABLE && a->st != CC_AVAILABLE)
			a->idle_since = e->t_ms;
		a->st = e->state;
	} else if (e->type == CC_EV_CALL_OFFER) {
		struct m_call *c = &M.c[e->call];
		int ai = aidx(e->agent), qi = qidx(e->queue);
		struct m_agent *a = &M.a[ai];
		M.offers++;
		/* Never two agents for one caller, never two callers for one agent. */
		if (c->state != 1 || a->call != 0 || !a->q[qi])
			M.violations++;
		/* Longest idle: no available member of the queue idle longer. */
		if (sim_s[qi] == CC_LONGEST_IDLE)
			for (int i = 0; i < SIM_AGENTS; i++)
				if (i != ai && M.a[i].q[qi] && M.a[i].st == CC_AVAILABLE && M.a[i].call == 0 &&
				    M.a[i].idle_since < a->idle_since)
					M.violations++;
		/* Skills: eligible (the documented relaxation), and nobody available more proficient. */
		if (qi == SIM_SKILLQ) {
			uint64_t relax = (e->t_ms - c->arrive) / CC_RELAX_STEP_MS * CC_RELAX_LEVELS;
			if ((uint64_t)a->lang + relax < SIM_REQ)
				M.violations++;
			for (int i = 0; i < SIM_AGENTS; i++)
				if (M.a[i].q[qi] && M.a[i].st == CC_AVAILABLE && M.a[i].call == 0 &&
				    M.a[i].lang > a->lang && (uint64_t)M.a[i].lang + relax >= SIM_REQ)
					M.violations++;
			M.skill_offers++;
		}
		a->offered++;
		c->state = 2;
		c->agent = ai;
		a->call = e->call;
	} else if (e->type == CC_EV_CALL_NOANSWER) {
		struct m_call *c = &M.c[e->call];
		if (c->state != 2 || c->agent != aidx(e->agent))
			M.violations++;
		M.a[c->agent].unanswered++;
		M.a[c->agent].call = 0;
		c->agent = -1;
		c->state = 1;
	} else if (e->type == CC_EV_CALL_ARRIVE) {
		struct m_call *c = &M.c[e->call];
		if (c->state == 0 || c->state == 4) {
			c->q = qidx(e->queue);
			c->arrive = e->t_ms;
			c->state = 1;
		}
	}
}

static void
release(struct m_call *c)
{
	if (c->agent >= 0)
		M.a[c->agent].call = 0;
	c->agent = -1;
}

/* The model's own accounting of a caller leaving queue q. */
static void
model_end(struct m_call *c, enum cc_disposition d)
{
	int q = c->q;
	uint64_t sl = 20000;
	M.offered[q]++;
	if (d == CC_ANSWERED) {
		uint64_t w = c->answer - c->arrive;
		M.answered[q]++;
		M.wait[q] += w;
		M.talk[q] += now_ms - c->answer;
		M.in_sl[q] += w <= sl;
	} else if (d == CC_ABANDONED) {
		M.abandoned[q]++;
		M.ab_in_sl[q] += now_ms - c->arrive <= sl;
	}
}

static void
sim_end_event(const struct cc_event *e, void *arg)
{
	(void)arg;
	if (e->type != CC_EV_CALL_END)
		return;
	struct m_call *c = &M.c[e->call];
	c->ends++;
	/* Overflow to another queue: the model counts it here, the caller goes on. */
	if (e->disp == CC_OVERFLOWED || e->disp == CC_TIMED_OUT || e->disp == CC_REFUSED) {
		if (c->state == 2 || c->state == 3)
			M.violations++;
		model_end(c, e->disp);
		c->state = 4;
		c->disp = e->disp;
		return;
	}
	model_end(c, e->disp);
	if (e->disp == CC_ANSWERED)
		M.a[c->agent].talk += now_ms - c->answer;
	release(c);
	c->state = 4;
	c->disp = e->disp;
}

static void
test_simulation(void **state)
{
	int arrived = 0;
	(void)state;
	memset(&M, 0, sizeof(M));
	M.rng = 12345;
	for (int i = 0; i <= SIM_CALLS; i++)
		M.c[i].agent = -1;
	assert_int_equal(cc_on_event(sim_event, NULL), 0);
	assert_int_equal(cc_on_event(sim_end_event, NULL), 0);
	for (int i = SIM_QUEUES - 1; i >= 0; i--) { /* q4 first: q2 overflows to it */
		struct cc_queue_conf q;
		cc_queue_conf_default(&q, sim_q[i]);
		q.strategy = sim_s[i];
		q.wrapup_s = 2 + (uint32_t)i;
		q.ring_timeout_s = 8;
		q.max_len = i == 2 ? 15 : 0;
		q.timeout_s = i == 3 ? 90 : 0;
		if (i == 2)
			snprintf(q.overflow, sizeof(q.overflow), "q4");
		if (i == 3)
			snprintf(q.overflow, sizeof(q.overflow), "voicemail");
		if (i == SIM_SKILLQ) {
			q.nreq = 1;
			snprintf(q.req[0].name, CC_NAME_MAX, "lang");
			q.req[0].level = SIM_REQ;
		}
		assert_int_equal(cc_queue_add(&q, err, sizeof(err)), 0);
	}
	uint64_t start = now_ms;
	for (int i = 0; i < SIM_AGENTS; i++) {
		struct cc_login l[SIM_QUEUES];
		int n = 0;
		snprintf(M.a[i].id, sizeof(M.a[i].id), "a%d", i);
		assert_int_equal(cc_agent_add(M.a[i].id, "x", err, sizeof(err)), 0);
		for (int q = 0; q < SIM_QUEUES; q++)
			if (q == i % SIM_QUEUES || rnd(4) == 0) {
				memset(&l[n], 0, sizeof(l[n]));
				snprintf(l[n].queue, CC_NAME_MAX, "%s", sim_q[q]);
				if (q == SIM_SKILLQ) {
					M.a[i].lang = (int)rnd(101);
					l[n].nskill = 1;
					snprintf(l[n].skill[0].name, CC_NAME_MAX, "lang");
					l[n].skill[0].level = (uint8_t)M.a[i].lang;
				}
				n++;
				M.a[i].q[q] = true;
			}
		assert_int_equal(cc_agent_login(M.a[i].id, l, n, err, sizeof(err)), 0);
	}
	/* Every 100 ms step: arrivals, answers, no-answers, hang-ups, pauses, logouts. */
	for (;;) {
		advance(CC_TICK_MS);
		for (int k = rnd(3); k > 0 && arrived < SIM_CALLS; k--) {
			arrived++;
			assert_int_equal(cc_call_arrive((uint64_t)arrived, sim_q[rnd(SIM_QUEUES)], 0, err, sizeof(err)),
					 0);
		}
		for (int id = 1; id <= arrived; id++) {
			struct m_call *c = &M.c[id];
			uint32_t r = rnd(1000);
			if (c->state == 2 && r < 150) {
				c->answer = now_ms;
				assert_int_equal(cc_agent_answered((uint64_t)id), 0);
				M.a[c->agent].answered++;
				c->state = 3;
			} else if (c->state == 2 && r < 160) {
				assert_int_equal(cc_agent_no_answer((uint64_t)id), 0);
			} else if (c->state == 3 && r < 25) {
				assert_int_equal(cc_call_hangup((uint64_t)id), 0);
			} else if ((c->state == 1 || c->state == 2) && r < 4) {
				assert_int_equal(cc_call_hangup((uint64_t)id), 0);
			}
		}
		for (int i = 0; i < SIM_AGENTS; i++) {
			struct m_agent *a = &M.a[i];
			uint32_t r = rnd(10000);
			if (a->st == CC_PAUSED && r < 300)
				assert_int_equal(cc_agent_unpause(a->id, err, sizeof(err)), 0);
			else if (a->st == CC_AVAILABLE && r < 5)
				assert_int_equal(cc_agent_pause(a->id, "break", err, sizeof(err)), 0);
			else if (a->st == CC_AVAILABLE && r < 7) {
				assert_int_equal(cc_agent_logout(a->id, err, sizeof(err)), 0);
				assert_int_equal(cc_agent_login(a->id, NULL, 0, err, sizeof(err)), 0);
			}
		}
		if (cc_records_pending() > 500)
			assert_true(cc_records_flush() > 0);
		if (arrived == SIM_CALLS) {
			bool open = false;
			for (int id = 1; id <= arrived && !open; id++)
				open = M.c[id].state != 4;
			if (!open)
				break;
		}
		assert_true(now_ms - start < 24ULL * 3600 * 1000);
	}
	assert_int_equal(M.violations, 0);
	assert_true(M.offers > SIM_CALLS / 2);
	assert_true(M.skill_offers > SIM_CALLS / 20);
	/* Never lost: every caller has ended, with exactly one final CDR. */
	for (int id = 1; id <= SIM_CALLS; id++) {
		assert_int_equal(M.c[id].state, 4);
		assert_true(M.c[id].ends >= 1);
		struct cc_call_view v;
		assert_int_equal(cc_call_view((uint64_t)id, &v), -ENOENT);
	}
	for (int i = 0; i < SIM_AGENTS; i++)
		assert_true(M.a[i].call == 0);

	/* The KPIs from the records equal the model's. */
	assert_true(cc_records_flush() >= 0);
	struct cc_queue_kpi *k;
	int n = cc_report_queues(start, now_ms + 1, &k);
	assert_int_equal(n, SIM_QUEUES);
	for (int i = 0; i < SIM_QUEUES; i++) {
		assert_string_equal(k[i].queue, sim_q[i]);
		assert_int_equal(k[i].offered, M.offered[i]);
		assert_int_equal(k[i].disp[CC_ANSWERED], M.answered[i]);
		assert_int_equal(k[i].disp[CC_ABANDONED], M.abandoned[i]);
		assert_int_equal(k[i].wait_ms, M.wait[i]);
		assert_int_equal(k[i].answered_in_sl, M.in_sl[i]);
		double asa = M.answered[i] ? (double)M.wait[i] / 1000.0 / (double)M.answered[i] : 0;
		assert_true(k[i].asa_s > asa - 1e-9 && k[i].asa_s < asa + 1e-9);
		double aht = M.answered[i] ? ((double)M.talk[i] / 1000.0 + (double)M.answered[i] * (2 + i)) /
						     (double)M.answered[i]
					   : 0;
		assert_true(k[i].aht_s > aht - 1e-6 && k[i].aht_s < aht + 1e-6);
		double sl = 100.0 * (double)M.in_sl[i] / (double)(M.offered[i] - M.ab_in_sl[i]);
		assert_true(k[i].sl_pct > sl - 1e-9 && k[i].sl_pct < sl + 1e-9);
		double ab = 100.0 * (double)M.abandoned[i] / (double)M.offered[i];
		assert_true(k[i].abandon_pct > ab - 1e-9 && k[i].abandon_pct < ab + 1e-9);
		assert_true(k[i].occupancy_pct > 0 && k[i].occupancy_pct <= 100);
	}
	free(k);
	struct cc_agent_stat *as;
	n = cc_report_agents(start, now_ms + 1, &as);
	assert_int_equal(n, SIM_AGENTS);
	uint64_t offered = 0, answered = 0;
	for (int i = 0; i < n; i++) {
		offered += as[i].offered;
		answered += as[i].answered;
		assert_true(as[i].busy_ms <= as[i].staffed_ms);
		/* Per agent, as the model counted. */
		const struct m_agent *ma = &M.a[aidx(as[i].agent)];
		assert_int_equal(as[i].offered, ma->offered);
		assert_int_equal(as[i].answered, ma->answered);
		assert_int_equal(as[i].unanswered, ma->unanswered);
		assert_int_equal(as[i].talk_ms, ma->talk);
	}
	assert_int_equal(offered, (uint64_t)M.offers);
	uint64_t m_answered = 0;
	for (int i = 0; i < SIM_QUEUES; i++)
		m_answered += M.answered[i];
	assert_int_equal(answered, m_answered);
	free(as);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_longest_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_robin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fewest_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_and_longest_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrapup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simulation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
