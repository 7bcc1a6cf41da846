/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `user add <name> <password> [display <text>] [realm <realm>]`,
 * `user del <name>`, `user passwd <name> <password>`, `show users`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc/route.h"
#include "mgmt/mgmt.h"
#include "registrar.h"
#include "store/users.h"

static void
cmd_user_add(struct td_mgmt_req *req, int argc, char **argv)
{
	const char *display = NULL, *realm = NULL;
	char err[160];

	if (argc < 2) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
			      "user add takes <name> <password> [display <text>] [realm <r>]");
		return;
	}
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc) {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "'%s' needs a value", argv[i]);
			return;
		}
		if (strcmp(argv[i], "display") == 0) {
			display = argv[i + 1];
		} else if (strcmp(argv[i], "realm") == 0) {
			realm = argv[i + 1];
		} else {
			td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "unknown option '%s' (display, realm)", argv[i]);
			return;
		}
	}
	int ret = td_user_add(argv[0], argv[1], display, realm, err, sizeof(err));
	if (ret == -EINVAL)
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
	else if (ret < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "%s", err);
	else
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:s}", "user", argv[0]), "user %s added", argv[0]);
}

static void
cmd_user_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[160];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "user del takes one user name");
		return;
	}
	if (td_user_name_check(argv[0], err, sizeof(err)) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
		return;
	}
	if (cc_route_uses(CC_TGT_EXTENSION, argv[0])) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "user %s is the target of a route (show routes)", argv[0]);
		return;
	}
	int ret = td_user_del(argv[0]);
	if (ret == -ENOENT) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no user %s", argv[0]);
		return;
	}
	if (ret < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "cannot delete user %s: %s", argv[0], strerror(-ret));
		return;
	}
	/* Its phones may no longer receive calls as this user. */
	int n = registrar_forget(argv[0]);
	td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:s,s:i}", "user", argv[0], "bindings_removed", n),
		      "user %s deleted (%d binding(s) removed)", argv[0], n);
}

static void
cmd_user_passwd(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[160];
	if (argc != 2) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "user passwd takes <name> <password>");
		return;
	}
	if (td_user_name_check(argv[0], err, sizeof(err)) < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
		return;
	}
	int ret = td_user_set_password(argv[0], argv[1], err, sizeof(err));
	if (ret == -EINVAL)
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", err);
	else if (ret < 0)
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "%s", err);
	else
		td_mgmt_reply(req, TD_MGMT_OK, NULL, "password of %s changed", argv[0]);
}

/* The text is kept under about 60 kB; --json has every user. */
#define TEXT_MAX 60000

struct walk {
	json_t *arr;
	FILE *f;
	size_t left_out;
};

static int
one(const struct td_user *u, void *arg)
{
	struct walk *w = arg;
	json_array_append_new(w->arr, json_pack("{s:s,s:s,s:s,s:i,s:I}", "name", u->name, "display", u->display,
						"realm", u->realm, "max_contacts", (int)u->max_contacts, "created",
						(json_int_t)u->created));
	if (ftell(w->f) < TEXT_MAX)
		fprintf(w->f, "\n%-20s %-30s %s", u->name, u->display, u->realm);
	else
		w->left_out++;
	return 0;
}

static void
cmd_show_users(struct td_mgmt_req *req, int argc, char **argv)
{
	char *text = NULL;
	size_t len = 0;
	struct walk w = {0};

	if (td_mgmt_reply_extra_args(req, argc, argv))
		return;
	w.arr = json_array();
	w.f = w.arr ? open_memstream(&text, &len) : NULL;
	if (w.f == NULL) {
		json_decref(w.arr);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	fprintf(w.f, "%-20s %-30s %s", "user", "display", "realm");
	int ret = td_user_foreach(one, &w);
	fclose(w.f);
	if (ret < 0) {
		json_decref(w.arr);
		free(text);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "cannot read the users: %s", strerror(-ret));
		return;
	}
	size_t n = json_array_size(w.arr);
	if (w.left_out)
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "users", w.arr),
			      "%s\n%zu user(s), %zu not listed here (see --json)", text ? text : "", n, w.left_out);
	else
		td_mgmt_reply(req, TD_MGMT_OK, json_pack("{s:o}", "users", w.arr), "%s\n%zu user(s)", text ? text : "",
			      n);
	free(text);
}

TD_CMD_REGISTER(user_add, "user add", "<name> <password> [display <text>] [realm <realm>]",
		"create a SIP user (extension); only digest hashes of the password are kept", cmd_user_add)
TD_CMD_REGISTER(user_del, "user del", "<name>", "delete a SIP user and its registrations", cmd_user_del)
TD_CMD_REGISTER(user_passwd, "user passwd", "<name> <password>", "change a SIP user's password", cmd_user_passwd)
TD_CMD_REGISTER(show_users, "show users", "", "the SIP users", cmd_show_users)
