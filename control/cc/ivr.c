/* SPDX-License-Identifier: BSD-3-Clause */
/* IVR menus and the callers in them: see ivr.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "ivr.h"
#include "log.h"

struct ivr_call {
	uint64_t call;
	bool used;
	bool playing;
	uint8_t depth;
	uint32_t tries;
	uint64_t deadline; /* 0 while the prompt plays */
	char menu[CC_NAME_MAX];
	char stack[IVR_DEPTH_MAX][CC_NAME_MAX]; /* menus that led here, for back */
	uint8_t ndig;
	char digits[IVR_DIGITS_MAX + 1];
};

static struct ivr_menu_conf *menus; /* sorted by name */
static unsigned int nmenus;
static struct ivr_call *calls;
static struct ivr_ops ops;
static ivr_prompt_exists_t prompt_exists;
static uint64_t (*clock_fn)(void);
static struct ivr_stats st;

static const char keys[IVR_KEYS + 1] = "0123456789*#";

static uint64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
ivr_key_index(char key)
{
	const char *p = key ? strchr(keys, key) : NULL;
	return p ? (int)(p - keys) : -1;
}

static const struct ivr_menu_conf *
menu_find(const char *name)
{
	bool found;
	unsigned int i = cc_name_find(menus, nmenus, sizeof(*menus), name, &found);
	return found ? &menus[i] : NULL;
}

bool
ivr_menu_exists(const char *name)
{
	return menu_find(name) != NULL;
}

int
ivr_menu_get(const char *name, struct ivr_menu_conf *m)
{
	const struct ivr_menu_conf *f = menu_find(name);
	if (f == NULL)
		return -ENOENT;
	*m = *f;
	return 0;
}

void
ivr_menu_foreach(void (*cb)(const struct ivr_menu_conf *m, void *arg), void *arg)
{
	for (unsigned int i = 0; i < nmenus; i++)
		cb(&menus[i], arg);
}

void
ivr_set_ops(const struct ivr_ops *o)
{
	ops = *o;
}

void
ivr_set_prompt_check(ivr_prompt_exists_t fn)
{
	prompt_exists = fn;
}

void
ivr_stats_get(struct ivr_stats *out)
{
	*out = st;
	out->in_menus = 0;
	for (unsigned int i = 0; calls && i < IVR_CALLS_MAX; i++)
		out->in_menus += calls[i].used;
}

int
ivr_init(uint64_t (*clock_ms)(void))
{
	clock_fn = clock_ms ? clock_ms : wall_ms;
	memset(&st, 0, sizeof(st));
	if (menus == NULL)
		menus = calloc(IVR_MENUS_MAX, sizeof(*menus));
	if (calls == NULL)
		calls = calloc(IVR_CALLS_MAX, sizeof(*calls));
	if (menus == NULL || calls == NULL) {
		ivr_fini();
		return -ENOMEM;
	}
	cc_route_set_ivr_check(ivr_menu_exists);
	return 0;
}

void
ivr_fini(void)
{
	free(menus);
	free(calls);
	menus = NULL;
	calls = NULL;
	nmenus = 0;
	cc_route_set_ivr_check(NULL);
}

/* ---- actions ---- */

void
ivr_menu_default(struct ivr_menu_conf *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->timeout_s = IVR_TIMEOUT_DEF;
	m->tries = IVR_TRIES_DEF;
	m->on_fail = (struct ivr_action){.act = IVR_TARGET, .target = {.kind = CC_TGT_HANGUP}};
	m->min = 1;
	m->max = 1;
}

