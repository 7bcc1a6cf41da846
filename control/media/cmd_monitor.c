/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operator commands for supervisor monitoring (docs/conference.md):
 * `monitor AGENT listen|whisper|barge|off SUPERVISOR` starts a monitor of
 * the call the agent's session is bridged in, or switches its mode;
 * `monitor stop AGENT` ends it; `show monitors` lists them. The command
 * goes to the worker that owns the agent's session, which does the mixing;
 * control keeps what the worker acknowledged, and forgets a monitor when
 * the worker says it ended with a session or the bridge
 * (TD_DP_EVT_MONITOR). Event-loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_cmd.h"
#include "dp_link.h"
#include "log.h"
#include "mgmt/mgmt.h"

#define MON_MAX 256
#define ACK_MS	2000

struct mon {
	uint32_t agent; /* 0: free slot */
	uint32_t customer;
	uint32_t supervisor;
	uint32_t worker;
	uint8_t mode;
};

static struct mon mons[MON_MAX];

static const char *const mode_names[] = {"off", "listen", "whisper", "barge"};

static struct mon *
mon_find(uint32_t agent)
{
	for (unsigned i = 0; i < MON_MAX; i++)
		if (mons[i].agent == agent && agent)
			return &mons[i];
	return NULL;
}

static int
parse_id(const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || x > UINT32_MAX || x == 0)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* The worker owning a session id's port, or -1. */
static int
session_worker(const struct td_dp_shm *shm, uint32_t id)
{
	uint16_t port = TD_DP_SESSION_PORT(id);
	for (uint32_t w = 0; w < shm->hdr->n_workers; w++)
		if (port >= shm->hdr->workers[w].rtp_port_lo && port <= shm->hdr->workers[w].rtp_port_hi)
			return (int)w;
	return -1;
}

/* The live session's stats (0 when the id names no live session). */
static int
session_read(const struct td_dp_shm *shm, uint32_t id, struct td_dp_session_stats *st)
{
	int w = session_worker(shm, id);
	if (w < 0)
		return -ENOENT;
	uint32_t slot = (uint32_t)(TD_DP_SESSION_PORT(id) - shm->hdr->workers[w].rtp_port_lo) / 2;
	if (slot >= shm->hdr->workers[w].n_sessions)
		return -ENOENT;
	td_dp_session_read(td_dp_shm_session_stats(shm, (uint32_t)w, slot), st);
	return st->session == id ? 0 : -ENOENT;
}

static const char *
mon_strerror(int res, bool stop)
{
	switch (res) {
	case -ENOENT:
		return "no such session on that worker";
	case -EXDEV:
		return "the supervisor's session is on another worker than the call";
	case -ENOTCONN:
		return stop ? "that session is not monitored" : "the agent's session is not bridged to a customer";
	case -EBUSY:
		return "a session is already monitored or supervising, or the supervisor is bridged or in a conference";
	case -ENOTSUP:
		return "monitoring needs G.711 (PCMA or PCMU) at 20 ms on all three sessions and a call that does not "
		       "transcode";
	case -EINVAL:
		return "the supervisor must be a third session, not the agent or the customer";
	case -ENOSPC:
		return "no mixer slot left on the worker (a monitor takes three of --conf-slots)";
	default:
		return strerror(-res);
	}
}

struct pending {
	struct td_mgmt_req *req;
	struct td_dp_cmd_monitor cmd;
	uint32_t worker;
	uint32_t customer;
};

