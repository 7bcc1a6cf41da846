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
#include "loop.h"
#include "record.h"
#include "store/store.h"

static struct record_info table[RECORD_MAX];
static uint32_t next_id;
static bool stored; /* the store's databases are open */
static int link_timer = -1;
static uint64_t link_attaches;

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

static void
key_of(const struct record_info *r, char *key, size_t len)
{
	snprintf(key, len, "%020llu-%010u", (unsigned long long)r->started_ns, r->id);
}

static void
hex32(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

json_t *
record_json(const struct record_info *r)
{
	json_t *files = json_array();
	for (int f = 0; f < r->files && f < 2; f++) {
		char name[TD_DP_REC_NAME_MAX + 16], sha[65];
		const struct record_file *rf = &r->file[f];
		record_file_name(r, f, name, sizeof(name));
		json_t *jf = json_pack("{s:s,s:b}", "name", name, "done", rf->done);
		if (rf->done) {
			hex32(rf->sha256, sha);
			json_object_set_new(jf, "complete", json_boolean(rf->complete));
			json_object_set_new(jf, "error", rf->error ? json_string(strerror(-rf->error)) : json_null());
			json_object_set_new(jf, "errno", json_integer(-rf->error));
			json_object_set_new(jf, "bytes", json_integer((json_int_t)rf->bytes));
			json_object_set_new(jf, "duration_ms", json_integer(rf->duration_ms));
			json_object_set_new(jf, "sha256", json_string(sha));
		}
		json_array_append_new(files, jf);
	}
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:o}", "id", (json_int_t)r->id,
			 "name", r->name, "call", r->call, "state", record_state_name(r->state), "mode",
			 record_mode_name(r->mode), "customer", (json_int_t)r->customer, "agent", (json_int_t)r->agent,
			 "worker", (json_int_t)r->worker, "bytes", (json_int_t)r->bytes, "duration_ms",
			 (json_int_t)r->duration_ms, "gaps", (json_int_t)r->gaps, "started_ns",
			 (json_int_t)r->started_ns, "ended_ns", (json_int_t)r->ended_ns, "restored", r->restored,
			 "files", files);
}

/* The store follows the table: every start, state change and end. A
 * failure is logged; the recording itself goes on. */
static void
persist(const struct record_info *r)
{
	char key[40], id[16];
	int ret;
	if (!stored)
		return;
	key_of(r, key, sizeof(key));
	snprintf(id, sizeof(id), "%010u", r->id);
	ret = td_store_json_put("recordings", key, record_json(r));
	if (ret == 0)
		ret = r->state == RECORD_DONE
			      ? td_store_json_del("recordings_live", id)
			      : td_store_json_put("recordings_live", id, json_pack("{s:s}", "key", key));
	if (ret < 0 && ret != -ENOENT)
		LOG_WARN("recording %u: cannot keep it in the store: %s", r->id, strerror(-ret));
}

static uint8_t
state_parse(const char *s)
{
	for (uint8_t i = RECORD_STARTING; i <= RECORD_DONE; i++)
		if (strcmp(s, record_state_name(i)) == 0)
			return i;
	return 0;
}

static uint8_t
mode_parse(const char *s)
{
	for (uint8_t m = TD_DP_REC_STEREO; m <= TD_DP_REC_BOTH; m++)
		if (strcmp(s, record_mode_name(m)) == 0)
			return m;
	return 0;
}

/* A live recording back from the store: 0, or -EIO for a record this code
 * did not write. */
static int
restore(json_t *o, struct record_info *r)
{
	json_int_t id, cust, agent, worker, bytes, dur, gaps, started;
	const char *name, *call, *state, *mode;
	memset(r, 0, sizeof(*r));
	if (json_unpack(o, "{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "id", &id, "name", &name, "call", &call,
			"state", &state, "mode", &mode, "customer", &cust, "agent", &agent, "worker", &worker, "bytes",
			&bytes, "duration_ms", &dur, "gaps", &gaps, "started_ns", &started) < 0 ||
	    id <= 0 || id > UINT32_MAX || strlen(name) >= sizeof(r->name) || strlen(call) >= sizeof(r->call))
		return -EIO;
	*r = (struct record_info){.id = (uint32_t)id,
				  .customer = (uint32_t)cust,
				  .agent = (uint32_t)agent,
				  .worker = (uint32_t)worker,
				  .mode = mode_parse(mode),
				  .state = state_parse(state),
				  .bytes = (uint64_t)bytes,
				  .duration_ms = (uint32_t)dur,
				  .gaps = (uint32_t)gaps,
				  .started_ns = (uint64_t)started,
				  .restored = true};
	if (r->mode == 0 || r->state == 0 || r->state == RECORD_DONE)
		return -EIO;
	r->files = r->mode == TD_DP_REC_BOTH ? 2 : 1;
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->call, sizeof(r->call), "%s", call);
	return 0;
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
	unsigned int left;   /* RECORD_STATUS: workers still to answer */
	unsigned int failed; /* RECORD_STATUS: workers that did not answer */
};

