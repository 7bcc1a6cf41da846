/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `trunk add <name> host IP[:PORT] [...]`, `trunk del <name>`,
 * `trunk did add <trunk> <number> <extension>`, `trunk did del <trunk>
 * <number>`, `show trunks`. The logic is in trunk.c; passwords are never
 * printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mgmt/mgmt.h"
#include "sip_core.h"
#include "trunk.h"

static void
reply_err(struct td_mgmt_req *req, int ret, const char *err)
{
	td_mgmt_reply(req, ret == -EINVAL ? TD_MGMT_USAGE : TD_MGMT_FAILED, NULL, "%s", err);
}

static void
cmd_trunk_add(struct td_mgmt_req *req, int argc, char **argv)
{
	struct trunk_cfg cfg;
	char err[200];
	int ret = trunk_cfg_parse(&cfg, argc, argv, err, sizeof(err));
	if (ret == 0)
		ret = trunk_add(&cfg, err, sizeof(err));
	if (ret < 0) {
		reply_err(req, ret, err);
		return;
	}
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:s,s:b}", "trunk", cfg.name, "register", cfg.reg),
		      "trunk %s added%s", cfg.name, cfg.reg ? ", registering" : "");
}

static void
cmd_trunk_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "trunk del takes one trunk name");
		return;
	}
	if (trunk_name_check(argv[0], err, sizeof(err)) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
		return;
	}
	int ret = trunk_del(argv[0], err, sizeof(err));
	if (ret < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "%s", err);
	else
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:s}", "trunk", argv[0]), "trunk %s deleted", argv[0]);
}

static void
cmd_trunk_did_add(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200];
	if (argc != 3) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "trunk did add takes <trunk> <number> <extension>");
		return;
	}
	int ret = trunk_did_add(argv[0], argv[1], argv[2], err, sizeof(err));
	if (ret < 0)
		reply_err(req, ret, err);
	else
		td_mgmt_reply(req, TD_MGMT_OK,
			      json_pack("{s:s,s:s,s:s}", "trunk", argv[0], "number", argv[1], "extension", argv[2]),
			      "trunk %s: %s goes to %s", argv[0], argv[1], argv[2]);
}

static void
cmd_trunk_did_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200];
	if (argc != 2) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "trunk did del takes <trunk> <number>");
		return;
	}
	int ret = trunk_did_del(argv[0], argv[1], err, sizeof(err));
	if (ret < 0)
		reply_err(req, ret, err);
	else
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:s,s:s}", "trunk", argv[0], "number", argv[1]),
			      "trunk %s: DID %s removed", argv[0], argv[1]);
}

static void
cmd_show_trunks(struct td_mgmt_req *req, int argc, char **argv)
{
	char *text = NULL;
	size_t len = 0, i;
	json_t *arr, *t;
	FILE *f;

	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	arr = trunks_json(sip_core_now_ms());
	f = arr ? open_memstream(&text, &len) : NULL;
	if (f == NULL) {
		json_decref(arr);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	fprintf(f, "%-16s %-21s %-16s %-30s %8s %5s %5s", "trunk", "host", "user", "state", "expires", "in", "out");
	json_array_foreach (arr, i, t) {
		char host[32], state[64];
		const char *st = json_string_value(json_object_get(t, "state"));
		snprintf(host, sizeof(host), "%s:%d", json_string_value(json_object_get(t, "ip")),
			 (int)json_integer_value(json_object_get(t, "port")));
		if (strcmp(st, "failed") == 0)
			snprintf(state, sizeof(state), "failed (%d %s)",
				 (int)json_integer_value(json_object_get(t, "last_code")),
				 json_string_value(json_object_get(t, "last_reason")));
		else
			snprintf(state, sizeof(state), "%s", st);
		fprintf(f, "\n%-16s %-21s %-16s %-30s %8lld %5lld %5lld", json_string_value(json_object_get(t, "name")),
			host, json_string_value(json_object_get(t, "user")), state,
			(long long)json_integer_value(json_object_get(t, "expires_in")),
			(long long)json_integer_value(json_object_get(t, "calls_in")),
			(long long)json_integer_value(json_object_get(t, "calls_out")));
		size_t k;
		json_t *p;
		json_array_foreach (json_object_get(t, "prefixes"), k, p)
			fprintf(f, "\n  prefix %s strip %lld", json_string_value(json_object_get(p, "prefix")),
				(long long)json_integer_value(json_object_get(p, "strip")));
		json_array_foreach (json_object_get(t, "dids"), k, p)
			fprintf(f, "\n  did %s -> %s", json_string_value(json_object_get(p, "number")),
				json_string_value(json_object_get(p, "extension")));
	}
	fclose(f);
	size_t n = json_array_size(arr);
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "trunks", arr), "%s\n%zu trunk(s)", text ? text : "", n);
	free(text);
}

TD_CMD_REGISTER(trunk_add, "trunk add",
		"<name> host IP[:PORT] [user U] [password P] [register yes|no] [expires S] [prefix P[/strip N]]... "
		"[source IP[:PORT]]...",
		"add a SIP trunk to a carrier (its password is stored as given, never shown)", cmd_trunk_add)
TD_CMD_REGISTER(trunk_del, "trunk del", "<name>", "delete a SIP trunk (un-REGISTERs it)", cmd_trunk_del)
TD_CMD_REGISTER(trunk_did_add, "trunk did add", "<trunk> <number> <extension>",
		"route calls from the trunk for number to an extension", cmd_trunk_did_add)
TD_CMD_REGISTER(trunk_did_del, "trunk did del", "<trunk> <number>", "remove a DID of a trunk", cmd_trunk_did_del)
TD_CMD_REGISTER(show_trunks, "show trunks", "", "SIP trunks, their registration and calls", cmd_show_trunks)
