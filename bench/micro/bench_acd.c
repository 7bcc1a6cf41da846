/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * td-bench-acd: the cost of one ACD decision (control/cc/acd.c) with
 * 10,000 callers waiting and 5,000 agents, each agent in 4 of Q queues
 * (default 1,000). Two decisions are timed, each including the offer it
 * makes (state changes, events, the timer):
 *  - agent side: a paused agent is unpaused and takes the longest-waiting
 *    caller among the heads of its queues (then answers, so it stays busy
 *    while the next one is timed);
 *  - caller side, per strategy: a caller arrives while agents are
 *    available and the queue's strategy picks one.
 * Prints mean, median and 99th percentile in ns. No store: records are not
 * written here (their group commit is not on the decision's path).
 *
 *   td-bench-acd [queues, default 1000]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc/acd.h"

#define AGENTS	5000
#define WAITING 10000
#define PER	4

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void
report(const char *what, uint64_t *v, int n)
{
	uint64_t sum = 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	printf("%-34s %8d decisions  mean %7.0f ns  median %7llu ns  p99 %7llu ns\n", what, n, (double)sum / n,
	       (unsigned long long)v[n / 2], (unsigned long long)v[n * 99 / 100]);
}

static uint64_t offers;

static void
on_offer(uint64_t call, const char *agent, const char *ext, const char *queue, void *arg)
{
	(void)call, (void)agent, (void)ext, (void)queue, (void)arg;
	offers++;
}

static void
setup(int nq, enum cc_strategy s, bool paused)
{
	char err[200], name[CC_NAME_MAX];
	struct cc_ops ops = {.offer = on_offer};
	cc_init(NULL, 1);
	cc_set_ops(&ops);
	srand(1);
	for (int q = 0; q < nq; q++) {
		struct cc_queue_conf c;
		snprintf(name, sizeof(name), "q%d", q);
		cc_queue_conf_default(&c, name);
		c.strategy = s;
		c.wrapup_s = 0;
		if (cc_queue_add(&c, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
	}
	for (int a = 0; a < AGENTS; a++) {
		struct cc_login l[PER];
		memset(l, 0, sizeof(l));
		snprintf(name, sizeof(name), "a%d", a);
		cc_agent_add(name, name, err, sizeof(err));
		for (int k = 0; k < PER; k++)
			snprintf(l[k].queue, CC_NAME_MAX, "q%d", (a * PER + k) % nq); /* every queue served */
		if (cc_agent_login(name, l, nq < PER ? nq : PER, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
		if (paused)
			cc_agent_pause(name, "bench", err, sizeof(err));
	}
}

int
main(int argc, char **argv)
{
	int nq = argc > 1 ? atoi(argv[1]) : 1000;
	uint64_t *t = calloc(WAITING, sizeof(*t));
	char err[200], name[CC_NAME_MAX];
	uint64_t id = 1;

	if (nq < PER || t == NULL) {
		fprintf(stderr, "usage: td-bench-acd [queues >= %d]\n", PER);
		return 2;
	}
	printf("%d queues, %d agents (%d queues each), %d callers waiting\n", nq, AGENTS, PER, WAITING);

	/* Agent side. */
	setup(nq, CC_LONGEST_IDLE, true);
	for (int i = 0; i < WAITING; i++)
		cc_call_arrive(id++, (snprintf(name, sizeof(name), "q%d", rand() % nq), name), 0, err, sizeof(err));
	for (int a = 0; a < AGENTS; a++) {
		snprintf(name, sizeof(name), "a%d", a);
		uint64_t before = offers, t0 = now_ns();
		cc_agent_unpause(name, err, sizeof(err));
		t[a] = now_ns() - t0;
		struct cc_agent_view v;
		if (offers != before + 1 || cc_agent_view(name, &v) < 0 || v.call == 0) {
			fprintf(stderr, "agent %s took no caller\n", name);
			return 1;
		}
		cc_agent_answered(v.call);
	}
	report("agent turns available", t, AGENTS);

	/* Caller side: agents available, callers arrive. */
	for (int s = 0; s < CC_STRATEGY_COUNT; s++) {
		setup(nq, (enum cc_strategy)s, false);
		int n = 0;
		for (int i = 0; i < AGENTS; i++) {
			snprintf(name, sizeof(name), "q%d", rand() % nq);
			uint64_t before = offers, t0 = now_ns();
			cc_call_arrive(id, name, 0, err, sizeof(err));
			uint64_t d = now_ns() - t0;
			if (offers == before + 1) {
				t[n++] = d;
				cc_agent_answered(id);
			}
			id++;
		}
		char what[64];
		snprintf(what, sizeof(what), "caller arrives (%s)", cc_strategy_name((enum cc_strategy)s));
		report(what, t, n);
	}
	cc_fini();
	free(t);
	return 0;
}
