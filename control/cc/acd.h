/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The contact-center ACD: queues, agents and the engine that offers waiting
 * callers to agents (docs/contact-center.md). It runs on control's event
 * loop only: one owner of the state, no locks.
 *
 * The SIP side drives it with cc_call_arrive / cc_agent_answered /
 * cc_agent_no_answer / cc_call_hangup and acts on what cc_set_ops() asks:
 * offer a caller to an agent's phone, stop such an offer, or route a caller
 * that left the queue (voicemail, callback, hang up). Time is in
 * milliseconds of the clock given to cc_set_clock() (wall time by default,
 * a fake clock in tests); cc_tick() runs the timers (ring timeout, wrap-up,
 * queue timeout, skill relaxation) and is called from a loop timer.
 *
 * Every change of an agent's or a caller's state is an event delivered to
 * the callbacks registered with cc_on_event() (records, statistics).
 */
#ifndef TD_CC_ACD_H
#define TD_CC_ACD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CC_NAME_MAX	 32 /* queue and agent names, skill names */
#define CC_EXT_MAX	 64 /* an agent's extension (user or URI) */
#define CC_REASON_MAX	 32
#define CC_SKILLS_MAX	 8  /* requirements of a queue, skills of a membership */
#define CC_TARGET_MAX	 40 /* "voicemail", "callback", "hangup" or a queue name */
#define CC_QUEUES_MAX	 8192
#define CC_AGENTS_MAX	 8192
#define CC_CALLS_MAX	 32768 /* callers in the ACD at once (waiting, offered, talking) */
#define CC_MEMBER_MAX	 32    /* queues one agent is logged into */
#define CC_LEVEL_MAX	 100   /* skill levels are 0..100 */
#define CC_RELAX_STEP_MS 30000 /* skills-based: each 30 s of waiting ... */
#define CC_RELAX_LEVELS	 20    /* ... lowers every required level by 20 */
#define CC_TICK_MS	 100

enum cc_strategy {
	CC_LONGEST_IDLE,
	CC_ROUND_ROBIN,
	CC_FEWEST_CALLS,
	CC_RANDOM,
	CC_SKILLS,
	CC_STRATEGY_COUNT,
};

enum cc_agent_state {
	CC_LOGGED_OUT,
	CC_AVAILABLE,
	CC_OFFERED,
	CC_ON_CALL,
	CC_WRAPUP,
	CC_PAUSED,
	CC_AGENT_STATE_COUNT,
};

enum cc_call_state {
	CC_WAITING,
	CC_CALL_OFFERED,
	CC_CONNECTED,
};

/* How a caller left the ACD (a CDR's disposition). */
enum cc_disposition {
	CC_ANSWERED,
	CC_ABANDONED,
	CC_OVERFLOWED, /* sent to another queue or to an overflow result */
	CC_TIMED_OUT,  /* queue timeout with no overflow target */
	CC_REFUSED,    /* full or no agent, with no overflow target */
	CC_DISPOSITION_COUNT,
};

/* What the SIP side does with a caller that leaves the queue unanswered. */
enum cc_result {
	CC_RESULT_HANGUP,    /* nothing configured: end the call (busy / timed out) */
	CC_RESULT_VOICEMAIL, /* to voicemail */
	CC_RESULT_CALLBACK,  /* take a number and hang up; the place in the queue is kept */
};

struct cc_skill {
	char name[CC_NAME_MAX];
	uint8_t level;
};

struct cc_queue_conf {
	char name[CC_NAME_MAX];
	enum cc_strategy strategy;
	uint32_t ring_timeout_s;      /* an offer rings this long, then goes to the next agent */
	uint32_t wrapup_s;	      /* after a call, before the next offer */
	uint32_t max_len;	      /* callers waiting, 0 = no limit */
	uint32_t timeout_s;	      /* the longest wait, 0 = none */
	uint32_t sl_s;		      /* service level threshold */
	char overflow[CC_TARGET_MAX]; /* "" = none */
	uint8_t nreq;
	struct cc_skill req[CC_SKILLS_MAX];
};

struct cc_agent_conf {
	char id[CC_NAME_MAX];
	char extension[CC_EXT_MAX];
};

/* One queue an agent logs into, with the agent's skills for it. */
struct cc_login {
	char queue[CC_NAME_MAX];
	uint8_t nskill;
	struct cc_skill skill[CC_SKILLS_MAX];
};

enum cc_event_type {
	CC_EV_AGENT_STATE, /* agent, state, prev, reason, queue (login/logout: "" = all) */
	CC_EV_AGENT_LOGIN, /* agent, queue */
	CC_EV_AGENT_LOGOUT,
	CC_EV_CALL_ARRIVE, /* call, queue */
	CC_EV_CALL_OFFER,  /* call, queue, agent */
	CC_EV_CALL_NOANSWER,
	CC_EV_CALL_ANSWER,
	CC_EV_CALL_END, /* call, queue, agent ("" if none), disposition, result, target */
};

