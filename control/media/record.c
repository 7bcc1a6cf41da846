/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call recording on control's side (contract in record.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_link.h"
#include "log.h"
#include "record.h"

static struct record_info table[RECORD_MAX];
static uint32_t next_id;

static uint64_t
realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *
record_state_name(uint8_t state)
{
	static const char *const n[] = {"?", "starting", "active", "paused", "stopping", "done"};
	return state <= RECORD_DONE ? n[state] : "?";
}

const char *
record_mode_name(uint8_t mode)
{
	return mode == TD_DP_REC_STEREO ? "stereo"
	       : mode == TD_DP_REC_MONO ? "mono"
	       : mode == TD_DP_REC_BOTH ? "both"
					: "?";
}

const char *
record_strerror(int result)
{
	switch (result) {
	case -ENOENT:
		return "no such session or recording";
	case -EINVAL:
		return "invalid recording: name (letters, digits . _ - and /, relative, no '..', under 75 characters), "
		       "mode or sessions";
	case -EBUSY:
		return "a session is already being recorded";
	case -EXDEV:
		return "the two sessions are on different workers";
	case -ENOSPC:
		return "no recording slot or buffer left on the worker";
	case -ENOTSUP:
		return "the dataplane records nowhere (start it with --record-dir)";
	case -EALREADY:
		return "the recording is already stopping";
	case -ETIMEDOUT:
		return "the dataplane did not answer in time";
	case -ENOTCONN:
		return "the dataplane is not running";
	case -ENOBUFS:
		return "the worker's command ring is full";
	default:
		return strerror(-result);
	}
}

void
record_file_name(const struct record_info *r, int i, char *buf, size_t len)
{
	size_t n = strlen(r->name);
	if (i == 0)
		snprintf(buf, len, "%s", r->name);
	else if (n > 4 && strcmp(r->name + n - 4, ".wav") == 0)
		snprintf(buf, len, "%.*s-mono.wav", (int)(n - 4), r->name);
	else
		snprintf(buf, len, "%s-mono.wav", r->name);
}

static struct record_info *
find(uint32_t id)
{
	for (unsigned int i = 0; id && i < RECORD_MAX; i++)
		if (table[i].id == id)
			return &table[i];
	return NULL;
}

/* A free entry, else the oldest done one past RECORD_KEEP_DONE; NULL when
 * every entry is live. */
static struct record_info *
entry_new(void)
{
	struct record_info *old = NULL;
	for (unsigned int i = 0; i < RECORD_MAX; i++) {
		if (table[i].id == 0)
			return &table[i];
		if (table[i].state == RECORD_DONE && (old == NULL || table[i].ended_ns < old->ended_ns))
			old = &table[i];
	}
	return old;
}

/* Same rules as the dataplane's, so that a bad name is refused here with
 * a usage error. */
static bool
name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len + 5 >= TD_DP_REC_NAME_MAX || name[0] == '/' || name[len - 1] == '/' || strstr(name, "..") ||
	    strstr(name, "//"))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") == len;
}

static int
worker_of(uint32_t session, uint32_t *worker)
{
	const struct td_dp_shm *shm = dp_link_shm();
	uint16_t port = TD_DP_SESSION_PORT(session);
	if (shm == NULL)
		return -ENOTCONN;
	for (uint32_t w = 0; w < shm->hdr->n_workers; w++)
		if (port >= shm->hdr->workers[w].rtp_port_lo && port <= shm->hdr->workers[w].rtp_port_hi) {
			*worker = w;
			return 0;
		}
	return -ENOENT;
}

struct pending {
	record_done_cb_t cb;
	void *arg;
	uint32_t id;
	uint16_t type;
	uint8_t pause;
	unsigned int left; /* RECORD_STATUS: workers still to answer */
};

