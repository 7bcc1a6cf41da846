/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The link's two states, waiting and attached (contract in dp_link.h).
 * Every command in flight has one record, allocated at send and freed when
 * its callback has run. Records sit in a list ordered by deadline, so that
 * each tick looks only at the ones due, and in a hash by request id for the
 * acks. A command that could not be sent gets a record due at once: its
 * callback runs on the next tick, never inside dp_link_send(), so a caller
 * is not re-entered from within its own send.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "dp_link.h"
#include "log.h"

#define MS		   1000000ull
#define PENDING_BUCKETS	   1024 /* power of two */
#define DRAIN_MAX_PER_TICK 4096 /* per worker: one ring's worth and more */
#define EVT_TYPES	   64	/* TD_DP_EVT_ACK + 0 .. 63 counted apart */

struct pending {
	TAILQ_ENTRY(pending) by_deadline;
	LIST_ENTRY(pending) by_id;
	uint64_t req_id;
	uint64_t deadline_ns;
	int err; /* not sent: delivered as is when due */
	bool hashed;
	dp_link_ack_cb_t cb;
	void *arg;
};
TAILQ_HEAD(pending_list, pending);
LIST_HEAD(pending_bucket, pending);

static struct {
	const char *shm_name;
	struct td_dp_shm *shm;
	char reason[320];
	uint64_t next_attach_ns;
	uint64_t next_check_ns;
	uint64_t next_req;
	uint64_t events[EVT_TYPES + 1]; /* the last: any other type */
	struct dp_link_stats stats;
	dp_link_event_cb_t on_event[DP_LINK_MAX_SUBSCRIBERS];
	unsigned int n_on_event;
	struct pending_list due; /* ordered by deadline_ns */
	struct pending_bucket ids[PENDING_BUCKETS];
	bool started;
} L = {
	.due = TAILQ_HEAD_INITIALIZER(L.due),
};

const struct td_dp_shm *
dp_link_shm(void)
{
	return L.shm;
}

const char *
dp_link_reason(void)
{
	return L.reason;
}

uint64_t
dp_link_events(uint16_t type)
{
	if (type < TD_DP_EVT_ACK)
		return 0;
	unsigned int i = (unsigned int)(type - TD_DP_EVT_ACK);
	return L.events[i < EVT_TYPES ? i : EVT_TYPES];
}

int
dp_link_on_event(dp_link_event_cb_t cb)
{
	if (L.n_on_event == DP_LINK_MAX_SUBSCRIBERS)
		return -ENOSPC;
	L.on_event[L.n_on_event++] = cb;
	return 0;
}

void
dp_link_stats_get(struct dp_link_stats *out)
{
	*out = L.stats;
}

/* ---- commands in flight ---- */

static struct pending_bucket *
bucket(uint64_t req_id)
{
	return &L.ids[req_id & (PENDING_BUCKETS - 1)];
}

static void
pending_insert(struct pending *p)
{
	/* Deadlines mostly grow with time: walk from the tail. */
	struct pending *q;
	TAILQ_FOREACH_REVERSE(q, &L.due, pending_list, by_deadline)
	if (q->deadline_ns <= p->deadline_ns)
		break;
	if (q)
		TAILQ_INSERT_AFTER(&L.due, q, p, by_deadline);
	else
		TAILQ_INSERT_HEAD(&L.due, p, by_deadline);
	if (p->hashed)
		LIST_INSERT_HEAD(bucket(p->req_id), p, by_id);
	L.stats.pending++;
}

static void
pending_remove(struct pending *p)
{
	TAILQ_REMOVE(&L.due, p, by_deadline);
	if (p->hashed)
		LIST_REMOVE(p, by_id);
	L.stats.pending--;
}

/*
 * Run the callbacks of a list taken off the pending set. The callbacks may
 * send again: their new records go to the pending set, not to this list.
 */
static void
pending_deliver(struct pending_list *list, int err)
{
	struct pending *p;
	while ((p = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, p, by_deadline);
		int e = p->err ? p->err : err;
		if (e == -ETIMEDOUT)
			L.stats.timeouts++;
		p->cb(p->arg, NULL, e);
		free(p);
	}
}

