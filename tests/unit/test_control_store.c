/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's store in a temporary folder: a new store gets its lmdb folder
 * and schema 1; reopening checks it; a store of another schema (or an
 * unreadable one) is refused naming both versions; LMDB codes come back as
 * -errno; close is clean and may be repeated.
 */
#include <errno.h>
#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/td-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	char cmd[128];
	td_store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Write meta/schema as a value of len bytes. */
static void
put_schema(const void *val, size_t len)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {6, "schema"}, v = {len, (void *)(uintptr_t)val};
	assert_int_equal(mdb_txn_begin(td_store_env(), NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
}

static void
test_new_store(void **state)
{
	(void)state;
	char err[256] = "", path[128];
	struct stat st;

	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_non_null(td_store_env());
	snprintf(path, sizeof(path), "%s/lmdb/data.mdb", dir);
	assert_int_equal(stat(path, &st), 0);

	MDB_envinfo info;
	assert_int_equal(mdb_env_info(td_store_env(), &info), 0);
	assert_int_equal(info.me_mapsize, TD_STORE_MAP_SIZE);

	/* The schema is written. */
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {6, "schema"}, v;
	int32_t have;
	assert_int_equal(mdb_txn_begin(td_store_env(), NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	assert_int_equal(v.mv_size, sizeof(have));
	memcpy(&have, v.mv_data, sizeof(have));
	assert_int_equal(have, TD_STORE_SCHEMA);
	mdb_txn_abort(txn);

	/* Twice open is refused; close twice is harmless; reopen checks. */
	assert_int_equal(td_store_open(dir, err, sizeof(err)), -EALREADY);
	td_store_close();
	td_store_close();
	assert_null(td_store_env());
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
}

static void
test_other_schema(void **state)
{
	(void)state;
	char err[256];
	int32_t other = TD_STORE_SCHEMA + 6;

	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	put_schema(&other, sizeof(other));
	td_store_close();
	assert_int_equal(td_store_open(dir, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "store schema 7, this program uses schema 1"));
	assert_non_null(strstr(err, dir)); /* and which store */
	assert_null(td_store_env());
}

static void
test_unreadable_schema(void **state)
{
	(void)state;
	char err[256];

	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	put_schema("x", 1);
	td_store_close();
	assert_int_equal(td_store_open(dir, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "schema 1"));
	assert_null(td_store_env());
}

static void
test_cannot_create(void **state)
{
	(void)state;
	char err[256] = "", path[128];

	snprintf(path, sizeof(path), "%s/missing/deeper", dir);
	assert_int_equal(td_store_open(path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot create"));
	assert_null(td_store_env());
}

static void
test_errno_map(void **state)
{
	(void)state;
	assert_int_equal(td_store_errno(MDB_SUCCESS), 0);
	assert_int_equal(td_store_errno(MDB_MAP_FULL), -ENOSPC);
	assert_int_equal(td_store_errno(MDB_TXN_FULL), -ENOSPC);
	assert_int_equal(td_store_errno(MDB_DBS_FULL), -ENOSPC);
	assert_int_equal(td_store_errno(MDB_NOTFOUND), -ENOENT);
	assert_int_equal(td_store_errno(MDB_KEYEXIST), -EEXIST);
	assert_int_equal(td_store_errno(MDB_READERS_FULL), -EAGAIN);
	assert_int_equal(td_store_errno(MDB_CORRUPTED), -EIO);
	assert_int_equal(td_store_errno(MDB_VERSION_MISMATCH), -EPROTO);
	assert_int_equal(td_store_errno(MDB_BAD_VALSIZE), -EINVAL);
	assert_int_equal(td_store_errno(EACCES), -EACCES); /* system errors pass through */
	assert_int_equal(td_store_errno(-12345), -EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_create, setup, teardown),
		cmocka_unit_test(test_errno_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
