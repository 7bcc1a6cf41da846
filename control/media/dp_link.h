/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's link to the dataplane, on the event loop. Detached, it tries to
 * attach every 500 ms and says once why it waits (and again when the reason
 * changes). Attached, it drains every event ring each tick (2 ms), hands
 * acks to whoever sent the command, and every 250 ms checks that the
 * dataplane still lives and that the segment is still the current one; if
 * not it detaches, fails what was pending with -ENOTCONN and waits for the
 * next generation. Control never exits because the dataplane went away.
 *
 * Event-loop thread only: control is each command ring's single producer
 * and each event ring's single consumer.
 */
#ifndef TD_DP_LINK_H
#define TD_DP_LINK_H

#include <stdint.h>

#include "dataplane/api/td_dp_msg.h"
#include "dataplane/api/td_dp_shm.h"

#define DP_LINK_ATTACH_EVERY_MS 500
#define DP_LINK_CHECK_EVERY_MS	250
#define DP_LINK_SILENCE_MS	2000

/*
 * The outcome of one command: ack is the worker's TD_DP_EVT_ACK (its result
 * in ack->ack.result) and err 0; or ack is NULL and err is -ETIMEDOUT (no
 * ack in time), -ENOTCONN (no dataplane, or it went away), -ENOBUFS (the
 * command ring was full) or -EINVAL (no such worker).
 */
typedef void (*dp_link_ack_cb_t)(void *arg, const struct td_dp_msg *ack, int err);
/* Called for every event that is not an ack. */
typedef void (*dp_link_event_cb_t)(const struct td_dp_msg *ev);

/* Start waiting for the dataplane's segment shm_name (kept, not copied). */
int dp_link_start(const char *shm_name);
/* Detach (releasing the claim) and fail every pending command. */
void dp_link_stop(void);
/* One step of the link's work: attach, drain, time out, check. */
void dp_link_tick(void);

/*
 * Send m to a worker; the link sets m's version, worker and request id.
 * cb is called exactly once, always from dp_link_tick() or dp_link_stop(),
 * never from inside dp_link_send(). Returns 0 when the command is on the
 * ring, or the -errno that cb will also receive; -ENOMEM alone means that
 * nothing was recorded and cb will not be called.
 */
int dp_link_send(uint32_t worker, struct td_dp_msg *m, dp_link_ack_cb_t cb, void *arg, uint64_t timeout_ms);

/* The attached segment, or NULL. */
const struct td_dp_shm *dp_link_shm(void);
/* Why the link is not attached ("" while attached). */
const char *dp_link_reason(void);
/* Events received of a type (TD_DP_EVT_*), acks included, since start. */
uint64_t dp_link_events(uint16_t type);
/*
 * Subscribe to the dataplane's events (every type but acks). Each module that
 * cares (calls, DTMF, playback, recording, conferences) subscribes once at
 * start; callbacks run in subscription order on the control loop.
 * -ENOSPC past DP_LINK_MAX_SUBSCRIBERS.
 */
#define DP_LINK_MAX_SUBSCRIBERS 8
int dp_link_on_event(dp_link_event_cb_t cb);

struct dp_link_stats {
	uint64_t attaches;
	uint64_t detaches;
	uint64_t sent;
	uint64_t acked;
	uint64_t timeouts;
	uint64_t send_failed; /* ring full, no dataplane, bad worker */
	uint64_t stray_acks;  /* an ack nobody waits for (timed out before) */
	uint64_t pending;     /* commands waiting for their ack now */
};
void dp_link_stats_get(struct dp_link_stats *out);

#endif
