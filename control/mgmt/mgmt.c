/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management protocol: the command registry and dispatch, request parsing,
 * deferred replies, and the unix-socket server on control's event loop
 * (contract in mgmt.h). Every malformed request gets a status-2 reply;
 * nothing a client sends can make control crash or block: lines are
 * bounded, sockets non-blocking, and a client that does not read its
 * replies is dropped once they pile up past TD_MGMT_MAX_OUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "mgmt.h"

static struct td_cmd *cmds;

struct td_mgmt_req {
	LIST_ENTRY(td_mgmt_req) next;
	json_int_t id;
	bool json;
	const struct td_cmd *cmd;
	td_mgmt_sink_t sink;
	void *ctx; /* NULL once the client left */
};
static LIST_HEAD(, td_mgmt_req) reqs = LIST_HEAD_INITIALIZER(reqs);

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

const struct td_cmd *
td_mgmt_req_cmd(const struct td_mgmt_req *req)
{
	return req->cmd;
}

bool
td_mgmt_req_json(const struct td_mgmt_req *req)
{
	return req->json;
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

void
td_mgmt_reply(struct td_mgmt_req *req, int status, json_t *data, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	LIST_REMOVE(req, next);
	if (req->ctx) {
		va_start(ap, fmt);
		int n = vasprintf(&text, fmt, ap);
		va_end(ap);
		if (n < 0)
			text = NULL;
		/* "o" steals data, even when packing fails. */
		json_t *r = json_pack("{s:I,s:i,s:s,s:o}", "id", req->id, "status", status, "text",
				      text ? text : "out of memory", "data", data ? data : json_object());
		data = NULL;
		char *line = r ? json_dumps(r, JSON_COMPACT) : NULL;
		if (line) {
			size_t len = strlen(line);
			line[len] = '\n'; /* over the NUL: the line is sent by length */
			req->sink(req->ctx, line, len + 1);
			free(line);
		}
		json_decref(r);
		free(text);
	}
	json_decref(data);
	free(req);
}

bool
td_mgmt_reply_extra_args(struct td_mgmt_req *req, int argc, char **argv)
{
	if (argc == 0)
		return false;
	td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unexpected argument '%.64s' (%s takes none)", argv[0],
		      req->cmd ? req->cmd->words : "this command");
	return true;
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
		/* Name what was asked, bounded: it comes from the client. */
		char what[256] = "";
		size_t off = 0;
		for (int i = 0; i < argc && i < 4 && off < sizeof(what); i++)
			off += (size_t)snprintf(what + off, sizeof(what) - off, "%s%.48s", i ? " " : "", argv[i]);
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unknown command '%s' (try 'help')", what);
		return;
	}
	req->cmd = best;
	best->cb(req, argc - best_n, argv + best_n);
}

int
td_mgmt_handle_line(const char *line, size_t len, td_mgmt_sink_t sink, void *ctx)
{
	json_error_t jerr;
	char *argv[TD_MGMT_MAX_ARGS + 1];
	struct td_mgmt_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return -ENOMEM;
	req->sink = sink;
	req->ctx = ctx;
	LIST_INSERT_HEAD(&reqs, req, next);

	if (len > TD_MGMT_MAX_LINE) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad request: longer than %d bytes", TD_MGMT_MAX_LINE);
		return 0;
	}
	if (len && line[len - 1] == '\r')
		len--;
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j)) {
		/* jansson's text names the position; keep it on one line. */
		for (char *p = jerr.text; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad request: not a JSON object (%s)",
			      j ? "another JSON value" : jerr.text);
		json_decref(j);
		return 0;
	}
	json_t *jid = json_object_get(j, "id"), *jargv = json_object_get(j, "argv"),
	       *jjson = json_object_get(j, "json");
	if (jid && !json_is_integer(jid)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad request: 'id' must be an integer");
		json_decref(j);
		return 0;
	}
	req->id = jid ? json_integer_value(jid) : 0;
	if (jjson && !json_is_boolean(jjson)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad request: 'json' must be true or false");
		json_decref(j);
		return 0;
	}
	req->json = json_is_true(jjson);
	if (!json_is_array(jargv) || json_array_size(jargv) == 0 || json_array_size(jargv) > TD_MGMT_MAX_ARGS) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad request: 'argv' must be an array of 1 to %d strings",
			      TD_MGMT_MAX_ARGS);
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
	argv[argc] = NULL;
	dispatch(req, argc, argv);
	json_decref(j);
	return 0;
}

void
td_mgmt_sink_gone(void *ctx)
{
	struct td_mgmt_req *r;
	LIST_FOREACH(r, &reqs, next)
	if (r->ctx == ctx)
		r->ctx = NULL;
}

/* ---- the socket server ---- */