static void
pending_expire(uint64_t now)
{
	struct pending_list list = TAILQ_HEAD_INITIALIZER(list);
	struct pending *p;
	while ((p = TAILQ_FIRST(&L.due)) != NULL && p->deadline_ns <= now) {
		pending_remove(p);
		TAILQ_INSERT_TAIL(&list, p, by_deadline);
	}
	pending_deliver(&list, -ETIMEDOUT);
}

static void
pending_fail_all(int err)
{
	struct pending_list list = TAILQ_HEAD_INITIALIZER(list);
	struct pending *p;
	while ((p = TAILQ_FIRST(&L.due)) != NULL) {
		pending_remove(p);
		TAILQ_INSERT_TAIL(&list, p, by_deadline);
	}
	pending_deliver(&list, err);
}

static void
pending_ack(const struct td_dp_msg *m)
{
	struct pending *p;
	LIST_FOREACH(p, bucket(m->hdr.req_id), by_id)
	{
		if (p->req_id == m->hdr.req_id) {
			pending_remove(p);
			L.stats.acked++;
			p->cb(p->arg, m, 0);
			free(p);
			return;
		}
	}
	L.stats.stray_acks++;
}

int
dp_link_send(uint32_t worker, struct td_dp_msg *m, dp_link_ack_cb_t cb, void *arg, uint64_t timeout_ms)
{
	struct pending *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->cb = cb;
	p->arg = arg;
	if (L.shm == NULL)
		p->err = -ENOTCONN;
	else if (worker >= L.shm->hdr->n_workers)
		p->err = -EINVAL;
	if (p->err == 0) {
		m->hdr.version = TD_DP_MSG_VERSION;
		m->hdr.worker = (uint16_t)worker;
		m->hdr.req_id = ++L.next_req;
		if (td_dp_msg_send(td_dp_shm_cmd_ring(L.shm, worker), m) < 0)
			p->err = -ENOBUFS;
	}
	if (p->err) {
		L.stats.send_failed++;
		p->deadline_ns = 0; /* due at the next tick */
	} else {
		L.stats.sent++;
		p->req_id = m->hdr.req_id;
		p->hashed = true;
		p->deadline_ns = td_dp_now_ns() + timeout_ms * MS;
	}
	pending_insert(p);
	return p->err;
}

/* ---- waiting and attached ---- */

/* Note why the link waits; log it only when the reason is new. */
static void
waiting(const char *why)
{
	if (strcmp(why, L.reason) == 0)
		return;
	snprintf(L.reason, sizeof(L.reason), "%s", why);
	LOG_INFO("waiting for dataplane on %s: %s", L.shm_name, why);
}

/* Is the dataplane behind shm serving? If not, why, in why. */
static bool
dataplane_alive(const struct td_dp_shm *shm, char *why, size_t len)
{
	const struct td_dp_shm_hdr *h = shm->hdr;
	if (td_dp_shm_alive(shm, DP_LINK_SILENCE_MS * MS))
		return true;
	uint32_t state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	if (state != TD_DP_STATE_RUNNING)
		snprintf(why, len, "dataplane pid %d %s", h->pid,
			 state == TD_DP_STATE_STOPPED ? "stopped" : "is not running");
	else if (!td_dp_pid_alive(h->pid))
		snprintf(why, len, "dataplane pid %d died without stopping", h->pid);
	else
		/* Stable text (no running figure): the wait is logged once. */
		snprintf(why, len, "dataplane pid %d silent for more than %u ms", h->pid, DP_LINK_SILENCE_MS);
	return false;
}

