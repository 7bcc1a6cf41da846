/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management protocol: a unix stream socket, one JSON object per line.
 *   request  {"id": N, "argv": ["show", "dataplane"], "json": true}
 *   reply    {"id": N, "status": S, "text": "...", "data": {...}}
 * status 0 done, 1 failed (e.g. the dataplane is not running), 2 bad
 * command or argument. `text` is what a person reads, `data` the same facts
 * for --json. The CLI, and later the HTTP API and SIP, call the same command
 * functions.
 *
 * Commands register themselves with TD_CMD_REGISTER (one file each); the
 * longest registered word sequence that prefixes argv wins, and the handler
 * gets the words after it. A handler replies exactly once with
 * td_mgmt_reply(), at once or later (after the dataplane acks); if the client
 * left meanwhile, the reply is dropped. Event-loop thread only.
 */
#ifndef TD_MGMT_H
#define TD_MGMT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define TD_MGMT_MAX_LINE (64 * 1024)	    /* a request longer than this is refused */
#define TD_MGMT_MAX_OUT	 (32 * 1024 * 1024) /* replies a client leaves unread */
#define TD_MGMT_MAX_ARGS 64

enum td_mgmt_status {
	TD_MGMT_OK = 0,
	TD_MGMT_FAILED = 1,
	TD_MGMT_USAGE = 2,
};

struct td_mgmt_req;
typedef void (*td_cmd_cb_t)(struct td_mgmt_req *req, int argc, char **argv);

struct td_cmd {
	const char *words; /* "show dataplane" */
	const char *args;  /* argument synopsis, "" if none */
	const char *help;
	td_cmd_cb_t cb;
	struct td_cmd *next;
};

void td_cmd_register(struct td_cmd *cmd);
/* The registered commands, sorted by words. */
const struct td_cmd *td_cmd_first(void);

#define TD_CMD_REGISTER(name, words_, args_, help_, cb_)                                                 \
	static struct td_cmd td_cmd_##name = {.words = words_, .args = args_, .help = help_, .cb = cb_}; \
	static void __attribute__((constructor)) td_cmd_init_##name(void)                                \
	{                                                                                                \
		td_cmd_register(&td_cmd_##name);                                                         \
	}

/* Reply to req (takes data, may be NULL) and free req. */
void td_mgmt_reply(struct td_mgmt_req *req, int status, json_t *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The command req was dispatched to (NULL before dispatch). */
const struct td_cmd *td_mgmt_req_cmd(const struct td_mgmt_req *req);
/* Did the client ask for JSON ("json": true)? Text is sent anyway. */
bool td_mgmt_req_json(const struct td_mgmt_req *req);
/*
 * For commands that take no argument: if argc > 0, reply status 2 naming
 * the first extra word and return true (req is then gone).
 */
bool td_mgmt_reply_extra_args(struct td_mgmt_req *req, int argc, char **argv);

/* Serve the socket at path (replacing a stale socket, never another file). */
int td_mgmt_open(const char *path, char *err, size_t errlen);
/* Close every client, stop listening, remove the socket file. */
void td_mgmt_close(void);

/*
 * Handle one request line (without its newline) as if a client sent it; the
 * reply line, newline included, is passed to sink now or later (used by the
 * socket server and by tests). Returns 0, or -ENOMEM when no reply could be
 * made at all.
 */
typedef void (*td_mgmt_sink_t)(void *ctx, const char *line, size_t len);
int td_mgmt_handle_line(const char *line, size_t len, td_mgmt_sink_t sink, void *ctx);
/* Forget a sink whose client left: its pending replies are dropped. */
void td_mgmt_sink_gone(void *ctx);

#endif
