/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call recording on control's side (docs/recording.md): start, pause,
 * resume and stop recordings in the dataplane, and keep what it says about
 * them — live ones and the last RECORD_KEEP_DONE finished — for `show
 * recordings`. Every done file is logged (warning when incomplete). The CLI
 * (cmd_record.c) and any other caller use these functions.
 *
 * Event-loop thread only. Functions return 0 when the command is on its way
 * (cb then called exactly once with the worker's result, 0 or -errno) or a
 * -errno at once (cb not called).
 *
 * Every recording is also kept in LMDB (`recordings`, by start time; live
 * ones indexed in `recordings_live`): a restarted control knows the live
 * ones again (record_open) and the dataplane's events find them; each time
 * the dataplane (re)attaches, the live ones it no longer has are closed as
 * incomplete (-ESTALE: ended while control was away or the dataplane was
 * restarted; the file is on disk up to its last flush) and logged, so that
 * no recording ends without a word. record_history() reads them back.
 */
#ifndef TD_CTL_RECORD_H
#define TD_CTL_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dataplane/api/td_dp_msg.h"

#define RECORD_MAX	 256 /* live and done recordings remembered */
#define RECORD_KEEP_DONE 64
#define RECORD_CALL_MAX	 48 /* what a recording belongs to: a call id, free text */

enum record_state {
	RECORD_STARTING = 1,
	RECORD_ACTIVE,
	RECORD_PAUSED,
	RECORD_STOPPING,
	RECORD_DONE,
};

struct record_file {
	bool done;
	bool complete;
	int32_t error;
	uint64_t bytes;
	uint32_t duration_ms;
	uint8_t sha256[32];
};

struct record_info {
	uint32_t id; /* 0: free */
	uint32_t customer, agent;
	uint32_t worker;
	uint8_t mode; /* enum td_dp_rec_mode */
	uint8_t state;
	uint8_t files;
	uint32_t gaps;
	uint64_t bytes; /* live: at the dataplane's last flush */
	uint32_t duration_ms;
	uint64_t started_ns, ended_ns;
	char name[TD_DP_REC_NAME_MAX]; /* "" when adopted from the dataplane unnamed */
	char call[RECORD_CALL_MAX];
	bool restored; /* known from the store, not yet seen live in the dataplane */
	struct record_file file[2];
};

typedef void (*record_done_cb_t)(void *arg, int result, uint32_t id);

int record_start(uint32_t customer, uint32_t agent, const char *name, uint8_t mode, record_done_cb_t cb, void *arg);
int record_pause(uint32_t id, bool pause, record_done_cb_t cb, void *arg);
int record_stop(uint32_t id, record_done_cb_t cb, void *arg);
/* Ask every worker for its live recordings' figures; cb once all answered. */
int record_refresh(record_done_cb_t cb, void *arg);

/* Open the store's databases, restore live recordings, watch the link. */
int record_open(char *err, size_t errlen);
void record_close(void);
/* Tie a recording to a call (kept with it in the store). -ENOENT, -EINVAL. */
int record_tag(uint32_t id, const char *call);
/* A recording as JSON (show recordings, the store). */
json_t *record_json(const struct record_info *r);
/* The newest max recordings in the store, newest first (cb borrows rec);
 * the count or -errno. */
int record_history(unsigned int max, void (*cb)(json_t *rec, void *arg), void *arg);

/* Walk the table: live ones first, then done ones, newest first. */
unsigned int record_list(const struct record_info **out, unsigned int max);
const char *record_state_name(uint8_t state);
const char *record_mode_name(uint8_t mode);
const char *record_strerror(int result);
/* The name of file i of a recording (the mono file of "both": NAME-mono.wav). */
void record_file_name(const struct record_info *r, int i, char *buf, size_t len);

/* The dataplane's events (subscribed at start; public for tests). */
void record_dp_event(const struct td_dp_msg *m);

#endif
