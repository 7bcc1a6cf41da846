/* SPDX-License-Identifier: BSD-3-Clause */
/* The contact center in LMDB: see the header. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lmdb.h>

#include "cc_store.h"
#include "store/store.h"

static const char *const dbs[] = {"cc_queues", "cc_agents",    "cc_cdr", "cc_events",
				  "cc_routes", "cc_calendars", "cc_ivr"};

/* A transaction and the handle of db (looked up each time, as users.c does). */
static int
txn_db(const char *db, unsigned int flags, MDB_txn **txn, MDB_dbi *dbi)
{
	MDB_env *env = td_store_env();
	int rc;
	if (env == NULL)
		return -ENOTCONN;
	rc = mdb_txn_begin(env, NULL, flags, txn);
	if (rc)
		return td_store_errno(rc);
	rc = mdb_dbi_open(*txn, db, 0, dbi);
	if (rc) {
		mdb_txn_abort(*txn);
		return rc == MDB_NOTFOUND ? -ENOTCONN : td_store_errno(rc);
	}
	return 0;
}

int
cc_store_open(char *err, size_t errlen)
{
	MDB_env *env = td_store_env();
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	if (env == NULL) {
		snprintf(err, errlen, "contact center: the store is not open");
		return -ENOTCONN;
	}
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	for (size_t i = 0; rc == 0 && i < sizeof(dbs) / sizeof(dbs[0]); i++)
		rc = mdb_dbi_open(txn, dbs[i], MDB_CREATE, &dbi);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	if (rc)
		snprintf(err, errlen, "cannot open the contact-center databases: %s", mdb_strerror(rc));
	return td_store_errno(rc);
}

static int
put(const char *db, const void *k, size_t kl, json_t *o)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	char *text = json_dumps(o, JSON_COMPACT);
	int ret;
	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	ret = txn_db(db, 0, &txn, &dbi);
	if (ret == 0) {
		MDB_val key = {.mv_size = kl, .mv_data = (void *)k};
		MDB_val val = {.mv_size = strlen(text), .mv_data = text};
		int rc = mdb_put(txn, dbi, &key, &val, 0);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
		ret = td_store_errno(rc);
	}
	free(text);
	return ret;
}

static int
del(const char *db, const char *name)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	int ret = txn_db(db, 0, &txn, &dbi);
	if (ret < 0)
		return ret;
	MDB_val key = {.mv_size = strlen(name), .mv_data = (void *)name};
	int rc = mdb_del(txn, dbi, &key, NULL);
	rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	return td_store_errno(rc);
}

static json_t *
skills_json(const struct cc_skill *s, int n)
{
	json_t *o = json_object();
	for (int i = 0; i < n; i++)
		json_object_set_new(o, s[i].name, json_integer(s[i].level));
	return o;
}

static int
skills_from(json_t *o, struct cc_skill *s, uint8_t *n)
{
	const char *k;
	json_t *v;
	*n = 0;
	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return -EIO;
	json_object_foreach (o, k, v) {
		if (*n == CC_SKILLS_MAX || !json_is_integer(v) || strlen(k) >= CC_NAME_MAX)
			return -EIO;
		snprintf(s[*n].name, CC_NAME_MAX, "%s", k);
		s[(*n)++].level = (uint8_t)json_integer_value(v);
	}
	return 0;
}

int
cc_store_put_queue(const struct cc_queue_conf *q)
{
	json_t *o = json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:s,s:o}", "strategy", cc_strategy_name(q->strategy),
			      "ring_timeout", (int)q->ring_timeout_s, "wrapup", (int)q->wrapup_s, "max_len",
			      (int)q->max_len, "timeout", (int)q->timeout_s, "sl", (int)q->sl_s, "overflow",
			      q->overflow, "skills", skills_json(q->req, q->nreq));
	return o ? put("cc_queues", q->name, strlen(q->name), o) : -ENOMEM;
}

int
cc_store_del_queue(const char *name)
{
	return del("cc_queues", name);
}

int
cc_store_put_agent(const struct cc_agent_conf *a, const struct cc_login *l, int n)
{
	json_t *qs = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(qs, json_pack("{s:s,s:o}", "queue", l[i].queue, "skills",
						    skills_json(l[i].skill, l[i].nskill)));
	json_t *o = json_pack("{s:s,s:o}", "extension", a->extension, "queues", qs);
	return o ? put("cc_agents", a->id, strlen(a->id), o) : -ENOMEM;
}

int
cc_store_del_agent(const char *id)
{
	return del("cc_agents", id);
}