struct cc_event {
	enum cc_event_type type;
	uint64_t t_ms;
	uint64_t call;
	const char *queue;
	const char *agent;
	enum cc_agent_state state, prev;
	const char *reason;
	/* CC_EV_CALL_END: the call's CDR. */
	enum cc_disposition disp;
	enum cc_result result;
	const char *target; /* overflow queue or "" */
	uint64_t arrive_ms; /* arrival in this queue */
	uint64_t answer_ms; /* 0 if never answered */
	uint64_t talk_ms;
	uint32_t wrapup_s;
};

typedef void (*cc_event_cb_t)(const struct cc_event *ev, void *arg);

struct cc_ops {
	/* Ring agent's extension for call; the answer comes as cc_agent_answered. */
	void (*offer)(uint64_t call, const char *agent, const char *extension, const char *queue, void *arg);
	/* Stop ringing agent for call (ring timeout, caller gone). */
	void (*cancel)(uint64_t call, const char *agent, void *arg);
	/* The caller left the ACD unanswered: act on result. */
	void (*route)(uint64_t call, enum cc_result result, void *arg);
	void *arg;
};

/* ---- life ---- */
int cc_init(uint64_t (*clock_ms)(void), uint64_t seed); /* clock NULL = wall time */
void cc_fini(void);
void cc_set_ops(const struct cc_ops *ops);
int cc_on_event(cc_event_cb_t cb, void *arg); /* up to 8 listeners */
uint64_t cc_now(void);
void cc_tick(void);
/* Queues and agents from the store (cc_store_open), then keep them saved. */
int cc_load(char *err, size_t errlen);

/* ---- configuration: 0, or -errno with a reason in err ---- */
const char *cc_strategy_name(enum cc_strategy s);
int cc_strategy_parse(const char *name, enum cc_strategy *s);
const char *cc_agent_state_name(enum cc_agent_state s);
const char *cc_disposition_name(enum cc_disposition d);
const char *cc_result_name(enum cc_result r);
void cc_queue_conf_default(struct cc_queue_conf *q, const char *name);
int cc_queue_add(const struct cc_queue_conf *q, char *err, size_t errlen);
int cc_queue_set(const struct cc_queue_conf *q, char *err, size_t errlen);
int cc_queue_del(const char *name, char *err, size_t errlen);
int cc_queue_get(const char *name, struct cc_queue_conf *q);
int cc_agent_add(const char *id, const char *extension, char *err, size_t errlen);
int cc_agent_del(const char *id, char *err, size_t errlen);
int cc_agent_login(const char *id, const struct cc_login *l, int n, char *err, size_t errlen);
int cc_agent_logout(const char *id, char *err, size_t errlen);
int cc_agent_pause(const char *id, const char *reason, char *err, size_t errlen);
int cc_agent_unpause(const char *id, char *err, size_t errlen);
/* "sales:lang=80,tech=50" -> a login; 0 or -EINVAL with err. */
int cc_login_parse(const char *text, struct cc_login *l, char *err, size_t errlen);

/* ---- the SIP side ---- */
/* A caller enters queue (priority: higher first; 0 normal). */
int cc_call_arrive(uint64_t call, const char *queue, int priority, char *err, size_t errlen);
int cc_agent_answered(uint64_t call);
int cc_agent_no_answer(uint64_t call);
int cc_call_hangup(uint64_t call);

/* ---- views ---- */
struct cc_agent_view {
	const char *id, *extension, *reason;
	enum cc_agent_state state;
	uint64_t since_ms; /* in this state since */
	uint64_t call;	   /* offered or connected call, 0 if none */
	int nlogin;
	const struct cc_login *login;
};
struct cc_call_view {
	uint64_t call;
	const char *queue;
	const char *agent; /* offered or connected to, NULL if waiting */
	enum cc_call_state state;
	int priority;
	bool callback;
	uint64_t arrive_ms;
	uint32_t position; /* 1 = next; 0 when offered or connected */
};
typedef void (*cc_queue_walk_t)(const struct cc_queue_conf *q, uint32_t waiting, uint32_t logged_in, uint32_t available,
				void *arg);
void cc_queue_foreach(cc_queue_walk_t cb, void *arg); /* in name order */
int cc_agent_foreach(void (*cb)(const struct cc_agent_view *a, void *arg), void *arg);
int cc_agent_view(const char *id, struct cc_agent_view *v);
/* The callers of a queue (waiting in order, then offered and connected). */
int cc_queue_calls(const char *queue, void (*cb)(const struct cc_call_view *c, void *arg), void *arg);
/* Agents logged into queue. */
int cc_queue_agents(const char *queue, void (*cb)(const struct cc_agent_view *a, void *arg), void *arg);
int cc_call_view(uint64_t call, struct cc_call_view *v);

#endif