int
ivr_action_parse(int argc, char **argv, struct ivr_action *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (argc >= 1 && strcmp(argv[0], "repeat") == 0) {
		a->act = IVR_REPEAT;
		return 1;
	}
	if (argc >= 1 && strcmp(argv[0], "back") == 0) {
		a->act = IVR_BACK;
		return 1;
	}
	if (argc >= 1 && strcmp(argv[0], "menu") == 0) {
		if (argc < 2 || argv[1][0] == '\0' || strlen(argv[1]) >= CC_NAME_MAX) {
			snprintf(err, errlen, "menu needs a menu name of 1 to %d characters", CC_NAME_MAX - 1);
			return -EINVAL;
		}
		a->act = IVR_MENU;
		a->target.kind = CC_TGT_IVR;
		snprintf(a->target.name, sizeof(a->target.name), "%s", argv[1]);
		return 2;
	}
	int n = cc_target_parse(argc, argv, &a->target, err, errlen);
	if (n < 0 || a->target.kind == CC_TGT_IVR) {
		snprintf(err, errlen, "an action is menu M, queue Q, extension U, repeat, back or hangup");
		return -EINVAL;
	}
	a->act = IVR_TARGET;
	return n;
}

static void
action_text(const struct ivr_action *a, char *buf, size_t len)
{
	switch (a->act) {
	case IVR_MENU:
		snprintf(buf, len, "menu %s", a->target.name);
		break;
	case IVR_TARGET:
		snprintf(buf, len, "%s%s%s", cc_target_kind_name(a->target.kind), a->target.name[0] ? " " : "",
			 a->target.name);
		break;
	case IVR_REPEAT:
		snprintf(buf, len, "repeat");
		break;
	case IVR_BACK:
		snprintf(buf, len, "back");
		break;
	default:
		snprintf(buf, len, "none");
	}
}

/* The action from its text (stored configuration). */
static int
action_from_text(const char *text, struct ivr_action *a)
{
	char buf[CC_TGT_NAME_MAX + 16], *argv[3], err[8], *save;
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 3; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	if (argc == 1 && strcmp(argv[0], "none") == 0) {
		memset(a, 0, sizeof(*a));
		return 0;
	}
	return ivr_action_parse(argc, argv, a, err, sizeof(err)) == argc ? 0 : -EIO;
}

/* ---- checks ---- */