static int
queue_from(const MDB_val *k, const MDB_val *v, struct cc_queue_conf *q)
{
	json_t *o = json_loadb(v->mv_data, v->mv_size, 0, NULL), *sk = NULL;
	const char *strategy = "", *overflow = "";
	int rt = 0, wu = 0, ml = 0, to = 0, sl = 0, ret = -EIO;
	char name[CC_NAME_MAX];

	if (o == NULL || k->mv_size >= CC_NAME_MAX)
		goto out;
	memcpy(name, k->mv_data, k->mv_size);
	name[k->mv_size] = '\0';
	cc_queue_conf_default(q, name);
	if (json_unpack(o, "{s:s,s:i,s:i,s:i,s:i,s:i,s:s,s?o}", "strategy", &strategy, "ring_timeout", &rt, "wrapup",
			&wu, "max_len", &ml, "timeout", &to, "sl", &sl, "overflow", &overflow, "skills", &sk) < 0 ||
	    cc_strategy_parse(strategy, &q->strategy) < 0 || rt < 0 || wu < 0 || ml < 0 || to < 0 || sl < 0 ||
	    strlen(overflow) >= CC_TARGET_MAX || skills_from(sk, q->req, &q->nreq) < 0)
		goto out;
	q->ring_timeout_s = (uint32_t)rt;
	q->wrapup_s = (uint32_t)wu;
	q->max_len = (uint32_t)ml;
	q->timeout_s = (uint32_t)to;
	q->sl_s = (uint32_t)sl;
	snprintf(q->overflow, sizeof(q->overflow), "%s", overflow);
	ret = 0;
out:
	json_decref(o);
	return ret;
}

static int
agent_from(const MDB_val *k, const MDB_val *v, struct cc_agent_conf *a, struct cc_login *l, int *n)
{
	json_t *o = json_loadb(v->mv_data, v->mv_size, 0, NULL), *qs = NULL, *e;
	const char *ext = "";
	size_t i;
	int ret = -EIO;

	*n = 0;
	memset(a, 0, sizeof(*a));
	if (o == NULL || k->mv_size >= CC_NAME_MAX)
		goto out;
	memcpy(a->id, k->mv_data, k->mv_size);
	if (json_unpack(o, "{s:s,s:o}", "extension", &ext, "queues", &qs) < 0 || !json_is_array(qs) ||
	    strlen(ext) >= CC_EXT_MAX)
		goto out;
	snprintf(a->extension, sizeof(a->extension), "%s", ext);
	json_array_foreach (qs, i, e) {
		const char *qn = "";
		json_t *sk = NULL;
		if (*n == CC_MEMBER_MAX || json_unpack(e, "{s:s,s?o}", "queue", &qn, "skills", &sk) < 0 ||
		    strlen(qn) >= CC_NAME_MAX)
			goto out;
		memset(&l[*n], 0, sizeof(l[*n]));
		snprintf(l[*n].queue, CC_NAME_MAX, "%s", qn);
		if (skills_from(sk, l[*n].skill, &l[*n].nskill) < 0)
			goto out;
		(*n)++;
	}
	ret = 0;
out:
	json_decref(o);
	return ret;
}

int
cc_store_load(int (*queue_cb)(const struct cc_queue_conf *q, void *arg),
	      int (*agent_cb)(const struct cc_agent_conf *a, const struct cc_login *l, int n, void *arg), void *arg)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	int ret = 0;

	for (int pass = 0; pass < 2 && ret == 0; pass++) {
		ret = txn_db(pass ? "cc_agents" : "cc_queues", MDB_RDONLY, &txn, &dbi);
		if (ret < 0)
			return ret;
		ret = td_store_errno(mdb_cursor_open(txn, dbi, &cur));
		if (ret < 0) {
			mdb_txn_abort(txn);
			return ret;
		}
		for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && ret == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (pass == 0) {
				struct cc_queue_conf q;
				ret = queue_from(&k, &v, &q);
				if (ret == 0)
					ret = queue_cb(&q, arg);
			} else {
				struct cc_agent_conf a;
				struct cc_login l[CC_MEMBER_MAX];
				int n;
				ret = agent_from(&k, &v, &a, l, &n);
				if (ret == 0)
					ret = agent_cb(&a, l, n, arg);
			}
		}
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
	}
	return ret;
}

/* ---- records ---- */

struct rec {
	const char *db;
	uint8_t key[12]; /* time (ms) and a sequence, big-endian: time order */
	char *text;
};

static struct {
	struct rec *v;
	size_t n, cap;
	uint32_t seq;
} R;

