/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's management protocol: dispatch (longest prefix, unknown command
 * and bad argument are status 2), request parsing (malformed, oversized,
 * missing argv: one status-2 reply each, never a crash), deferred replies,
 * help, and the unix-socket server on the real event loop: many clients,
 * split and pipelined lines, an oversized line, a client that leaves before
 * its deferred reply, the socket's mode and what it may replace.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "loop.h"
#include "mgmt/mgmt.h"

/* ---- replies captured without a socket ---- */

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
	assert_null(memchr(line, '\n', len - 1)); /* one line per reply */
	json_decref(s->last);
	s->last = json_loadb(line, len - 1, 0, &e);
	assert_non_null(s->last);
	s->n++;
}

static int
status_of(const struct sink *s)
{
	return (int)json_integer_value(json_object_get(s->last, "status"));
}

static const char *
text_of(const struct sink *s)
{
	return json_string_value(json_object_get(s->last, "text"));
}

static void
send_line(struct sink *s, const char *line)
{
	assert_int_equal(td_mgmt_handle_line(line, strlen(line), sink_cb, s), 0);
}

/* Commands of the test, under "qq" so that they meet nothing real. */
static struct td_mgmt_req *held;
static int held_argc;

static void
one_cb(struct td_mgmt_req *req, int argc, char **argv)
{
	td_mgmt_reply(req, 0, json_pack("{s:s,s:i}", "cmd", "one", "argc", argc), "one %s", argc ? argv[0] : "-");
}

static void
two_cb(struct td_mgmt_req *req, int argc, char **argv)
{
	td_mgmt_reply(req, 0, json_pack("{s:s,s:i}", "cmd", "two", "argc", argc), "two %s", argc ? argv[0] : "-");
}

static void
noarg_cb(struct td_mgmt_req *req, int argc, char **argv)
{
	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	td_mgmt_reply(req, 0, NULL, "fine");
}

static void
later_cb(struct td_mgmt_req *req, int argc, char **argv)
{
	(void)argv;
	held = req; /* answered later, as after a dataplane ack */
	held_argc = argc;
}

TD_CMD_REGISTER(qq_one, "qq one", "[X]", "test: one word", one_cb)
TD_CMD_REGISTER(qq_one_two, "qq one two", "[X]", "test: two words", two_cb)
TD_CMD_REGISTER(qq_noarg, "qq noarg", "", "test: takes nothing", noarg_cb)
TD_CMD_REGISTER(qq_later, "qq later", "", "test: replies later", later_cb)

static void
test_dispatch(void **state)
{
	(void)state;
	struct sink s = {0};

	send_line(&s, "{\"id\":5,\"argv\":[\"qq\",\"one\",\"two\",\"x\"]}");
	assert_int_equal(s.n, 1);
	assert_int_equal(status_of(&s), 0);
	assert_string_equal(text_of(&s), "two x"); /* the longer prefix wins */
	assert_int_equal(json_integer_value(json_object_get(s.last, "id")), 5);

	send_line(&s, "{\"id\":6,\"argv\":[\"qq\",\"one\",\"three\"]}");
	assert_string_equal(text_of(&s), "one three");

	send_line(&s, "{\"id\":7,\"argv\":[\"qq\",\"one\"]}");
	assert_string_equal(text_of(&s), "one -");

	/* A prefix of a word is not the word. */
	send_line(&s, "{\"id\":8,\"argv\":[\"qq\",\"on\"]}");
	assert_int_equal(status_of(&s), 2);
	assert_string_equal(text_of(&s), "unknown command 'qq on' (try 'help')");

	send_line(&s, "{\"id\":9,\"argv\":[\"show\",\"foo\"]}");
	assert_int_equal(status_of(&s), 2);
	assert_string_equal(text_of(&s), "unknown command 'show foo' (try 'help')");
	assert_int_equal(json_integer_value(json_object_get(s.last, "id")), 9);

	send_line(&s, "{\"id\":10,\"argv\":[\"qq\",\"noarg\",\"extra\"]}");
	assert_int_equal(status_of(&s), 2);
	assert_string_equal(text_of(&s), "unexpected argument 'extra' (qq noarg takes none)");
	send_line(&s, "{\"id\":11,\"argv\":[\"qq\",\"noarg\"],\"json\":true}");
	assert_int_equal(status_of(&s), 0);
	assert_true(json_is_object(json_object_get(s.last, "data")));

	/* Real commands refuse extra words the same way. */
	send_line(&s, "{\"id\":12,\"argv\":[\"show\",\"version\",\"now\"]}");
	assert_int_equal(status_of(&s), 2);
	send_line(&s, "{\"id\":13,\"argv\":[\"show\",\"dataplane\",\"x\"]}");
	assert_int_equal(status_of(&s), 2);
	send_line(&s, "{\"id\":14,\"argv\":[\"show\",\"dataplane\"]}");
	assert_int_equal(status_of(&s), 1); /* no dataplane in a unit test */
	assert_memory_equal(text_of(&s), "dataplane not running", 21);
	assert_false(json_is_true(json_object_get(json_object_get(s.last, "data"), "running")));
	json_decref(s.last);
}