static int
action_check(const struct ivr_menu_conf *m, const struct ivr_action *a, const char *where, char *err, size_t errlen)
{
	char e[160];
	if (a->act == IVR_MENU && strcmp(a->target.name, m->name) != 0 && menu_find(a->target.name) == NULL) {
		snprintf(err, errlen, "%s: no menu %s", where, a->target.name);
		return -ENOENT;
	}
	if (a->act == IVR_TARGET && cc_target_check(&a->target, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", where, e);
		return -ENOENT;
	}
	return 0;
}

/* A caller who presses nothing follows on_fail from menu to menu: that
 * chain must end (in a target) rather than come back. m is the new
 * definition of its menu. */
static int
loop_check(const struct ivr_menu_conf *m, char *err, size_t errlen)
{
	const struct ivr_menu_conf *cur = m;
	if (m->on_fail.act == IVR_REPEAT || m->on_fail.act == IVR_BACK) {
		snprintf(err, errlen, "fail cannot be repeat or back: a caller pressing nothing would stay forever");
		return -ELOOP;
	}
	for (unsigned int steps = 0; steps <= nmenus + 1; steps++) {
		if (cur->on_fail.act != IVR_MENU)
			return 0;
		const char *next = cur->on_fail.target.name;
		if (strcmp(next, m->name) == 0) {
			snprintf(err, errlen,
				 "loop: a caller pressing nothing would go round from menu %s back to it (via %s)",
				 m->name, cur->name);
			return -ELOOP;
		}
		cur = menu_find(next);
		if (cur == NULL)
			return 0;
	}
	snprintf(err, errlen, "loop among the fail actions of the menus reached from %s", m->name);
	return -ELOOP;
}

static int
menu_check(const struct ivr_menu_conf *m, char *err, size_t errlen)
{
	int ret;
	if (m->name[0] == '\0' || strlen(m->name) >= CC_NAME_MAX) {
		snprintf(err, errlen, "a menu name has 1 to %d characters", CC_NAME_MAX - 1);
		return -EINVAL;
	}
	if (m->prompt[0] == '\0') {
		snprintf(err, errlen, "menu %s needs a prompt", m->name);
		return -EINVAL;
	}
	if (m->timeout_s < 1 || m->timeout_s > 60 || m->tries < 1 || m->tries > 10) {
		snprintf(err, errlen, "timeout is 1 to 60 s and tries 1 to 10");
		return -EINVAL;
	}
	const char *p[2] = {m->prompt, m->invalid};
	for (int i = 0; i < 2; i++)
		if (p[i][0] && prompt_exists && !prompt_exists(p[i])) {
			snprintf(err, errlen, "unknown prompt %s (prompt add makes one)", p[i]);
			return -ENOENT;
		}
	if (m->collect) {
		if (m->min < 1 || m->min > m->max || m->max > IVR_DIGITS_MAX) {
			snprintf(err, errlen, "collect takes MIN-MAX digits with 1 <= MIN <= MAX <= %d",
				 IVR_DIGITS_MAX);
			return -EINVAL;
		}
		if (m->then.act == IVR_NONE || m->then.act == IVR_REPEAT || m->then.act == IVR_BACK) {
			snprintf(err, errlen, "a collect menu needs then <menu M|queue Q|extension U|hangup>");
			return -EINVAL;
		}
		if ((ret = action_check(m, &m->then, "then", err, errlen)) < 0)
			return ret;
	} else {
		/* A menu may get its keys after it is made. */
		for (int k = 0; k < IVR_KEYS; k++) {
			char where[16];
			snprintf(where, sizeof(where), "key %c", keys[k]);
			if ((ret = action_check(m, &m->key[k], where, err, errlen)) < 0)
				return ret;
		}
	}
	if ((ret = action_check(m, &m->on_fail, "fail", err, errlen)) < 0)
		return ret;
	return loop_check(m, err, errlen);
}

/* ---- persistence ---- */

json_t *
ivr_menu_json(const struct ivr_menu_conf *m)
{
	char buf[CC_TGT_NAME_MAX + 16], term[2] = {m->terminator, 0};
	json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:i,s:b}", "name", m->name, "prompt", m->prompt, "invalid", m->invalid,
			      "timeout", (int)m->timeout_s, "tries", (int)m->tries, "collect", m->collect);
	action_text(&m->on_fail, buf, sizeof(buf));
	json_object_set_new(o, "fail", json_string(buf));
	if (m->collect) {
		action_text(&m->then, buf, sizeof(buf));
		json_object_set_new(o, "then", json_string(buf));
		json_object_set_new(o, "min", json_integer(m->min));
		json_object_set_new(o, "max", json_integer(m->max));
		json_object_set_new(o, "terminator", json_string(term));
	} else {
		json_t *k = json_object();
		for (int i = 0; i < IVR_KEYS; i++) {
			char key[2] = {keys[i], 0};
			if (m->key[i].act == IVR_NONE)
				continue;
			action_text(&m->key[i], buf, sizeof(buf));
			json_object_set_new(k, key, json_string(buf));
		}
		json_object_set_new(o, "keys", k);
	}
	return o;
}

