/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Named prompts and playback (contract in prompt.h). The registry is a
 * table indexed by prompt id, mirrored in LMDB; loads go to worker 0 (any
 * worker hands them to the dataplane's main lcore), at most
 * LOADS_IN_FLIGHT at once so that the dataplane's hand-off ring never
 * overflows. Plays are kept per session in arrival order: the dataplane
 * answers commands and sends events on one ring, so a PLAYBACK_DONE belongs
 * to the oldest acked play of its session, and one that arrives while the
 * only play is still unacked ends a play someone else started (the B2BUA's
 * ringback) and is not ours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <lmdb.h>

#include "dp_link.h"
#include "log.h"
#include "prompt.h"
#include "store/store.h"

#define LOADS_IN_FLIGHT 8
#define LOAD_RETRY_MS	200
#define PLAY_TIMEOUT_MS 2000
#define PLAY_BUCKETS	4096 /* power of two */
#define DONE_KEPT	1024 /* last ends remembered for show session */
#define MS		1000000ull

struct prompt {
	struct prompt_info i; /* i.id == 0: a free slot */
	uint64_t load_seq;    /* names the load in flight; bumped to forget it */
	bool in_flight;
	uint64_t retry_ns; /* LOADING, not in flight: send at this time */
};

struct waiter {
	struct waiter *next;
	char name[PROMPT_NAME_MAX + 1];
	prompt_wait_cb_t cb;
	void *arg;
};

struct play {
	struct play *next; /* bucket chain, oldest first */
	uint64_t id;
	uint32_t session;
	uint32_t prompt; /* 0 for a tone */
	uint8_t tone;
	bool loop;
	bool started;
	uint64_t since_ns;
	char what[PROMPT_NAME_MAX + 1];
	play_done_cb cb;
	play_started_cb started_cb;
	void *arg;
};

struct done_rec {
	uint32_t session;
	int why;
	uint32_t frames;
	uint64_t ns;
	char what[PROMPT_NAME_MAX + 1];
};

static struct prompt prompts[TD_DP_PROMPT_ID_MAX + 1];
static uint32_t last_id; /* ids are handed out round-robin: an unloaded id rests */
static bool opened;
static uint64_t gen; /* the generation prompts were loaded into; 0: none */
static unsigned int loads_in_flight;
static struct waiter *waiters;
static struct play *plays[PLAY_BUCKETS];
static uint32_t n_plays;
static uint64_t next_play_id;
static struct done_rec dones[DONE_KEPT];
static unsigned int done_next;

static const char *const tones[] = {
	[TD_DP_TONE_RINGBACK] = "ringback",
	[TD_DP_TONE_BUSY] = "busy",
	[TD_DP_TONE_CONGESTION] = "congestion",
};

static uint64_t
realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *
prompt_tone_name(uint8_t tone)
{
	return tone > TD_DP_TONE_NONE && tone <= TD_DP_TONE_CONGESTION ? tones[tone] : NULL;
}

uint8_t
prompt_tone_parse(const char *name)
{
	for (uint8_t t = TD_DP_TONE_RINGBACK; t <= TD_DP_TONE_CONGESTION; t++)
		if (strcmp(name, tones[t]) == 0)
			return t;
	return TD_DP_TONE_NONE;
}

const char *
prompt_state_name(uint8_t state)
{
	static const char *const names[] = {"waiting", "loading", "loaded", "failed"};
	return state <= PROMPT_FAILED ? names[state] : "?";
}

const char *
prompt_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "no such file (as the dataplane sees it), or not loaded there";
	case -EBADMSG:
		return "not a WAV file";
	case -ENOTSUP:
		return "not 16-bit PCM, A-law or mu-law";
	case -ERANGE:
		return "not 8000 or 16000 Hz";
	case -ECHRNG:
		return "not mono";
	case -ENODATA:
		return "truncated";
	case -ENOMSG:
		return "no audio in it";
	case -EFBIG:
		return "longer than 10 minutes";
	case -ENOTCONN:
		return "the dataplane is not running, or went away";
	case -ETIMEDOUT:
		return "the dataplane did not answer in time";
	case -ENOBUFS:
		return "the worker's command ring is full";
	case -EINVAL:
		return "no codec the session can be played in (PCMA or PCMU among its payload types, or a codec)";
	default:
		return strerror(-err);
	}
}

