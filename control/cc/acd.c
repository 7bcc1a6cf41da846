/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACD engine: see acd.h and docs/contact-center.md.
 *
 * Each queue keeps two ordered lists: its waiting callers (priority first,
 * then arrival) and its available agents (longest idle first). An offer
 * takes the head caller of a queue and one agent of its available list, or
 * an agent that turns available and the best head caller among the queues
 * it serves: the cost depends on the queues of one agent or the agents of
 * one queue, never on the number of queues. Timers sit in one binary heap
 * and are dropped lazily (a generation number per timer owner).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "acd.h"
#include "cc_store.h"

#define HASH_SIZE 16384
#define LISTENERS 8

struct member;
struct call;

struct queue {
	struct cc_queue_conf c;
	struct queue *hnext;
	TAILQ_HEAD(callq, call) wait; /* waiting, not offered */
	TAILQ_HEAD(availq, member) avail;
	TAILQ_HEAD(memq, member) members; /* login order: the round-robin ring */
	uint32_t nwait, nmembers, navail;
	struct member *rr_last;
	uint32_t ncalls; /* offered or connected */
};

struct member {
	struct agent *a;
	struct queue *q;
	struct cc_login l;
	TAILQ_ENTRY(member) avail_link;
	TAILQ_ENTRY(member) ring_link;
	bool in_avail;
	uint64_t answered;
};

struct agent {
	struct cc_agent_conf c;
	struct agent *hnext;
	uint32_t slot;
	enum cc_agent_state state;
	uint64_t since;
	char reason[CC_REASON_MAX];
	struct call *call;
	int nm;
	struct member *m[CC_MEMBER_MAX];
	struct cc_login saved[CC_MEMBER_MAX]; /* the last login, kept in the store */
	int nsaved;
	uint64_t tgen;
};

struct call {
	uint64_t id;
	struct call *hnext;
	struct queue *q;
	int prio;
	bool callback;
	bool in_wait;
	enum cc_call_state state;
	struct agent *agent;
	uint64_t arrive, answer;
	uint64_t tgen_timeout, tgen_relax;
	TAILQ_ENTRY(call) link;
};

enum timer_kind { T_RING, T_WRAPUP, T_QTIMEOUT, T_RELAX };

struct timer {
	uint64_t at;
	uint64_t gen;
	uint64_t key; /* agent slot or call id */
	enum timer_kind kind;
};

static struct {
	bool up;
	uint64_t (*clock)(void);
	uint64_t rng;
	struct cc_ops ops;
	struct {
		cc_event_cb_t cb;
		void *arg;
	} ev[LISTENERS];
	int nev;
	struct queue *qh[HASH_SIZE];
	struct agent *ah[HASH_SIZE];
	struct call *ch[HASH_SIZE];
	uint32_t nqueues, ncalls;
	struct agent **slots;
	uint32_t nslots;
	struct timer *heap;
	size_t nheap, capheap;
	uint64_t gen;
	bool loading; /* cc_load: do not write back */
} S;

/* ---- names, clock, randomness ---- */

static const char *const strategy_names[] = {"longest-idle", "round-robin", "fewest-calls", "random", "skills"};
static const char *const state_names[] = {"logged-out", "available", "offered", "on-call", "wrap-up", "paused"};
static const char *const disp_names[] = {"answered", "abandoned", "overflowed", "timed-out", "refused"};
static const char *const result_names[] = {"hangup", "voicemail", "callback"};

const char *
cc_strategy_name(enum cc_strategy s)
{
	return s < CC_STRATEGY_COUNT ? strategy_names[s] : "?";
}

int
cc_strategy_parse(const char *name, enum cc_strategy *s)
{
	for (int i = 0; i < CC_STRATEGY_COUNT; i++)
		if (strcmp(name, strategy_names[i]) == 0) {
			*s = (enum cc_strategy)i;
			return 0;
		}
	return -EINVAL;
}

const char *
cc_agent_state_name(enum cc_agent_state s)
{
	return s < CC_AGENT_STATE_COUNT ? state_names[s] : "?";
}

const char *
cc_disposition_name(enum cc_disposition d)
{
	return d < CC_DISPOSITION_COUNT ? disp_names[d] : "?";
}

const char *
cc_result_name(enum cc_result r)
{
	return r <= CC_RESULT_CALLBACK ? result_names[r] : "?";
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
cc_now(void)
{
	return S.clock ? S.clock() : wall_ms();
}

/* xorshift64*: reproducible from the seed. */
static uint64_t
rng_next(void)
{
	S.rng ^= S.rng >> 12;
	S.rng ^= S.rng << 25;
	S.rng ^= S.rng >> 27;
	return S.rng * 2685821657736338717ULL;
}

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % HASH_SIZE;
}

static uint32_t
hash_id(uint64_t id)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ULL) >> 40) % HASH_SIZE;
}

static struct queue *
queue_find(const char *name)
{
	for (struct queue *q = S.qh[hash_str(name)]; q; q = q->hnext)
		if (strcmp(q->c.name, name) == 0)
			return q;
	return NULL;
}

static struct agent *
agent_find(const char *id)
{
	for (struct agent *a = S.ah[hash_str(id)]; a; a = a->hnext)
		if (strcmp(a->c.id, id) == 0)
			return a;
	return NULL;
}