static void
detach(const char *why, bool gone)
{
	struct td_dp_shm_hdr *h = L.shm->hdr;
	unsigned long long gen = (unsigned long long)h->generation;
	int32_t me = getpid();

	/* Only our own claim is ours to drop. */
	__atomic_compare_exchange_n(&h->control_pid, &me, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	if (gone)
		LOG_WARN("dataplane generation %llu gone: %s", gen, why);
	else
		LOG_INFO("detached from dataplane generation %llu", gen);
	snprintf(L.reason, sizeof(L.reason), "dataplane generation %llu gone: %s", gen, why);
	td_dp_shm_close(L.shm);
	L.shm = NULL;
	L.stats.detaches++;
	L.next_attach_ns = 0; /* a successor may already be there */
	pending_fail_all(-ENOTCONN);
}

/*
 * Claim the segment: control is each command ring's only producer, so only
 * one control may be attached. A claim whose process is gone is taken over.
 */
static int
claim(struct td_dp_shm_hdr *h, char *why, size_t len)
{
	int32_t me = getpid(), cur = __atomic_load_n(&h->control_pid, __ATOMIC_ACQUIRE);
	while (cur != me) {
		if (cur != 0 && td_dp_pid_alive(cur)) {
			snprintf(why, len, "another control (pid %d) is attached", cur);
			return -EBUSY;
		}
		if (__atomic_compare_exchange_n(&h->control_pid, &cur, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (cur != 0)
				LOG_INFO("took over the claim of control pid %d, which is gone", cur);
			break;
		}
	}
	return 0;
}

static void
try_attach(void)
{
	struct td_dp_shm *shm;
	char why[256];

	if (td_dp_shm_attach(L.shm_name, &shm, why, sizeof(why)) < 0) {
		waiting(why);
		return;
	}
	if (!dataplane_alive(shm, why, sizeof(why)) || claim(shm->hdr, why, sizeof(why)) < 0) {
		td_dp_shm_close(shm);
		waiting(why);
		return;
	}
	/* Events for a control that is gone mean nothing now. */
	const struct td_dp_shm_hdr *h = shm->hdr;
	struct td_dp_msg m;
	unsigned int stale = 0;
	for (uint32_t w = 0; w < h->n_workers; w++)
		while (td_dp_msg_recv(td_dp_shm_evt_ring(shm, w), &m) == 0)
			stale++;
	L.shm = shm;
	L.reason[0] = '\0';
	L.next_check_ns = td_dp_now_ns() + DP_LINK_CHECK_EVERY_MS * MS;
	L.stats.attaches++;
	LOG_INFO("attached to dataplane generation %llu (pid %d, %u workers)", (unsigned long long)h->generation,
		 h->pid, h->n_workers);
	if (stale)
		LOG_INFO("discarded %u stale event(s)", stale);
}

static void
handle_event(const struct td_dp_msg *m)
{
	uint16_t type = m->hdr.type;
	if (type >= TD_DP_EVT_ACK) {
		unsigned int i = (unsigned int)(type - TD_DP_EVT_ACK);
		L.events[i < EVT_TYPES ? i : EVT_TYPES]++;
	}
	if (type == TD_DP_EVT_ACK)
		pending_ack(m);
	else
		for (unsigned int i = 0; i < L.n_on_event; i++)
			L.on_event[i](m);
}

void
dp_link_tick(void)
{
	uint64_t now = td_dp_now_ns();
	char why[256];

	if (!L.started)
		return;
	if (L.shm == NULL) {
		if (now >= L.next_attach_ns) {
			L.next_attach_ns = now + DP_LINK_ATTACH_EVERY_MS * MS;
			try_attach();
		}
	} else {
		struct td_dp_msg m;
		for (uint32_t w = 0; L.shm && w < L.shm->hdr->n_workers; w++) {
			struct rte_ring *r = td_dp_shm_evt_ring(L.shm, w);
			for (int n = 0; n < DRAIN_MAX_PER_TICK && td_dp_msg_recv(r, &m) == 0; n++)
				handle_event(&m);
		}
		if (L.shm && now >= L.next_check_ns) {
			L.next_check_ns = now + DP_LINK_CHECK_EVERY_MS * MS;
			if (!td_dp_shm_is_current(L.shm))
				detach("its segment was removed or replaced", true);
			else if (!dataplane_alive(L.shm, why, sizeof(why)))
				detach(why, true);
		}
	}
	pending_expire(now);
}

int
dp_link_start(const char *shm_name)
{
	if (L.started)
		return -EALREADY;
	L.shm_name = shm_name;
	L.started = true;
	L.next_attach_ns = 0;
	snprintf(L.reason, sizeof(L.reason), "not attached yet");
	return 0;
}

void
dp_link_stop(void)
{
	if (L.shm)
		detach("control stopped", false);
	pending_fail_all(-ENOTCONN);
	L.started = false;
	snprintf(L.reason, sizeof(L.reason), "control stopped");
}