const char *
play_why_name(int why)
{
	switch (why) {
	case TD_DP_PLAY_FINISHED:
		return "finished";
	case TD_DP_PLAY_STOPPED:
		return "stopped";
	case TD_DP_PLAY_SESSION_GONE:
		return "session gone";
	case TD_DP_PLAY_REPLACED:
		return "replaced";
	case -ENOTCONN:
		return "dataplane lost";
	case -ENOENT:
		return "refused: no such session, or prompt not loaded";
	default:
		return why < 0 ? prompt_strerror(why) : "?";
	}
}

/* ---- the registry in LMDB ---- */

static int
prompts_txn(unsigned int flags, MDB_txn **txn, MDB_dbi *dbi, unsigned int dbi_flags)
{
	MDB_env *env = td_store_env();
	int ret;

	if (env == NULL)
		return -ENOTCONN;
	ret = td_store_errno(mdb_txn_begin(env, NULL, flags, txn));
	if (ret < 0)
		return ret;
	ret = mdb_dbi_open(*txn, "prompts", dbi_flags, dbi);
	ret = ret == MDB_NOTFOUND ? -ENOTCONN : td_store_errno(ret);
	if (ret < 0)
		mdb_txn_abort(*txn);
	return ret;
}

static int
store_put(const struct prompt_info *p)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	json_t *o = json_pack("{s:i,s:s,s:I}", "id", (int)p->id, "path", p->path, "added", (json_int_t)p->added);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int ret;

	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	MDB_val key = {.mv_size = strlen(p->name), .mv_data = (void *)p->name};
	MDB_val val = {.mv_size = strlen(text), .mv_data = text};
	ret = prompts_txn(0, &txn, &dbi, 0);
	if (ret == 0) {
		ret = td_store_errno(mdb_put(txn, dbi, &key, &val, MDB_NOOVERWRITE));
		ret = ret < 0 ? (mdb_txn_abort(txn), ret) : td_store_errno(mdb_txn_commit(txn));
	}
	free(text);
	return ret;
}

static int
store_del(const char *name)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = {.mv_size = strlen(name), .mv_data = (void *)name};
	int ret = prompts_txn(0, &txn, &dbi, 0);
	if (ret < 0)
		return ret;
	ret = td_store_errno(mdb_del(txn, dbi, &key, NULL));
	return ret < 0 ? (mdb_txn_abort(txn), ret) : td_store_errno(mdb_txn_commit(txn));
}

static int
path_check(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);
	if (path[0] != '/' || n >= TD_DP_PROMPT_PATH_MAX) {
		snprintf(err, errlen, "bad path '%s' (absolute, at most %d characters)", path,
			 TD_DP_PROMPT_PATH_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) {
			snprintf(err, errlen, "bad path: a control character in it");
			return -EINVAL;
		}
	return 0;
}

int
prompt_name_check(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);
	if (n == 0 || n > PROMPT_NAME_MAX) {
		snprintf(err, errlen, "a prompt name has 1 to %d characters", PROMPT_NAME_MAX);
		return -EINVAL;
	}
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
		char c = name[strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-")];
		snprintf(err, errlen, "bad character '%c' in prompt name '%s' (allowed: a-z 0-9 _ -)",
			 c >= 32 && c < 127 ? c : '?', name);
		return -EINVAL;
	}
	if (prompt_tone_parse(name) != TD_DP_TONE_NONE) {
		snprintf(err, errlen, "'%s' is the name of a tone", name);
		return -EINVAL;
	}
	return 0;
}

