/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IVR commands: `ivr add|set|key|del`, `show ivr [MENU]` (docs/cli.md,
 * docs/contact-center.md "IVR").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivr.h"
#include "mgmt/mgmt.h"

static int
number(const char *opt, const char *v, uint32_t lo, uint32_t hi, uint32_t *out, char *err, size_t errlen)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*v == '\0' || *end || n < (long)lo || n > (long)hi) {
		snprintf(err, errlen, "bad %s '%s': %u to %u", opt, v, lo, hi);
		return -EINVAL;
	}
	*out = (uint32_t)n;
	return 0;
}

static int
prompt_opt(const char *opt, const char *v, char *out, char *err, size_t errlen)
{
	if (strlen(v) >= IVR_PROMPT_MAX || v[0] == '\0') {
		snprintf(err, errlen, "%s: a prompt name of 1 to %d characters", opt, IVR_PROMPT_MAX - 1);
		return -EINVAL;
	}
	snprintf(out, IVR_PROMPT_MAX, "%s", strcmp(opt, "invalid") == 0 && strcmp(v, "none") == 0 ? "" : v);
	return 0;
}

/* The options of ivr add/set over m. */
static int
menu_opts(struct ivr_menu_conf *m, int argc, char **argv, char *err, size_t errlen)
{
	for (int i = 0; i < argc;) {
		const char *o = argv[i];
		int ret = 0, n;
		if (strcmp(o, "choice") == 0) {
			m->collect = false;
			i++;
			continue;
		}
		if (i + 1 >= argc) {
			snprintf(err, errlen, "'%s' needs a value", o);
			return -EINVAL;
		}
		const char *v = argv[i + 1];
		if (strcmp(o, "prompt") == 0 || strcmp(o, "invalid") == 0) {
			ret = prompt_opt(o, v, o[0] == 'p' ? m->prompt : m->invalid, err, errlen);
		} else if (strcmp(o, "timeout") == 0) {
			ret = number(o, v, 1, 60, &m->timeout_s, err, errlen);
		} else if (strcmp(o, "tries") == 0) {
			ret = number(o, v, 1, 10, &m->tries, err, errlen);
		} else if (strcmp(o, "fail") == 0 || strcmp(o, "then") == 0) {
			n = ivr_action_parse(argc - i - 1, argv + i + 1, o[0] == 'f' ? &m->on_fail : &m->then, err,
					     errlen);
			if (n < 0)
				return n;
			i += 1 + n;
			continue;
		} else if (strcmp(o, "collect") == 0) {
			unsigned int lo, hi;
			char end;
			if (sscanf(v, "%u-%u%c", &lo, &hi, &end) != 2 || lo < 1 || lo > hi || hi > IVR_DIGITS_MAX) {
				snprintf(err, errlen, "collect takes MIN-MAX digits, 1 <= MIN <= MAX <= %d",
					 IVR_DIGITS_MAX);
				return -EINVAL;
			}
			m->collect = true;
			m->min = (uint8_t)lo;
			m->max = (uint8_t)hi;
		} else if (strcmp(o, "terminator") == 0) {
			if (strcmp(v, "none") != 0 && strcmp(v, "#") != 0 && strcmp(v, "*") != 0) {
				snprintf(err, errlen, "terminator is #, * or none");
				return -EINVAL;
			}
			m->terminator = v[0] == 'n' ? 0 : v[0];
		} else {
			snprintf(err, errlen,
				 "unknown option '%s' (prompt, invalid, timeout, tries, fail, choice, collect, "
				 "terminator, then)",
				 o);
			return -EINVAL;
		}
		if (ret < 0)
			return ret;
		i += 2;
	}
	return 0;
}

static void
reply(struct td_mgmt_req *req, int ret, const char *err, const char *done)
{
	if (ret == 0)
		td_mgmt_reply(req, TD_MGMT_OK, NULL, "%s", done);
	else
		td_mgmt_reply(req, ret == -EINVAL || ret == -ELOOP ? TD_MGMT_USAGE : TD_MGMT_FAILED, NULL, "%s", err);
}

static void
cmd_ivr_add_set(struct td_mgmt_req *req, int argc, char **argv, bool add)
{
	struct ivr_menu_conf m;
	char err[240], done[80];
	int ret;
	if (argc < 1 || (add && argc < 3)) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "ivr %s takes <menu> %s[options]", add ? "add" : "set",
			      add ? "prompt <prompt> " : "");
		return;
	}
	if (strlen(argv[0]) >= CC_NAME_MAX || argv[0][0] == '\0') {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "a menu name has 1 to %d characters", CC_NAME_MAX - 1);
		return;
	}
	if (add)
		ivr_menu_default(&m, argv[0]);
	else if (ivr_menu_get(argv[0], &m) < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no menu %s", argv[0]);
		return;
	}
	ret = menu_opts(&m, argc - 1, argv + 1, err, sizeof(err));
	if (ret == 0)
		ret = ivr_menu_put(&m, add, err, sizeof(err));
	snprintf(done, sizeof(done), "menu %.32s %s", argv[0], add ? "added" : "changed");
	reply(req, ret, err, done);
}

static void
cmd_ivr_add(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_ivr_add_set(req, argc, argv, true);
}