static struct call *
call_find(uint64_t id)
{
	for (struct call *c = S.ch[hash_id(id)]; c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

/* ---- events ---- */

int
cc_on_event(cc_event_cb_t cb, void *arg)
{
	if (S.nev == LISTENERS)
		return -ENOSPC;
	S.ev[S.nev].cb = cb;
	S.ev[S.nev].arg = arg;
	S.nev++;
	return 0;
}

static void
emit(struct cc_event *e)
{
	e->t_ms = cc_now();
	if (e->queue == NULL)
		e->queue = "";
	if (e->agent == NULL)
		e->agent = "";
	if (e->reason == NULL)
		e->reason = "";
	if (e->target == NULL)
		e->target = "";
	for (int i = 0; i < S.nev; i++)
		S.ev[i].cb(e, S.ev[i].arg);
}

/* ---- timers ---- */

static bool
timer_less(const struct timer *x, const struct timer *y)
{
	return x->at < y->at || (x->at == y->at && x->gen < y->gen);
}

static uint64_t
timer_add(uint64_t at, enum timer_kind kind, uint64_t key)
{
	if (S.nheap == S.capheap) {
		size_t cap = S.capheap ? S.capheap * 2 : 1024;
		struct timer *h = realloc(S.heap, cap * sizeof(*h));
		if (h == NULL)
			abort(); /* control cannot keep its promises without timers */
		S.heap = h;
		S.capheap = cap;
	}
	struct timer t = {.at = at, .gen = ++S.gen, .key = key, .kind = kind};
	size_t i = S.nheap++;
	while (i > 0 && timer_less(&t, &S.heap[(i - 1) / 2])) {
		S.heap[i] = S.heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	S.heap[i] = t;
	return t.gen;
}

static struct timer
timer_pop(void)
{
	struct timer top = S.heap[0], last = S.heap[--S.nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct timer *mt = &last;
		if (l < S.nheap && timer_less(&S.heap[l], mt)) {
			m = l;
			mt = &S.heap[l];
		}
		if (r < S.nheap && timer_less(&S.heap[r], mt))
			m = r;
		if (m == i)
			break;
		S.heap[i] = S.heap[m];
		i = m;
	}
	if (S.nheap > 0)
		S.heap[i] = last;
	return top;
}

/* ---- agent state and the available lists ---- */

static void
avail_remove(struct agent *a)
{
	for (int i = 0; i < a->nm; i++) {
		struct member *m = a->m[i];
		if (m->in_avail) {
			TAILQ_REMOVE(&m->q->avail, m, avail_link);
			m->in_avail = false;
			m->q->navail--;
		}
	}
}

static void
set_state(struct agent *a, enum cc_agent_state st, const char *reason)
{
	enum cc_agent_state prev = a->state;
	if (prev == CC_AVAILABLE && st != CC_AVAILABLE)
		avail_remove(a);
	a->state = st;
	a->since = cc_now();
	snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
	if (st == CC_AVAILABLE && prev != CC_AVAILABLE) {
		/* The tail of each list: idle since now. */
		for (int i = 0; i < a->nm; i++) {
			struct member *m = a->m[i];
			TAILQ_INSERT_TAIL(&m->q->avail, m, avail_link);
			m->in_avail = true;
			m->q->navail++;
		}
	}
	struct cc_event e = {.type = CC_EV_AGENT_STATE, .agent = a->c.id, .state = st, .prev = prev, .reason = reason};
	emit(&e);
}

/* ---- matching ---- */

static uint8_t
skill_level(const struct cc_login *l, const char *name)
{
	for (int i = 0; i < l->nskill; i++)
		if (strcmp(l->skill[i].name, name) == 0)
			return l->skill[i].level;
	return 0;
}

/* Does m meet q's requirements for c, relaxed by c's wait? */
static bool
eligible(const struct member *m, const struct call *c, uint64_t now)
{
	const struct queue *q = m->q;
	if (q->c.nreq == 0)
		return true;
	uint64_t steps = (now - c->arrive) / CC_RELAX_STEP_MS;
	uint32_t relax = steps * CC_RELAX_LEVELS > CC_LEVEL_MAX ? CC_LEVEL_MAX : (uint32_t)(steps * CC_RELAX_LEVELS);
	for (int i = 0; i < q->c.nreq; i++)
		if ((uint32_t)skill_level(&m->l, q->c.req[i].name) + relax < q->c.req[i].level)
			return false;
	return true;
}

static uint32_t
proficiency(const struct member *m)
{
	const struct queue *q = m->q;
	uint32_t p = 0;
	if (q->c.nreq == 0) {
		for (int i = 0; i < m->l.nskill; i++)
			p += m->l.skill[i].level;
		return p;
	}
	for (int i = 0; i < q->c.nreq; i++)
		p += skill_level(&m->l, q->c.req[i].name);
	return p;
}

/* The agent q's strategy offers c to, or NULL. */
static struct member *
pick_member(struct queue *q, const struct call *c, uint64_t now)
{
	struct member *m, *best = NULL;
	uint32_t n = 0;

	switch (q->c.strategy) {
	case CC_LONGEST_IDLE:
		TAILQ_FOREACH(m, &q->avail, avail_link)
		if (eligible(m, c, now))
			return m;
		return NULL;
	case CC_ROUND_ROBIN: {
		/* The next available member after the last one offered, in login order. */
		struct member *start = q->rr_last ? TAILQ_NEXT(q->rr_last, ring_link) : NULL;
		if (start == NULL)
			start = TAILQ_FIRST(&q->members);
		m = start;
		for (uint32_t i = 0; m && i < q->nmembers; i++) {
			if (m->in_avail && eligible(m, c, now))
				return m;
			m = TAILQ_NEXT(m, ring_link);
			if (m == NULL)
				m = TAILQ_FIRST(&q->members);
		}
		return NULL;
	}
	case CC_FEWEST_CALLS:
		TAILQ_FOREACH(m, &q->avail, avail_link)
		if (eligible(m, c, now) && (best == NULL || m->answered < best->answered))
			best = m;
		return best;
	case CC_RANDOM:
		TAILQ_FOREACH(m, &q->avail, avail_link)
		n += eligible(m, c, now);
		if (n == 0)
			return NULL;
		n = (uint32_t)(rng_next() % n);
		TAILQ_FOREACH(m, &q->avail, avail_link)
		if (eligible(m, c, now) && n-- == 0)
			return m;
		return NULL;
	case CC_SKILLS:
	default:
		TAILQ_FOREACH(m, &q->avail, avail_link)
		if (eligible(m, c, now) && (best == NULL || proficiency(m) > proficiency(best)))
			best = m;
		return best;
	}
}

static void
wait_insert(struct queue *q, struct call *c)
{
	/* Priority first, then arrival: walk back from the tail (usually no step). */
	struct call *p = TAILQ_LAST(&q->wait, callq);
	while (p && (p->prio < c->prio || (p->prio == c->prio && p->arrive > c->arrive)))
		p = TAILQ_PREV(p, callq, link);
	if (p)
		TAILQ_INSERT_AFTER(&q->wait, p, c, link);
	else
		TAILQ_INSERT_HEAD(&q->wait, c, link);
	c->in_wait = true;
	q->nwait++;
}

static void
wait_remove(struct call *c)
{
	if (c->in_wait) {
		TAILQ_REMOVE(&c->q->wait, c, link);
		c->in_wait = false;
		c->q->nwait--;
	}
}

/* The one step that reserves: caller and agent are marked together. */
static void
offer(struct call *c, struct member *m)
{
	struct agent *a = m->a;
	struct queue *q = c->q;

	if (c->state != CC_WAITING || a->state != CC_AVAILABLE || a->call != NULL)
		abort(); /* the invariants of docs/contact-center.md */
	wait_remove(c);
	c->state = CC_CALL_OFFERED;
	c->agent = a;
	a->call = c;
	q->ncalls++;
	if (q->c.strategy == CC_ROUND_ROBIN)
		q->rr_last = m;
	set_state(a, CC_OFFERED, NULL);
	a->tgen = timer_add(cc_now() + (uint64_t)q->c.ring_timeout_s * 1000, T_RING, a->slot);
	struct cc_event e = {.type = CC_EV_CALL_OFFER, .call = c->id, .queue = q->c.name, .agent = a->c.id};
	emit(&e);
	if (S.ops.offer)
		S.ops.offer(c->id, a->c.id, a->c.extension, q->c.name, S.ops.arg);
}

/* Offer q's head callers while an agent fits. */
static void
dispatch_queue(struct queue *q)
{
	uint64_t now = cc_now();
	struct call *c;
	struct member *m;

	while ((c = TAILQ_FIRST(&q->wait)) != NULL && q->navail > 0 && (m = pick_member(q, c, now)) != NULL)
		offer(c, m);
}

static bool
call_before(const struct call *x, const struct call *y)
{
	return x->prio > y->prio || (x->prio == y->prio && x->arrive < y->arrive);
}

/* a just turned available: the longest waiting caller among its queues. */
static void
dispatch_agent(struct agent *a)
{
	uint64_t now = cc_now();
	struct member *bm = NULL;
	struct call *best = NULL;

	if (a->state != CC_AVAILABLE)
		return;
	for (int i = 0; i < a->nm; i++) {
		struct call *c = TAILQ_FIRST(&a->m[i]->q->wait);
		if (c && eligible(a->m[i], c, now) && (best == NULL || call_before(c, best))) {
			best = c;
			bm = a->m[i];
		}
	}
	if (best)
		offer(best, bm);
}

static void
became_available(struct agent *a)
{
	set_state(a, CC_AVAILABLE, NULL);
	dispatch_agent(a);
}

/* ---- calls leaving ---- */

static void
call_free(struct call *c)
{
	struct call **pp = &S.ch[hash_id(c->id)];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	S.ncalls--;
	free(c);
}

static void
call_end(struct call *c, enum cc_disposition d, enum cc_result r, const char *target)
{
	uint64_t now = cc_now();
	struct cc_event e = {
		.type = CC_EV_CALL_END,
		.call = c->id,
		.queue = c->q->c.name,
		.agent = c->agent ? c->agent->c.id : "",
		.disp = d,
		.result = r,
		.target = target,
		.arrive_ms = c->arrive,
		.answer_ms = c->answer,
		.talk_ms = c->answer ? now - c->answer : 0,
		.wrapup_s = c->q->c.wrapup_s,
	};
	wait_remove(c);
	emit(&e);
}

static void enter_queue(struct call *c, struct queue *q, int depth);

enum leave_why { WHY_TIMEOUT, WHY_FULL, WHY_NO_AGENTS };

/* c leaves its queue unanswered for why: to the overflow target, or out. */
static void
overflow(struct call *c, enum leave_why why, int depth)
{
	struct queue *q = c->q;
	const char *t = q->c.overflow;
	struct queue *to = t[0] ? queue_find(t) : NULL;

	if (to && depth < 16) {
		call_end(c, CC_OVERFLOWED, CC_RESULT_HANGUP, t);
		enter_queue(c, to, depth + 1);
		return;
	}
	if (strcmp(t, "callback") == 0) {
		/* The caller hangs up; the place is kept and the ACD offers it later. */
		if (!c->callback) {
			c->callback = true;
			if (!c->in_wait)
				wait_insert(q, c);
			struct cc_event e = {
				.type = CC_EV_CALL_ARRIVE, .call = c->id, .queue = q->c.name, .reason = "callback"};
			emit(&e);
			if (S.ops.route)
				S.ops.route(c->id, CC_RESULT_CALLBACK, S.ops.arg);
			return;
		}
	}
	enum cc_result r = strcmp(t, "voicemail") == 0 ? CC_RESULT_VOICEMAIL : CC_RESULT_HANGUP;
	enum cc_disposition d = r == CC_RESULT_VOICEMAIL ? CC_OVERFLOWED
				: why == WHY_TIMEOUT	 ? CC_TIMED_OUT
							 : CC_REFUSED;
	call_end(c, d, r, r == CC_RESULT_VOICEMAIL ? t : "");
	uint64_t id = c->id;
	call_free(c);
	if (S.ops.route)
		S.ops.route(id, r, S.ops.arg);
}

static void
relax_arm(struct call *c)
{
	if (c->q->c.nreq == 0)
		return;
	uint64_t steps = (cc_now() - c->arrive) / CC_RELAX_STEP_MS + 1;
	if ((steps - 1) * CC_RELAX_LEVELS >= CC_LEVEL_MAX)
		return;
	c->tgen_relax = timer_add(c->arrive + steps * CC_RELAX_STEP_MS, T_RELAX, c->id);
}

static void
enter_queue(struct call *c, struct queue *q, int depth)
{
	c->q = q;
	c->arrive = cc_now();
	c->state = CC_WAITING;
	c->agent = NULL;
	c->tgen_timeout = c->tgen_relax = 0;
	struct cc_event e = {.type = CC_EV_CALL_ARRIVE, .call = c->id, .queue = q->c.name};
	emit(&e);
	if (q->nmembers == 0) {
		overflow(c, WHY_NO_AGENTS, depth);
		return;
	}
	if (q->c.max_len && q->nwait >= q->c.max_len) {
		overflow(c, WHY_FULL, depth);
		return;
	}
	wait_insert(q, c);
	if (q->c.timeout_s)
		c->tgen_timeout = timer_add(c->arrive + (uint64_t)q->c.timeout_s * 1000, T_QTIMEOUT, c->id);
	relax_arm(c);
	dispatch_queue(q);
}

int
cc_call_arrive(uint64_t id, const char *queue, int priority, char *err, size_t errlen)
{
	struct queue *q = queue_find(queue);
	if (q == NULL) {
		snprintf(err, errlen, "no queue %s", queue);
		return -ENOENT;
	}
	if (id == 0 || call_find(id)) {
		snprintf(err, errlen, "call %llu is %s", (unsigned long long)id,
			 id ? "already queued" : "not a call id");
		return -EEXIST;
	}
	if (S.ncalls >= CC_CALLS_MAX) {
		snprintf(err, errlen, "the ACD holds %d callers already", CC_CALLS_MAX);
		return -ENOSPC;
	}
	struct call *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->id = id;
	c->prio = priority;
	uint32_t h = hash_id(id);
	c->hnext = S.ch[h];
	S.ch[h] = c;
	S.ncalls++;
	enter_queue(c, q, 0);
	return 0;
}

/* The offer to c's agent failed: auto-pause the agent, c back in its place. */
static void
offer_failed(struct call *c, bool timeout)
{
	struct agent *a = c->agent;
	struct queue *q = c->q;

	struct cc_event e = {.type = CC_EV_CALL_NOANSWER,
			     .call = c->id,
			     .queue = q->c.name,
			     .agent = a->c.id,
			     .reason = timeout ? "ring-timeout" : "no-answer"};
	emit(&e);
	if (timeout && S.ops.cancel)
		S.ops.cancel(c->id, a->c.id, S.ops.arg);
	a->call = NULL;
	a->tgen = 0;
	c->agent = NULL;
	c->state = CC_WAITING;
	q->ncalls--;
	set_state(a, CC_PAUSED, "no-answer");
	if (!c->callback && q->c.timeout_s && cc_now() >= c->arrive + (uint64_t)q->c.timeout_s * 1000) {
		overflow(c, WHY_TIMEOUT, 0);
		return;
	}
	if (q->nmembers == 0 && !c->callback) {
		overflow(c, WHY_NO_AGENTS, 0);
		return;
	}
	wait_insert(q, c);
	dispatch_queue(q);
}

int
cc_agent_no_answer(uint64_t id)
{
	struct call *c = call_find(id);
	if (c == NULL || c->state != CC_CALL_OFFERED)
		return c ? -EINVAL : -ENOENT;
	offer_failed(c, false);
	return 0;
}

int
cc_agent_answered(uint64_t id)
{
	struct call *c = call_find(id);
	if (c == NULL || c->state != CC_CALL_OFFERED)
		return c ? -EINVAL : -ENOENT;
	struct agent *a = c->agent;
	c->state = CC_CONNECTED;
	c->answer = cc_now();
	c->tgen_timeout = c->tgen_relax = 0;
	a->tgen = 0;
	for (int i = 0; i < a->nm; i++)
		if (a->m[i]->q == c->q)
			a->m[i]->answered++;
	set_state(a, CC_ON_CALL, NULL);
	struct cc_event e = {.type = CC_EV_CALL_ANSWER, .call = c->id, .queue = c->q->c.name, .agent = a->c.id};
	emit(&e);
	return 0;
}

static void
after_call(struct agent *a, struct queue *q)
{
	if (a->state == CC_LOGGED_OUT)
		return;
	if (q->c.wrapup_s == 0) {
		became_available(a);
		return;
	}
	set_state(a, CC_WRAPUP, NULL);
	a->tgen = timer_add(cc_now() + (uint64_t)q->c.wrapup_s * 1000, T_WRAPUP, a->slot);
}

int
cc_call_hangup(uint64_t id)
{
	struct call *c = call_find(id);
	if (c == NULL)
		return -ENOENT;
	struct agent *a = c->agent;
	struct queue *q = c->q;
	switch (c->state) {
	case CC_WAITING:
		call_end(c, CC_ABANDONED, CC_RESULT_HANGUP, NULL);
		call_free(c);
		break;
	case CC_CALL_OFFERED:
		if (S.ops.cancel)
			S.ops.cancel(c->id, a->c.id, S.ops.arg);
		call_end(c, CC_ABANDONED, CC_RESULT_HANGUP, NULL);
		call_free(c);
		q->ncalls--;
		a->call = NULL;
		a->tgen = 0;
		became_available(a);
		break;
	case CC_CONNECTED:
		call_end(c, CC_ANSWERED, CC_RESULT_HANGUP, NULL);
		call_free(c);
		q->ncalls--;
		a->call = NULL;
		after_call(a, q);
		break;
	}
	return 0;
}

void
cc_tick(void)
{
	uint64_t now = cc_now();
	while (S.nheap > 0 && S.heap[0].at <= now) {
		struct timer t = timer_pop();
		if (t.kind == T_RING || t.kind == T_WRAPUP) {
			struct agent *a = t.key < S.nslots ? S.slots[t.key] : NULL;
			if (a == NULL || a->tgen != t.gen)
				continue;
			a->tgen = 0;
			if (t.kind == T_RING && a->state == CC_OFFERED)
				offer_failed(a->call, true);
			else if (t.kind == T_WRAPUP && a->state == CC_WRAPUP)
				became_available(a);
			continue;
		}
		struct call *c = call_find(t.key);
		if (c == NULL)
			continue;
		if (t.kind == T_QTIMEOUT && c->tgen_timeout == t.gen) {
			c->tgen_timeout = 0;
			if (c->state == CC_WAITING && !c->callback)
				overflow(c, WHY_TIMEOUT, 0);
			/* offered: decided when the offer ends */
		} else if (t.kind == T_RELAX && c->tgen_relax == t.gen) {
			c->tgen_relax = 0;
			if (c->state == CC_WAITING) {
				relax_arm(c);
				dispatch_queue(c->q);
			}
		}
	}
}

/* ---- configuration ---- */

void
cc_queue_conf_default(struct cc_queue_conf *q, const char *name)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->strategy = CC_LONGEST_IDLE;
	q->ring_timeout_s = 20;
	q->wrapup_s = 10;
	q->sl_s = 20;
}

static int
name_check(const char *what, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);
	if (n == 0 || n >= CC_NAME_MAX) {
		snprintf(err, errlen, "a %s name has 1 to %d characters", what, CC_NAME_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		      ch == '_' || ch == '-')) {
			snprintf(err, errlen, "bad character '%c' in %s name '%s' (allowed: A-Z a-z 0-9 . _ -)",
				 ch >= 32 && ch < 127 ? ch : '?', what, name);
			return -EINVAL;
		}
	}
	return 0;
}