static int
menu_from_json(const char *name, json_t *o, struct ivr_menu_conf *m)
{
	const char *prompt, *invalid, *fail, *then = "none", *term = "";
	int timeout, tries, min = 1, max = 1, collect;
	json_t *k = NULL, *v;
	const char *key;

	if (strlen(name) >= CC_NAME_MAX ||
	    json_unpack(o, "{s:s,s:s,s:i,s:i,s:b,s:s,s?s,s?i,s?i,s?s,s?o}", "prompt", &prompt, "invalid", &invalid,
			"timeout", &timeout, "tries", &tries, "collect", &collect, "fail", &fail, "then", &then, "min",
			&min, "max", &max, "terminator", &term, "keys", &k) < 0 ||
	    strlen(prompt) >= IVR_PROMPT_MAX || strlen(invalid) >= IVR_PROMPT_MAX || timeout < 1 || tries < 1 ||
	    min < 1 || max < min || max > IVR_DIGITS_MAX || strlen(term) > 1)
		return -EIO;
	ivr_menu_default(m, name);
	snprintf(m->prompt, sizeof(m->prompt), "%s", prompt);
	snprintf(m->invalid, sizeof(m->invalid), "%s", invalid);
	m->timeout_s = (uint32_t)timeout;
	m->tries = (uint32_t)tries;
	m->collect = collect;
	m->min = (uint8_t)min;
	m->max = (uint8_t)max;
	m->terminator = term[0];
	if (action_from_text(fail, &m->on_fail) < 0 || action_from_text(then, &m->then) < 0)
		return -EIO;
	if (k) {
		if (!json_is_object(k))
			return -EIO;
		json_object_foreach (k, key, v) {
			int i = strlen(key) == 1 ? ivr_key_index(key[0]) : -1;
			if (i < 0 || !json_is_string(v) || action_from_text(json_string_value(v), &m->key[i]) < 0)
				return -EIO;
		}
	}
	return 0;
}

static int
load_menu(const char *name, json_t *o, void *arg)
{
	(void)arg;
	if (nmenus == IVR_MENUS_MAX || menu_from_json(name, o, &menus[nmenus]) < 0)
		return -EIO;
	nmenus++; /* in name order */
	return 0;
}

int
ivr_load(char *err, size_t errlen)
{
	int ret;
	nmenus = 0;
	if (menus == NULL) {
		snprintf(err, errlen, "IVR: not initialised");
		return -EINVAL;
	}
	ret = td_store_json_foreach("cc_ivr", load_menu, NULL);
	if (ret < 0)
		snprintf(err, errlen, "cannot read the IVR menus: %s", strerror(-ret));
	return ret;
}

static bool
menu_in_use(const char *name, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < nmenus; i++) {
		const struct ivr_menu_conf *m = &menus[i];
		bool uses = strcmp(m->name, name) != 0 &&
			    ((m->on_fail.act == IVR_MENU && strcmp(m->on_fail.target.name, name) == 0) ||
			     (m->collect && m->then.act == IVR_MENU && strcmp(m->then.target.name, name) == 0));
		for (int k = 0; !m->collect && k < IVR_KEYS; k++)
			uses |= strcmp(m->name, name) != 0 && m->key[k].act == IVR_MENU &&
				strcmp(m->key[k].target.name, name) == 0;
		if (uses) {
			snprintf(err, errlen, "menu %s is used by menu %s", name, m->name);
			return true;
		}
	}
	if (cc_route_uses(CC_TGT_IVR, name)) {
		snprintf(err, errlen, "menu %s is the target of a route (show routes)", name);
		return true;
	}
	for (unsigned int i = 0; calls && i < IVR_CALLS_MAX; i++)
		if (calls[i].used && strcmp(calls[i].menu, name) == 0) {
			snprintf(err, errlen, "menu %s has callers in it", name);
			return true;
		}
	return false;
}

int
ivr_menu_put(const struct ivr_menu_conf *m, bool add, char *err, size_t errlen)
{
	bool found;
	int ret;
	if (menus == NULL) {
		snprintf(err, errlen, "IVR: not initialised");
		return -EINVAL;
	}
	unsigned int i = cc_name_find(menus, nmenus, sizeof(*menus), m->name, &found);
	if (add && found) {
		snprintf(err, errlen, "menu %s exists (ivr set changes it)", m->name);
		return -EEXIST;
	}
	if (!add && !found) {
		snprintf(err, errlen, "no menu %s", m->name);
		return -ENOENT;
	}
	if (!found && nmenus == IVR_MENUS_MAX) {
		snprintf(err, errlen, "at most %d menus", IVR_MENUS_MAX);
		return -ENOSPC;
	}
	if ((ret = menu_check(m, err, errlen)) < 0)
		return ret;
	if ((ret = td_store_json_put("cc_ivr", m->name, ivr_menu_json(m))) < 0) {
		snprintf(err, errlen, "cannot keep menu %s: %s", m->name, strerror(-ret));
		return ret;
	}
	if (!found) {
		memmove(&menus[i + 1], &menus[i], (nmenus - i) * sizeof(*menus));
		nmenus++;
	}
	menus[i] = *m;
	return 0;
}