struct conn {
	LIST_ENTRY(conn) next;
	int fd;
	size_t in_len;
	char *out;
	size_t out_len;
	bool closing;  /* oversized input: reply, then close */
	bool dead;     /* the client is gone or misbehaves: close when safe */
	bool in_event; /* inside conn_event: closing now would pull the rug */
	char in[TD_MGMT_MAX_LINE + 1];
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static LIST_HEAD(, conn) conns = LIST_HEAD_INITIALIZER(conns);
static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void
conn_close(struct conn *c)
{
	td_mgmt_sink_gone(c);
	LIST_REMOVE(c, next);
	td_loop_fd_del(c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

/* Send what is queued; returns false if c was closed. */
static bool
conn_flush(struct conn *c)
{
	size_t done = 0;
	while (done < c->out_len && !c->dead) {
		ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			break;
		}
		done += (size_t)n;
	}
	if (done) {
		memmove(c->out, c->out + done, c->out_len - done);
		c->out_len -= done;
	}
	if ((c->dead || (c->closing && c->out_len == 0)) && !c->in_event) {
		conn_close(c);
		return false;
	}
	/* While closing, stop reading: only the pending reply matters. */
	uint32_t ev = (c->closing ? 0 : EPOLLIN) | (c->out_len ? EPOLLOUT : 0);
	td_loop_fd_mod(c->fd, ev);
	return true;
}

static void
conn_sink(void *ctx, const char *line, size_t len)
{
	struct conn *c = ctx;
	if (c->dead)
		return;
	if (c->out_len + len > TD_MGMT_MAX_OUT) {
		LOG_WARN("management client fd %d does not read its replies: dropped", c->fd);
		c->dead = true;
	} else {
		char *p = realloc(c->out, c->out_len + len);
		if (p == NULL) {
			c->dead = true;
		} else {
			c->out = p;
			memcpy(c->out + c->out_len, line, len);
			c->out_len += len;
		}
	}
	conn_flush(c);
}

static void
conn_event(int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	(void)fd;

	if (events & EPOLLOUT) {
		if (!conn_flush(c))
			return;
	}
	if (c->closing) {
		if (events & (EPOLLHUP | EPOLLERR))
			conn_close(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t n = recv(c->fd, c->in + c->in_len, TD_MGMT_MAX_LINE - c->in_len, MSG_DONTWAIT);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		conn_close(c);
		return;
	}
	c->in_event = true;
	size_t start = c->in_len;
	c->in_len += (size_t)n;
	char *p = c->in, *nl;
	/* Only the new bytes can hold a newline not yet seen. */
	char *scan = c->in + start;
	while (!c->dead && (nl = memchr(scan, '\n', c->in_len - (size_t)(scan - c->in))) != NULL) {
		td_mgmt_handle_line(p, (size_t)(nl - p), conn_sink, c);
		p = scan = nl + 1;
	}
	size_t rest = c->in_len - (size_t)(p - c->in);
	memmove(c->in, p, rest);
	c->in_len = rest;
	if (c->in_len == TD_MGMT_MAX_LINE && !c->dead) {
		/* A line this long is not a request: say so and hang up. */
		char msg[160];
		int len =
			snprintf(msg, sizeof(msg),
				 "{\"id\":0,\"status\":2,\"text\":\"bad request: longer than %d bytes\",\"data\":{}}\n",
				 TD_MGMT_MAX_LINE);
		c->in_len = 0;
		c->closing = true;
		conn_sink(c, msg, (size_t)len);
	}
	c->in_event = false;
	conn_flush(c);
}

static void
on_accept(int fd, uint32_t events, void *arg)
{
	(void)events;
	(void)arg;
	for (int i = 0; i < 16; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			/* Out of descriptors, say: clients can trigger this,
			 * so say it at most every 10 s. */
			static uint64_t last_ns;
			uint64_t now = mono_ns();
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED &&
			    (last_ns == 0 || now - last_ns > 10000000000ull)) {
				last_ns = now;
				LOG_WARN("management socket: accept: %s", strerror(errno));
			}
			return;
		}
		struct conn *c = malloc(sizeof(*c));
		if (c == NULL) {
			close(cfd);
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = cfd;
		if (td_loop_fd_add(cfd, EPOLLIN, conn_event, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		LIST_INSERT_HEAD(&conns, c, next);
	}
}

int
td_mgmt_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long (%zu bytes, at most %zu): %s", strlen(path),
			 sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Our lock file says no other control runs here, so a socket left at
	 * this path is a dead one's; anything else is not ours to remove. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "cannot serve %s: it exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		goto fail;
	mode_t old = umask(0177); /* the socket is born 0600 */
	ret = bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0 || listen(listen_fd, 64) < 0)
		goto fail;
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	ret = td_loop_fd_add(listen_fd, EPOLLIN, on_accept, NULL);
	if (ret < 0) {
		snprintf(err, errlen, "cannot serve %s: %s", path, strerror(-ret));
		td_mgmt_close();
	}
	return ret;
fail:
	ret = -errno;
	snprintf(err, errlen, "cannot serve %s: %s", path, strerror(-ret));
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	return ret;
}

void
td_mgmt_close(void)
{
	struct conn *c;
	while ((c = LIST_FIRST(&conns)) != NULL)
		conn_close(c);
	if (listen_fd < 0)
		return;
	td_loop_fd_del(listen_fd);
	close(listen_fd);
	if (sock_path[0])
		unlink(sock_path);
	sock_path[0] = '\0';
	listen_fd = -1;
}
