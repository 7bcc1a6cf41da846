/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands from control, as seen by a worker. A command handler registers for
 * one message type with TD_CTL_CMD_REGISTER(type, fn); td_ctl_poll(), called
 * by the worker every TD_CTL_POLL_MASK+1 loops, takes a few commands off the
 * worker's ring, runs the handler and sends the ack (0 or -errno) with the
 * command's request id. Handlers run on the worker: no malloc, no syscalls.
 */
#ifndef TD_CTL_H
#define TD_CTL_H

#include "api/td_dp_msg.h"
#include "worker/worker.h"

/* Fill ack's body if the command answers with data; return 0 or -errno,
 * or TD_CTL_DEFERRED when the handler sends the ack itself later (work
 * handed to the main lcore). */
#define TD_CTL_DEFERRED 1
typedef int (*td_ctl_cmd_cb_t)(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack);

void td_ctl_cmd_register(uint16_t type, const char *name, td_ctl_cmd_cb_t cb);

#define TD_CTL_CMD_REGISTER(type, cb)                                   \
	static void __attribute__((constructor)) td_ctl_init_##cb(void) \
	{                                                               \
		td_ctl_cmd_register(type, #type, cb);                   \
	}

/* Handle up to TD_CTL_BURST commands; returns how many. */
#define TD_CTL_BURST 8
unsigned int td_ctl_poll(struct td_worker *w);

#endif
