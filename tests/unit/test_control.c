/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's management protocol and store, without sockets: every request
 * shape a client could send gets exactly one reply with the right status;
 * the longest registered command wins; a reply for a client that left is
 * dropped safely; the store keeps and checks its schema version.
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
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "mgmt/mgmt.h"
#include "store/store.h"

struct sink {
	int n;
	json_t *last;
};

static void
sink_cb(void *ctx, const char *line, size_t len)
{
	struct sink *s = ctx;
	json_error_t e;
	assert_true(len > 0 && line[len - 1] == '\n');
	json_decref(s->last);
	s->last = json_loadb(line, len - 1, 0, &e);
	assert_non_null(s->last);
	s->n++;
}

static int
status_of(struct sink *s)
{
	return (int)json_integer_value(json_object_get(s->last, "status"));
}

static const char *
text_of(struct sink *s)
{
	return json_string_value(json_object_get(s->last, "text"));
}

/* Commands of the test: "t" and "t deep", each echoing its arguments. */
static struct td_mgmt_req *held;

static void
echo_cb(struct td_mgmt_req *req, int argc, char **argv)
{
	td_mgmt_reply(req, 0, json_pack("{s:i,s:s}", "argc", argc, "first", argc ? argv[0] : ""), "shallow");
}

static void
deep_cb(struct td_mgmt_req *req, int argc, char **argv)
{
	(void)argv;
	td_mgmt_reply(req, 0, json_pack("{s:i}", "argc", argc), "deep");
}

static void
later_cb(struct td_mgmt_req *req, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	held = req; /* replied to later, as after a dataplane ack */
}

TD_CMD_REGISTER(t, "zz t", "[X]", "test", echo_cb)
TD_CMD_REGISTER(t_deep, "zz t deep", "", "test", deep_cb)
TD_CMD_REGISTER(t_later, "zz later", "", "test", later_cb)

static void
req(struct sink *s, const char *line)
{
	assert_int_equal(td_mgmt_handle_line(line, strlen(line), sink_cb, s), 0);
}

static void
test_dispatch_longest_prefix(void **state)
{
	(void)state;
	struct sink s = {0};
	req(&s, "{\"id\":7,\"argv\":[\"zz\",\"t\",\"deep\"]}");
	assert_int_equal(s.n, 1);
	assert_int_equal(status_of(&s), 0);
	assert_string_equal(text_of(&s), "deep");
	assert_int_equal(json_integer_value(json_object_get(s.last, "id")), 7);
	req(&s, "{\"id\":8,\"argv\":[\"zz\",\"t\",\"other\"]}");
	assert_string_equal(text_of(&s), "shallow");
	assert_string_equal(json_string_value(json_object_get(json_object_get(s.last, "data"), "first")), "other");
	json_decref(s.last);
}

static void
test_unknown_and_malformed(void **state)
{
	(void)state;
	struct sink s = {0};
	static const char *const bad[] = {
		"{\"id\":1,\"argv\":[\"show\",\"frobnicate\"]}", /* unknown */
		"not json at all",
		"[1,2,3]",
		"{\"id\":1}",
		"{\"id\":1,\"argv\":[]}",
		"{\"id\":1,\"argv\":\"help\"}",
		"{\"id\":1,\"argv\":[\"zz\",5]}",
		"{\"id\":1,\"argv\":[\"zz\",\"t\"],\"argv\":[]}", /* duplicate key */
		"",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int before = s.n;
		req(&s, bad[i]);
		assert_int_equal(s.n, before + 1);
		assert_int_equal(status_of(&s), 2);
		assert_null(strchr(text_of(&s), '\n'));
	}
	req(&s, "{\"id\":1,\"argv\":[\"show\",\"frobnicate\"]}");
	assert_string_equal(text_of(&s), "unknown command 'show frobnicate' (try 'help')");
	json_decref(s.last);
}

static void
test_deferred_reply_client_gone(void **state)
{
	(void)state;
	struct sink s = {0};
	req(&s, "{\"id\":3,\"argv\":[\"zz\",\"later\"]}");
	assert_int_equal(s.n, 0);
	assert_non_null(held);
	td_mgmt_sink_gone(&s);
	td_mgmt_reply(held, 0, json_object(), "too late");
	assert_int_equal(s.n, 0); /* dropped, not sent to a closed client */
	held = NULL;

	req(&s, "{\"id\":4,\"argv\":[\"zz\",\"later\"]}");
	td_mgmt_reply(held, 1, NULL, "failed %d", 42);
	assert_int_equal(s.n, 1);
	assert_int_equal(status_of(&s), 1);
	assert_string_equal(text_of(&s), "failed 42");
	json_decref(s.last);
}

static void
test_help_lists_commands(void **state)
{
	(void)state;
	struct sink s = {0};
	req(&s, "{\"id\":1,\"argv\":[\"help\"]}");
	assert_int_equal(status_of(&s), 0);
	json_t *cmds = json_object_get(json_object_get(s.last, "data"), "commands");
	size_t i;
	json_t *c;
	int seen = 0;
	json_array_foreach (cmds, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "words")), "zz t deep") == 0)
			seen++;
	}
	assert_int_equal(seen, 1);
	req(&s, "{\"id\":1,\"argv\":[\"help\",\"me\"]}");
	assert_int_equal(status_of(&s), 2);
	json_decref(s.last);
}

static void
test_store_schema(void **state)
{
	(void)state;
	char dir[] = "/tmp/td-store-XXXXXX", err[256];
	assert_non_null(mkdtemp(dir));
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_non_null(td_store_env());
	/* Pretend a store of another schema. */
	MDB_txn *txn;
	MDB_dbi dbi;
	int other = TD_STORE_SCHEMA + 4;
	MDB_val k = {6, "schema"}, v = {sizeof(other), &other};
	assert_int_equal(mdb_txn_begin(td_store_env(), NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	td_store_close();
	assert_int_equal(td_store_open(dir, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "store schema 5, this program uses schema 1"));
	assert_null(td_store_env());
	assert_int_equal(td_store_errno(MDB_MAP_FULL), -ENOSPC);
	assert_int_equal(td_store_errno(MDB_NOTFOUND), -ENOENT);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_longest_prefix),
		cmocka_unit_test(test_unknown_and_malformed),
		cmocka_unit_test(test_deferred_reply_client_gone),
		cmocka_unit_test(test_help_lists_commands),
		cmocka_unit_test(test_store_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
