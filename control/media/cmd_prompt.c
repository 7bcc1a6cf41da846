/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operator commands for prompts and playback: `prompt add NAME PATH` (alias
 * `prompt load`), `prompt del NAME` (alias `prompt unload`), `show
 * prompts`, `session play ID PROMPT|TONE [loop]`, `session stop-play ID`.
 * Each parses its words and calls prompt.c; `prompt add` answers once the
 * dataplane has loaded the file (or refused it: then the prompt is not
 * kept), `session play` once the worker has taken the play.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_link.h"
#include "mgmt/mgmt.h"
#include "prompt.h"

static int
parse_session(struct td_mgmt_req *req, const char *s, uint32_t *id)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || x == 0 || x > UINT32_MAX) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s'", s);
		return -1;
	}
	*id = (uint32_t)x;
	return 0;
}

static json_t *
prompt_json(const struct prompt_info *p)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:i,s:I,s:i,s:I}", "name", p->name, "id", (int)p->id, "path",
			 p->path, "state", prompt_state_name(p->state), "error", p->error, "error_text",
			 p->state == PROMPT_FAILED ? prompt_strerror(p->error) : "", "frames", (int)p->frames,
			 "duration_ms", (json_int_t)p->frames * 20, "plays", (int)p->plays, "added",
			 (json_int_t)p->added);
}

static void
added_reply(void *arg, const struct prompt_info *p)
{
	struct td_mgmt_req *req = arg;
	char err[160];

	if (p == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "the prompt was deleted while it loaded");
	} else if (p->state == PROMPT_FAILED) {
		/* The file is refused: the prompt is not kept. */
		char name[PROMPT_NAME_MAX + 1], path[TD_DP_PROMPT_PATH_MAX];
		int error = p->error;
		json_t *j = prompt_json(p);
		snprintf(name, sizeof(name), "%s", p->name);
		snprintf(path, sizeof(path), "%s", p->path);
		prompt_del(name, err, sizeof(err));
		td_mgmt_reply(req, TD_MGMT_FAILED, j, "prompt %s not added: %s: %s", name, path,
			      prompt_strerror(error));
	} else if (p->state == PROMPT_LOADED) {
		td_mgmt_reply(req, TD_MGMT_OK, prompt_json(p), "prompt %s added (id %u), %u.%02u s", p->name, p->id,
			      p->frames / 50, p->frames % 50 * 2);
	} else {
		td_mgmt_reply(req, TD_MGMT_OK, prompt_json(p),
			      "prompt %s added (id %u); the dataplane is not running: loaded when it is", p->name,
			      p->id);
	}
}

static void
cmd_prompt_add(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200];
	int ret;

	if (argc != 2) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: prompt add NAME PATH");
		return;
	}
	ret = prompt_add(argv[0], argv[1], err, sizeof(err));
	if (ret < 0) {
		td_mgmt_reply(req, ret == -EINVAL ? TD_MGMT_USAGE : TD_MGMT_FAILED, json_pack("{s:i}", "result", ret),
			      "%s", err);
		return;
	}
	if (prompt_wait(argv[0], added_reply, req) < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
}

static void
cmd_prompt_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200];
	int ret;

	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: prompt del NAME");
		return;
	}
	if (prompt_name_check(argv[0], err, sizeof(err)) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
		return;
	}
	ret = prompt_del(argv[0], err, sizeof(err));
	if (ret < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, json_pack("{s:i}", "result", ret), "%s", err);
	else
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:i}", "result", 0), "prompt %s deleted", argv[0]);
}

struct listing {
	json_t *list;
	char *text;
	size_t off, cap;
};

static int
list_one(const struct prompt_info *p, void *arg)
{
	struct listing *l = arg;
	char state[96];

	if (p->state == PROMPT_FAILED)
		snprintf(state, sizeof(state), "failed (%s)", prompt_strerror(p->error));
	else
		snprintf(state, sizeof(state), "%s", prompt_state_name(p->state));
	json_array_append_new(l->list, prompt_json(p));
	char dur[16] = "-";
	if (p->state == PROMPT_LOADED && p->frames)
		snprintf(dur, sizeof(dur), "%u.%02u", p->frames / 50, p->frames % 50 * 2);
	int n = snprintf(l->text + l->off, l->cap - l->off, "\n%-31s %3u  %-10s %8s %5u  %s", p->name, p->id,
			 p->state == PROMPT_FAILED ? "failed" : prompt_state_name(p->state), dur, p->plays, p->path);
	if (n > 0 && (size_t)n < l->cap - l->off)
		l->off += (size_t)n;
	if (p->state == PROMPT_FAILED) {
		n = snprintf(l->text + l->off, l->cap - l->off, "\n    %s", state);
		if (n > 0 && (size_t)n < l->cap - l->off)
			l->off += (size_t)n;
	}
	return 0;
}