static void
test_malformed_requests(void **state)
{
	(void)state;
	struct sink s = {0};
	static const char *const bad[] = {
		"",
		"not json at all",
		"{\"id\":1,\"argv\":[\"help\"]", /* truncated */
		"[\"help\"]",			 /* not an object */
		"42",
		"{\"id\":1}",			    /* no argv */
		"{\"id\":1,\"argv\":[]}",	    /* empty argv */
		"{\"id\":1,\"argv\":\"help\"}",	    /* argv not an array */
		"{\"id\":1,\"argv\":[\"help\",5]}", /* a word not a string */
		"{\"id\":1,\"argv\":[null]}",
		"{\"id\":\"x\",\"argv\":[\"help\"]}",	      /* id not an integer */
		"{\"id\":1,\"argv\":[\"help\"],\"json\":1}",  /* json not a boolean */
		"{\"id\":1,\"argv\":[\"help\"],\"argv\":[]}", /* duplicate key */
		"{\"id\":1,\"argv\":[\"a\\u0000b\"]}",	      /* NUL inside a word */
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int before = s.n;
		send_line(&s, bad[i]);
		assert_int_equal(s.n, before + 1);
		assert_int_equal(status_of(&s), 2);
		assert_non_null(text_of(&s));
		assert_memory_equal(text_of(&s), "bad request", 11);
	}

	/* 65 words: one too many. */
	char many[1024] = "{\"id\":1,\"argv\":[";
	for (int i = 0; i < TD_MGMT_MAX_ARGS + 1; i++)
		strcat(many, i ? ",\"w\"" : "\"w\"");
	strcat(many, "]}");
	send_line(&s, many);
	assert_int_equal(status_of(&s), 2);

	/* Oversized: a valid request padded past the limit is still refused. */
	size_t big = TD_MGMT_MAX_LINE + 100;
	char *line = malloc(big + 1);
	assert_non_null(line);
	int n = snprintf(line, big + 1, "{\"id\":77,\"argv\":[\"help\"],\"pad\":\"");
	memset(line + n, 'x', big - (size_t)n - 2);
	memcpy(line + big - 2, "\"}", 2);
	line[big] = '\0';
	send_line(&s, line);
	assert_int_equal(status_of(&s), 2);
	assert_non_null(strstr(text_of(&s), "longer than 65536"));
	free(line);

	/* A carriage return before the newline is tolerated. */
	send_line(&s, "{\"id\":2,\"argv\":[\"qq\",\"one\"]}\r");
	assert_int_equal(status_of(&s), 0);
	json_decref(s.last);
}