int
ivr_menu_del(const char *name, char *err, size_t errlen)
{
	bool found;
	int ret;
	unsigned int i = menus ? cc_name_find(menus, nmenus, sizeof(*menus), name, &found) : 0;
	if (menus == NULL || !found) {
		snprintf(err, errlen, "no menu %s", name);
		return -ENOENT;
	}
	if (menu_in_use(name, err, errlen))
		return -EBUSY;
	if ((ret = td_store_json_del("cc_ivr", name)) < 0 && ret != -ENOENT) {
		snprintf(err, errlen, "cannot delete menu %s: %s", name, strerror(-ret));
		return ret;
	}
	memmove(&menus[i], &menus[i + 1], (nmenus - i - 1) * sizeof(*menus));
	nmenus--;
	return 0;
}

/* ---- callers ---- */

static struct ivr_call *
call_find(uint64_t call)
{
	for (unsigned int i = 0; calls && i < IVR_CALLS_MAX; i++)
		if (calls[i].used && calls[i].call == call)
			return &calls[i];
	return NULL;
}

static void
wait_keys(struct ivr_call *c, const struct ivr_menu_conf *m)
{
	c->playing = false;
	c->deadline = clock_fn() + (uint64_t)m->timeout_s * 1000;
}

static void
play(struct ivr_call *c, const struct ivr_menu_conf *m, const char *prompt)
{
	c->ndig = 0;
	c->digits[0] = '\0';
	c->deadline = 0;
	c->playing = ops.play && ops.play(c->call, prompt, ops.arg) == 0;
	if (!c->playing) {
		LOG_WARN("ivr: call %llu: cannot play %s in menu %s; waiting for keys", (unsigned long long)c->call,
			 prompt, m->name);
		wait_keys(c, m);
	}
}

static void
leave(struct ivr_call *c, const struct cc_target *t)
{
	uint64_t call = c->call;
	struct cc_target tgt = *t;
	char digits[IVR_DIGITS_MAX + 1];
	snprintf(digits, sizeof(digits), "%s", c->digits);
	if (c->playing && ops.stop)
		ops.stop(call, ops.arg);
	memset(c, 0, sizeof(*c));
	st.left++;
	if (ops.leave)
		ops.leave(call, &tgt, digits, ops.arg);
}

static void
go(struct ivr_call *c, const struct ivr_menu_conf *m)
{
	snprintf(c->menu, sizeof(c->menu), "%s", m->name);
	c->tries = 0;
	play(c, m, m->prompt);
}

static void act(struct ivr_call *c, const struct ivr_menu_conf *m, const struct ivr_action *a);

/* A wrong key or a timeout: try again, or take the menu's fail action. */
static void
retry(struct ivr_call *c, const struct ivr_menu_conf *m)
{
	if (++c->tries >= m->tries) {
		c->ndig = 0;
		c->digits[0] = '\0';
		act(c, m, &m->on_fail);
		return;
	}
	play(c, m, m->invalid[0] ? m->invalid : m->prompt);
}

