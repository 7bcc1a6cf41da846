/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `ping dataplane`: one TD_DP_CMD_PING through every worker's command ring,
 * answered on its event ring, with the round trip seen by control (which
 * includes up to one tick of the loop, 2 ms). Runs on the event loop; the
 * reply waits for every ack or 1 s. Status 1 if a worker failed, did not
 * answer in time, or the dataplane is not running.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_cmd.h"
#include "dp_link.h"
#include "mgmt/mgmt.h"

#define PING_TIMEOUT_MS 1000

struct ping;

struct ping_slot {
	struct ping *ping;
	uint64_t cookie;
	uint64_t sent_ns;
	uint64_t rtt_ns;
	int result;
};

struct ping {
	struct td_mgmt_req *req;
	uint64_t generation;
	uint32_t n, done;
	struct ping_slot slots[];
};

static void
ping_finish(struct ping *p)
{
	json_t *list = json_array();
	char ok[1024] = "", bad[1024] = "";
	size_t ok_off = 0, bad_off = 0;
	uint32_t failed = 0;

	for (uint32_t w = 0; w < p->n; w++) {
		const struct ping_slot *s = &p->slots[w];
		unsigned long long us = (unsigned long long)(s->rtt_ns / 1000);
		const char *why = s->result == -ETIMEDOUT ? "no answer within 1000 ms" : strerror(-s->result);
		json_array_append_new(list, json_pack("{s:i,s:i,s:s?,s:I}", "worker", (int)w, "result", s->result,
						      "error", s->result ? why : NULL, "rtt_us",
						      (json_int_t)(s->result ? -1 : (json_int_t)us)));
		if (s->result == 0) {
			if (ok_off < sizeof(ok))
				ok_off += (size_t)snprintf(ok + ok_off, sizeof(ok) - ok_off, "%sworker %u: ok, %llu us",
							   ok_off ? "\n" : "", w, us);
		} else {
			failed++;
			if (bad_off < sizeof(bad))
				bad_off += (size_t)snprintf(bad + bad_off, sizeof(bad) - bad_off, "%sworker %u: %s",
							    bad_off ? "; " : "", w, why);
		}
	}
	json_t *data = json_pack("{s:I,s:o}", "generation", (json_int_t)p->generation, "workers", list);
	if (failed)
		/* A failure is one line: the CLI prints it on stderr. */
		td_mgmt_reply(p->req, TD_MGMT_FAILED, data, "%u of %u worker%s did not answer: %s", failed, p->n,
			      p->n == 1 ? "" : "s", bad);
	else
		td_mgmt_reply(p->req, TD_MGMT_OK, data, "%s", ok);
	free(p);
}

static void
ping_ack(void *arg, const struct td_dp_msg *ack, int err)
{
	struct ping_slot *s = arg;
	struct ping *p = s->ping;

	s->rtt_ns = td_dp_now_ns() - s->sent_ns;
	if (ack == NULL)
		s->result = err;
	else if (ack->ack.cmd_type != TD_DP_CMD_PING || ack->ack.cookie != s->cookie)
		s->result = -EPROTO; /* an ack that is not for this ping */
	else
		s->result = ack->ack.result;
	if (++p->done == p->n)
		ping_finish(p);
}

static void
cmd_ping_dataplane(struct td_mgmt_req *req, int argc, char **argv)
{
	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	const struct td_dp_shm *shm = dp_link_shm();
	if (shm == NULL) {
		dp_cmd_not_running(req);
		return;
	}
	uint32_t n = shm->hdr->n_workers;
	struct ping *p = calloc(1, sizeof(*p) + n * sizeof(p->slots[0]));
	if (p == NULL) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	p->req = req;
	p->n = n;
	p->generation = shm->hdr->generation;
	uint64_t now = td_dp_now_ns();
	for (uint32_t w = 0; w < n; w++) {
		struct ping_slot *s = &p->slots[w];
		struct td_dp_msg m;
		s->ping = p;
		s->cookie = now ^ ((uint64_t)w << 48);
		s->sent_ns = td_dp_now_ns();
		td_dp_msg_init(&m, TD_DP_CMD_PING, 0);
		m.ping.cookie = s->cookie;
		/* The answer, or the failure to send, comes through ping_ack. */
		if (dp_link_send(w, &m, ping_ack, s, PING_TIMEOUT_MS) == -ENOMEM)
			ping_ack(s, NULL, -ENOMEM);
	}
}

TD_CMD_REGISTER(ping_dataplane, "ping dataplane", "", "a command round trip through every worker's rings",
		cmd_ping_dataplane)
