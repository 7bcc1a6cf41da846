/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `help [WORDS...]`: the registered commands with their arguments and help,
 * all of them or those whose words start with WORDS. The CLI fetches the
 * list once at start for Tab completion. Runs on the event loop; replies at
 * once; status 2 when no command starts with WORDS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt.h"

#define HELP_COL 34

/* Do the command's words start with argv (the last one may be partial)? */
static bool
help_match(const struct td_cmd *c, int argc, char **argv)
{
	const char *w = c->words;
	for (int i = 0; i < argc; i++) {
		size_t len = strcspn(w, " "), alen = strlen(argv[i]);
		bool last = i + 1 == argc;
		if (last ? alen > len || strncmp(w, argv[i], alen) != 0 : alen != len || strncmp(w, argv[i], len) != 0)
			return false;
		w += len;
		while (*w == ' ')
			w++;
	}
	return true;
}

static void
cmd_help(struct td_mgmt_req *req, int argc, char **argv)
{
	json_t *list = json_array();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (list == NULL || f == NULL) {
		json_decref(list);
		if (f)
			fclose(f);
		free(text);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	for (const struct td_cmd *c = td_cmd_first(); c; c = c->next) {
		if (!help_match(c, argc, argv))
			continue;
		json_array_append_new(list,
				      json_pack("{s:s,s:s,s:s}", "words", c->words, "args", c->args, "help", c->help));
		int n = fprintf(f, "  %s%s%s", c->words, *c->args ? " " : "", c->args);
		if (n > HELP_COL)
			fprintf(f, "\n%*s", HELP_COL + 2, "");
		else
			fprintf(f, "%*s", HELP_COL + 2 - n, "");
		fprintf(f, "%s\n", c->help);
	}
	fclose(f);
	if (json_array_size(list) == 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "no command starts with '%.64s%s' (try 'help')", argv[0],
			      argc > 1 ? " ..." : "");
		json_decref(list);
	} else {
		if (len && text[len - 1] == '\n')
			text[len - 1] = '\0';
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "commands", list), "%s", text);
	}
	free(text);
}

TD_CMD_REGISTER(help, "help", "[WORDS...]", "list the commands (those starting with WORDS)", cmd_help)