static struct prompt *
find(const char *name)
{
	for (uint32_t id = 1; id <= TD_DP_PROMPT_ID_MAX; id++)
		if (prompts[id].i.id && strcmp(prompts[id].i.name, name) == 0)
			return &prompts[id];
	return NULL;
}

/* A record read back: 0, or -EIO for one this code did not write. */
static int
from_record(const MDB_val *key, const MDB_val *val, struct prompt_info *p)
{
	json_t *o = json_loadb(val->mv_data, val->mv_size, 0, NULL);
	const char *path = NULL;
	json_int_t added = 0;
	int id = 0, ret = -EIO;
	char err[160];

	memset(p, 0, sizeof(*p));
	if (o && key->mv_size <= PROMPT_NAME_MAX &&
	    json_unpack(o, "{s:i,s:s,s?I}", "id", &id, "path", &path, "added", &added) == 0 && id >= 1 &&
	    id <= TD_DP_PROMPT_ID_MAX) {
		memcpy(p->name, key->mv_data, key->mv_size);
		snprintf(p->path, sizeof(p->path), "%s", path);
		if (prompt_name_check(p->name, err, sizeof(err)) == 0 && path_check(path, err, sizeof(err)) == 0) {
			p->id = (uint32_t)id;
			p->added = (uint64_t)added;
			ret = 0;
		}
	}
	json_decref(o);
	return ret;
}

int
prompt_open(char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	int ret, rc, n = 0;

	prompt_close();
	ret = prompts_txn(0, &txn, &dbi, MDB_CREATE);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open the prompts database: %s", strerror(-ret));
		return ret;
	}
	ret = td_store_errno(mdb_cursor_open(txn, dbi, &cur));
	for (rc = ret ? ret : mdb_cursor_get(cur, &k, &v, MDB_FIRST); ret == 0 && rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct prompt_info p;
		if (from_record(&k, &v, &p) < 0 || prompts[p.id].i.id) {
			LOG_WARN("prompts: record '%.*s' is not one this program wrote (or its id is taken): skipped",
				 (int)(k.mv_size > 64 ? 64 : k.mv_size), (const char *)k.mv_data);
			continue;
		}
		prompts[p.id].i = p;
		if (p.id > last_id)
			last_id = p.id;
		n++;
	}
	if (ret == 0)
		mdb_cursor_close(cur);
	if (ret == 0 && rc != MDB_NOTFOUND)
		ret = td_store_errno(rc);
	ret = ret < 0 ? (mdb_txn_abort(txn), ret) : td_store_errno(mdb_txn_commit(txn));
	if (ret < 0) {
		snprintf(err, errlen, "cannot read the prompts database: %s", strerror(-ret));
		prompt_close();
		return ret;
	}
	opened = true;
	return n;
}

static void
waiters_call(const char *name, const struct prompt_info *p)
{
	struct waiter **wp = &waiters, *w;
	while ((w = *wp) != NULL) {
		if (strcmp(w->name, name) == 0) {
			*wp = w->next;
			w->cb(w->arg, p);
			free(w);
		} else {
			wp = &w->next;
		}
	}
}

static void plays_fail_all(int why);

void
prompt_close(void)
{
	plays_fail_all(-ENOTCONN);
	for (uint32_t id = 1; id <= TD_DP_PROMPT_ID_MAX; id++)
		if (prompts[id].i.id) {
			char name[PROMPT_NAME_MAX + 1];
			memcpy(name, prompts[id].i.name, sizeof(name));
			prompts[id] = (struct prompt){.load_seq = prompts[id].load_seq + 1};
			waiters_call(name, NULL);
		}
	last_id = 0;
	gen = 0;
	loads_in_flight = 0;
	opened = false;
}

bool
prompt_exists(const char *name)
{
	return find(name) != NULL;
}