static void
act(struct ivr_call *c, const struct ivr_menu_conf *m, const struct ivr_action *a)
{
	const struct ivr_menu_conf *next;
	switch (a->act) {
	case IVR_MENU:
		next = menu_find(a->target.name);
		if (next == NULL) { /* deleted meanwhile: cannot be, deletion checks use */
			leave(c, &(struct cc_target){.kind = CC_TGT_HANGUP});
			return;
		}
		if (c->depth == IVR_DEPTH_MAX) {
			memmove(c->stack[0], c->stack[1], (IVR_DEPTH_MAX - 1) * sizeof(c->stack[0]));
			c->depth--;
		}
		snprintf(c->stack[c->depth++], CC_NAME_MAX, "%s", m->name);
		if (c->playing && ops.stop)
			ops.stop(c->call, ops.arg);
		go(c, next);
		return;
	case IVR_BACK:
		next = c->depth ? menu_find(c->stack[c->depth - 1]) : m;
		if (c->depth)
			c->depth--;
		go(c, next ? next : m);
		return;
	case IVR_REPEAT:
		play(c, m, m->prompt);
		return;
	case IVR_TARGET:
		leave(c, &a->target);
		return;
	default:
		retry(c, m);
	}
}

int
ivr_call_enter(uint64_t call, const char *menu)
{
	const struct ivr_menu_conf *m = menu_find(menu);
	struct ivr_call *c = NULL;
	if (m == NULL)
		return -ENOENT;
	if (call_find(call))
		return -EEXIST;
	for (unsigned int i = 0; i < IVR_CALLS_MAX && c == NULL; i++)
		if (!calls[i].used)
			c = &calls[i];
	if (c == NULL)
		return -ENOSPC;
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->call = call;
	st.entered++;
	go(c, m);
	return 0;
}

static void
collect_end(struct ivr_call *c, const struct ivr_menu_conf *m)
{
	if (c->ndig < m->min) {
		st.invalid_keys++;
		retry(c, m);
		return;
	}
	act(c, m, &m->then);
}

void
ivr_call_key(uint64_t call, char key)
{
	struct ivr_call *c = call_find(call);
	const struct ivr_menu_conf *m = c ? menu_find(c->menu) : NULL;
	int k = ivr_key_index(key);
	if (m == NULL)
		return;
	if (c->playing) { /* barge-in */
		if (ops.stop)
			ops.stop(call, ops.arg);
		c->playing = false;
	}
	if (k < 0) {
		st.invalid_keys++;
		retry(c, m);
		return;
	}
	if (!m->collect) {
		if (m->key[k].act == IVR_NONE) {
			st.invalid_keys++;
			retry(c, m);
			return;
		}
		act(c, m, &m->key[k]);
		return;
	}
	if (m->terminator && key == m->terminator) {
		collect_end(c, m);
		return;
	}
	if (k > 9) { /* '*' or '#' that is not the terminator */
		st.invalid_keys++;
		retry(c, m);
		return;
	}
	c->digits[c->ndig++] = key;
	c->digits[c->ndig] = '\0';
	if (c->ndig == m->max)
		collect_end(c, m);
	else
		wait_keys(c, m);
}

void
ivr_call_prompt_done(uint64_t call)
{
	struct ivr_call *c = call_find(call);
	const struct ivr_menu_conf *m = c ? menu_find(c->menu) : NULL;
	if (m && c->playing)
		wait_keys(c, m);
}

void
ivr_call_gone(uint64_t call)
{
	struct ivr_call *c = call_find(call);
	if (c == NULL)
		return;
	if (c->playing && ops.stop)
		ops.stop(call, ops.arg);
	memset(c, 0, sizeof(*c));
	st.hung_up++;
}

bool
ivr_call_in(uint64_t call, char *menu, size_t len)
{
	const struct ivr_call *c = call_find(call);
	if (c && menu)
		snprintf(menu, len, "%s", c->menu);
	return c != NULL;
}

void
ivr_tick(void)
{
	uint64_t now = clock_fn();
	for (unsigned int i = 0; calls && i < IVR_CALLS_MAX; i++) {
		struct ivr_call *c = &calls[i];
		if (!c->used || c->playing || c->deadline == 0 || now < c->deadline)
			continue;
		const struct ivr_menu_conf *m = menu_find(c->menu);
		if (m == NULL)
			continue;
		st.timeouts++;
		/* A collection that has its minimum ends at the timeout. */
		if (m->collect && c->ndig >= m->min)
			act(c, m, &m->then);
		else
			retry(c, m);
	}
}
