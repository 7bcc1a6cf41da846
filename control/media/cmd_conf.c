/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operator commands for the dataplane's conferences (docs/conference.md):
 * `conf create [worker N]`, `conf join CONF SESSION [ROLE]`, `conf role
 * CONF SESSION ROLE`, `conf leave CONF SESSION`, `conf destroy CONF`,
 * `show conferences`. ROLE is speaker, listen, muted or `whisper
 * SESSION` (heard by that participant only). Control keeps what it asked
 * for and the worker acknowledged, and the talker events, in a small
 * table; the worker owns the mixing. Event-loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_cmd.h"
#include "dp_link.h"
#include "log.h"
#include "mgmt/mgmt.h"

#define CONF_MAX  256
#define PART_MAX  32 /* participants control lists per conference */
#define ACK_MS	  2000
#define ROLE_NONE 0xff

struct part {
	uint32_t session;
	uint32_t target;
	uint8_t role;
	bool talking;
};

struct conf {
	uint32_t id; /* 0: free slot */
	uint32_t worker;
	bool live; /* the worker acknowledged its creation */
	unsigned n;
	struct part p[PART_MAX];
};

static struct conf confs[CONF_MAX];
static uint32_t next_id = 1;

static const char *const role_names[] = {"speaker", "listen", "whisper", "muted"};

static struct conf *
conf_find(uint32_t id)
{
	for (unsigned i = 0; i < CONF_MAX; i++)
		if (confs[i].id == id && id)
			return &confs[i];
	return NULL;
}

static struct part *
part_find(struct conf *c, uint32_t session)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->p[i].session == session)
			return &c->p[i];
	return NULL;
}

static int
parse_u32(const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || x > UINT32_MAX || x == 0)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static const char *
conf_strerror(int res)
{
	switch (res) {
	case -ENOSPC:
		return "no conference or participant slot left on the worker (see --conf-slots)";
	case -ENOENT:
		return "no such conference or session on that worker";
	case -EBUSY:
		return "the session is bridged or already in a conference";
	case -EEXIST:
		return "that conference exists already";
	case -EOPNOTSUPP:
		return "the session's codec cannot be mixed (G.711 at 20 ms only)";
	case -EINVAL:
		return "invalid request (role, or whisper target not in the conference)";
	case -ENOTCONN:
		return "the dataplane is not running or went away";
	case -ETIMEDOUT:
		return "the worker did not answer";
	default:
		return strerror(-res);
	}
}

/* A request on its way to the worker; what to record when it succeeds. */
struct pending {
	struct td_mgmt_req *req;
	struct td_dp_cmd_conf cmd;
	uint16_t type;
};

static void
apply(const struct pending *pd)
{
	struct conf *c = conf_find(pd->cmd.conf);
	struct part *p;

	if (c == NULL)
		return;
	switch (pd->type) {
	case TD_DP_CMD_CONF_CREATE:
		c->live = true;
		break;
	case TD_DP_CMD_CONF_JOIN:
		if (part_find(c, pd->cmd.session) == NULL && c->n < PART_MAX)
			c->p[c->n++] = (struct part){
				.session = pd->cmd.session, .target = pd->cmd.target, .role = pd->cmd.role};
		break;
	case TD_DP_CMD_CONF_ROLE:
		if ((p = part_find(c, pd->cmd.session)) != NULL) {
			p->role = pd->cmd.role;
			p->target = pd->cmd.target;
		}
		break;
	case TD_DP_CMD_CONF_LEAVE:
		if ((p = part_find(c, pd->cmd.session)) != NULL)
			*p = c->p[--c->n];
		break;
	case TD_DP_CMD_CONF_DESTROY:
		memset(c, 0, sizeof(*c));
		break;
	default:
		break;
	}
}

static void
conf_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct pending *pd = arg;
	int res = ack ? ack->ack.result : err;

	if (res < 0) {
		/* A conference the worker would not make is forgotten. */
		struct conf *c = pd->type == TD_DP_CMD_CONF_CREATE ? conf_find(pd->cmd.conf) : NULL;
		if (c && !c->live)
			memset(c, 0, sizeof(*c));
		td_mgmt_reply(pd->req, TD_MGMT_FAILED, json_pack("{s:i}", "result", res), "%s", conf_strerror(res));
	} else {
		apply(pd);
		if (pd->type == TD_DP_CMD_CONF_CREATE) {
			struct conf *c = conf_find(pd->cmd.conf);
			td_mgmt_reply(pd->req, TD_MGMT_OK,
				      json_pack("{s:I,s:i}", "conf", (json_int_t)pd->cmd.conf, "worker",
						c ? (int)c->worker : -1),
				      "conference %u on worker %u", pd->cmd.conf, c ? c->worker : 0);
		} else {
			td_mgmt_reply(pd->req, TD_MGMT_OK, json_pack("{s:i}", "result", 0), "ok");
		}
	}
	free(pd);
}