int
prompt_get(const char *name, struct prompt_info *out)
{
	struct prompt *p = find(name);
	if (p == NULL)
		return -ENOENT;
	*out = p->i;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct prompt_info *)a)->name, ((const struct prompt_info *)b)->name);
}

int
prompt_foreach(int (*cb)(const struct prompt_info *p, void *arg), void *arg)
{
	struct prompt_info list[TD_DP_PROMPT_ID_MAX];
	size_t n = 0;
	for (uint32_t id = 1; id <= TD_DP_PROMPT_ID_MAX; id++)
		if (prompts[id].i.id)
			list[n++] = prompts[id].i;
	qsort(list, n, sizeof(list[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		int ret = cb(&list[i], arg);
		if (ret)
			return ret;
	}
	return 0;
}

int
prompt_wait(const char *name, prompt_wait_cb_t cb, void *arg)
{
	struct prompt *p = find(name);
	if (p == NULL)
		return -ENOENT;
	if (p->i.state != PROMPT_LOADING) {
		cb(arg, &p->i);
		return 0;
	}
	struct waiter *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->cb = cb;
	w->arg = arg;
	w->next = waiters;
	waiters = w;
	return 0;
}

/* ---- loading ---- */

struct load_req {
	uint32_t id;
	uint64_t seq;
};

static void
load_done(struct prompt *p, uint8_t state, int error, uint32_t frames)
{
	p->i.state = state;
	p->i.error = error;
	p->i.frames = frames;
	if (state == PROMPT_LOADED)
		LOG_INFO("prompt %s (id %u): loaded, %u.%02u s%s", p->i.name, p->i.id, frames / 50, frames % 50 * 2,
			 frames ? "" : " (already loaded before this control started: length unknown)");
	else if (state == PROMPT_FAILED)
		LOG_WARN("prompt %s (id %u): %s refused by the dataplane: %s", p->i.name, p->i.id, p->i.path,
			 prompt_strerror(error));
	waiters_call(p->i.name, &p->i);
}

static void
load_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct load_req *r = arg;
	struct prompt *p = &prompts[r->id];
	int res = ack ? ack->ack.result : err;

	if (loads_in_flight)
		loads_in_flight--;
	if (p->i.id == 0 || p->load_seq != r->seq) {
		free(r); /* deleted or reloaded meanwhile */
		return;
	}
	free(r);
	p->in_flight = false;
	if (res == 0)
		load_done(p, PROMPT_LOADED, 0, ack->ack.count);
	else if (res == -EEXIST)
		/* Loaded by an earlier control into this same dataplane: the id
		 * is the one this registry gave it then. */
		load_done(p, PROMPT_LOADED, 0, 0);
	else if (res == -ENOTCONN) {
		p->i.state = PROMPT_WAITING; /* prompt_tick loads it into the next one */
		waiters_call(p->i.name, &p->i);
	} else if (res == -EBUSY || res == -ETIMEDOUT || res == -ENOBUFS)
		/* The hand-off ring full, the id still being unloaded, or no
		 * answer (a load that ends later then answers -EEXIST). */
		p->retry_ns = td_dp_now_ns() + LOAD_RETRY_MS * MS;
	else
		load_done(p, PROMPT_FAILED, res, 0);
}

static void
load_send(struct prompt *p)
{
	struct td_dp_msg m;
	struct load_req *r = malloc(sizeof(*r));
	if (r == NULL) {
		p->retry_ns = td_dp_now_ns() + LOAD_RETRY_MS * MS;
		return;
	}
	*r = (struct load_req){.id = p->i.id, .seq = ++p->load_seq};
	td_dp_msg_init(&m, TD_DP_CMD_PROMPT_LOAD, 0);
	m.prompt_load.prompt = p->i.id;
	snprintf(m.prompt_load.path, sizeof(m.prompt_load.path), "%s", p->i.path);
	if (dp_link_send(0, &m, load_ack, r, PROMPT_LOAD_TIMEOUT_MS) == -ENOMEM) {
		free(r);
		p->retry_ns = td_dp_now_ns() + LOAD_RETRY_MS * MS;
		return;
	}
	p->in_flight = true;
	loads_in_flight++;
}

static void
unload_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	(void)arg;
	int res = ack ? ack->ack.result : err;
	if (res < 0 && res != -ENOENT && res != -ENOTCONN)
		LOG_WARN("prompt unload: %s", strerror(-res));
}

