/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP users in a real LMDB store in a temporary folder: add, get, delete,
 * duplicates, bad names and fields, password changes, name order, records
 * this code did not write, persistence across a close and reopen of the
 * store, and the HA1 values against MD5/SHA-256 computed here on their own.
 * The user commands are driven through the management dispatcher.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <lmdb.h>
#include <openssl/evp.h>

#include "cli_run.h"
#include "mgmt/mgmt.h"
#include "store/store.h"
#include "store/users.h"

static char dir[64];
static char err[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/td-users-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(td_users_open(err, sizeof(err)), 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	td_store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* hex(md(text)), computed without the code under test. */
static void
digest_hex(const EVP_MD *md, const char *text, char *out)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	assert_int_equal(EVP_Digest(text, strlen(text), h, &hl, md, NULL), 1);
	for (unsigned int i = 0; i < hl; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

static void
test_add_get(void **state)
{
	struct td_user u;
	char md5[33], sha[65];
	time_t before = time(NULL);
	(void)state;

	assert_int_equal(td_user_add("1001", "Circle of Life", "Front Desk", NULL, err, sizeof(err)), 0);
	memset(&u, 0x5a, sizeof(u));
	assert_int_equal(td_user_get("1001", &u), 0);
	assert_string_equal(u.name, "1001");
	assert_string_equal(u.display, "Front Desk");
	assert_string_equal(u.realm, TD_SIP_REALM_DEFAULT);
	assert_int_equal(u.max_contacts, TD_USER_CONTACTS_DEFAULT);
	assert_true(u.created >= (uint64_t)before && u.created <= (uint64_t)time(NULL));
	digest_hex(EVP_md5(), "1001:tongdai:Circle of Life", md5);
	digest_hex(EVP_sha256(), "1001:tongdai:Circle of Life", sha);
	assert_string_equal(u.ha1_md5, md5);
	assert_string_equal(u.ha1_sha256, sha);

	/* Another realm is part of the hash; no display name is empty. */
	assert_int_equal(td_user_add("alice.b_c-d+e", "pw", NULL, "pbx.example", err, sizeof(err)), 0);
	assert_int_equal(td_user_get("alice.b_c-d+e", &u), 0);
	assert_string_equal(u.display, "");
	assert_string_equal(u.realm, "pbx.example");
	digest_hex(EVP_md5(), "alice.b_c-d+e:pbx.example:pw", md5);
	assert_string_equal(u.ha1_md5, md5);

	/* The password itself is nowhere in the database. */
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {4, "1001"}, v;
	assert_int_equal(mdb_txn_begin(td_store_env(), NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "users", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	assert_null(memmem(v.mv_data, v.mv_size, "Circle", 6));
	mdb_txn_abort(txn);

	assert_int_equal(td_user_get("1002", &u), -ENOENT);
	assert_int_equal(td_user_get("", &u), -ENOENT);
	assert_int_equal(td_user_get("a-name-longer-than-thirty-two-chars", &u), -ENOENT);
}

static void
test_duplicate_and_delete(void **state)
{
	struct td_user u;
	(void)state;

	assert_int_equal(td_user_add("1001", "one", NULL, NULL, err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(td_user_add("1001", "two", NULL, NULL, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists"));
	/* The first password stands. */
	char md5[33];
	digest_hex(EVP_md5(), "1001:tongdai:one", md5);
	assert_int_equal(td_user_get("1001", &u), 0);
	assert_string_equal(u.ha1_md5, md5);

	assert_int_equal(td_user_del("1001"), 0);
	assert_int_equal(td_user_get("1001", &u), -ENOENT);
	assert_int_equal(td_user_del("1001"), -ENOENT);
	assert_int_equal(td_user_del(""), -ENOENT);
	/* Deleted, the name is free again. */
	assert_int_equal(td_user_add("1001", "three", NULL, NULL, err, sizeof(err)), 0);
}

static void
test_bad_input(void **state)
{
	static const char *const bad_names[] = {
		"",    "123456789012345678901234567890123", "a b", "a/b", "a:b", "a\"b", "a@b", "caf\xc3\xa9", "a\nb",
		"a;b",
	};
	struct td_user u;
	char longtext[200];
	(void)state;

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		err[0] = '\0';
		assert_int_equal(td_user_add(bad_names[i], "pw", NULL, NULL, err, sizeof(err)), -EINVAL);
		assert_true(strlen(err) > 0);
		assert_int_equal(td_user_name_check(bad_names[i], err, sizeof(err)), -EINVAL);
	}
	assert_int_equal(td_user_name_check("12345678901234567890123456789012", err, sizeof(err)), 0);
	assert_int_equal(td_user_add("12345678901234567890123456789012", "pw", NULL, NULL, err, sizeof(err)), 0);

	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	err[0] = '\0';
	assert_int_equal(td_user_add("2001", "", NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "password"));
	assert_int_equal(td_user_add("2001", longtext, NULL, NULL, err, sizeof(err)), -EINVAL);
	longtext[64] = '\0';
	assert_int_equal(td_user_add("2001", "pw", longtext, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "display"));
	assert_int_equal(td_user_add("2001", "pw", "two\nlines", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(td_user_add("2001", "pw", NULL, longtext, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "realm"));
	assert_int_equal(td_user_add("2001", "pw", NULL, "", err, sizeof(err)), -EINVAL);
	assert_int_equal(td_user_add("2001", "pw", NULL, "a\"b", err, sizeof(err)), -EINVAL);
	assert_int_equal(td_user_add("2001", "pw", NULL, "a\\b", err, sizeof(err)), -EINVAL);
	assert_int_equal(td_user_add("2001", "pw", NULL, "a\r\nb", err, sizeof(err)), -EINVAL);
	/* None of these left a user behind. */
	assert_int_equal(td_user_get("2001", &u), -ENOENT);
	/* A display name of exactly 63 characters fits. */
	longtext[63] = '\0';
	assert_int_equal(td_user_add("2001", "pw", longtext, NULL, err, sizeof(err)), 0);
	assert_int_equal(td_user_get("2001", &u), 0);
	assert_string_equal(u.display, longtext);
}

static void
test_set_password(void **state)
{
	struct td_user before, after;
	char md5[33], sha[65];
	(void)state;

	assert_int_equal(td_user_add("1001", "old", "Desk", "r1", err, sizeof(err)), 0);
	assert_int_equal(td_user_get("1001", &before), 0);
	assert_int_equal(td_user_set_password("1001", "new secret", err, sizeof(err)), 0);
	assert_int_equal(td_user_get("1001", &after), 0);
	digest_hex(EVP_md5(), "1001:r1:new secret", md5);
	digest_hex(EVP_sha256(), "1001:r1:new secret", sha);
	assert_string_equal(after.ha1_md5, md5);
	assert_string_equal(after.ha1_sha256, sha);
	assert_string_equal(after.display, "Desk");
	assert_string_equal(after.realm, "r1");
	assert_int_equal(after.created, before.created);

	err[0] = '\0';
	assert_int_equal(td_user_set_password("9999", "x", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no user 9999"));
	assert_int_equal(td_user_set_password("1001", "", err, sizeof(err)), -EINVAL);
	assert_int_equal(td_user_get("1001", &after), 0);
	assert_string_equal(after.ha1_md5, md5); /* unchanged by the refusal */
}

struct names {
	char list[8][33];
	int n, stop_at;
};

static int
collect(const struct td_user *u, void *arg)
{
	struct names *w = arg;
	snprintf(w->list[w->n], sizeof(w->list[0]), "%s", u->name);
	w->n++;
	return w->n == w->stop_at ? 42 : 0;
}

static void
test_foreach(void **state)
{
	static const char *const names[] = {"b", "a", "9", "10", "B"};
	struct names w = {0};
	(void)state;

	assert_int_equal(td_user_foreach(collect, &w), 0);
	assert_int_equal(w.n, 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(td_user_add(names[i], "pw", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(td_user_foreach(collect, &w), 0);
	assert_int_equal(w.n, 5);
	/* Byte order of the names. */
	assert_string_equal(w.list[0], "10");
	assert_string_equal(w.list[1], "9");
	assert_string_equal(w.list[2], "B");
	assert_string_equal(w.list[3], "a");
	assert_string_equal(w.list[4], "b");
	/* A callback's non-zero return stops the walk and is returned. */
	w = (struct names){.stop_at = 2};
	assert_int_equal(td_user_foreach(collect, &w), 42);
	assert_int_equal(w.n, 2);
}

/* A record written by something else is an error, not a user. */
static void
test_foreign_record(void **state)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {4, "6666"}, v = {8, "not json"};
	struct td_user u;
	struct names w = {0};
	(void)state;

	assert_int_equal(td_user_add("1001", "pw", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(mdb_txn_begin(td_store_env(), NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "users", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_int_equal(td_user_get("6666", &u), -EIO);
	assert_int_equal(td_user_foreach(collect, &w), -EIO);
	assert_int_equal(w.n, 1); /* 1001, then the bad one */
	assert_int_equal(td_user_get("1001", &u), 0);
}

static void
test_persistence(void **state)
{
	struct td_user a, b;
	(void)state;

	assert_int_equal(td_user_add("1001", "pw", "Desk", NULL, err, sizeof(err)), 0);
	assert_int_equal(td_user_get("1001", &a), 0);
	td_store_close();
	/* No store: every call says so. */
	assert_int_equal(td_user_get("1001", &b), -ENOTCONN);
	assert_int_equal(td_user_add("1002", "pw", NULL, NULL, err, sizeof(err)), -ENOTCONN);
	assert_int_equal(td_user_del("1001"), -ENOTCONN);
	assert_int_equal(td_users_open(err, sizeof(err)), -ENOTCONN);

	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(td_users_open(err, sizeof(err)), 0);
	assert_int_equal(td_user_get("1001", &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(td_user_add("1001", "pw", NULL, NULL, err, sizeof(err)), -EEXIST);
}

/* A store in which the users database was never made. */
static void
test_not_open(void **state)
{
	char other[64], cmd[128];
	struct td_user u;
	(void)state;

	td_store_close();
	snprintf(other, sizeof(other), "/tmp/td-users-XXXXXX");
	assert_non_null(mkdtemp(other));
	assert_int_equal(td_store_open(other, err, sizeof(err)), 0);
	assert_int_equal(td_user_get("1001", &u), -ENOTCONN);
	err[0] = '\0';
	assert_int_equal(td_user_add("1001", "pw", NULL, NULL, err, sizeof(err)), -ENOTCONN);
	assert_non_null(strstr(err, "not open"));
	td_store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", other);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
}

/* ---- the commands, through the management dispatcher ---- */

static void
test_commands(void **state)
{
	struct cli_sink s = {0};
	struct td_user u;
	(void)state;

	assert_int_equal(cli_run(&s, "[\"user\", \"add\", \"1001\", \"pw1\", \"display\", \"Front Desk\"]"), 0);
	assert_int_equal(cli_run(&s, "[\"user\", \"add\", \"1002\", \"pw2\", \"realm\", \"pbx.example\"]"), 0);
	assert_int_equal(td_user_get("1001", &u), 0);
	assert_string_equal(u.display, "Front Desk");
	assert_int_equal(td_user_get("1002", &u), 0);
	assert_string_equal(u.realm, "pbx.example");

	/* Usage errors: status 2 with the reason. */
	assert_int_equal(cli_run(&s, "[\"user\", \"add\", \"1003\"]"), 2);
	assert_non_null(strstr(cli_text(&s), "<password>"));
	assert_int_equal(cli_run(&s, "[\"user\", \"add\", \"bad name\", \"pw\"]"), 2);
	assert_non_null(strstr(cli_text(&s), "bad character"));
	assert_int_equal(cli_run(&s, "[\"user\", \"add\", \"1003\", \"pw\", \"display\"]"), 2);
	assert_non_null(strstr(cli_text(&s), "needs a value"));
	assert_int_equal(cli_run(&s, "[\"user\", \"add\", \"1003\", \"pw\", \"colour\", \"red\"]"), 2);
	assert_non_null(strstr(cli_text(&s), "unknown option"));
	assert_int_equal(cli_run(&s, "[\"user\", \"del\"]"), 2);
	assert_int_equal(cli_run(&s, "[\"user\", \"del\", \"a/b\"]"), 2);
	assert_int_equal(cli_run(&s, "[\"user\", \"passwd\", \"1001\"]"), 2);
	assert_int_equal(cli_run(&s, "[\"user\", \"passwd\", \"a b\", \"x\"]"), 2);
	assert_int_equal(cli_run(&s, "[\"show\", \"users\", \"extra\"]"), 2);
	assert_int_equal(td_user_get("1003", &u), -ENOENT);

	/* Failures: status 1. */
	assert_int_equal(cli_run(&s, "[\"user\", \"add\", \"1001\", \"pw\"]"), 1);
	assert_non_null(strstr(cli_text(&s), "exists"));
	assert_int_equal(cli_run(&s, "[\"user\", \"del\", \"9999\"]"), 1);
	assert_non_null(strstr(cli_text(&s), "no user 9999"));
	assert_int_equal(cli_run(&s, "[\"user\", \"passwd\", \"9999\", \"x\"]"), 1);

	/* show users: text and data. */
	assert_int_equal(cli_run(&s, "[\"show\", \"users\"]"), 0);
	assert_non_null(strstr(cli_text(&s), "Front Desk"));
	assert_non_null(strstr(cli_text(&s), "pbx.example"));
	assert_non_null(strstr(cli_text(&s), "2 user(s)"));
	json_t *list = json_object_get(json_object_get(s.last, "data"), "users");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")), "1001");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "realm")), "pbx.example");
	assert_null(json_object_get(json_array_get(list, 0), "ha1_md5")); /* hashes stay inside */

	assert_int_equal(cli_run(&s, "[\"user\", \"passwd\", \"1001\", \"pw-new\"]"), 0);
	char md5[33];
	digest_hex(EVP_md5(), "1001:tongdai:pw-new", md5);
	assert_int_equal(td_user_get("1001", &u), 0);
	assert_string_equal(u.ha1_md5, md5);

	assert_int_equal(cli_run(&s, "[\"user\", \"del\", \"1001\"]"), 0);
	assert_int_equal(td_user_get("1001", &u), -ENOENT);
	assert_int_equal(cli_run(&s, "[\"show\", \"users\"]"), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(s.last, "data"), "users")), 1);
	json_decref(s.last);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
