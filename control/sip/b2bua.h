/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The back-to-back user agent. Every call is two legs, each its own SIP
 * dialog: leg A toward the caller (we are its UAS) and leg B toward the
 * callee (we are its UAC). The media of both is anchored in the dataplane:
 * one session per leg on one worker, bridged, each leg's SDP rewritten to
 * point at its session. A call goes
 *
 *   SETUP      sessions being created and bridged in the dataplane
 *   OUTGOING   INVITE sent to B
 *   EARLY      B answered provisionally (180/183, with early media)
 *   ANSWERED   200 sent to A, resent until A's ACK
 *   CONFIRMED  both dialogs confirmed
 *   ENDED      torn down; kept briefly to absorb late messages
 *
 * and ends on BYE from either side, CANCEL from A, B's failure or timeout,
 * media timeout in the dataplane, or `call hangup`. Every ending frees the
 * dataplane sessions. re-INVITE and UPDATE from either side (hold, unhold,
 * codec change) are relayed to the other with SDP rewritten.
 * Event-loop thread of control.
 */
#ifndef TD_B2BUA_H
#define TD_B2BUA_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dataplane/api/td_dp_msg.h"
#include "sip_tsx.h"

enum call_state {
	CALL_SETUP,
	CALL_OUTGOING,
	CALL_EARLY,
	CALL_ANSWERED,
	CALL_CONFIRMED,
	CALL_ENDED,
};

struct b2bua_cfg {
	uint32_t max_calls;	  /* beyond: 503 with Retry-After; 0: 10000 */
	uint16_t media_timeout_s; /* 0: 60 */
	bool auth_calls;	  /* callers must authenticate (407); default true */
};

struct b2bua_stats {
	uint64_t invites;
	uint64_t answered;
	uint64_t failed; /* ended before answer, by anything but CANCEL */
	uint64_t cancelled;
	uint64_t completed; /* answered, then ended */
	uint64_t media_timeouts;
	uint64_t challenged;  /* 407 */
	uint64_t auth_failed; /* 403 */
	uint64_t not_found;   /* 404 */
	uint64_t unavailable; /* 480: user known, not registered */
	uint64_t overload;    /* 503: max calls or the dataplane refused */
	uint64_t no_media;    /* 488: no usable SDP */
	uint64_t reinvites;
	uint64_t ack_timeouts;	   /* 2xx never ACKed: call ended with BYE */
	uint64_t transfers;	   /* transfers completed, blind and attended */
	uint64_t transfers_failed; /* refused, or the target never answered */
	uint64_t transcoded;	   /* answered calls whose legs speak different codecs */
	uint64_t ringbacks;	   /* callers given a local ringback tone */
	uint64_t active;	   /* calls not ended now */
};

void b2bua_configure(const struct b2bua_cfg *cfg);
/* After a restart: read back the established calls kept in LMDB, then
 * (once the dataplane answers) keep those whose sessions are still there.
 * The number recovered, or -errno with a reason. */
int b2bua_recover(char *err, size_t errlen);
void b2bua_fini(void);

/* From the UA core. */
void b2bua_invite(struct sip_tsx *t, const struct sip_msg *m);
void b2bua_in_dialog(struct sip_tsx *t, const struct sip_msg *m);
int b2bua_cancel(struct sip_tsx *invite); /* -ENOENT: not ours */
bool b2bua_owns_invite(const struct sip_tsx *invite);
void b2bua_ack(const struct sip_msg *m);
void b2bua_stray_response(const struct sip_msg *m);
void b2bua_tick(uint64_t now_ms);
/* From the dataplane link: media timeouts end their call. */
void b2bua_dp_event(const struct td_dp_msg *ev);

/* For the CLI. -ENOENT if no such call, -EALREADY if it is ending. */
int b2bua_hangup(uint32_t call_id, const char *why);
json_t *b2bua_calls_json(void);
json_t *b2bua_call_json(uint32_t call_id); /* NULL if none */
void b2bua_stats_get(struct b2bua_stats *out);
const char *call_state_name(enum call_state s);

#endif