static void
on_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct pending *p = arg;
	int result = ack ? ack->ack.result : err;
	struct record_info *r = find(p->id);

	if (p->type == TD_DP_CMD_RECORD_STATUS) {
		if (--p->left > 0)
			return;
		p->cb(p->arg, 0, 0);
		free(p);
		return;
	}
	if (r != NULL) {
		if (p->type == TD_DP_CMD_RECORD_START) {
			if (result == 0 && r->state == RECORD_STARTING) {
				r->state = RECORD_ACTIVE;
				LOG_INFO("recording %u: %s (%s), customer %u, agent %u", r->id, r->name,
					 record_mode_name(r->mode), r->customer, r->agent);
			} else if (result < 0) {
				memset(r, 0, sizeof(*r));
			}
		} else if (result == 0 && p->type == TD_DP_CMD_RECORD_PAUSE && r->state != RECORD_DONE) {
			r->state = p->pause ? RECORD_PAUSED : RECORD_ACTIVE;
		} else if (result == 0 && p->type == TD_DP_CMD_RECORD_STOP && r->state != RECORD_DONE) {
			r->state = RECORD_STOPPING;
		}
	}
	p->cb(p->arg, result, p->id);
	free(p);
}

static int
send_cmd(uint32_t worker, struct td_dp_msg *m, struct pending *tmpl)
{
	struct pending *p = malloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	*p = *tmpl;
	if (dp_link_send(worker, m, on_ack, p, 2000) == -ENOMEM) {
		free(p);
		return -ENOMEM;
	}
	return 0;
}

int
record_start(uint32_t customer, uint32_t agent, const char *name, uint8_t mode, record_done_cb_t cb, void *arg)
{
	struct td_dp_msg m;
	uint32_t wc = 0, wa = 0;
	struct record_info *r;
	int ret;

	if (!name_ok(name) || mode < TD_DP_REC_STEREO || mode > TD_DP_REC_BOTH || (customer == 0 && agent == 0) ||
	    customer == agent)
		return -EINVAL;
	if ((customer && (ret = worker_of(customer, &wc)) < 0) || (agent && (ret = worker_of(agent, &wa)) < 0))
		return ret;
	if (customer && agent && wc != wa)
		return -EXDEV;
	if ((r = entry_new()) == NULL)
		return -ENOSPC;
	if (++next_id == 0)
		next_id = 1;
	*r = (struct record_info){
		.id = next_id,
		.customer = customer,
		.agent = agent,
		.worker = customer ? wc : wa,
		.mode = mode,
		.state = RECORD_STARTING,
		.files = mode == TD_DP_REC_BOTH ? 2 : 1,
		.started_ns = realtime_ns(),
	};
	snprintf(r->name, sizeof(r->name), "%s", name);
	td_dp_msg_init(&m, TD_DP_CMD_RECORD_START, 0);
	m.rec_start = (struct td_dp_cmd_rec_start){.rec_id = r->id, .customer = customer, .agent = agent, .mode = mode};
	memcpy(m.rec_start.name, r->name, sizeof(m.rec_start.name));
	ret = send_cmd(r->worker, &m,
		       &(struct pending){.cb = cb, .arg = arg, .id = r->id, .type = TD_DP_CMD_RECORD_START});
	if (ret < 0)
		memset(r, 0, sizeof(*r));
	return ret;
}

static int
send_ref(uint32_t id, uint16_t type, bool pause, record_done_cb_t cb, void *arg)
{
	struct record_info *r = find(id);
	struct td_dp_msg m;

	if (r == NULL || r->state == RECORD_STARTING)
		return -ENOENT;
	if (r->state == RECORD_DONE || r->state == RECORD_STOPPING)
		return -EALREADY;
	td_dp_msg_init(&m, type, 0);
	m.rec_ref = (struct td_dp_cmd_rec_ref){.rec_id = id, .pause = pause};
	return send_cmd(r->worker, &m, &(struct pending){.cb = cb, .arg = arg, .id = id, .type = type, .pause = pause});
}

int
record_pause(uint32_t id, bool pause, record_done_cb_t cb, void *arg)
{
	return send_ref(id, TD_DP_CMD_RECORD_PAUSE, pause, cb, arg);
}

