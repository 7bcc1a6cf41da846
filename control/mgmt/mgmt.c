/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management protocol: the command registry and dispatch, request parsing,
 * deferred replies, and the unix-socket server on control's event loop.
 * Every malformed request gets a status-2 reply; nothing a client sends can
 * make control crash or block (lines are bounded, sockets non-blocking).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "mgmt.h"

#define MAX_ARGS 64

static struct td_cmd *cmds;

struct td_mgmt_req {
	json_int_t id;
	td_mgmt_sink_t sink;
	void *ctx; /* NULL once the client left */
	struct td_mgmt_req *next;
};
static struct td_mgmt_req *pending;

void
td_cmd_register(struct td_cmd *cmd)
{
	/* Keep the list sorted by words: help lists them in order. */
	struct td_cmd **p = &cmds;
	while (*p && strcmp((*p)->words, cmd->words) < 0)
		p = &(*p)->next;
	cmd->next = *p;
	*p = cmd;
}

const struct td_cmd *
td_cmd_first(void)
{
	return cmds;
}

/* How many of argv's leading words the command's words are, or 0. */
static int
cmd_match(const struct td_cmd *c, int argc, char **argv)
{
	const char *w = c->words;
	int n = 0;
	while (*w) {
		size_t len = strcspn(w, " ");
		if (n >= argc || strlen(argv[n]) != len || strncmp(argv[n], w, len) != 0)
			return 0;
		n++;
		w += len;
		while (*w == ' ')
			w++;
	}
	return n;
}

static void
req_unlink(struct td_mgmt_req *req)
{
	for (struct td_mgmt_req **p = &pending; *p; p = &(*p)->next) {
		if (*p == req) {
			*p = req->next;
			return;
		}
	}
}

void
td_mgmt_reply(struct td_mgmt_req *req, int status, json_t *data, const char *fmt, ...)
{
	char text[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	req_unlink(req);
	if (req->ctx) {
		json_t *r = json_pack("{s:I,s:i,s:s,s:o}", "id", req->id, "status", status, "text", text, "data",
				      data ? data : json_object());
		data = NULL;
		char *line = r ? json_dumps(r, JSON_COMPACT) : NULL;
		if (line) {
			size_t len = strlen(line);
			line[len] = '\n';
			req->sink(req->ctx, line, len + 1);
			free(line);
		}
		json_decref(r);
	}
	json_decref(data);
	free(req);
}

static void
dispatch(struct td_mgmt_req *req, int argc, char **argv)
{
	const struct td_cmd *best = NULL;
	int best_n = 0;

	for (const struct td_cmd *c = cmds; c; c = c->next) {
		int n = cmd_match(c, argc, argv);
		if (n > best_n) {
			best = c;
			best_n = n;
		}
	}
	if (best == NULL) {
		char what[256] = "";
		for (int i = 0; i < argc && i < 3; i++) {
			strncat(what, argv[i], sizeof(what) - strlen(what) - 2);
			if (i + 1 < argc && i + 1 < 3)
				strcat(what, " ");
		}
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unknown command '%s' (try 'help')", what);
		return;
	}
	best->cb(req, argc - best_n, argv + best_n);
}

int
td_mgmt_handle_line(const char *line, size_t len, td_mgmt_sink_t sink, void *ctx)
{
	json_error_t jerr;
	char *argv[MAX_ARGS];
	struct td_mgmt_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return -ENOMEM;
	req->sink = sink;
	req->ctx = ctx;
	req->next = pending;
	pending = req;

	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *jid = json_object_get(j, "id"), *jargv = json_object_get(j, "argv");
	if (j == NULL || !json_is_object(j)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad request: not a JSON object (%s)",
			      j ? "another JSON value" : jerr.text);
		json_decref(j);
		return 0;
	}
	req->id = json_is_integer(jid) ? json_integer_value(jid) : 0;
	if (!json_is_array(jargv) || json_array_size(jargv) == 0 || json_array_size(jargv) > MAX_ARGS) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad request: 'argv' must be an array of 1 to %d strings",
			      MAX_ARGS);
		json_decref(j);
		return 0;
	}
	int argc = (int)json_array_size(jargv);
	for (int i = 0; i < argc; i++) {
		json_t *a = json_array_get(jargv, (size_t)i);
		if (!json_is_string(a)) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad request: argv[%d] is not a string", i);
			json_decref(j);
			return 0;
		}
		argv[i] = (char *)json_string_value(a);
	}
	dispatch(req, argc, argv);
	json_decref(j);
	return 0;
}