/* ---- plays ---- */

static struct play **
bucket(uint32_t session)
{
	return &plays[session & (PLAY_BUCKETS - 1)];
}

static void
done_remember(const struct play *e, int why, uint32_t frames)
{
	struct done_rec *d = &dones[done_next++ % DONE_KEPT];
	*d = (struct done_rec){.session = e->session, .why = why, .frames = frames, .ns = realtime_ns()};
	memcpy(d->what, e->what, sizeof(d->what));
}

/* Take e out and call its callback (which may start another play). */
static void
play_finish(struct play *e, int why, uint32_t frames)
{
	struct play **pp = bucket(e->session);
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	n_plays--;
	if (e->prompt && prompts[e->prompt].i.plays)
		prompts[e->prompt].i.plays--;
	done_remember(e, why, frames);
	if (why > 0)
		LOG_INFO("session %u: play of %s %s, %u.%02u s sent", e->session, e->what, play_why_name(why),
			 frames / 50, frames % 50 * 2);
	else
		LOG_WARN("session %u: play of %s failed: %s", e->session, e->what, play_why_name(why));
	if (e->cb)
		e->cb(e->session, why, frames, e->arg);
	free(e);
}

static void
plays_fail_all(int why)
{
	for (unsigned int b = 0; b < PLAY_BUCKETS; b++)
		while (plays[b])
			play_finish(plays[b], why, 0);
}

struct play_req {
	uint32_t session;
	uint64_t id;
};

static void
play_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct play_req *r = arg;
	int res = ack ? ack->ack.result : err;
	struct play *e;

	for (e = *bucket(r->session); e && e->id != r->id; e = e->next)
		;
	free(r);
	if (e == NULL)
		return; /* ended already: the dataplane went away */
	if (res < 0) {
		play_finish(e, res, 0);
	} else {
		e->started = true;
		if (e->started_cb)
			e->started_cb(e->session, e->arg);
	}
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
	return -ESRCH;
}

int
play_start(uint32_t session, const char *prompt_or_tone, bool loop, play_done_cb cb, void *arg)
{
	return play_start_ex(session, prompt_or_tone, loop, cb, NULL, arg);
}

int
play_start_ex(uint32_t session, const char *prompt_or_tone, bool loop, play_done_cb cb, play_started_cb started,
	      void *arg)
{
	uint8_t tone = prompt_tone_parse(prompt_or_tone);
	struct prompt *p = tone ? NULL : find(prompt_or_tone);
	uint32_t worker;
	int ret;

	if (tone == TD_DP_TONE_NONE && p == NULL)
		return -ENOENT;
	if (p && p->i.state != PROMPT_LOADED)
		return -EAGAIN;
	if ((ret = worker_of(session, &worker)) < 0)
		return ret;
	struct play *e = calloc(1, sizeof(*e));
	struct play_req *r = malloc(sizeof(*r));
	if (e == NULL || r == NULL) {
		free(e);
		free(r);
		return -ENOMEM;
	}
	*e = (struct play){.id = ++next_play_id,
			   .session = session,
			   .prompt = p ? p->i.id : 0,
			   .tone = tone,
			   .loop = loop,
			   .since_ns = realtime_ns(),
			   .cb = cb,
			   .started_cb = started,
			   .arg = arg};
	snprintf(e->what, sizeof(e->what), "%s", prompt_or_tone);
	*r = (struct play_req){.session = session, .id = e->id};

	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_CMD_PLAY, 0);
	m.play.session = session;
	m.play.prompt = e->prompt;
	m.play.tone = tone;
	m.play.flags = loop ? TD_DP_PLAY_LOOP : 0;
	if (dp_link_send(worker, &m, play_ack, r, PLAY_TIMEOUT_MS) == -ENOMEM) {
		free(e);
		free(r);
		return -ENOMEM;
	}
	/* Last in its session's chain: its end comes after those before. */
	struct play **pp = bucket(session);
	while (*pp)
		pp = &(*pp)->next;
	*pp = e;
	n_plays++;
	if (p)
		p->i.plays++;
	return 0;
}

