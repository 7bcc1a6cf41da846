/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP UA core: receives every parsed message from the transports, runs
 * the transaction layer (sip_tsx) on control's event loop, applies the UAS
 * checks of RFC 3261 §8.2 and hands requests to the registrar and the B2BUA.
 * OPTIONS is answered here; requests for dialogs that do not exist get 481.
 *
 * A transaction user binds itself to a transaction with a callback and a
 * cookie (never a pointer: the owner may be gone when a late event comes);
 * the callback hears every later event of that transaction, the last being
 * SIP_TSX_EV_TERMINATED. Event-loop thread of control.
 */
#ifndef TD_SIP_CORE_H
#define TD_SIP_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_tsx.h"

#define SIP_CORE_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, UPDATE, REFER, NOTIFY, INFO"

typedef void (*sip_core_tsx_cb_t)(uint64_t cookie, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m);

struct sip_core_stats {
	uint64_t requests;     /* new server transactions */
	uint64_t rejected;     /* requests answered >= 300 by the core or its users */
	uint64_t no_dialog;    /* 481 */
	uint64_t overload_503; /* the transaction table was full */
	uint64_t tu_timeouts;  /* Timer B/F/H reported to a user */
	uint64_t scanners;     /* requests from known scanner user agents, dropped */
	uint64_t rate_limited; /* requests over a source's rate, dropped */
	uint64_t shed_cps;     /* new INVITEs over --max-cps: 503 */
	uint64_t shed_wait;    /* new INVITEs while messages wait too long to be read: 503 */
};

/* Per-source limit on requests (token bucket per IP address: rate per
 * second, burst twice that), dropped unanswered beyond; 0 (the default)
 * turns it off, since trunks and SBCs legitimately send from one address. */
void sip_core_set_rate_limit(uint32_t per_second);

/*
 * Overload control for new calls. max_cps: new INVITEs per second (token
 * bucket, burst one second's worth; 0: no limit). wait_ms: once a message
 * has waited that long in the socket queue before control could read it,
 * control is behind; new INVITEs are shed until messages wait less than
 * half of it again (0: off). In-dialog requests and responses are always
 * served, so established calls never pay for the load.
 */
void sip_core_set_overload(uint32_t max_cps, uint32_t wait_ms);
/* For a new INVITE: 0 to go on, else the reason to answer 503 with
 * (counted). */
const char *sip_core_shed_invite(void);

int sip_core_init(void);
void sip_core_fini(void);
/* Fire due timers; called from control's tick. */
void sip_core_tick(void);

/* Milliseconds on the monotonic clock, the transaction layer's time. */
uint64_t sip_core_now_ms(void);
struct sip_tsx_layer *sip_core_tsx(void);
void sip_core_stats_get(struct sip_core_stats *out);

void sip_core_tsx_bind(struct sip_tsx *t, sip_core_tsx_cb_t cb, uint64_t cookie);
/* The cookie t is bound to: false when unbound. */
bool sip_core_tsx_cookie(const struct sip_tsx *t, uint64_t *cookie);
/* While a received message is handled: its bytes (NULL otherwise). */
const char *sip_core_current_raw(size_t *len);
/* Answer 481 (no such dialog or transaction), counted. */
void sip_core_no_dialog(struct sip_tsx *t, const struct sip_msg *m);

/* Answer the request req that created server transaction t. to_tag: ours
 * (added when req has none); extra: header lines ending CRLF, or NULL;
 * body: SDP (application/sdp) or NULL. */
int sip_core_respond(struct sip_tsx *t, const struct sip_msg *req, uint16_t code, const char *reason,
		     const char *to_tag, const char *extra, const char *body, size_t body_len);
/* Start a client transaction for a request built by the caller, whose top
 * Via carries branch. The callback hears its responses. */
int sip_core_request(const char *buf, size_t len, enum sip_method method, const char *branch, const struct sip_peer *to,
		     sip_core_tsx_cb_t cb, uint64_t cookie, struct sip_tsx **tp);
/* Send outside any transaction: an ACK for a 2xx, a retransmitted 2xx. */
int sip_core_send_raw(const struct sip_peer *to, const char *buf, size_t len);

/* A random token of n-1 hex digits (branches, tags, Call-IDs). */
void sip_core_token(char *out, size_t n);
/* "ip:port" (and the transport's Via name) that a peer reaches us at. */
const char *sip_core_local_hostport(const struct sip_peer *to, char *buf, size_t len);
const char *sip_core_via_transport(const struct sip_peer *to);
/* Our Contact header line (with CRLF) toward a peer. */
int sip_core_contact(const struct sip_peer *to, char *buf, size_t len);

#endif