static void
on_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct pending *p = arg;
	int result = ack ? ack->ack.result : err;
	struct record_info *r = find(p->id);

	if (p->type == TD_DP_CMD_RECORD_STATUS) {
		p->failed += result < 0;
		if (--p->left > 0)
			return;
		p->cb(p->arg, p->failed ? -EAGAIN : 0, 0);
		free(p);
		return;
	}
	if (r != NULL) {
		if (p->type == TD_DP_CMD_RECORD_START) {
			if (result == 0 && r->state == RECORD_STARTING) {
				r->state = RECORD_ACTIVE;
				LOG_INFO("recording %u: %s (%s), customer %u, agent %u", r->id, r->name,
					 record_mode_name(r->mode), r->customer, r->agent);
				persist(r);
			} else if (result < 0) {
				memset(r, 0, sizeof(*r));
			}
		} else if (result == 0 && p->type == TD_DP_CMD_RECORD_PAUSE && r->state != RECORD_DONE) {
			r->state = p->pause ? RECORD_PAUSED : RECORD_ACTIVE;
			persist(r);
		} else if (result == 0 && p->type == TD_DP_CMD_RECORD_STOP && r->state != RECORD_DONE) {
			r->state = RECORD_STOPPING;
			persist(r);
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

/* A recording the dataplane has and this control did not start (its
 * record was lost with a crash before it was stored): kept, unnamed. */
static struct record_info *
adopt(const struct td_dp_msg *m)
{
	const struct td_dp_evt_rec *e = &m->rec;
	struct record_info *r = entry_new();
	LOG_WARN("recording %u: reported by worker %u, unknown to this control: kept unnamed", e->rec_id,
		 m->hdr.worker);
	if (r == NULL)
		return NULL;
	*r = (struct record_info){.id = e->rec_id,
				  .customer = e->customer,
				  .agent = e->agent,
				  .worker = m->hdr.worker,
				  .mode = e->files == 2 ? TD_DP_REC_BOTH : TD_DP_REC_STEREO,
				  .state = RECORD_ACTIVE,
				  .files = e->files == 2 ? 2 : 1,
				  .started_ns = realtime_ns()};
	if (e->rec_id >= next_id)
		next_id = e->rec_id;
	return r;
}

void
record_dp_event(const struct td_dp_msg *m)
{
	if (m->hdr.type != TD_DP_EVT_RECORD)
		return;
	const struct td_dp_evt_rec *e = &m->rec;
	struct record_info *r = find(e->rec_id);
	char hex[65];

	if (r == NULL && (r = adopt(m)) == NULL)
		return;
	r->restored = false; /* seen live */
	r->gaps = e->gaps;
	if (e->state != TD_DP_REC_DONE) {
		uint8_t before = r->state;
		r->bytes = e->bytes;
		r->duration_ms = e->duration_ms;
		if (r->state != RECORD_STOPPING && e->state == TD_DP_REC_PAUSED)
			r->state = RECORD_PAUSED;
		else if (r->state != RECORD_STOPPING && e->state == TD_DP_REC_ACTIVE)
			r->state = RECORD_ACTIVE;
		if (r->state != before)
			persist(r);
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
	hex32(e->sha256, hex);
	hex[16] = '\0';
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
	persist(r);
}

/* After the dataplane (re)attached and every worker listed its live
 * recordings: the live ones none of them has ended unseen. */
static void
confirm(void *arg, int result, uint32_t id)
{
	(void)arg, (void)id;
	if (result < 0) {
		link_attaches = 0; /* ask again at the next tick */
		return;
	}
	for (unsigned int i = 0; i < RECORD_MAX; i++) {
		struct record_info *r = &table[i];
		char name[TD_DP_REC_NAME_MAX + 16];
		if (r->id == 0 || !r->restored || r->state == RECORD_DONE || r->state == RECORD_STARTING)
			continue;
		for (int f = 0; f < r->files; f++)
			if (!r->file[f].done)
				r->file[f] = (struct record_file){.done = true, .error = -ESTALE, .bytes = r->bytes};
		r->state = RECORD_DONE;
		r->restored = false;
		r->ended_ns = realtime_ns();
		record_file_name(r, 0, name, sizeof(name));
		LOG_WARN("recording %u: %s INCOMPLETE: no longer in the dataplane (it ended while control was away, "
			 "or the dataplane restarted); the file holds what was flushed before",
			 r->id, name[0] ? name : "(unnamed)");
		persist(r);
	}
}

static void
on_link_tick(int fd, uint32_t events, void *arg)
{
	struct dp_link_stats st;
	(void)fd, (void)events, (void)arg;
	dp_link_stats_get(&st);
	if (dp_link_shm() == NULL || st.attaches == link_attaches)
		return;
	/* Every live recording must show itself again. */
	for (unsigned int i = 0; i < RECORD_MAX; i++)
		if (table[i].id && (table[i].state == RECORD_ACTIVE || table[i].state == RECORD_PAUSED))
			table[i].restored = true;
	link_attaches = st.attaches;
	if (record_refresh(confirm, NULL) < 0)
		link_attaches = 0;
}

static int
restore_one(const char *id, json_t *o, void *arg)
{
	const char *key;
	json_t *rec = NULL;
	struct record_info r, *slot;
	(void)arg;
	if (json_unpack(o, "{s:s}", "key", &key) < 0 || td_store_json_get("recordings", key, &rec) < 0 ||
	    restore(rec, &r) < 0) {
		LOG_WARN("recording %s: unreadable in the store, skipped", id);
		json_decref(rec);
		return 0;
	}
	json_decref(rec);
	if (find(r.id) || (slot = entry_new()) == NULL)
		return 0;
	*slot = r;
	if (r.id > next_id)
		next_id = r.id;
	return 0;
}

/* Ids go on from the newest recording kept, so that one id names one
 * recording across restarts. */
static void
last_id(const char *key, json_t *o, void *arg)
{
	json_int_t id = json_integer_value(json_object_get(o, "id"));
	(void)key, (void)arg;
	if (id > 0 && id <= UINT32_MAX && (uint32_t)id > next_id)
		next_id = (uint32_t)id;
}

int
record_open(char *err, size_t errlen)
{
	static const char *const dbs[] = {"recordings", "recordings_live"};
	int ret = td_store_dbs_create(dbs, 2, err, errlen);
	if (ret < 0)
		return ret;
	stored = true;
	ret = td_store_json_foreach("recordings_live", restore_one, NULL);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read the live recordings: %s", strerror(-ret));
		return ret;
	}
	td_store_json_last("recordings", 1, last_id, NULL);
	unsigned int n = 0;
	for (unsigned int i = 0; i < RECORD_MAX; i++)
		n += table[i].id != 0;
	if (n)
		LOG_INFO("%u recording(s) live before this start: waiting for the dataplane to confirm them", n);
	if (link_timer < 0 && (link_timer = td_loop_timer_add(1000, on_link_tick, NULL)) < 0) {
		snprintf(err, errlen, "recordings: no timer: %s", strerror(-link_timer));
		return link_timer;
	}
	return 0;
}

void
record_close(void)
{
	stored = false;
}

int
record_tag(uint32_t id, const char *call)
{
	struct record_info *r = find(id);
	if (r == NULL)
		return -ENOENT;
	if (strlen(call) >= sizeof(r->call))
		return -EINVAL;
	snprintf(r->call, sizeof(r->call), "%s", call);
	persist(r);
	return 0;
}

struct history {
	void (*cb)(json_t *rec, void *arg);
	void *arg;
};

static void
history_one(const char *key, json_t *o, void *arg)
{
	struct history *h = arg;
	(void)key;
	h->cb(o, h->arg);
}

int
record_history(unsigned int max, void (*cb)(json_t *rec, void *arg), void *arg)
{
	struct history h = {.cb = cb, .arg = arg};
	return stored ? td_store_json_last("recordings", max, history_one, &h) : -ENOTCONN;
}

static void __attribute__((constructor)) record_module_init(void)
{
	dp_link_on_event(record_dp_event);
}
