/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IVR menus (docs/contact-center.md "IVR").
 *
 * A menu plays a prompt and waits for keys. A choice menu maps single keys
 * to actions: another menu, a queue, an extension, repeat, back (the menu
 * that led here), hang up. A collect menu gathers digits (an account
 * number: MIN to MAX digits, ended by its terminator key or by reaching MAX)
 * and then takes its action with the digits. A menu has a digit timeout
 * (from the end of its prompt, or from the last key of a collection), a
 * number of tries, an optional prompt for a wrong key, and the action taken
 * when the tries are used up (hang up by default). A key pressed during the
 * prompt stops it and counts (barge-in).
 *
 * Definitions are checked when made: unknown prompts (through the hook
 * set with ivr_set_prompt_check), queues, users and menus are refused, and
 * so is a loop that needs no key: menus whose no-key actions (timeout)
 * lead back to themselves would keep a caller forever. A menu in use by
 * another menu or by a route cannot be deleted. Kept in LMDB (`cc_ivr`).
 *
 * Calls: the SIP side answers a call routed to a menu and calls
 * ivr_call_enter(); it passes the call's keys (ivr_call_key) and the end of
 * each prompt (ivr_call_prompt_done), and acts on what struct ivr_ops asks:
 * play a prompt, stop it, and leave the IVR for a target with the digits
 * collected. ivr_tick() runs the timeouts. Control's event loop only.
 */
#ifndef TD_CC_IVR_H
#define TD_CC_IVR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "acd.h"
#include "route.h"

#define IVR_MENUS_MAX	1024
#define IVR_CALLS_MAX	4096 /* callers in menus at once */
#define IVR_PROMPT_MAX	32
#define IVR_DIGITS_MAX	32
#define IVR_DEPTH_MAX	16 /* menus remembered for `back` */
#define IVR_KEYS	12 /* 0-9 * # */
#define IVR_TIMEOUT_DEF 5
#define IVR_TRIES_DEF	3

enum ivr_act {
	IVR_NONE,   /* key not used */
	IVR_MENU,   /* go to menu name */
	IVR_TARGET, /* leave for a queue, an extension or hang-up */
	IVR_REPEAT, /* play this menu again */
	IVR_BACK,   /* the menu before (this one if none) */
};

struct ivr_action {
	enum ivr_act act;
	struct cc_target target; /* IVR_MENU: kind CC_TGT_IVR and the menu */
};

struct ivr_menu_conf {
	char name[CC_NAME_MAX];
	char prompt[IVR_PROMPT_MAX];
	char invalid[IVR_PROMPT_MAX]; /* "" = replay the menu's prompt */
	uint32_t timeout_s;	      /* 1..60 */
	uint32_t tries;		      /* 1..10 */
	struct ivr_action on_fail;    /* tries used up: default hang up */
	bool collect;
	/* choice menus */
	struct ivr_action key[IVR_KEYS];
	/* collect menus */
	uint8_t min, max; /* 1 <= min <= max <= IVR_DIGITS_MAX */
	char terminator;  /* '#', '*' or 0 (none: ends at max) */
	struct ivr_action then;
};

/* What the IVR asks of the SIP side for a call. */
struct ivr_ops {
	/* Play prompt once to the caller; ivr_call_prompt_done() when it ends. */
	int (*play)(uint64_t call, const char *prompt, void *arg);
	void (*stop)(uint64_t call, void *arg);
	/* The caller leaves the IVR for t (queue, extension, hang-up) with the
	 * digits of the last collection ("" if none). The call is no longer
	 * the IVR's when this is called. */
	void (*leave)(uint64_t call, const struct cc_target *t, const char *digits, void *arg);
	void *arg;
};

typedef bool (*ivr_prompt_exists_t)(const char *prompt);

int ivr_init(uint64_t (*clock_ms)(void)); /* NULL: wall time */
void ivr_fini(void);
void ivr_set_ops(const struct ivr_ops *ops);
void ivr_set_prompt_check(ivr_prompt_exists_t fn);
int ivr_load(char *err, size_t errlen);

/* ---- definitions ---- */
int ivr_key_index(char key); /* '0'-'9' 0-9, '*' 10, '#' 11, else -1 */
void ivr_menu_default(struct ivr_menu_conf *m, const char *name);
/* Parse "menu M" / "queue Q" / "extension U" / "hangup" / "repeat" / "back";
 * the count of words used or -EINVAL. */
int ivr_action_parse(int argc, char **argv, struct ivr_action *a, char *err, size_t errlen);
int ivr_menu_put(const struct ivr_menu_conf *m, bool add, char *err, size_t errlen);
int ivr_menu_del(const char *name, char *err, size_t errlen);
int ivr_menu_get(const char *name, struct ivr_menu_conf *m);
bool ivr_menu_exists(const char *name);
json_t *ivr_menu_json(const struct ivr_menu_conf *m);
void ivr_menu_foreach(void (*cb)(const struct ivr_menu_conf *m, void *arg), void *arg);

/* ---- calls ---- */
int ivr_call_enter(uint64_t call, const char *menu); /* -ENOENT, -ENOSPC, -EEXIST */
void ivr_call_key(uint64_t call, char key);
void ivr_call_prompt_done(uint64_t call);
void ivr_call_gone(uint64_t call); /* the caller hung up */
bool ivr_call_in(uint64_t call, char *menu, size_t len);
void ivr_tick(void);

struct ivr_stats {
	uint64_t entered, left, hung_up, timeouts, invalid_keys;
	uint32_t in_menus;
};
void ivr_stats_get(struct ivr_stats *st);

#endif
