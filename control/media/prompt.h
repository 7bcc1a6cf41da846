/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Named prompts and playback, control's side of docs/media.md "Prompts".
 *
 * A prompt is a name ([a-z0-9_-], 1..31) for a WAV file the dataplane
 * reads, with a numeric id (1..255) control assigns. The registry lives in
 * the LMDB database "prompts" (key the name, value JSON: id, path, added),
 * so it outlives control; every prompt is (re)loaded into the dataplane
 * when control starts and whenever the link attaches to a new dataplane
 * generation (a restarted dataplane has none). Loading is asynchronous:
 * each prompt is waiting (no dataplane), loading, loaded (with its frames)
 * or failed (with the dataplane's reason).
 *
 * play_start() plays a prompt or a tone (ringback, busy, congestion) on a
 * session through its worker. Every play_start() that returns 0 gets
 * exactly one done callback: why > 0 is the dataplane's end
 * (TD_DP_PLAY_FINISHED, _STOPPED, _SESSION_GONE, _REPLACED); why < 0 means
 * the play never ran or its end was not seen: the dataplane's refusal
 * (-ENOENT no such session or prompt not loaded there, -EINVAL no codec to
 * play it in), -ETIMEDOUT (no answer), -ENOBUFS (command ring full) or
 * -ENOTCONN (no dataplane, or it went away while playing).
 *
 * Event-loop thread only. prompt_tick() must run after dp_link_tick().
 */
#ifndef TD_CTL_PROMPT_H
#define TD_CTL_PROMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/api/td_dp_msg.h"

#define PROMPT_NAME_MAX	       31
#define PROMPT_LOAD_TIMEOUT_MS 60000 /* a 10-minute file is encoded six ways */

enum prompt_state {
	PROMPT_WAITING = 0, /* no dataplane attached */
	PROMPT_LOADING = 1,
	PROMPT_LOADED = 2,
	PROMPT_FAILED = 3,
};

struct prompt_info {
	char name[PROMPT_NAME_MAX + 1];
	char path[TD_DP_PROMPT_PATH_MAX];
	uint32_t id;	 /* 1..TD_DP_PROMPT_ID_MAX */
	uint8_t state;	 /* enum prompt_state */
	int error;	 /* FAILED: the dataplane's -errno */
	uint32_t frames; /* LOADED: 20 ms frames; 0 when loaded by an earlier control */
	uint32_t plays;	 /* plays of it in progress (started through play_start) */
	uint64_t added;	 /* unix seconds */
};

/* Open (creating) the database and read the registry; td_store_open first.
 * Loading starts on the next prompt_tick() with a dataplane attached. */
int prompt_open(char *err, size_t errlen);
/* Forget the in-memory registry; plays still in progress end with
 * -ENOTCONN (at control's stop, after dp_link_stop()). The database stays. */
void prompt_close(void);
/* Follow the link: load everything on a new generation, fail every play
 * when it goes away, retry loads that met a busy dataplane. */
void prompt_tick(void);

/* 0 when name is a valid prompt name, else -EINVAL with the reason. */
int prompt_name_check(const char *name, char *err, size_t errlen);
/* Store and load a prompt. 0; -EINVAL (bad name or path, reason in err),
 * -EEXIST, -ENOSPC (255 prompts), or a store error. */
int prompt_add(const char *name, const char *path, char *err, size_t errlen);
/* Unload and forget a prompt. Refused with -EBUSY while a play of it is in
 * progress (plays of it by name are the only use control tracks; menus
 * that name it must check prompt_exists() when they play). -ENOENT. */
int prompt_del(const char *name, char *err, size_t errlen);
bool prompt_exists(const char *name);
/* -ENOENT when there is no such prompt. */
int prompt_get(const char *name, struct prompt_info *out);
/* In name order; stops when cb returns non-zero (returned). */
int prompt_foreach(int (*cb)(const struct prompt_info *p, void *arg), void *arg);

/* cb once the prompt is no longer loading (at once, before returning, when
 * it is not); p NULL if it was deleted meanwhile. -ENOENT, -ENOMEM. */
typedef void (*prompt_wait_cb_t)(void *arg, const struct prompt_info *p);
int prompt_wait(const char *name, prompt_wait_cb_t cb, void *arg);

/* A tone's name for a TD_DP_TONE_*, or NULL; and back (TD_DP_TONE_NONE). */
const char *prompt_tone_name(uint8_t tone);
uint8_t prompt_tone_parse(const char *name);

typedef void (*play_done_cb)(uint32_t session, int why, uint32_t frames, void *arg);

/* Play a prompt (by name) or a tone on a session, once or looped, in place
 * of its peer's media; a play already running on it is replaced. Returns 0
 * (cb to come), -ENOENT (no such prompt or tone name), -EAGAIN (the prompt
 * is not loaded: state in prompt_get), -ENOTCONN (no dataplane), -ESRCH (no
 * worker owns the session's port), -ENOMEM: cb will not be called. */
int play_start(uint32_t session, const char *prompt_or_tone, bool loop, play_done_cb cb, void *arg);
/* The same, with started(session, arg) called once when the dataplane has
 * taken the play (before done; never for a refused play). */
typedef void (*play_started_cb)(uint32_t session, void *arg);
int play_start_ex(uint32_t session, const char *prompt_or_tone, bool loop, play_done_cb cb, play_started_cb started,
		  void *arg);

/* The result of a stop: 0, -EALREADY (nothing plays), -ENOENT (no such
 * session), or the link's error. */
typedef void (*play_stop_cb)(void *arg, int result);
/* Stop what plays on a session (a play of anyone's: the ringback of a call
 * too); that play's done callback says STOPPED. cb may be NULL. Returns 0,
 * -ENOTCONN, -ESRCH, -ENOMEM (then cb is not called). */
int play_stop(uint32_t session, play_stop_cb cb, void *arg);

/* What plays on a session through play_start(), the newest first. */
struct play_info {
	uint32_t session;
	char what[PROMPT_NAME_MAX + 1]; /* prompt or tone name */
	bool loop;
	bool started;	   /* the dataplane acked it */
	uint64_t since_ns; /* CLOCK_REALTIME of play_start */
};
bool play_session_get(uint32_t session, struct play_info *out);
/* How the latest play_start() on a session that has ended ended (the last
 * 1024 ends are kept): false when none is remembered. */
bool play_last_done(uint32_t session, int *why, uint32_t *frames, char *what, size_t whatlen, uint64_t *ns);
/* Plays in progress through play_start(). */
uint32_t play_count(void);

/* The handler subscribed to the dataplane's events (it takes
 * TD_DP_EVT_PLAYBACK_DONE): exposed for tests. */
void prompt_dp_event(const struct td_dp_msg *m);

/* A person's words for a load error or a play's negative why. */
const char *prompt_strerror(int err);
const char *play_why_name(int why);
const char *prompt_state_name(uint8_t state);

#endif
