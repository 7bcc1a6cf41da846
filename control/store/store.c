/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The LMDB environment: 1 GiB map, up to 32 named databases, the schema
 * version checked at open: written when the store is new, compared when it
 * is not, refused naming both versions when they differ. Event-loop thread
 * only; the environment is the process's one, opened once and closed at
 * stop (td_store_close is safe to call twice).
 */
#include <errno.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"

static MDB_env *env;

int
td_store_errno(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL: /* the map: records must wait for a larger one */
	case MDB_TXN_FULL: /* too many pages dirtied in one transaction */
	case MDB_DBS_FULL: /* more named databases than maxdbs */
	case MDB_TLS_FULL:
	case MDB_PAGE_FULL:
		return -ENOSPC;
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED: /* another process grew the map: retry */
		return -EAGAIN;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
		return -EPROTO;
	case MDB_BAD_VALSIZE:
	case MDB_BAD_DBI:
	case MDB_BAD_TXN:
	case MDB_BAD_RSLOT:
		return -EINVAL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_PANIC:
		return -EIO;
	default:
		/* LMDB passes system errors through as positive errno. */
		return rc > 0 ? -rc : -EIO;
	}
}

MDB_env *
td_store_env(void)
{
	return env;
}

/* The schema is a native-endian 32-bit integer under meta/"schema". */
static int
schema_check(const char *path, char *err, size_t errlen)
{
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	MDB_val key = {.mv_size = 6, .mv_data = "schema"}, val;
	int32_t have = 0;
	int rc;

	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot open the meta database: %s", path, mdb_strerror(rc));
		if (txn)
			mdb_txn_abort(txn);
		return td_store_errno(rc);
	}
	rc = mdb_get(txn, dbi, &key, &val);
	if (rc == MDB_NOTFOUND) {
		have = TD_STORE_SCHEMA;
		val = (MDB_val){.mv_size = sizeof(have), .mv_data = &have};
		rc = mdb_put(txn, dbi, &key, &val, 0);
		if (rc == 0) {
			rc = mdb_txn_commit(txn);
			if (rc != 0)
				snprintf(err, errlen, "%s: cannot write the schema version: %s", path,
					 mdb_strerror(rc));
			return td_store_errno(rc);
		}
	} else if (rc == 0) {
		bool sized = val.mv_size == sizeof(have);
		if (sized)
			memcpy(&have, val.mv_data, sizeof(have));
		mdb_txn_abort(txn);
		if (!sized) {
			snprintf(err, errlen,
				 "%s: store schema unreadable (%zu-byte value), this program uses schema %d", path,
				 val.mv_size, TD_STORE_SCHEMA);
			return -EPROTO;
		}
		if (have != TD_STORE_SCHEMA) {
			snprintf(err, errlen, "%s: store schema %d, this program uses schema %d", path, (int)have,
				 TD_STORE_SCHEMA);
			return -EPROTO;
		}
		return 0;
	}
	mdb_txn_abort(txn);
	snprintf(err, errlen, "%s: cannot read the schema version: %s", path, mdb_strerror(rc));
	return td_store_errno(rc);
}

int
td_store_open(const char *state_dir, char *err, size_t errlen)
{
	char path[4096];
	int rc;

	if (env != NULL) {
		snprintf(err, errlen, "the store is already open");
		return -EALREADY;
	}
	snprintf(path, sizeof(path), "%s/lmdb", state_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = mdb_env_create(&env);
	if (rc == 0)
		rc = mdb_env_set_mapsize(env, TD_STORE_MAP_SIZE);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, TD_STORE_MAX_DBS);
	if (rc == 0)
		rc = mdb_env_open(env, path, MDB_NOTLS, 0600);
	if (rc != 0) {
		snprintf(err, errlen, "cannot open LMDB in %s: %s", path, mdb_strerror(rc));
		td_store_close();
		return td_store_errno(rc);
	}
	rc = schema_check(path, err, errlen);
	if (rc < 0)
		td_store_close();
	return rc;
}

void
td_store_close(void)
{
	if (env)
		mdb_env_close(env);
	env = NULL;
}

/* A transaction and the handle of an existing database db. */
static int
txn_db(const char *db, unsigned int flags, MDB_txn **txn, MDB_dbi *dbi)
{
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
td_store_dbs_create(const char *const *names, size_t n, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;
	if (env == NULL) {
		snprintf(err, errlen, "the store is not open");
		return -ENOTCONN;
	}
	rc = mdb_txn_begin(env, NULL, 0, &txn);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = mdb_dbi_open(txn, names[i], MDB_CREATE, &dbi);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	if (rc)
		snprintf(err, errlen, "cannot open the store's databases: %s", mdb_strerror(rc));
	return td_store_errno(rc);
}

int
td_store_json_put(const char *db, const char *key, json_t *o)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int ret;
	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	ret = txn_db(db, 0, &txn, &dbi);
	if (ret == 0) {
		MDB_val k = {.mv_size = strlen(key), .mv_data = (void *)key};
		MDB_val v = {.mv_size = strlen(text), .mv_data = text};
		int rc = mdb_put(txn, dbi, &k, &v, 0);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
		ret = td_store_errno(rc);
	}
	free(text);
	return ret;
}

int
td_store_json_del(const char *db, const char *key)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	int ret = txn_db(db, 0, &txn, &dbi);
	if (ret < 0)
		return ret;
	MDB_val k = {.mv_size = strlen(key), .mv_data = (void *)key};
	int rc = mdb_del(txn, dbi, &k, NULL);
	rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	return td_store_errno(rc);
}

int
td_store_json_foreach(const char *db, int (*cb)(const char *name, json_t *o, void *arg), void *arg)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	int ret = txn_db(db, MDB_RDONLY, &txn, &dbi);
	if (ret < 0)
		return ret;
	ret = td_store_errno(mdb_cursor_open(txn, dbi, &cur));
	if (ret < 0) {
		mdb_txn_abort(txn);
		return ret;
	}
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && ret == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char name[128];
		json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (o == NULL || k.mv_size >= sizeof(name)) {
			json_decref(o);
			ret = -EIO;
			break;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		ret = cb(name, o, arg);
		json_decref(o);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return ret;
}

int
td_store_json_get(const char *db, const char *key, json_t **out)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	int ret = txn_db(db, MDB_RDONLY, &txn, &dbi);
	if (ret < 0)
		return ret;
	MDB_val k = {.mv_size = strlen(key), .mv_data = (void *)key}, v;
	ret = td_store_errno(mdb_get(txn, dbi, &k, &v));
	if (ret == 0) {
		*out = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		ret = *out ? 0 : -EIO;
	}
	mdb_txn_abort(txn);
	return ret;
}

int
td_store_json_last(const char *db, unsigned int max, void (*cb)(const char *key, json_t *o, void *arg), void *arg)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned int n = 0;
	int ret = txn_db(db, MDB_RDONLY, &txn, &dbi);
	if (ret < 0)
		return ret;
	ret = td_store_errno(mdb_cursor_open(txn, dbi, &cur));
	if (ret < 0) {
		mdb_txn_abort(txn);
		return ret;
	}
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST); rc == 0 && n < max;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
		char key[128];
		json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (o == NULL || k.mv_size >= sizeof(key)) {
			json_decref(o);
			continue; /* not ours: skipped, not fatal for a listing */
		}
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		cb(key, o, arg);
		json_decref(o);
		n++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return (int)n;
}