static void
send_conf(struct td_mgmt_req *req, uint32_t worker, uint16_t type, const struct td_dp_cmd_conf *cmd)
{
	struct pending *pd = malloc(sizeof(*pd));
	struct td_dp_msg m;

	if (pd == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	*pd = (struct pending){.req = req, .cmd = *cmd, .type = type};
	td_dp_msg_init(&m, type, 0);
	m.conf = *cmd;
	if (dp_link_send(worker, &m, conf_ack, pd, ACK_MS) == -ENOMEM) {
		free(pd);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
	}
}

/* The conference named by argv[0], or a reply and NULL. */
static struct conf *
conf_arg(struct td_mgmt_req *req, const char *s)
{
	uint32_t id;
	struct conf *c;
	if (parse_u32(s, &id) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad conference id '%s'", s);
		return NULL;
	}
	if ((c = conf_find(id)) == NULL || !c->live)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no conference %u", id);
	return c && c->live ? c : NULL;
}

/* ROLE words from argv: speaker | listen | muted | whisper SESSION.
 * Returns how many words it took, or a reply and -1. */
static int
role_arg(struct td_mgmt_req *req, int argc, char **argv, uint8_t *role, uint32_t *target)
{
	*target = 0;
	for (uint8_t r = 0; r < sizeof(role_names) / sizeof(role_names[0]); r++) {
		if (strcmp(argv[0], role_names[r]) != 0)
			continue;
		*role = r;
		if (r != TD_DP_CONF_WHISPER)
			return 1;
		if (argc < 2 || parse_u32(argv[1], target) < 0) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "whisper needs the session that hears it");
			return -1;
		}
		return 2;
	}
	td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad role '%s' (speaker, listen, muted or whisper SESSION)", argv[0]);
	return -1;
}

static void
cmd_conf_create(struct td_mgmt_req *req, int argc, char **argv)
{
	const struct td_dp_shm *shm = dp_link_shm();
	uint32_t worker = 0;
	struct conf *c = NULL;

	if (argc != 0 && (argc != 2 || strcmp(argv[0], "worker") != 0)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: conf create [worker N]");
		return;
	}
	if (shm == NULL) {
		dp_cmd_not_running(req);
		return;
	}
	if (argc == 2) {
		char *end;
		errno = 0;
		unsigned long w = strtoul(argv[1], &end, 10);
		if (errno || *end || argv[1][0] == '\0' || argv[1][0] == '-' || w >= shm->hdr->n_workers) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad worker '%s' (0..%u)", argv[1],
				      shm->hdr->n_workers - 1);
			return;
		}
		worker = (uint32_t)w;
	}
	for (unsigned i = 0; i < CONF_MAX && c == NULL; i++)
		if (confs[i].id == 0)
			c = &confs[i];
	if (c == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "%u conferences already", CONF_MAX);
		return;
	}
	while (next_id == 0 || conf_find(next_id))
		next_id++;
	*c = (struct conf){.id = next_id++, .worker = worker};
	send_conf(req, worker, TD_DP_CMD_CONF_CREATE, &(struct td_dp_cmd_conf){.conf = c->id});
}

/* `CONF SESSION [ROLE]` (join: role optional, default speaker; role:
 * required; leave: none) sent as command type to the conference's
 * worker. */
static void
member_cmd(struct td_mgmt_req *req, int argc, char **argv, uint16_t type, const char *usage)
{
	struct td_dp_cmd_conf cmd = {.role = TD_DP_CONF_SPEAKER};
	int min = type == TD_DP_CMD_CONF_ROLE ? 3 : 2, max = type == TD_DP_CMD_CONF_LEAVE ? 2 : 4;
	struct conf *c;

	if (argc < min || argc > max) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: %s", usage);
		return;
	}
	if ((c = conf_arg(req, argv[0])) == NULL)
		return;
	if (parse_u32(argv[1], &cmd.session) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s'", argv[1]);
		return;
	}
	if (argc > 2) {
		int n = role_arg(req, argc - 2, argv + 2, &cmd.role, &cmd.target);
		if (n < 0)
			return;
		if (2 + n != argc) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unexpected argument '%s'", argv[2 + n]);
			return;
		}
	}
	cmd.conf = c->id;
	send_conf(req, c->worker, type, &cmd);
}

static void
cmd_conf_join(struct td_mgmt_req *req, int argc, char **argv)
{
	member_cmd(req, argc, argv, TD_DP_CMD_CONF_JOIN,
		   "conf join CONF SESSION [speaker|listen|muted|whisper SESSION]");
}