static void
test_deferred_reply(void **state)
{
	(void)state;
	struct sink s = {0};

	send_line(&s, "{\"id\":3,\"argv\":[\"qq\",\"later\"]}");
	assert_int_equal(s.n, 0);
	assert_non_null(held);
	td_mgmt_sink_gone(&s); /* the client left */
	td_mgmt_reply(held, 0, json_pack("{s:i}", "x", 1), "too late");
	assert_int_equal(s.n, 0);
	held = NULL;

	send_line(&s, "{\"id\":4,\"argv\":[\"qq\",\"later\"]}");
	td_mgmt_reply(held, 1, NULL, "failed after %d ms", 42);
	held = NULL;
	assert_int_equal(s.n, 1);
	assert_int_equal(status_of(&s), 1);
	assert_string_equal(text_of(&s), "failed after 42 ms");
	assert_int_equal(json_integer_value(json_object_get(s.last, "id")), 4);
	json_decref(s.last);
}

static void
test_help(void **state)
{
	(void)state;
	struct sink s = {0};

	send_line(&s, "{\"id\":1,\"argv\":[\"help\"]}");
	assert_int_equal(status_of(&s), 0);
	json_t *cmds = json_object_get(json_object_get(s.last, "data"), "commands");
	assert_true(json_is_array(cmds));
	size_t i;
	json_t *c;
	int seen = 0;
	json_array_foreach (cmds, i, c) {
		const char *w = json_string_value(json_object_get(c, "words"));
		assert_non_null(w);
		assert_true(json_is_string(json_object_get(c, "args")));
		assert_true(json_is_string(json_object_get(c, "help")));
		if (strcmp(w, "qq one two") == 0 || strcmp(w, "show dataplane") == 0 ||
		    strcmp(w, "ping dataplane") == 0 || strcmp(w, "show version") == 0)
			seen++;
	}
	assert_int_equal(seen, 4);
	assert_non_null(strstr(text_of(&s), "show dataplane"));

	send_line(&s, "{\"id\":1,\"argv\":[\"help\",\"qq\",\"on\"]}");
	assert_int_equal(status_of(&s), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(s.last, "data"), "commands")), 2);

	send_line(&s, "{\"id\":1,\"argv\":[\"help\",\"nothing\"]}");
	assert_int_equal(status_of(&s), 2);
	json_decref(s.last);
}

/* ---- the socket server on the real loop ---- */

static char dir[48], sock[96];

static int
server_setup(void **state)
{
	(void)state;
	char err[256];
	snprintf(dir, sizeof(dir), "/tmp/td-mgmt-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/t.sock", dir);
	assert_int_equal(td_loop_init(), 0);
	assert_int_equal(td_mgmt_open(sock, err, sizeof(err)), 0);
	return 0;
}

static int
server_teardown(void **state)
{
	(void)state;
	td_mgmt_close();
	td_loop_fini();
	assert_int_equal(access(sock, F_OK), -1); /* removed */
	rmdir(dir);
	return 0;
}

