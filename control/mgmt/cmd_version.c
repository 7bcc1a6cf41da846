/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show version`: this control's version, and the versions of the contract
 * it speaks with the dataplane (segment ABI, message format). Runs on the
 * event loop; replies at once; never fails.
 */
#include "dataplane/api/td_dp_shm.h"
#include "mgmt.h"

static void
cmd_version(struct td_mgmt_req *req, int argc, char **argv)
{
	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	td_mgmt_reply(req, TD_MGMT_OK,
		      json_pack("{s:s,s:i,s:i}", "version", TD_VERSION, "abi_version", TD_DP_ABI_VERSION, "msg_version",
				TD_DP_MSG_VERSION),
		      "tongdai %s (dataplane ABI %d, messages v%d)", TD_VERSION, TD_DP_ABI_VERSION, TD_DP_MSG_VERSION);
}

TD_CMD_REGISTER(version, "show version", "", "this program's version and the dataplane ABI it speaks", cmd_version)