struct stop_req {
	play_stop_cb cb;
	void *arg;
};

static void
stop_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct stop_req *r = arg;
	if (r->cb)
		r->cb(r->arg, ack ? ack->ack.result : err);
	free(r);
}

int
play_stop(uint32_t session, play_stop_cb cb, void *arg)
{
	uint32_t worker;
	int ret = worker_of(session, &worker);
	if (ret < 0)
		return ret;
	struct stop_req *r = malloc(sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	*r = (struct stop_req){.cb = cb, .arg = arg};
	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_CMD_PLAY_STOP, 0);
	m.play.session = session;
	if (dp_link_send(worker, &m, stop_ack, r, PLAY_TIMEOUT_MS) == -ENOMEM) {
		free(r);
		return -ENOMEM;
	}
	return 0;
}

bool
play_session_get(uint32_t session, struct play_info *out)
{
	const struct play *last = NULL;
	for (const struct play *e = *bucket(session); e; e = e->next)
		if (e->session == session)
			last = e;
	if (last == NULL)
		return false;
	*out = (struct play_info){
		.session = session, .loop = last->loop, .started = last->started, .since_ns = last->since_ns};
	memcpy(out->what, last->what, sizeof(out->what));
	return true;
}

bool
play_last_done(uint32_t session, int *why, uint32_t *frames, char *what, size_t whatlen, uint64_t *ns)
{
	for (unsigned int i = 1; i <= DONE_KEPT && i <= done_next; i++) {
		const struct done_rec *d = &dones[(done_next - i) % DONE_KEPT];
		if (d->session == session) {
			*why = d->why;
			*frames = d->frames;
			*ns = d->ns;
			snprintf(what, whatlen, "%s", d->what);
			return true;
		}
	}
	return false;
}

uint32_t
play_count(void)
{
	return n_plays;
}

void
prompt_dp_event(const struct td_dp_msg *m)
{
	if (m->hdr.type != TD_DP_EVT_PLAYBACK_DONE)
		return;
	const struct td_dp_evt_play_done *ev = &m->play_done;
	for (struct play *e = *bucket(ev->session); e; e = e->next)
		if (e->session == ev->session && e->started) {
			play_finish(e, ev->why, ev->frames);
			return;
		}
	/* Not a play of ours: the B2BUA's ringback, or one before a restart. */
}

static void __attribute__((constructor)) prompt_module_init(void)
{
	dp_link_on_event(prompt_dp_event);
}

/* ---- the registry's operations ---- */

