/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the dataplane commands share: the one reply every one of them gives
 * while control is not attached (status 1, "dataplane not running: <why>",
 * data {"running": false, "reason": ...}). Event-loop thread only.
 */
#ifndef TD_DP_CMD_H
#define TD_DP_CMD_H

#include "mgmt/mgmt.h"

void dp_cmd_not_running(struct td_mgmt_req *req);

#endif