static void
cmd_conf_role(struct td_mgmt_req *req, int argc, char **argv)
{
	member_cmd(req, argc, argv, TD_DP_CMD_CONF_ROLE, "conf role CONF SESSION speaker|listen|muted|whisper SESSION");
}

static void
cmd_conf_leave(struct td_mgmt_req *req, int argc, char **argv)
{
	member_cmd(req, argc, argv, TD_DP_CMD_CONF_LEAVE, "conf leave CONF SESSION");
}

static void
cmd_conf_destroy(struct td_mgmt_req *req, int argc, char **argv)
{
	struct conf *c;

	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: conf destroy CONF");
		return;
	}
	if ((c = conf_arg(req, argv[0])) == NULL)
		return;
	send_conf(req, c->worker, TD_DP_CMD_CONF_DESTROY, &(struct td_dp_cmd_conf){.conf = c->id});
}

static void
cmd_show_conferences(struct td_mgmt_req *req, int argc, char **argv)
{
	static char text[16384];
	size_t off = 0;
	json_t *list = json_array();

	(void)argv;
	if (argc) {
		json_decref(list);
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "show conferences takes no argument");
		return;
	}
	off += (size_t)snprintf(text + off, sizeof(text) - off, "%-6s %-6s %-10s %-8s %-10s %s", "CONF", "WORKER",
				"SESSION", "ROLE", "HEARD BY", "TALKING");
	for (unsigned i = 0; i < CONF_MAX; i++) {
		const struct conf *c = &confs[i];
		if (c->id == 0 || !c->live)
			continue;
		json_t *parts = json_array();
		for (unsigned k = 0; k < c->n; k++) {
			const struct part *p = &c->p[k];
			const char *role = p->role < 4 ? role_names[p->role] : "?";
			json_array_append_new(parts, json_pack("{s:I,s:s,s:I,s:b}", "session", (json_int_t)p->session,
							       "role", role, "whisper_to", (json_int_t)p->target,
							       "talking", p->talking));
			char heard[16] = "all";
			if (p->role == TD_DP_CONF_WHISPER)
				snprintf(heard, sizeof(heard), "%u", p->target);
			else if (p->role != TD_DP_CONF_SPEAKER)
				snprintf(heard, sizeof(heard), "nobody");
			if (off < sizeof(text))
				off += (size_t)snprintf(text + off, sizeof(text) - off,
							"\n%-6u %-6u %-10u %-8s %-10s %s", c->id, c->worker, p->session,
							role, heard, p->talking ? "yes" : "no");
		}
		if (c->n == 0 && off < sizeof(text))
			off += (size_t)snprintf(text + off, sizeof(text) - off, "\n%-6u %-6u (no participant)", c->id,
						c->worker);
		json_array_append_new(list, json_pack("{s:I,s:i,s:o}", "conf", (json_int_t)c->id, "worker",
						      (int)c->worker, "participants", parts));
	}
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "conferences", list), "%s", text);
}

/* Talker events: who speaks now. (A session destroyed leaves its
 * conference in the dataplane; control's list keeps it until `conf
 * leave` or `conf destroy`: no event says so yet.) */
static void
conf_dp_event(const struct td_dp_msg *ev)
{
	if (ev->hdr.type != TD_DP_EVT_CONF_TALKER)
		return;
	struct conf *c = conf_find(ev->talker.conf);
	struct part *p = c ? part_find(c, ev->talker.session) : NULL;
	if (p)
		p->talking = ev->talker.talking != 0;
	LOG_INFO("conference %u: session %u %s talking", ev->talker.conf, ev->talker.session,
		 ev->talker.talking ? "started" : "stopped");
}

static void __attribute__((constructor)) conf_module_init(void)
{
	dp_link_on_event(conf_dp_event);
}

TD_CMD_REGISTER(conf_create, "conf create", "[worker N]", "make a conference on a worker (default 0)", cmd_conf_create)
TD_CMD_REGISTER(conf_join, "conf join", "CONF SESSION [speaker|listen|muted|whisper SESSION]",
		"put a session of the conference's worker in it, with a role (default speaker)", cmd_conf_join)
TD_CMD_REGISTER(conf_role, "conf role", "CONF SESSION speaker|listen|muted|whisper SESSION",
		"change a participant's role while it talks", cmd_conf_role)
TD_CMD_REGISTER(conf_leave, "conf leave", "CONF SESSION", "take a participant out", cmd_conf_leave)
TD_CMD_REGISTER(conf_destroy, "conf destroy", "CONF", "end a conference: every participant leaves", cmd_conf_destroy)
TD_CMD_REGISTER(show_conferences, "show conferences", "", "conferences, participants, roles and who is talking",
		cmd_show_conferences)