void
td_mgmt_sink_gone(void *ctx)
{
	for (struct td_mgmt_req *r = pending; r; r = r->next)
		if (r->ctx == ctx)
			r->ctx = NULL;
}

/* ---- the socket server ---- */

struct conn {
	int fd;
	size_t in_len;
	char in[TD_MGMT_MAX_LINE + 1];
	char *out;
	size_t out_len;
	bool closing;  /* oversized input: reply, then close */
	bool dead;     /* send failed: close when safe */
	bool in_event; /* inside conn_event: closing now would pull the rug */
};

static int listen_fd = -1;
static char sock_path[108];

static void conn_close(struct conn *c);

/* Send what is queued; returns false if c was closed. */
static bool
conn_flush(struct conn *c)
{
	while (c->out_len && !c->dead) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				td_loop_fd_mod(c->fd, EPOLLIN | EPOLLOUT);
				return true;
			}
			c->dead = true;
			break;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (!c->dead)
		td_loop_fd_mod(c->fd, EPOLLIN);
	if ((c->dead || (c->closing && c->out_len == 0)) && !c->in_event) {
		conn_close(c);
		return false;
	}
	return true;
}

static void
conn_sink(void *ctx, const char *line, size_t len)
{
	struct conn *c = ctx;
	char *p = realloc(c->out, c->out_len + len);
	if (p == NULL) {
		c->dead = true;
		conn_flush(c);
		return;
	}
	c->out = p;
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	conn_flush(c);
}

static void
conn_close(struct conn *c)
{
	td_mgmt_sink_gone(c);
	td_loop_fd_del(c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

static void
conn_event(int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	(void)fd;

	if (events & EPOLLOUT) {
		conn_flush(c);
		return;
	}
	ssize_t n = recv(c->fd, c->in + c->in_len, TD_MGMT_MAX_LINE - c->in_len, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(c);
		return;
	}
	c->in_event = true;
	c->in_len += (size_t)n;
	char *nl;
	while (!c->dead && !c->closing && (nl = memchr(c->in, '\n', c->in_len)) != NULL) {
		size_t len = (size_t)(nl - c->in);
		td_mgmt_handle_line(c->in, len, conn_sink, c);
		memmove(c->in, nl + 1, c->in_len - len - 1);
		c->in_len -= len + 1;
	}
	if (c->in_len == TD_MGMT_MAX_LINE) {
		/* A line this long is not a request: say so and hang up. */
		c->in_len = 0;
		c->closing = true;
		const char *msg = "{\"id\":0,\"status\":2,\"text\":\"bad request: line longer than 65536 bytes\","
				  "\"data\":{}}\n";
		conn_sink(c, msg, strlen(msg));
	}
	c->in_event = false;
	conn_flush(c);
}

static void
on_accept(int fd, uint32_t events, void *arg)
{
	(void)events;
	(void)arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(cfd);
		return;
	}
	c->fd = cfd;
	if (td_loop_fd_add(cfd, EPOLLIN, conn_event, c) < 0) {
		close(cfd);
		free(c);
	}
}

int
td_mgmt_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		goto fail;
	/* Our lock file says no other control runs: a socket file left here
	 * is a dead one's. */
	unlink(path);
	mode_t old = umask(0077);
	int ret = bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0 || listen(listen_fd, 64) < 0)
		goto fail;
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	return td_loop_fd_add(listen_fd, EPOLLIN, on_accept, NULL);
fail:
	ret = -errno;
	snprintf(err, errlen, "cannot serve %s: %s", path, strerror(errno));
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	return ret;
}

void
td_mgmt_close(void)
{
	if (listen_fd < 0)
		return;
	td_loop_fd_del(listen_fd);
	close(listen_fd);
	unlink(sock_path);
	listen_fd = -1;
}
