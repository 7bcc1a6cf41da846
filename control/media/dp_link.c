/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The link's states: waiting (no usable segment) and attached. Pending
 * commands are kept in a small table keyed by request id; their timeouts
 * are checked on each tick. See dp_link.h for the contract.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_link.h"
#include "log.h"

#define MAX_PENDING	4096
#define ATTACH_EVERY_NS 500000000ull
#define CHECK_EVERY_NS	250000000ull
#define SILENCE_NS	2000000000ull

static struct pending {
	uint64_t req_id; /* 0: free */
	uint64_t deadline_ns;
	dp_link_ack_cb_t cb;
	void *arg;
} pending[MAX_PENDING];

static struct {
	const char *shm_name;
	struct td_dp_shm *shm;
	char reason[300];
	uint64_t next_attach_ns;
	uint64_t next_check_ns;
	uint64_t next_req;
	uint64_t events[8];
	dp_link_event_cb_t on_event;
} L;

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
	unsigned int i = type & 0x7;
	return (type & TD_DP_EVT_ACK) && i < 8 ? L.events[i] : 0;
}

void
dp_link_on_event(dp_link_event_cb_t cb)
{
	L.on_event = cb;
}

static void
fail_pending(int err)
{
	for (unsigned int i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &pending[i];
		if (p->req_id == 0)
			continue;
		p->req_id = 0;
		p->cb(p->arg, NULL, err);
	}
}

static bool
pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static void
detach(const char *why, bool gone)
{
	struct td_dp_shm_hdr *h = L.shm->hdr;
	int32_t me = getpid();
	__atomic_compare_exchange_n(&h->control_pid, &me, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	if (gone)
		LOG_WARN("dataplane generation %llu gone (%s)", (unsigned long long)h->generation, why);
	else
		LOG_INFO("detached from dataplane generation %llu", (unsigned long long)h->generation);
	snprintf(L.reason, sizeof(L.reason), "%s", why);
	td_dp_shm_close(L.shm);
	L.shm = NULL;
	fail_pending(-ENOTCONN);
}

static void
try_attach(void)
{
	struct td_dp_shm *shm;
	char err[256];

	if (td_dp_shm_attach(L.shm_name, &shm, err, sizeof(err)) < 0) {
		if (strcmp(err, L.reason) != 0) {
			snprintf(L.reason, sizeof(L.reason), "%s", err);
			LOG_INFO("waiting for dataplane on %s: %s", L.shm_name, err);
		}
		return;
	}
	struct td_dp_shm_hdr *h = shm->hdr;
	if (!td_dp_shm_alive(shm, SILENCE_NS)) {
		snprintf(err, sizeof(err), "segment %s is left by a dataplane that stopped (pid %d)", L.shm_name,
			 h->pid);
		if (strcmp(err, L.reason) != 0) {
			snprintf(L.reason, sizeof(L.reason), "%s", err);
			LOG_INFO("waiting for dataplane on %s: %s", L.shm_name, err);
		}
		td_dp_shm_close(shm);
		return;
	}
	/* One control per segment: it is each command ring's only producer.
	 * A dead control's claim is taken over. */
	int32_t me = getpid(), cur = __atomic_load_n(&h->control_pid, __ATOMIC_ACQUIRE);
	while (cur != me) {
		if (cur != 0 && pid_alive(cur)) {
			snprintf(err, sizeof(err), "another control (pid %d) is attached to %s", cur, L.shm_name);
			if (strcmp(err, L.reason) != 0) {
				snprintf(L.reason, sizeof(L.reason), "%s", err);
				LOG_ERR("%s", err);
			}
			td_dp_shm_close(shm);
			return;
		}
		if (__atomic_compare_exchange_n(&h->control_pid, &cur, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	/* Events addressed to a control that is gone mean nothing now. */
	struct td_dp_msg m;
	for (uint32_t w = 0; w < h->n_workers; w++)
		while (td_dp_msg_recv(td_dp_shm_evt_ring(shm, w), &m) == 0)
			;
	L.shm = shm;
	L.reason[0] = '\0';
	LOG_INFO("attached to dataplane generation %llu (pid %d, %u workers)", (unsigned long long)h->generation,
		 h->pid, h->n_workers);
}

static void
handle_event(const struct td_dp_msg *m)
{
	if (m->hdr.type & TD_DP_EVT_ACK)
		L.events[m->hdr.type & 0x7]++;
	if (m->hdr.type != TD_DP_EVT_ACK) {
		if (L.on_event)
			L.on_event(m);
		return;
	}
	for (unsigned int i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &pending[i];
		if (p->req_id != m->hdr.req_id || p->req_id == 0)
			continue;
		p->req_id = 0;
		p->cb(p->arg, m, 0);
		return;
	}
}

void
dp_link_tick(void)
{
	uint64_t now = td_dp_now_ns();

	if (L.shm == NULL) {
		if (now >= L.next_attach_ns) {
			L.next_attach_ns = now + ATTACH_EVERY_NS;
			try_attach();
		}
		return;
	}
	struct td_dp_msg m;
	for (uint32_t w = 0; w < L.shm->hdr->n_workers; w++) {
		struct rte_ring *r = td_dp_shm_evt_ring(L.shm, w);
		for (int n = 0; n < 4096 && td_dp_msg_recv(r, &m) == 0; n++)
			handle_event(&m);
	}
	for (unsigned int i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &pending[i];
		if (p->req_id && now > p->deadline_ns) {
			p->req_id = 0;
			p->cb(p->arg, NULL, -ETIMEDOUT);
		}
	}
	if (now >= L.next_check_ns) {
		L.next_check_ns = now + CHECK_EVERY_NS;
		if (!td_dp_shm_is_current(L.shm))
			detach("its segment was removed or replaced", true);
		else if (!td_dp_shm_alive(L.shm, SILENCE_NS))
			detach("it stopped or no longer beats", true);
	}
}

int
dp_link_send(uint32_t worker, struct td_dp_msg *m, dp_link_ack_cb_t cb, void *arg, uint64_t timeout_ms)
{
	if (L.shm == NULL)
		return -ENOTCONN;
	if (worker >= L.shm->hdr->n_workers)
		return -EINVAL;
	unsigned int slot;
	for (slot = 0; slot < MAX_PENDING && pending[slot].req_id; slot++)
		;
	if (slot == MAX_PENDING)
		return -EBUSY;
	m->hdr.version = TD_DP_MSG_VERSION;
	m->hdr.worker = (uint16_t)worker;
	m->hdr.req_id = ++L.next_req;
	if (td_dp_msg_send(td_dp_shm_cmd_ring(L.shm, worker), m) < 0)
		return -ENOBUFS;
	pending[slot] = (struct pending){
		.req_id = m->hdr.req_id,
		.deadline_ns = td_dp_now_ns() + timeout_ms * 1000000ull,
		.cb = cb,
		.arg = arg,
	};
	return 0;
}

int
dp_link_start(const char *shm_name)
{
	L.shm_name = shm_name;
	snprintf(L.reason, sizeof(L.reason), "not attached yet");
	return 0;
}

void
dp_link_stop(void)
{
	if (L.shm)
		detach("control stopped", false);
}