static void
cmd_show_prompts(struct td_mgmt_req *req, int argc, char **argv)
{
	static char text[128 * 1024];
	struct listing l = {.list = json_array(), .text = text, .cap = sizeof(text)};

	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	l.off = (size_t)snprintf(text, sizeof(text), "%-31s %3s  %-10s %8s %5s  %s", "PROMPT", "ID", "STATE", "SECONDS",
				 "PLAYS", "PATH");
	prompt_foreach(list_one, &l);
	size_t n = json_array_size(l.list);
	snprintf(text + l.off, sizeof(text) - l.off, "\n%zu prompt(s), %u play(s) in progress", n, play_count());
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o,s:i}", "prompts", l.list, "plays", (int)play_count()), "%s",
		      text);
}

/* One `session play` in progress: the reply goes when the worker takes it
 * (or refuses it); the context lives until the play's end. */
struct play_ctx {
	struct td_mgmt_req *req; /* NULL once replied */
	char what[PROMPT_NAME_MAX + 1];
	bool loop;
};

static void
play_started(uint32_t session, void *arg)
{
	struct play_ctx *c = arg;
	td_mgmt_reply(c->req, TD_MGMT_OK,
		      json_pack("{s:I,s:s,s:b}", "session", (json_int_t)session, "playing", c->what, "loop", c->loop),
		      "session %u: playing %s%s", session, c->what, c->loop ? " (loop)" : "");
	c->req = NULL;
}

static void
play_done(uint32_t session, int why, uint32_t frames, void *arg)
{
	struct play_ctx *c = arg;
	(void)frames;
	if (c->req) {
		const char *text = why == -ENOENT ? "no such session, or the prompt is not loaded in the dataplane"
						  : play_why_name(why);
		td_mgmt_reply(c->req, TD_MGMT_FAILED,
			      json_pack("{s:I,s:i}", "session", (json_int_t)session, "result", why),
			      "session %u: cannot play %s: %s", session, c->what, text);
	}
	free(c);
}

static void
cmd_session_play(struct td_mgmt_req *req, int argc, char **argv)
{
	uint32_t id;
	bool loop = argc == 3 && strcmp(argv[2], "loop") == 0;
	struct prompt_info pi;
	int ret;

	if (argc < 2 || argc > 3 || (argc == 3 && !loop)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
			      "usage: session play ID PROMPT|ringback|busy|congestion [loop]");
		return;
	}
	if (parse_session(req, argv[0], &id) < 0)
		return;
	if (prompt_tone_parse(argv[1]) == TD_DP_TONE_NONE && prompt_get(argv[1], &pi) < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL,
			      "unknown prompt '%s' (see show prompts; tones: ringback, busy, congestion)", argv[1]);
		return;
	}
	struct play_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	*c = (struct play_ctx){.req = req, .loop = loop};
	snprintf(c->what, sizeof(c->what), "%s", argv[1]);
	ret = play_start_ex(id, argv[1], loop, play_done, play_started, c);
	if (ret == 0)
		return;
	free(c);
	if (ret == -EAGAIN)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "prompt %s is not loaded (%s%s%s)", argv[1],
			      prompt_state_name(pi.state), pi.state == PROMPT_FAILED ? ": " : "",
			      pi.state == PROMPT_FAILED ? prompt_strerror(pi.error) : "");
	else if (ret == -ESRCH)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no such session %u (port outside every worker's range)", id);
	else if (ret == -ENOTCONN)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "dataplane not running: %s", dp_link_reason());
	else
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "%s", strerror(-ret));
}

static void
stopped(void *arg, int result)
{
	struct td_mgmt_req *req = arg;
	if (result == 0)
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:i}", "result", 0), "stopped");
	else
		td_mgmt_reply(req, TD_MGMT_FAILED, json_pack("{s:i}", "result", result), "%s",
			      result == -EALREADY ? "nothing plays on the session"
			      : result == -ENOENT ? "no such session"
						  : prompt_strerror(result));
}

static void
cmd_session_stop_play(struct td_mgmt_req *req, int argc, char **argv)
{
	uint32_t id;
	int ret;

	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: session stop-play ID");
		return;
	}
	if (parse_session(req, argv[0], &id) < 0)
		return;
	ret = play_stop(id, stopped, req);
	if (ret == -ESRCH)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no such session %u (port outside every worker's range)", id);
	else if (ret == -ENOTCONN)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "dataplane not running: %s", dp_link_reason());
	else if (ret < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "%s", strerror(-ret));
}

TD_CMD_REGISTER(prompt_add, "prompt add", "NAME PATH",
		"a named prompt from a WAV file (absolute path as the dataplane sees it), kept and loaded",
		cmd_prompt_add)
TD_CMD_REGISTER(prompt_load, "prompt load", "NAME PATH", "the same as prompt add", cmd_prompt_add)
TD_CMD_REGISTER(prompt_del, "prompt del", "NAME", "unload and forget a prompt (not while it plays)", cmd_prompt_del)
TD_CMD_REGISTER(prompt_unload, "prompt unload", "NAME", "the same as prompt del", cmd_prompt_del)
TD_CMD_REGISTER(show_prompts, "show prompts", "", "prompts: id, state, length, plays in progress, file",
		cmd_show_prompts)
TD_CMD_REGISTER(session_play, "session play", "ID PROMPT|ringback|busy|congestion [loop]",
		"play a prompt or a tone to a session in place of its peer's media", cmd_session_play)
TD_CMD_REGISTER(session_stop_play, "session stop-play", "ID", "stop what plays on a session", cmd_session_stop_play)