int
record_stop(uint32_t id, record_done_cb_t cb, void *arg)
{
	return send_ref(id, TD_DP_CMD_RECORD_STOP, false, cb, arg);
}

int
record_refresh(record_done_cb_t cb, void *arg)
{
	const struct td_dp_shm *shm = dp_link_shm();
	struct pending *p;

	if (shm == NULL)
		return -ENOTCONN;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	*p = (struct pending){.cb = cb, .arg = arg, .type = TD_DP_CMD_RECORD_STATUS, .left = shm->hdr->n_workers};
	/* Every worker answers once (through on_ack), sent or not. */
	for (uint32_t w = 0; w < shm->hdr->n_workers; w++) {
		struct td_dp_msg m;
		td_dp_msg_init(&m, TD_DP_CMD_RECORD_STATUS, 0);
		if (dp_link_send(w, &m, on_ack, p, 2000) == -ENOMEM)
			on_ack(p, NULL, -ENOMEM);
	}
	return 0;
}

static int
cmp_info(const void *a, const void *b)
{
	const struct record_info *x = *(const struct record_info *const *)a, *y = *(const struct record_info *const *)b;
	bool dx = x->state == RECORD_DONE, dy = y->state == RECORD_DONE;
	if (dx != dy)
		return dx ? 1 : -1;
	return x->started_ns < y->started_ns ? 1 : x->started_ns > y->started_ns ? -1 : 0;
}

unsigned int
record_list(const struct record_info **out, unsigned int max)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < RECORD_MAX && n < max; i++)
		if (table[i].id != 0)
			out[n++] = &table[i];
	qsort(out, n, sizeof(*out), cmp_info);
	return n;
}

void
record_dp_event(const struct td_dp_msg *m)
{
	if (m->hdr.type != TD_DP_EVT_RECORD)
		return;
	const struct td_dp_evt_rec *e = &m->rec;
	struct record_info *r = find(e->rec_id);
	char hex[17];

	if (r == NULL) {
		LOG_WARN("recording %u: event from worker %u for a recording this control did not start", e->rec_id,
			 m->hdr.worker);
		return;
	}
	r->gaps = e->gaps;
	if (e->state != TD_DP_REC_DONE) {
		r->bytes = e->bytes;
		r->duration_ms = e->duration_ms;
		if (r->state != RECORD_STOPPING && e->state == TD_DP_REC_PAUSED)
			r->state = RECORD_PAUSED;
		else if (r->state != RECORD_STOPPING && e->state == TD_DP_REC_ACTIVE)
			r->state = RECORD_ACTIVE;
		return;
	}
	if (e->file > 1)
		return;
	struct record_file *f = &r->file[e->file];
	*f = (struct record_file){.done = true,
				  .complete = e->complete,
				  .error = e->error,
				  .bytes = e->bytes,
				  .duration_ms = e->duration_ms};
	memcpy(f->sha256, e->sha256, sizeof(f->sha256));
	if (e->file == 0) {
		r->bytes = e->bytes;
		r->duration_ms = e->duration_ms;
	}
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", e->sha256[i]);
	char name[TD_DP_REC_NAME_MAX + 16];
	record_file_name(r, e->file, name, sizeof(name));
	if (e->complete)
		LOG_INFO("recording %u: %s done, %llu bytes, %u ms, %u gaps, sha256 %s...", r->id, name,
			 (unsigned long long)e->bytes, e->duration_ms, e->gaps, hex);
	else
		LOG_WARN("recording %u: %s INCOMPLETE (%s), %llu bytes, %u ms, %u gaps, sha256 %s...", r->id, name,
			 strerror(-e->error), (unsigned long long)e->bytes, e->duration_ms, e->gaps, hex);
	bool all = true;
	for (int i = 0; i < r->files; i++)
		all = all && r->file[i].done;
	if (all) {
		r->state = RECORD_DONE;
		r->ended_ns = realtime_ns();
	} else {
		r->state = RECORD_STOPPING;
	}
}

static void __attribute__((constructor)) record_module_init(void)
{
	dp_link_on_event(record_dp_event);
}