static void
key_make(uint8_t *k, uint64_t t, uint32_t seq)
{
	for (int i = 0; i < 8; i++)
		k[i] = (uint8_t)(t >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		k[8 + i] = (uint8_t)(seq >> (24 - 8 * i));
}

static void
rec_push(const char *db, uint64_t t, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return;
	if (R.n == R.cap) {
		size_t cap = R.cap ? R.cap * 2 : 256;
		struct rec *v = realloc(R.v, cap * sizeof(*v));
		if (v == NULL) {
			free(text);
			return;
		}
		R.v = v;
		R.cap = cap;
	}
	R.v[R.n].db = db;
	key_make(R.v[R.n].key, t, R.seq++);
	R.v[R.n++].text = text;
}

static const char *const ev_names[] = {"state", "login", "logout", "arrive", "offer", "noanswer", "answer", "end"};

static void
on_event(const struct cc_event *e, void *arg)
{
	(void)arg;
	json_t *o = json_pack("{s:I,s:s}", "t", (json_int_t)e->t_ms, "type", ev_names[e->type]);
	if (o == NULL)
		return;
	if (e->call)
		json_object_set_new(o, "call", json_integer((json_int_t)e->call));
	if (e->queue[0])
		json_object_set_new(o, "queue", json_string(e->queue));
	if (e->agent[0])
		json_object_set_new(o, "agent", json_string(e->agent));
	if (e->reason[0])
		json_object_set_new(o, "reason", json_string(e->reason));
	if (e->type == CC_EV_AGENT_STATE) {
		json_object_set_new(o, "state", json_string(cc_agent_state_name(e->state)));
		json_object_set_new(o, "prev", json_string(cc_agent_state_name(e->prev)));
	}
	if (e->type == CC_EV_CALL_END) {
		struct cc_queue_conf q;
		uint32_t sl = cc_queue_get(e->queue, &q) == 0 ? q.sl_s : 0;
		json_object_set_new(o, "disp", json_string(cc_disposition_name(e->disp)));
		json_object_set_new(o, "talk", json_integer((json_int_t)e->talk_ms));
		json_t *cdr = json_pack(
			"{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:s,s:s,s:s}", "call", (json_int_t)e->call, "queue",
			e->queue, "agent", e->agent, "arrive", (json_int_t)e->arrive_ms, "answer",
			(json_int_t)e->answer_ms, "end", (json_int_t)e->t_ms, "wait",
			(json_int_t)((e->answer_ms ? e->answer_ms : e->t_ms) - e->arrive_ms), "talk",
			(json_int_t)e->talk_ms, "wrapup", (int)e->wrapup_s, "sl", (int)sl, "disp",
			cc_disposition_name(e->disp), "result", cc_result_name(e->result), "target", e->target);
		rec_push("cc_cdr", e->arrive_ms, cdr);
	}
	rec_push("cc_events", e->t_ms, o);
}

int
cc_records_attach(void)
{
	return cc_on_event(on_event, NULL);
}

size_t
cc_records_pending(void)
{
	return R.n;
}

int
cc_records_flush(void)
{
	MDB_env *env = td_store_env();
	MDB_txn *txn;
	MDB_dbi cdr, evs;
	int rc;

	if (R.n == 0)
		return 0;
	if (env == NULL)
		return -ENOTCONN;
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc)
		return td_store_errno(rc);
	rc = mdb_dbi_open(txn, "cc_cdr", 0, &cdr);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "cc_events", 0, &evs);
	for (size_t i = 0; rc == 0 && i < R.n; i++) {
		MDB_val k = {.mv_size = sizeof(R.v[i].key), .mv_data = R.v[i].key};
		MDB_val v = {.mv_size = strlen(R.v[i].text), .mv_data = R.v[i].text};
		rc = mdb_put(txn, strcmp(R.v[i].db, "cc_cdr") == 0 ? cdr : evs, &k, &v, 0);
	}
	rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	if (rc)
		return td_store_errno(rc);
	int n = (int)R.n;
	for (size_t i = 0; i < R.n; i++)
		free(R.v[i].text);
	R.n = 0;
	return n;
}

int
cc_records_walk(const char *db, uint64_t from, uint64_t to, void (*cb)(json_t *rec, void *arg), void *arg)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	uint8_t kb[12], end[12];
	int ret = txn_db(db, MDB_RDONLY, &txn, &dbi);
	if (ret < 0)
		return ret;
	ret = td_store_errno(mdb_cursor_open(txn, dbi, &cur));
	if (ret < 0) {
		mdb_txn_abort(txn);
		return ret;
	}
	key_make(kb, from, 0);
	key_make(end, to, 0);
	MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
	int n = 0;
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != sizeof(end) || memcmp(k.mv_data, end, sizeof(end)) >= 0)
			break;
		json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (o) {
			cb(o, arg);
			n++;
		}
		json_decref(o);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return n;
}
