/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TD_DP_CMD_PING: proves a worker is polling its command ring. The ack echoes
 * the cookie; control measures the round trip.
 */
#include "ctl.h"

static int
ctl_ping(struct td_worker *w, const struct td_dp_msg *cmd, struct td_dp_msg *ack)
{
	(void)w;
	ack->ack.cookie = cmd->ping.cookie;
	return 0;
}

TD_CTL_CMD_REGISTER(TD_DP_CMD_PING, ctl_ping)
