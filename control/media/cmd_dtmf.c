/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operator commands for DTMF on a media session: `session dtmf ID DIGITS
 * [duration MS]` sends digits toward the session's remote, `session
 * dtmf-detect ID on|off [suppress]` switches in-band detection on a relay
 * G.711 session. Both parse, call dtmf.c and reply when the worker acks.
 * What was received shows in `show session ID`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dtmf.h"
#include "mgmt/mgmt.h"

static int
parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || x > max)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static void
done(void *arg, int result)
{
	struct td_mgmt_req *req = arg;
	if (result < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, json_pack("{s:i}", "result", result), "%s", dtmf_strerror(result));
	else
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:i}", "result", 0), "ok");
}

static void
started(struct td_mgmt_req *req, int ret)
{
	/* Refused before reaching the dataplane: done will not be called. */
	if (ret < 0)
		td_mgmt_reply(req, ret == -EINVAL ? TD_MGMT_USAGE : TD_MGMT_FAILED, json_pack("{s:i}", "result", ret),
			      "%s", ret == -ENOTCONN ? "the dataplane is not running" : dtmf_strerror(ret));
}

static void
cmd_dtmf(struct td_mgmt_req *req, int argc, char **argv)
{
	uint32_t id, ms = 0;

	if ((argc != 2 && argc != 4) || (argc == 4 && strcmp(argv[2], "duration") != 0)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: session dtmf ID DIGITS [duration MS]");
		return;
	}
	if (parse_u32(argv[0], UINT32_MAX, &id) < 0 || id == 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s'", argv[0]);
		return;
	}
	if (argc == 4 && (parse_u32(argv[3], 2000, &ms) < 0 || ms < 40)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad duration '%s' (40..2000 ms)", argv[3]);
		return;
	}
	started(req, dtmf_send(id, argv[1], (uint16_t)ms, done, req));
}

static void
cmd_dtmf_detect(struct td_mgmt_req *req, int argc, char **argv)
{
	uint32_t id;
	bool on = argc >= 2 && strcmp(argv[1], "on") == 0;

	if (argc < 2 || argc > 3 || (!on && strcmp(argv[1], "off") != 0) ||
	    (argc == 3 && strcmp(argv[2], "suppress") != 0)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "usage: session dtmf-detect ID on|off [suppress]");
		return;
	}
	if (parse_u32(argv[0], UINT32_MAX, &id) < 0 || id == 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "bad session id '%s'", argv[0]);
		return;
	}
	started(req, dtmf_detect(id, on, argc == 3, done, req));
}

TD_CMD_REGISTER(session_dtmf, "session dtmf", "ID DIGITS [duration MS]",
		"send DTMF toward a session's remote (RFC 4733 with telephone-event, else tones)", cmd_dtmf)
TD_CMD_REGISTER(session_dtmf_detect, "session dtmf-detect", "ID on|off [suppress]",
		"in-band DTMF detection on a relay G.711 session, optionally muting the tones", cmd_dtmf_detect)
