/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's link to the dataplane, on the event loop. Detached, it tries to
 * attach every 500 ms and says once why it waits (and again when the reason
 * changes). Attached, it drains every event ring each tick (2 ms), hands
 * acks to whoever sent the command, and every 250 ms checks that the
 * dataplane still lives and that the segment is still the current one; if
 * not it detaches, fails what was pending with -ENOTCONN and waits for the
 * next generation. Control never exits because the dataplane went away.
 * Only the event-loop thread may send: control is each command ring's single
 * producer.
 */
#ifndef TD_DP_LINK_H
#define TD_DP_LINK_H

#include <stdint.h>

#include "dataplane/api/td_dp_msg.h"
#include "dataplane/api/td_dp_shm.h"

/* Called once per command: with the ack (result in ack->ack.result), or
 * with ack NULL and err -ETIMEDOUT, -ENOTCONN or -ENOBUFS. */
typedef void (*dp_link_ack_cb_t)(void *arg, const struct td_dp_msg *ack, int err);
/* Called for every non-ack event. */
typedef void (*dp_link_event_cb_t)(const struct td_dp_msg *ev);

int dp_link_start(const char *shm_name);
void dp_link_stop(void);
/* One step of the link's work; the loop's tick calls it. */
void dp_link_tick(void);

/* Send m to a worker; cb is called exactly once. Returns 0 or -errno (then
 * cb is not called). */
int dp_link_send(uint32_t worker, struct td_dp_msg *m, dp_link_ack_cb_t cb, void *arg, uint64_t timeout_ms);

/* The attached segment, or NULL; and why not. */
const struct td_dp_shm *dp_link_shm(void);
const char *dp_link_reason(void);
uint64_t dp_link_events(uint16_t type); /* events seen of a type, since start */
void dp_link_on_event(dp_link_event_cb_t cb);

#endif
