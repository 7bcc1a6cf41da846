/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker-side command dispatch. The handler table is filled by constructors
 * before main() and read-only afterwards. A command of an unknown version is
 * acked -EPROTONOSUPPORT, an unknown type -EOPNOTSUPP: control always gets an
 * answer, and a full event ring is counted (event_ring_full), never waited on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>

#include "ctl.h"

#define CTL_MAX_CMDS 64

static struct {
	uint16_t type;
	td_ctl_cmd_cb_t cb;
} cmds[CTL_MAX_CMDS];
static unsigned int n_cmds;

void
td_ctl_cmd_register(uint16_t type, const char *name, td_ctl_cmd_cb_t cb)
{
	for (unsigned int i = 0; i < n_cmds; i++) {
		if (cmds[i].type == type) {
			fprintf(stderr, "tongdai-dataplane: command %s registered twice\n", name);
			abort();
		}
	}
	if (n_cmds == CTL_MAX_CMDS || type >= TD_DP_EVT_ACK) {
		fprintf(stderr, "tongdai-dataplane: cannot register command %s\n", name);
		abort();
	}
	cmds[n_cmds].type = type;
	cmds[n_cmds].cb = cb;
	n_cmds++;
}

static int
ctl_dispatch(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	if (cmd->hdr.version != TD_DP_MSG_VERSION)
		return -EPROTONOSUPPORT;
	for (unsigned int i = 0; i < n_cmds; i++)
		if (cmds[i].type == cmd->hdr.type)
			return cmds[i].cb(w, cmd, ack);
	return -EOPNOTSUPP;
}

int
td_worker_event(struct td_worker *w, const struct td_dp_msg *m)
{
	if (td_dp_msg_send(w->evt, m) < 0) {
		w->st->event_ring_full++;
		return -ENOBUFS;
	}
	w->st->events++;
	return 0;
}

unsigned int
td_ctl_poll(struct td_worker *w)
{
	struct td_dp_msg cmd, ack;
	unsigned int n;

	for (n = 0; n < TD_CTL_BURST && td_dp_msg_recv(w->cmd, &cmd) == 0; n++) {
		td_dp_msg_init(&ack, TD_DP_EVT_ACK, cmd.hdr.req_id);
		ack.hdr.worker = w->index;
		ack.ack.cmd_type = cmd.hdr.type;
		ack.ack.tsc = rte_rdtsc();
		ack.ack.result = ctl_dispatch(w, &cmd, &ack);
		w->st->cmds++;
		if (ack.ack.result == TD_CTL_DEFERRED)
			continue;
		td_worker_event(w, &ack);
	}
	return n;
}
