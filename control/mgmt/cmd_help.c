/* SPDX-License-Identifier: BSD-3-Clause */
/* `help` (the command list, also what the CLI completes from) and
 * `show version`. */
#include "mgmt.h"

static void
cmd_help(struct td_mgmt_req *req, int argc, char **argv)
{
	(void)argv;
	if (argc) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "help takes no argument");
		return;
	}
	json_t *list = json_array();
	char text[8192];
	size_t off = 0;
	for (const struct td_cmd *c = td_cmd_first(); c; c = c->next) {
		json_array_append_new(list,
				      json_pack("{s:s,s:s,s:s}", "words", c->words, "args", c->args, "help", c->help));
		int n = snprintf(text + off, sizeof(text) - off, "  %s %s\n      %s\n", c->words, c->args, c->help);
		if (n > 0 && (size_t)n < sizeof(text) - off)
			off += (size_t)n;
	}
	text[off ? off - 1 : 0] = '\0';
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "commands", list), "%s", text);
}

static void
cmd_version(struct td_mgmt_req *req, int argc, char **argv)
{
	(void)argv;
	if (argc) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "show version takes no argument");
		return;
	}
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:s}", "version", TD_VERSION), "tongdai %s", TD_VERSION);
}

TD_CMD_REGISTER(help, "help", "", "list the commands", cmd_help)
TD_CMD_REGISTER(version, "show version", "", "tongdai's version", cmd_version)