int
prompt_add(const char *name, const char *path, char *err, size_t errlen)
{
	int ret;
	uint32_t id = 0;

	if ((ret = prompt_name_check(name, err, errlen)) < 0 || (ret = path_check(path, err, errlen)) < 0)
		return ret;
	if (!opened) {
		snprintf(err, errlen, "the prompts database is not open");
		return -ENOTCONN;
	}
	if (find(name)) {
		snprintf(err, errlen, "prompt %s exists", name);
		return -EEXIST;
	}
	for (uint32_t i = 1; i <= TD_DP_PROMPT_ID_MAX && id == 0; i++) {
		uint32_t c = (last_id + i - 1) % TD_DP_PROMPT_ID_MAX + 1;
		if (prompts[c].i.id == 0)
			id = c;
	}
	if (id == 0) {
		snprintf(err, errlen, "no prompt id left (%d prompts at most)", TD_DP_PROMPT_ID_MAX);
		return -ENOSPC;
	}
	struct prompt *p = &prompts[id];
	struct prompt_info i = {.id = id, .added = (uint64_t)time(NULL)};
	snprintf(i.name, sizeof(i.name), "%s", name);
	snprintf(i.path, sizeof(i.path), "%s", path);
	ret = store_put(&i);
	if (ret < 0) {
		snprintf(err, errlen, "cannot store prompt %s: %s", name, strerror(-ret));
		return ret;
	}
	p->i = i;
	p->in_flight = false;
	p->retry_ns = 0;
	last_id = id;
	if (gen) {
		p->i.state = PROMPT_LOADING;
		if (loads_in_flight < LOADS_IN_FLIGHT)
			load_send(p);
	}
	LOG_INFO("prompt %s added (id %u, %s)", name, id, path);
	return 0;
}

int
prompt_del(const char *name, char *err, size_t errlen)
{
	struct prompt *p = find(name);
	int ret;

	if (p == NULL) {
		snprintf(err, errlen, "no prompt %s", name);
		return -ENOENT;
	}
	if (p->i.plays) {
		snprintf(err, errlen, "prompt %s is playing on %u session(s): stop them first", name, p->i.plays);
		return -EBUSY;
	}
	ret = store_del(name);
	if (ret < 0 && ret != -ENOENT) {
		snprintf(err, errlen, "cannot delete prompt %s: %s", name, strerror(-ret));
		return ret;
	}
	/* Loaded, or a load on its way that the unload will follow on the
	 * same ring: the dataplane frees it once no play holds it. */
	if (gen && (p->i.state == PROMPT_LOADED || p->in_flight)) {
		struct td_dp_msg m;
		td_dp_msg_init(&m, TD_DP_CMD_PROMPT_UNLOAD, 0);
		m.prompt_load.prompt = p->i.id;
		dp_link_send(0, &m, unload_ack, NULL, PROMPT_LOAD_TIMEOUT_MS);
	}
	LOG_INFO("prompt %s deleted (id %u)", name, p->i.id);
	*p = (struct prompt){.load_seq = p->load_seq + 1};
	waiters_call(name, NULL);
	return 0;
}

void
prompt_tick(void)
{
	const struct td_dp_shm *shm = dp_link_shm();
	uint64_t g = shm ? shm->hdr->generation : 0, now;

	if (g != gen) {
		if (gen) {
			/* The dataplane went away: its plays and prompts with it. */
			plays_fail_all(-ENOTCONN);
			for (uint32_t id = 1; id <= TD_DP_PROMPT_ID_MAX; id++)
				if (prompts[id].i.id) {
					struct prompt *p = &prompts[id];
					bool was_loading = p->i.state == PROMPT_LOADING;
					p->load_seq++;
					p->in_flight = false;
					p->i.state = PROMPT_WAITING;
					p->i.frames = 0;
					if (was_loading)
						waiters_call(p->i.name, &p->i);
				}
			loads_in_flight = 0;
		}
		gen = g;
		if (gen)
			for (uint32_t id = 1; id <= TD_DP_PROMPT_ID_MAX; id++)
				if (prompts[id].i.id) {
					prompts[id].i.state = PROMPT_LOADING;
					prompts[id].retry_ns = 0;
				}
	}
	if (gen == 0)
		return;
	now = td_dp_now_ns();
	for (uint32_t id = 1; id <= TD_DP_PROMPT_ID_MAX && loads_in_flight < LOADS_IN_FLIGHT; id++) {
		struct prompt *p = &prompts[id];
		if (p->i.id && p->i.state == PROMPT_LOADING && !p->in_flight && p->retry_ns <= now)
			load_send(p);
	}
}