static bool
reserved_target(const char *t)
{
	return strcmp(t, "voicemail") == 0 || strcmp(t, "callback") == 0 || strcmp(t, "hangup") == 0;
}

static int
queue_check(const struct cc_queue_conf *q, char *err, size_t errlen)
{
	int ret = name_check("queue", q->name, err, errlen);
	if (ret < 0)
		return ret;
	if (reserved_target(q->name)) {
		snprintf(err, errlen, "'%s' names an overflow result, not a queue", q->name);
		return -EINVAL;
	}
	if (q->strategy >= CC_STRATEGY_COUNT) {
		snprintf(err, errlen, "bad strategy");
		return -EINVAL;
	}
	if (q->ring_timeout_s == 0 || q->ring_timeout_s > 600) {
		snprintf(err, errlen, "ring-timeout is 1 to 600 s");
		return -EINVAL;
	}
	if (q->wrapup_s > 3600 || q->timeout_s > 86400 || q->sl_s > 3600 || q->max_len > CC_CALLS_MAX) {
		snprintf(err, errlen, "wrapup is at most 3600 s, timeout 86400 s, sl 3600 s, max-len %d", CC_CALLS_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < q->nreq; i++)
		if (name_check("skill", q->req[i].name, err, errlen) < 0 || q->req[i].level > CC_LEVEL_MAX) {
			if (q->req[i].level > CC_LEVEL_MAX)
				snprintf(err, errlen, "a skill level is 0 to %d", CC_LEVEL_MAX);
			return -EINVAL;
		}
	const char *t = q->overflow;
	if (t[0] == '\0' || reserved_target(t) || S.loading) /* loading: checked when saved */
		return 0;
	if (strcmp(t, q->name) == 0) {
		snprintf(err, errlen, "queue %s cannot overflow to itself", q->name);
		return -EINVAL;
	}
	/* Follow the chain: it must end, and never come back to q. */
	for (int hops = 0; t[0] && !reserved_target(t); hops++) {
		const struct queue *n = queue_find(t);
		if (n == NULL) {
			snprintf(err, errlen, "unknown overflow queue %s (a queue, voicemail, callback or hangup)", t);
			return -ENOENT;
		}
		if (strcmp(n->c.overflow, q->name) == 0 || hops > (int)S.nqueues) {
			snprintf(err, errlen, "overflow loop: %s -> %s -> %s", q->name, q->overflow, q->name);
			return -ELOOP;
		}
		t = n->c.overflow;
	}
	return 0;
}

int
cc_queue_add(const struct cc_queue_conf *conf, char *err, size_t errlen)
{
	int ret = queue_check(conf, err, errlen);
	if (ret < 0)
		return ret;
	if (queue_find(conf->name)) {
		snprintf(err, errlen, "queue %s exists", conf->name);
		return -EEXIST;
	}
	if (S.nqueues >= CC_QUEUES_MAX) {
		snprintf(err, errlen, "at most %d queues", CC_QUEUES_MAX);
		return -ENOSPC;
	}
	if (!S.loading && (ret = cc_store_put_queue(conf)) < 0 && ret != -ENOTCONN) {
		snprintf(err, errlen, "cannot save queue %s: %s", conf->name, strerror(-ret));
		return ret;
	}
	struct queue *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	q->c = *conf;
	TAILQ_INIT(&q->wait);
	TAILQ_INIT(&q->avail);
	TAILQ_INIT(&q->members);
	uint32_t h = hash_str(q->c.name);
	q->hnext = S.qh[h];
	S.qh[h] = q;
	S.nqueues++;
	return 0;
}

int
cc_queue_set(const struct cc_queue_conf *conf, char *err, size_t errlen)
{
	struct queue *q = queue_find(conf->name);
	if (q == NULL) {
		snprintf(err, errlen, "no queue %s", conf->name);
		return -ENOENT;
	}
	int ret = queue_check(conf, err, errlen);
	if (ret < 0)
		return ret;
	if ((ret = cc_store_put_queue(conf)) < 0 && ret != -ENOTCONN) {
		snprintf(err, errlen, "cannot save queue %s: %s", conf->name, strerror(-ret));
		return ret;
	}
	q->c = *conf;
	dispatch_queue(q); /* e.g. requirements lowered */
	return 0;
}

int
cc_queue_get(const char *name, struct cc_queue_conf *conf)
{
	struct queue *q = queue_find(name);
	if (q == NULL)
		return -ENOENT;
	*conf = q->c;
	return 0;
}

static void
queue_free(struct queue *q)
{
	struct queue **pp = &S.qh[hash_str(q->c.name)];
	while (*pp != q)
		pp = &(*pp)->hnext;
	*pp = q->hnext;
	S.nqueues--;
	free(q);
}

int
cc_queue_del(const char *name, char *err, size_t errlen)
{
	struct queue *q = queue_find(name);
	if (q == NULL) {
		snprintf(err, errlen, "no queue %s", name);
		return -ENOENT;
	}
	if (q->nwait || q->ncalls || q->nmembers) {
		snprintf(err, errlen, "queue %s is in use (%u waiting, %u on offer or call, %u agents logged in)", name,
			 q->nwait, q->ncalls, q->nmembers);
		return -EBUSY;
	}
	for (uint32_t h = 0; h < HASH_SIZE; h++)
		for (struct queue *o = S.qh[h]; o; o = o->hnext)
			if (strcmp(o->c.overflow, name) == 0) {
				snprintf(err, errlen, "queue %s overflows to %s", o->c.name, name);
				return -EBUSY;
			}
	int ret = cc_store_del_queue(name);
	if (ret < 0 && ret != -ENOTCONN && ret != -ENOENT) {
		snprintf(err, errlen, "cannot delete queue %s: %s", name, strerror(-ret));
		return ret;
	}
	/* Agents keep it in their saved login; `agent login <id>` skips it. */
	queue_free(q);
	return 0;
}

static int
agent_save(const struct agent *a)
{
	if (S.loading)
		return 0;
	int ret = cc_store_put_agent(&a->c, a->saved, a->nsaved);
	return ret == -ENOTCONN ? 0 : ret;
}

static struct agent *
agent_new(const char *id, const char *ext, char *err, size_t errlen)
{
	if (name_check("agent", id, err, errlen) < 0)
		return NULL;
	if (ext[0] == '\0' || strlen(ext) >= CC_EXT_MAX) {
		snprintf(err, errlen, "an extension has 1 to %d characters", CC_EXT_MAX - 1);
		return NULL;
	}
	if (agent_find(id)) {
		snprintf(err, errlen, "agent %s exists", id);
		return NULL;
	}
	uint32_t slot = 0;
	while (slot < S.nslots && S.slots[slot])
		slot++;
	if (slot == S.nslots) {
		if (S.nslots >= CC_AGENTS_MAX) {
			snprintf(err, errlen, "at most %d agents", CC_AGENTS_MAX);
			return NULL;
		}
		uint32_t n = S.nslots ? S.nslots * 2 : 64;
		struct agent **s = realloc(S.slots, n * sizeof(*s));
		if (s == NULL)
			goto nomem;
		memset(s + S.nslots, 0, (n - S.nslots) * sizeof(*s));
		S.slots = s;
		S.nslots = n;
	}
	struct agent *a = calloc(1, sizeof(*a));
	if (a == NULL)
		goto nomem;
	snprintf(a->c.id, sizeof(a->c.id), "%s", id);
	snprintf(a->c.extension, sizeof(a->c.extension), "%s", ext);
	a->slot = slot;
	a->state = CC_LOGGED_OUT;
	a->since = cc_now();
	S.slots[slot] = a;
	uint32_t h = hash_str(id);
	a->hnext = S.ah[h];
	S.ah[h] = a;
	return a;
nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

static void
agent_unlink(struct agent *a)
{
	struct agent **pp = &S.ah[hash_str(a->c.id)];
	while (*pp != a)
		pp = &(*pp)->hnext;
	*pp = a->hnext;
	S.slots[a->slot] = NULL;
	free(a);
}

int
cc_agent_add(const char *id, const char *ext, char *err, size_t errlen)
{
	struct agent *a = agent_new(id, ext, err, errlen);
	if (a == NULL)
		return agent_find(id) ? -EEXIST : -EINVAL;
	int ret = agent_save(a);
	if (ret < 0) {
		snprintf(err, errlen, "cannot save agent %s: %s", id, strerror(-ret));
		agent_unlink(a);
	}
	return ret;
}

int
cc_agent_del(const char *id, char *err, size_t errlen)
{
	struct agent *a = agent_find(id);
	if (a == NULL) {
		snprintf(err, errlen, "no agent %s", id);
		return -ENOENT;
	}
	if (a->state != CC_LOGGED_OUT) {
		snprintf(err, errlen, "agent %s is logged in; log out first", id);
		return -EBUSY;
	}
	int ret = cc_store_del_agent(id);
	if (ret < 0 && ret != -ENOTCONN && ret != -ENOENT) {
		snprintf(err, errlen, "cannot delete agent %s: %s", id, strerror(-ret));
		return ret;
	}
	agent_unlink(a);
	return 0;
}

int
cc_login_parse(const char *text, struct cc_login *l, char *err, size_t errlen)
{
	char buf[512];
	char *save = NULL, *p;

	memset(l, 0, sizeof(*l));
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "queue and skills too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	p = strchr(buf, ':');
	if (p)
		*p++ = '\0';
	if (name_check("queue", buf, err, errlen) < 0)
		return -EINVAL;
	snprintf(l->queue, sizeof(l->queue), "%.31s", buf);
	for (char *tok = p ? strtok_r(p, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		if (eq == NULL) {
			snprintf(err, errlen, "skill '%s' needs =level (0..%d)", tok, CC_LEVEL_MAX);
			return -EINVAL;
		}
		*eq = '\0';
		if (name_check("skill", tok, err, errlen) < 0)
			return -EINVAL;
		errno = 0;
		long v = strtol(eq + 1, &end, 10);
		if (eq[1] == '\0' || *end || errno || v < 0 || v > CC_LEVEL_MAX) {
			snprintf(err, errlen, "bad level '%s' for skill %s (0..%d)", eq + 1, tok, CC_LEVEL_MAX);
			return -EINVAL;
		}
		if (l->nskill == CC_SKILLS_MAX) {
			snprintf(err, errlen, "at most %d skills per queue", CC_SKILLS_MAX);
			return -EINVAL;
		}
		snprintf(l->skill[l->nskill].name, CC_NAME_MAX, "%s", tok);
		l->skill[l->nskill++].level = (uint8_t)v;
	}
	return 0;
}

static void
member_remove(struct agent *a, int i)
{
	struct member *m = a->m[i];
	struct queue *q = m->q;
	if (m->in_avail) {
		TAILQ_REMOVE(&q->avail, m, avail_link);
		q->navail--;
	}
	if (q->rr_last == m) {
		struct member *prev = TAILQ_PREV(m, memq, ring_link);
		q->rr_last = prev;
	}
	TAILQ_REMOVE(&q->members, m, ring_link);
	q->nmembers--;
	a->m[i] = a->m[--a->nm];
	free(m);
	struct cc_event e = {.type = CC_EV_AGENT_LOGOUT, .agent = a->c.id, .queue = q->c.name};
	emit(&e);
	if (q->nmembers == 0) {
		/* Nobody left to answer: the waiting callers overflow (callbacks wait). */
		struct call *c, *n;
		for (c = TAILQ_FIRST(&q->wait); c; c = n) {
			n = TAILQ_NEXT(c, link);
			if (!c->callback)
				overflow(c, WHY_NO_AGENTS, 0);
		}
	}
}

int
cc_agent_login(const char *id, const struct cc_login *l, int n, char *err, size_t errlen)
{
	struct agent *a = agent_find(id);
	if (a == NULL) {
		snprintf(err, errlen, "no agent %s", id);
		return -ENOENT;
	}
	struct cc_login kept[CC_MEMBER_MAX];
	if (n == 0) { /* the queues of the last login that still exist */
		for (int i = 0; i < a->nsaved; i++)
			if (queue_find(a->saved[i].queue))
				kept[n++] = a->saved[i];
		l = kept;
		if (n == 0) {
			snprintf(err, errlen, "agent %s has no queues: name at least one", id);
			return -EINVAL;
		}
	}
	if (n < 0 || n > CC_MEMBER_MAX) {
		snprintf(err, errlen, "an agent serves at most %d queues", CC_MEMBER_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (queue_find(l[i].queue) == NULL) {
			snprintf(err, errlen, "no queue %s", l[i].queue);
			return -ENOENT;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(l[i].queue, l[j].queue) == 0) {
				snprintf(err, errlen, "queue %s named twice", l[i].queue);
				return -EINVAL;
			}
	}
	struct cc_login copy[CC_MEMBER_MAX];
	memcpy(copy, l, (size_t)n * sizeof(*l));
	/* Leave the queues not named, join or update the others. */
	for (int i = a->nm - 1; i >= 0; i--) {
		bool keep = false;
		for (int j = 0; j < n; j++)
			keep |= strcmp(a->m[i]->q->c.name, copy[j].queue) == 0;
		if (!keep)
			member_remove(a, i);
	}
	for (int j = 0; j < n; j++) {
		struct queue *q = queue_find(copy[j].queue);
		struct member *m = NULL;
		for (int i = 0; i < a->nm; i++)
			if (a->m[i]->q == q)
				m = a->m[i];
		if (m) {
			m->l = copy[j];
			continue;
		}
		m = calloc(1, sizeof(*m));
		if (m == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		m->a = a;
		m->q = q;
		m->l = copy[j];
		TAILQ_INSERT_TAIL(&q->members, m, ring_link);
		q->nmembers++;
		a->m[a->nm++] = m;
		if (a->state == CC_AVAILABLE) {
			TAILQ_INSERT_TAIL(&q->avail, m, avail_link);
			m->in_avail = true;
			q->navail++;
		}
		struct cc_event e = {.type = CC_EV_AGENT_LOGIN, .agent = a->c.id, .queue = q->c.name};
		emit(&e);
	}
	memcpy(a->saved, copy, (size_t)n * sizeof(*l));
	a->nsaved = n;
	int ret = agent_save(a);
	if (a->state == CC_LOGGED_OUT)
		became_available(a);
	else if (a->state == CC_AVAILABLE)
		dispatch_agent(a);
	if (ret < 0)
		snprintf(err, errlen, "logged in, but the queues were not saved: %s", strerror(-ret));
	return 0;
}

int
cc_agent_logout(const char *id, char *err, size_t errlen)
{
	struct agent *a = agent_find(id);
	if (a == NULL) {
		snprintf(err, errlen, "no agent %s", id);
		return -ENOENT;
	}
	if (a->state == CC_LOGGED_OUT) {
		snprintf(err, errlen, "agent %s is not logged in", id);
		return -EALREADY;
	}
	if (a->state == CC_ON_CALL) {
		snprintf(err, errlen, "agent %s is on a call; log out after it", id);
		return -EBUSY;
	}
	uint64_t back = 0;
	if (a->state == CC_OFFERED) {
		/* Withdraw the offer: the caller goes back to its place, the agent is not to blame. */
		struct call *c = a->call;
		if (S.ops.cancel)
			S.ops.cancel(c->id, a->c.id, S.ops.arg);
		a->call = NULL;
		a->tgen = 0;
		c->agent = NULL;
		c->state = CC_WAITING;
		c->q->ncalls--;
		wait_insert(c->q, c);
		back = c->id;
	}
	a->tgen = 0;
	set_state(a, CC_LOGGED_OUT, NULL);
	while (a->nm > 0)
		member_remove(a, a->nm - 1);
	/* A caller put back above may go to another agent now. */
	struct call *c = back ? call_find(back) : NULL;
	if (c && c->in_wait)
		dispatch_queue(c->q);
	return 0;
}

int
cc_agent_pause(const char *id, const char *reason, char *err, size_t errlen)
{
	struct agent *a = agent_find(id);
	if (a == NULL) {
		snprintf(err, errlen, "no agent %s", id);
		return -ENOENT;
	}
	if (reason == NULL || reason[0] == '\0')
		reason = "pause";
	if (strlen(reason) >= CC_REASON_MAX) {
		snprintf(err, errlen, "a pause reason has at most %d characters", CC_REASON_MAX - 1);
		return -EINVAL;
	}
	if (a->state != CC_AVAILABLE && a->state != CC_WRAPUP && a->state != CC_PAUSED) {
		snprintf(err, errlen, "agent %s is %s; pause from available, wrap-up or paused", id,
			 cc_agent_state_name(a->state));
		return -EBUSY;
	}
	a->tgen = 0;
	set_state(a, CC_PAUSED, reason);
	return 0;
}

int
cc_agent_unpause(const char *id, char *err, size_t errlen)
{
	struct agent *a = agent_find(id);
	if (a == NULL) {
		snprintf(err, errlen, "no agent %s", id);
		return -ENOENT;
	}
	if (a->state != CC_PAUSED) {
		snprintf(err, errlen, "agent %s is %s, not paused", id, cc_agent_state_name(a->state));
		return -EINVAL;
	}
	became_available(a);
	return 0;
}

/* ---- views ---- */

static int
qname_cmp(const void *x, const void *y)
{
	return strcmp((*(struct queue *const *)x)->c.name, (*(struct queue *const *)y)->c.name);
}

void
cc_queue_foreach(cc_queue_walk_t cb, void *arg)
{
	struct queue **v = malloc((S.nqueues + 1) * sizeof(*v));
	uint32_t n = 0;
	if (v == NULL)
		return;
	for (uint32_t h = 0; h < HASH_SIZE; h++)
		for (struct queue *q = S.qh[h]; q; q = q->hnext)
			v[n++] = q;
	qsort(v, n, sizeof(*v), qname_cmp);
	for (uint32_t i = 0; i < n; i++)
		cb(&v[i]->c, v[i]->nwait, v[i]->nmembers, v[i]->navail, arg);
	free(v);
}

static void
agent_fill(const struct agent *a, struct cc_agent_view *v)
{
	v->id = a->c.id;
	v->extension = a->c.extension;
	v->reason = a->reason;
	v->state = a->state;
	v->since_ms = a->since;
	v->call = a->call ? a->call->id : 0;
	v->nlogin = a->nsaved;
	v->login = a->saved;
}

static int
aid_cmp(const void *x, const void *y)
{
	return strcmp((*(struct agent *const *)x)->c.id, (*(struct agent *const *)y)->c.id);
}

int
cc_agent_foreach(void (*cb)(const struct cc_agent_view *a, void *arg), void *arg)
{
	struct agent **v = malloc((S.nslots + 1) * sizeof(*v));
	uint32_t n = 0;
	if (v == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < S.nslots; s++)
		if (S.slots[s])
			v[n++] = S.slots[s];
	qsort(v, n, sizeof(*v), aid_cmp);
	for (uint32_t i = 0; i < n; i++) {
		struct cc_agent_view av;
		agent_fill(v[i], &av);
		cb(&av, arg);
	}
	free(v);
	return (int)n;
}

int
cc_agent_view(const char *id, struct cc_agent_view *v)
{
	struct agent *a = agent_find(id);
	if (a == NULL)
		return -ENOENT;
	agent_fill(a, v);
	return 0;
}

static void
call_fill(const struct call *c, uint32_t pos, struct cc_call_view *v)
{
	v->call = c->id;
	v->queue = c->q->c.name;
	v->agent = c->agent ? c->agent->c.id : NULL;
	v->state = c->state;
	v->priority = c->prio;
	v->callback = c->callback;
	v->arrive_ms = c->arrive;
	v->position = pos;
}

int
cc_call_view(uint64_t id, struct cc_call_view *v)
{
	const struct call *c = call_find(id);
	uint32_t pos = 0;
	if (c == NULL)
		return -ENOENT;
	if (c->in_wait) {
		const struct call *p;
		TAILQ_FOREACH(p, &c->q->wait, link)
		{
			pos++;
			if (p == c)
				break;
		}
	}
	call_fill(c, pos, v);
	return 0;
}

int
cc_queue_calls(const char *queue, void (*cb)(const struct cc_call_view *c, void *arg), void *arg)
{
	struct queue *q = queue_find(queue);
	struct cc_call_view v;
	const struct call *c;
	const struct member *m;
	uint32_t pos = 0;
	if (q == NULL)
		return -ENOENT;
	TAILQ_FOREACH(c, &q->wait, link)
	{
		call_fill(c, ++pos, &v);
		cb(&v, arg);
	}
	TAILQ_FOREACH(m, &q->members, ring_link)
	if (m->a->call && m->a->call->q == q) {
		call_fill(m->a->call, 0, &v);
		cb(&v, arg);
	}
	return (int)pos;
}

int
cc_queue_agents(const char *queue, void (*cb)(const struct cc_agent_view *a, void *arg), void *arg)
{
	struct queue *q = queue_find(queue);
	const struct member *m;
	int n = 0;
	if (q == NULL)
		return -ENOENT;
	TAILQ_FOREACH(m, &q->members, ring_link)
	{
		struct cc_agent_view v;
		agent_fill(m->a, &v);
		cb(&v, arg);
		n++;
	}
	return n;
}

/* ---- life ---- */

void
cc_set_ops(const struct cc_ops *ops)
{
	if (ops)
		S.ops = *ops;
	else
		memset(&S.ops, 0, sizeof(S.ops));
}

int
cc_init(uint64_t (*clock_ms)(void), uint64_t seed)
{
	if (S.up)
		cc_fini();
	memset(&S, 0, sizeof(S));
	S.clock = clock_ms;
	S.rng = seed ? seed : 0x2545f4914f6cdd1dULL;
	S.up = true;
	return 0;
}

void
cc_fini(void)
{
	for (uint32_t h = 0; h < HASH_SIZE; h++) {
		for (struct call *c = S.ch[h], *n; c; c = n) {
			n = c->hnext;
			free(c);
		}
	}
	for (uint32_t s = 0; s < S.nslots; s++) {
		struct agent *a = S.slots[s];
		if (a == NULL)
			continue;
		for (int i = 0; i < a->nm; i++)
			free(a->m[i]);
		free(a);
	}
	for (uint32_t h = 0; h < HASH_SIZE; h++)
		for (struct queue *q = S.qh[h], *n; q; q = n) {
			n = q->hnext;
			free(q);
		}
	free(S.slots);
	free(S.heap);
	memset(&S, 0, sizeof(S));
}

static int
load_queue(const struct cc_queue_conf *q, void *arg)
{
	char *err = arg;
	return cc_queue_add(q, err, 160);
}

static int
load_agent(const struct cc_agent_conf *c, const struct cc_login *l, int n, void *arg)
{
	char *err = arg;
	struct agent *a = agent_new(c->id, c->extension, err, 160);
	if (a == NULL)
		return -EIO;
	if (n > CC_MEMBER_MAX)
		n = CC_MEMBER_MAX;
	memcpy(a->saved, l, (size_t)n * sizeof(*l));
	a->nsaved = n;
	return 0;
}

int
cc_load(char *err, size_t errlen)
{
	char e[160] = "";
	int ret;
	S.loading = true;
	/* Overflow targets may name queues loaded later: check them after. */
	ret = cc_store_load(load_queue, load_agent, e);
	S.loading = false;
	if (ret < 0)
		snprintf(err, errlen, "cannot load the contact-center configuration: %s%s%s", strerror(-ret),
			 e[0] ? ": " : "", e);
	return ret;
}
