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
