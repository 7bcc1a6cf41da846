/* SPDX-License-Identifier: BSD-3-Clause */
/* Established calls in LMDB: see the header. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "call_store.h"
#include "store/store.h"

static MDB_dbi dbi;
static MDB_env *env;

int
call_store_open(char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc;

	env = td_store_env();
	if (env == NULL) {
		snprintf(err, errlen, "calls: the store is not open");
		return -ENOTCONN;
	}
	rc = mdb_env_set_flags(env, MDB_NOSYNC, 1);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_dbi_open(txn, "calls", MDB_CREATE | MDB_INTEGERKEY, &dbi);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	if (rc) {
		snprintf(err, errlen, "cannot open the calls database: %s", mdb_strerror(rc));
		env = NULL;
		return td_store_errno(rc);
	}
	return 0;
}

int
call_store_put(uint32_t id, json_t *rec)
{
	MDB_txn *txn;
	char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	int rc;

	json_decref(rec);
	if (env == NULL || env != td_store_env()) {
		free(text);
		return -ENOTCONN;
	}
	if (text == NULL)
		return -ENOMEM;
	MDB_val key = {.mv_size = sizeof(id), .mv_data = &id};
	MDB_val val = {.mv_size = strlen(text), .mv_data = text};
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_put(txn, dbi, &key, &val, 0);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	free(text);
	return td_store_errno(rc);
}

int
call_store_del(uint32_t id)
{
	MDB_txn *txn;
	MDB_val key = {.mv_size = sizeof(id), .mv_data = &id};
	int rc;

	if (env == NULL || env != td_store_env())
		return -ENOTCONN;
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_del(txn, dbi, &key, NULL);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	return td_store_errno(rc);
}

int
call_store_foreach(void (*cb)(uint32_t id, json_t *rec, void *arg), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	int rc;

	if (env == NULL || env != td_store_env())
		return -ENOTCONN;
	rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return td_store_errno(rc);
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc) {
		mdb_txn_abort(txn);
		return td_store_errno(rc);
	}
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		uint32_t id;
		json_t *rec;
		if (key.mv_size != sizeof(id))
			continue;
		memcpy(&id, key.mv_data, sizeof(id));
		rec = json_loadb(val.mv_data, val.mv_size, 0, NULL);
		if (rec)
			cb(id, rec, arg);
		json_decref(rec);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return 0;
}

void
call_store_sync(void)
{
	if (env && env == td_store_env())
		mdb_env_sync(env, 1);
}