static void
monitor_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct pending *pd = arg;
	bool stop = pd->cmd.mode == TD_DP_MON_STOP;
	struct mon *m = mon_find(pd->cmd.agent);

	if (ack == NULL) {
		td_mgmt_reply(pd->req, TD_MGMT_FAILED, json_pack("{s:i}", "result", err),
			      "the dataplane did not answer: %s", err == -ETIMEDOUT ? "timed out" : strerror(-err));
	} else if (ack->ack.result < 0) {
		int res = ack->ack.result;
		/* The worker knows no such monitor: neither do we now. */
		if (stop && res == -ENOTCONN && m)
			memset(m, 0, sizeof(*m));
		td_mgmt_reply(pd->req, TD_MGMT_FAILED, json_pack("{s:i}", "result", res), "%s",
			      mon_strerror(res, stop));
	} else if (stop) {
		if (m)
			memset(m, 0, sizeof(*m));
		td_mgmt_reply(pd->req, TD_MGMT_OK, json_pack("{s:i}", "result", 0), "monitor of %u stopped",
			      pd->cmd.agent);
	} else {
		for (unsigned i = 0; i < MON_MAX && m == NULL; i++)
			if (mons[i].agent == 0)
				m = &mons[i];
		if (m)
			*m = (struct mon){.agent = pd->cmd.agent,
					  .customer = pd->customer,
					  .supervisor = pd->cmd.supervisor,
					  .worker = pd->worker,
					  .mode = pd->cmd.mode};
		else
			LOG_WARN("monitor of %u: %u monitors listed already, this one is not", pd->cmd.agent, MON_MAX);
		td_mgmt_reply(pd->req, TD_MGMT_OK,
			      json_pack("{s:I,s:I,s:I,s:s,s:i}", "agent", (json_int_t)pd->cmd.agent, "customer",
					(json_int_t)pd->customer, "supervisor", (json_int_t)pd->cmd.supervisor, "mode",
					mode_names[pd->cmd.mode], "worker", (int)pd->worker),
			      "supervisor %u: %s on the call of agent %u and customer %u", pd->cmd.supervisor,
			      mode_names[pd->cmd.mode], pd->cmd.agent, pd->customer);
	}
	free(pd);
}

static void
send_monitor(struct td_mgmt_req *req, uint32_t worker, uint32_t customer, const struct td_dp_cmd_monitor *cmd)
{
	struct pending *pd = malloc(sizeof(*pd));
	struct td_dp_msg m;

	if (pd == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	*pd = (struct pending){.req = req, .cmd = *cmd, .worker = worker, .customer = customer};
	td_dp_msg_init(&m, TD_DP_CMD_MONITOR, 0);
	m.monitor = *cmd;
	if (dp_link_send(worker, &m, monitor_ack, pd, ACK_MS) == -ENOMEM) {
		free(pd);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
	}
}

/* The agent's session: its worker and stats, or a reply and -1. */
static int
agent_arg(struct td_mgmt_req *req, const struct td_dp_shm *shm, const char *s, uint32_t *id,
	  struct td_dp_session_stats *st)
{
	int w;
	if (parse_id(s, id) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s'", s);
		return -1;
	}
	if ((w = session_worker(shm, *id)) < 0 || session_read(shm, *id, st) < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no such session %u", *id);
		return -1;
	}
	return w;
}

static void
cmd_monitor(struct td_mgmt_req *req, int argc, char **argv)
{
	const struct td_dp_shm *shm = dp_link_shm();
	struct td_dp_cmd_monitor cmd = {.mode = 0xff};
	struct td_dp_session_stats st;
	int w;

	if (argc != 3) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
			      "usage: monitor AGENT listen|whisper|barge|off SUPERVISOR, or monitor stop AGENT");
		return;
	}
	for (uint8_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(argv[1], mode_names[i]) == 0)
			cmd.mode = i;
	if (cmd.mode == 0xff) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad mode '%s' (listen, whisper, barge or off)", argv[1]);
		return;
	}
	if (parse_id(argv[2], &cmd.supervisor) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s'", argv[2]);
		return;
	}
	if (shm == NULL) {
		dp_cmd_not_running(req);
		return;
	}
	if ((w = agent_arg(req, shm, argv[0], &cmd.agent, &st)) < 0)
		return;
	if (st.peer == 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, json_pack("{s:i}", "result", -ENOTCONN), "%s",
			      mon_strerror(-ENOTCONN, false));
		return;
	}
	int sw = session_worker(shm, cmd.supervisor);
	if (sw < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no such session %u", cmd.supervisor);
		return;
	}
	if (sw != w) {
		td_mgmt_reply(req, TD_MGMT_FAILED, json_pack("{s:i}", "result", -EXDEV),
			      "the supervisor's session is on worker %d, the call on worker %d: sessions of one worker "
			      "only",
			      sw, w);
		return;
	}
	send_monitor(req, (uint32_t)w, st.peer, &cmd);
}