static void
cmd_ivr_set(struct td_mgmt_req *req, int argc, char **argv)
{
	cmd_ivr_add_set(req, argc, argv, false);
}

static void
cmd_ivr_key(struct td_mgmt_req *req, int argc, char **argv)
{
	struct ivr_menu_conf m;
	char err[240], done[80];
	int k = argc >= 2 && strlen(argv[1]) == 1 ? ivr_key_index(argv[1][0]) : -1, n;
	if (argc < 3 || k < 0) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL,
			      "ivr key takes <menu> <0-9|*|#> <menu M|queue Q|extension U|repeat|back|hangup|none>");
		return;
	}
	if (ivr_menu_get(argv[0], &m) < 0) {
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no menu %s", argv[0]);
		return;
	}
	if (m.collect) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "menu %s collects digits: its keys are digits (then ...)",
			      argv[0]);
		return;
	}
	if (argc == 3 && strcmp(argv[2], "none") == 0) {
		memset(&m.key[k], 0, sizeof(m.key[k]));
	} else if ((n = ivr_action_parse(argc - 2, argv + 2, &m.key[k], err, sizeof(err))) < 0 || n != argc - 2) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "%s", n < 0 ? err : "one action after the key");
		return;
	}
	snprintf(done, sizeof(done), "menu %.32s key %s set", argv[0], argv[1]);
	reply(req, ivr_menu_put(&m, false, err, sizeof(err)), err, done);
}

static void
cmd_ivr_del(struct td_mgmt_req *req, int argc, char **argv)
{
	char err[200], done[80];
	if (argc != 1) {
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "ivr del takes one menu name");
		return;
	}
	snprintf(done, sizeof(done), "menu %.32s deleted", argv[0]);
	reply(req, ivr_menu_del(argv[0], err, sizeof(err)), err, done);
}

struct listing {
	json_t *arr;
	FILE *f;
};

static void
one_menu(const struct ivr_menu_conf *m, void *arg)
{
	struct listing *l = arg;
	json_t *o = ivr_menu_json(m);
	fprintf(l->f, "\n%-20s %-7s %-20s %4u %5u  %s", m->name, m->collect ? "collect" : "choice", m->prompt,
		m->timeout_s, m->tries, json_string_value(json_object_get(o, "fail")));
	json_array_append_new(l->arr, o);
}

static void
cmd_show_ivr(struct td_mgmt_req *req, int argc, char **argv)
{
	struct listing l = {.arr = json_array()};
	struct ivr_stats st;
	char *buf = NULL;
	size_t len = 0;

	if (argc > 1) {
		json_decref(l.arr);
		td_mgmt_reply(req, TD_MGMT_USAGE, NULL, "show ivr takes at most one menu name");
		return;
	}
	if (argc == 1) {
		struct ivr_menu_conf m;
		json_decref(l.arr);
		if (ivr_menu_get(argv[0], &m) < 0) {
			td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "no menu %s", argv[0]);
			return;
		}
		json_t *o = ivr_menu_json(&m);
		char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		td_mgmt_reply(req, TD_MGMT_OK, o, "%s", text ? text : "");
		free(text);
		return;
	}
	l.f = l.arr ? open_memstream(&buf, &len) : NULL;
	if (l.f == NULL) {
		json_decref(l.arr);
		td_mgmt_reply(req, TD_MGMT_FAILED, NULL, "out of memory");
		return;
	}
	fprintf(l.f, "%-20s %-7s %-20s %4s %5s  %s", "menu", "kind", "prompt", "wait", "tries", "fail");
	ivr_menu_foreach(one_menu, &l);
	fclose(l.f);
	ivr_stats_get(&st);
	size_t n = json_array_size(l.arr);
	td_mgmt_reply(req, TD_MGMT_OK,
		      json_pack("{s:o,s:i,s:I,s:I,s:I,s:I,s:I}", "menus", l.arr, "callers", (int)st.in_menus, "entered",
				(json_int_t)st.entered, "left", (json_int_t)st.left, "hung_up", (json_int_t)st.hung_up,
				"timeouts", (json_int_t)st.timeouts, "invalid_keys", (json_int_t)st.invalid_keys),
		      "%s\n%zu menu(s), %u caller(s) in menus", buf ? buf : "", n, st.in_menus);
	free(buf);
}

TD_CMD_REGISTER(cc_ivr_add, "ivr add",
		"<menu> prompt <p> [invalid <p>] [timeout S] [tries N] [fail <action>] [collect MIN-MAX "
		"[terminator #|*|none] then <action>]",
		"an IVR menu (actions: menu M, queue Q, extension U, repeat, back, hangup)", cmd_ivr_add)
TD_CMD_REGISTER(cc_ivr_set, "ivr set", "<menu> [the options of ivr add] [choice]", "change a menu", cmd_ivr_set)
TD_CMD_REGISTER(cc_ivr_key, "ivr key", "<menu> <key> <action>|none", "what a key does in a choice menu", cmd_ivr_key)
TD_CMD_REGISTER(cc_ivr_del, "ivr del", "<menu>", "delete a menu nothing uses", cmd_ivr_del)
TD_CMD_REGISTER(cc_show_ivr, "show ivr", "[menu]", "the IVR menus and callers in them, or one menu", cmd_show_ivr)
