/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DTMF on control's side: every TD_DP_EVT_DTMF from the dataplane is logged,
 * counted per session with its last digits, and handed to whoever listens
 * (the IVR, a queue's menu): dtmf_on_digit(). Digits are sent and in-band
 * detection switched through the session's worker (dtmf_send,
 * dtmf_detect); the CLI (cmd_dtmf.c) and any module call the same
 * functions. Event-loop thread only.
 */
#ifndef TD_CTL_DTMF_H
#define TD_CTL_DTMF_H

#include <stdbool.h>
#include <stdint.h>

#define DTMF_LISTENERS_MAX 8
#define DTMF_LAST_MAX	   32	/* last digits kept per session */
#define DTMF_SESSIONS_MAX  4096 /* sessions remembered; the oldest is forgotten first */

/* One key press on a session, as the dataplane reported it. */
struct dtmf_digit {
	uint32_t session;
	uint32_t call_tag;
	uint32_t worker;
	char digit;	/* '0'-'9', '*', '#', 'A'-'D', '!' (flash) */
	uint8_t source; /* enum td_dp_dtmf_source */
	uint32_t duration_ms;
	uint32_t rtp_ts;
};

typedef void (*dtmf_digit_cb_t)(void *arg, const struct dtmf_digit *d);

/* Call cb for every digit from now on (in registration order, after the
 * digit is counted). -ENOSPC past DTMF_LISTENERS_MAX, -EEXIST twice. */
int dtmf_on_digit(dtmf_digit_cb_t cb, void *arg);
/* Stop calling cb with arg; -ENOENT if it was not registered. */
int dtmf_off_digit(dtmf_digit_cb_t cb, void *arg);

/* What control knows of a session's digits. */
struct dtmf_session_info {
	uint32_t session;
	uint64_t received;	      /* digits reported */
	char last[DTMF_LAST_MAX + 1]; /* the latest last, NUL-terminated */
	uint8_t last_source;	      /* enum td_dp_dtmf_source */
	uint64_t last_ns;	      /* CLOCK_REALTIME of the latest */
};
/* false when no digit was received on the session (or it was forgotten). */
bool dtmf_session_get(uint32_t session, struct dtmf_session_info *out);

/* The outcome of a command: 0, the worker's -errno, or the link's. */
typedef void (*dtmf_done_cb_t)(void *arg, int result);

/* Digits toward a session's remote (RFC 4733 when it has a telephone-event
 * payload type, else tones); duration_ms 0: the dataplane's 100. Returns 0
 * with cb to come, or -EINVAL (no digits, more than 32, a non-digit),
 * -ENOTCONN (no dataplane), -ENOENT (no worker owns it), -ENOMEM: cb will
 * not be called. */
int dtmf_send(uint32_t session, const char *digits, uint16_t duration_ms, dtmf_done_cb_t cb, void *arg);
/* In-band detection on a relay G.711 session, and muting of its tones. */
int dtmf_detect(uint32_t session, bool on, bool suppress, dtmf_done_cb_t cb, void *arg);

/* The handler subscribed to the dataplane's events (any type; it takes
 * TD_DP_EVT_DTMF): exposed so that tests can feed it. */
struct td_dp_msg;
void dtmf_dp_event(const struct td_dp_msg *m);

/* A person's words for a result of dtmf_send or dtmf_detect. */
const char *dtmf_strerror(int result);
const char *dtmf_source_name(uint8_t source);

#endif