static void
cmd_monitor_stop(struct td_mgmt_req *req, int argc, char **argv)
{
	const struct td_dp_shm *shm = dp_link_shm();
	struct td_dp_cmd_monitor cmd = {.mode = TD_DP_MON_STOP};
	int w;

	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: monitor stop AGENT");
		return;
	}
	if (parse_id(argv[0], &cmd.agent) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s'", argv[0]);
		return;
	}
	if (shm == NULL) {
		dp_cmd_not_running(req);
		return;
	}
	if ((w = session_worker(shm, cmd.agent)) < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no such session %u", cmd.agent);
		return;
	}
	send_monitor(req, (uint32_t)w, 0, &cmd);
}

static void
cmd_show_monitors(struct td_mgmt_req *req, int argc, char **argv)
{
	static char text[16384];
	size_t off = 0;
	json_t *list = json_array();

	(void)argv;
	if (argc) {
		json_decref(list);
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "show monitors takes no argument");
		return;
	}
	off += (size_t)snprintf(text + off, sizeof(text) - off, "%-10s %-10s %-10s %-8s %s", "AGENT", "CUSTOMER",
				"SUPERVISOR", "MODE", "WORKER");
	for (unsigned i = 0; i < MON_MAX; i++) {
		const struct mon *m = &mons[i];
		if (m->agent == 0)
			continue;
		const char *mode = m->mode < 4 ? mode_names[m->mode] : "?";
		json_array_append_new(list,
				      json_pack("{s:I,s:I,s:I,s:s,s:i}", "agent", (json_int_t)m->agent, "customer",
						(json_int_t)m->customer, "supervisor", (json_int_t)m->supervisor,
						"mode", mode, "worker", (int)m->worker));
		if (off < sizeof(text))
			off += (size_t)snprintf(text + off, sizeof(text) - off, "\n%-10u %-10u %-10u %-8s %u", m->agent,
						m->customer, m->supervisor, mode, m->worker);
	}
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "monitors", list), "%s", text);
}

/* A monitor ended in the dataplane with one of its sessions or the bridge. */
static void
monitor_dp_event(const struct td_dp_msg *ev)
{
	if (ev->hdr.type != TD_DP_EVT_MONITOR)
		return;
	struct mon *m = mon_find(ev->mon_end.agent);
	if (m)
		memset(m, 0, sizeof(*m));
	LOG_INFO("monitor of agent %u (customer %u, supervisor %u) ended: %s", ev->mon_end.agent, ev->mon_end.customer,
		 ev->mon_end.supervisor,
		 ev->mon_end.why == TD_DP_MON_UNBRIDGED ? "the call was unbridged" : "a session was destroyed");
}

static void __attribute__((constructor)) monitor_module_init(void)
{
	dp_link_on_event(monitor_dp_event);
}

TD_CMD_REGISTER(monitor, "monitor", "AGENT listen|whisper|barge|off SUPERVISOR",
		"supervise the call of an agent's session: listen, whisper to the agent, barge in, or off", cmd_monitor)
TD_CMD_REGISTER(monitor_stop, "monitor stop", "AGENT", "end the monitor of an agent's call", cmd_monitor_stop)
TD_CMD_REGISTER(show_monitors, "show monitors", "", "supervisor monitors: agent, customer, supervisor, mode",
		cmd_show_monitors)