static int
client(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static void
put(int fd, const char *s)
{
	size_t len = strlen(s);
	assert_int_equal(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Run the loop until fd has n full lines (or EOF); returns what came. */
static char *
get_lines(int fd, int n, bool *eof)
{
	static char buf[1 << 16];
	size_t got = 0;
	int lines = 0;
	*eof = false;
	for (int i = 0; i < 200 && lines < n && !*eof; i++) {
		td_loop_run_once(10);
		ssize_t r;
		while ((r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
			for (ssize_t k = 0; k < r; k++)
				lines += buf[got + (size_t)k] == '\n';
			got += (size_t)r;
		}
		if (r == 0)
			*eof = true;
	}
	buf[got] = '\0';
	return buf;
}

static void
test_server(void **state)
{
	(void)state;
	struct stat st;
	bool eof;

	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	int a = client(), b = client();
	/* A request split over two writes, then two in one write. */
	put(a, "{\"id\":1,\"argv\":[\"qq\",");
	td_loop_run_once(10);
	td_loop_run_once(10);
	put(b, "{\"id\":2,\"argv\":[\"qq\",\"one\"]}\n");
	put(a, "\"one\",\"two\"]}\n{\"id\":3,\"argv\":[\"nope\"]}\n");
	char *out = get_lines(a, 2, &eof);
	assert_non_null(strstr(out, "{\"id\":1,\"status\":0,\"text\":\"two -\""));
	assert_non_null(strstr(out, "{\"id\":3,\"status\":2,\"text\":\"unknown command 'nope' (try 'help')\""));
	assert_true(strstr(out, "\"id\":1") < strstr(out, "\"id\":3")); /* in order */
	out = get_lines(b, 1, &eof);
	assert_non_null(strstr(out, "\"id\":2,\"status\":0"));

	/* Garbage gets a status-2 line, and the connection stays usable. */
	put(b, "}{ garbage\n{\"id\":4,\"argv\":[\"qq\",\"one\"]}\n");
	out = get_lines(b, 2, &eof);
	assert_non_null(strstr(out, "\"status\":2"));
	assert_non_null(strstr(out, "\"id\":4,\"status\":0"));
	assert_false(eof);

	/* A deferred reply for a client that left is dropped. */
	put(b, "{\"id\":5,\"argv\":[\"qq\",\"later\"]}\n");
	for (int i = 0; i < 20 && held == NULL; i++)
		td_loop_run_once(10);
	assert_non_null(held);
	close(b);
	for (int i = 0; i < 5; i++)
		td_loop_run_once(10);
	td_mgmt_reply(held, 0, NULL, "nobody listens");
	held = NULL;

	/* An oversized line: a status-2 reply, then the server hangs up. */
	char *big = malloc(TD_MGMT_MAX_LINE + 10);
	assert_non_null(big);
	memset(big, 'x', TD_MGMT_MAX_LINE + 9);
	big[TD_MGMT_MAX_LINE + 9] = '\0';
	size_t off = 0, len = strlen(big);
	while (off < len) {
		ssize_t r = send(a, big + off, len - off, MSG_NOSIGNAL);
		if (r > 0)
			off += (size_t)r;
		td_loop_run_once(1);
		if (r < 0 && errno != EAGAIN)
			break;
	}
	free(big);
	out = get_lines(a, 1, &eof);
	assert_non_null(strstr(out, "\"status\":2"));
	assert_non_null(strstr(out, "longer than 65536"));
	for (int i = 0; i < 50 && !eof; i++)
		out = get_lines(a, 1, &eof);
	assert_true(eof);
	close(a);

	/* Still serving. */
	int c = client();
	put(c, "{\"id\":6,\"argv\":[\"show\",\"version\"]}\n");
	out = get_lines(c, 1, &eof);
	assert_non_null(strstr(out, "\"id\":6,\"status\":0,\"text\":\"tongdai "));
	close(c);
}

static void
test_socket_path_rules(void **state)
{
	(void)state;
	char d[] = "/tmp/td-mgmt-XXXXXX", path[96], err[256];
	assert_non_null(mkdtemp(d));
	assert_int_equal(td_loop_init(), 0);

	/* A regular file at the path is never removed. */
	snprintf(path, sizeof(path), "%s/file", d);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(td_mgmt_open(path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);

	/* A socket left by a dead control is replaced. */
	snprintf(path, sizeof(path), "%s/s", d);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(td_mgmt_open(path, err, sizeof(err)), 0);
	td_mgmt_close();
	assert_int_equal(access(path, F_OK), -1);

	/* Too long for sun_path. */
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(td_mgmt_open(longp, err, sizeof(err)), -ENAMETOOLONG);

	td_loop_fini();
	rmdir(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_malformed_requests),
		cmocka_unit_test(test_deferred_reply),
		cmocka_unit_test(test_help),
		cmocka_unit_test_setup_teardown(test_server, server_setup, server_teardown),
		cmocka_unit_test(test_socket_path_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
