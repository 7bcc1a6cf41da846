/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The LMDB environment: 1 GiB map, up to 32 named databases, the schema
 * version checked at open. Event-loop thread only.
 */
#include <errno.h>
#include <lmdb.h>
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
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_READERS_FULL:
		return -EAGAIN;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		return -EPROTO;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

MDB_env *
td_store_env(void)
{
	return env;
}

static int
schema_check(char *err, size_t errlen)
{
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	MDB_val key = {.mv_size = 6, .mv_data = "schema"}, val;
	int rc, have;

	rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi);
	if (rc != 0) {
		snprintf(err, errlen, "cannot open the meta database: %s", mdb_strerror(rc));
		if (txn)
			mdb_txn_abort(txn);
		return td_store_errno(rc);
	}
	rc = mdb_get(txn, dbi, &key, &val);
	if (rc == MDB_NOTFOUND) {
		have = TD_STORE_SCHEMA;
		val = (MDB_val){.mv_size = sizeof(have), .mv_data = &have};
		rc = mdb_put(txn, dbi, &key, &val, 0);
		if (rc == 0)
			return td_store_errno(mdb_txn_commit(txn));
	} else if (rc == 0) {
		memcpy(&have, val.mv_data, val.mv_size < sizeof(have) ? val.mv_size : sizeof(have));
		mdb_txn_abort(txn);
		if (val.mv_size != sizeof(have) || have != TD_STORE_SCHEMA) {
			snprintf(err, errlen, "store schema %d, this program uses schema %d", have, TD_STORE_SCHEMA);
			return -EPROTO;
		}
		return 0;
	}
	mdb_txn_abort(txn);
	snprintf(err, errlen, "cannot read the schema version: %s", mdb_strerror(rc));
	return td_store_errno(rc);
}

int
td_store_open(const char *state_dir, char *err, size_t errlen)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/lmdb", state_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	rc = mdb_env_create(&env);
	if (rc == 0)
		rc = mdb_env_set_mapsize(env, (size_t)1 << 30);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, 32);
	if (rc == 0)
		rc = mdb_env_open(env, path, MDB_NOTLS, 0600);
	if (rc != 0) {
		snprintf(err, errlen, "cannot open LMDB in %s: %s", path, mdb_strerror(rc));
		td_store_close();
		return td_store_errno(rc);
	}
	rc = schema_check(err, errlen);
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
