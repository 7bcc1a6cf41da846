/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP transaction layer (RFC 3261 §17): the four state machines (client
 * and server, INVITE and non-INVITE), their timers, and the matching of
 * requests and responses to transactions (§17.1.3, §17.2.3, with the RFC 2543
 * fallback). Pure and deterministic: no sockets, no clock, no global state.
 * Time comes in as `now_ms`, bytes leave through cfg->send, and everything the
 * transaction user must know arrives through cfg->tu. Event-loop thread of
 * control. The layer owns its transactions and the bytes it retransmits (it
 * copies them); a transaction pointer is valid until its SIP_TSX_EV_TERMINATED
 * event returns. Functions return 0 or -errno; nothing is logged here.
 */
#ifndef TD_SIP_TSX_H
#define TD_SIP_TSX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_msg.h"

/* RFC 3261 §17.1.1.1 and table 4. */
#define SIP_TSX_T1_MS	   500
#define SIP_TSX_T2_MS	   4000
#define SIP_TSX_T4_MS	   5000
#define SIP_TSX_TRYING_MS  200 /* §17.2.1: the automatic 100 Trying */
#define SIP_TSX_TIMER_D_MS 32000
#define SIP_TSX_MAX	   4096

/* RFC 3261 §8.1.1.7: a branch that starts with this is unique (RFC 3261 style). */
#define SIP_TSX_BRANCH_COOKIE "z9hG4bK"

enum sip_transport {
	SIP_TRANSPORT_UDP = 0,
	SIP_TRANSPORT_TCP,
	SIP_TRANSPORT_TLS,
};

/* Where a message came from or goes to. The layer only stores and compares
 * it; the transport fills it and reads it back in the send callback. */
struct sip_peer {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; the first 4 octets for IPv4 */
	uint16_t port;	  /* host order */
	enum sip_transport transport;
	uint32_t conn; /* stream transports: the connection it came on; 0: any/new */
};

enum sip_tsx_kind {
	SIP_TSX_CLIENT_INVITE,
	SIP_TSX_CLIENT_NON_INVITE,
	SIP_TSX_SERVER_INVITE,
	SIP_TSX_SERVER_NON_INVITE,
};

enum sip_tsx_state {
	SIP_TSX_CALLING,    /* client INVITE */
	SIP_TSX_TRYING,	    /* non-INVITE */
	SIP_TSX_PROCEEDING, /* all; a server INVITE starts here */
	SIP_TSX_COMPLETED,
	SIP_TSX_CONFIRMED, /* server INVITE */
	SIP_TSX_TERMINATED,
};

enum sip_tsx_event {
	/* A request that created a server transaction: t is new, m the request.
	 * Retransmissions are absorbed and never reach the TU. */
	SIP_TSX_EV_REQUEST,
	/* A response for a client transaction (m), once per response received
	 * in Calling/Trying/Proceeding; final ones end or complete t. */
	SIP_TSX_EV_RESPONSE,
	/* A response no client transaction matched (t NULL), e.g. a 2xx to an
	 * INVITE retransmitted after the transaction ended: the UA core acks
	 * it (RFC 3261 §17.1.1.2, §18.1.2). */
	SIP_TSX_EV_RESPONSE_STRAY,
	/* An ACK that matched no INVITE server transaction: the ACK for a 2xx,
	 * which is a request outside any transaction (§17.1.1.3). t NULL. */
	SIP_TSX_EV_ACK_2XX,
	/* Timer B, F or H fired: no (final) response, or no ACK. m NULL. */
	SIP_TSX_EV_TIMEOUT,
	/* sip_tsx_transport_error() was called for t. m NULL. */
	SIP_TSX_EV_TRANSPORT_ERROR,
	/* t is going away; it must not be used once this returns. m NULL. */
	SIP_TSX_EV_TERMINATED,
};

struct sip_tsx;

/* `t` says where (t->peer) and whether the transport is reliable. The
 * layer cannot learn of a failure from here: the transport reports it with
 * sip_tsx_transport_error(). */
typedef void (*sip_tsx_send_cb_t)(void *arg, const struct sip_tsx *t, const char *buf, size_t len, bool reliable);
typedef void (*sip_tsx_tu_cb_t)(void *arg, struct sip_tsx *t, enum sip_tsx_event ev, const struct sip_msg *m);

struct sip_tsx_cfg {
	uint32_t t1_ms;	     /* 0: SIP_TSX_T1_MS */
	uint32_t t2_ms;	     /* 0: SIP_TSX_T2_MS */
	uint32_t t4_ms;	     /* 0: SIP_TSX_T4_MS */
	uint32_t max_tsx;    /* 0: SIP_TSX_MAX; both kinds count */
	bool no_auto_trying; /* do not send 100 Trying for a silent TU */
	sip_tsx_send_cb_t send;
	sip_tsx_tu_cb_t tu;
	void *arg; /* passed to send and tu */
};

struct sip_tsx {
	/* Read-only for the TU. */
	enum sip_tsx_kind kind;
	enum sip_tsx_state state;
	enum sip_method method; /* CANCEL and ACK are never INVITE here */
	uint32_t cseq;
	uint16_t status; /* last response sent (server) or received (client) */
	bool reliable;
	bool rfc2543; /* a server transaction matched the RFC 2543 way */
	struct sip_peer peer;
	struct sip_str branch, call_id, from_tag, to_tag, ruri; /* copies */
	struct sip_str via_host, via_transport;			/* top Via */
	uint16_t via_port;
	/* The TU's own. */
	void *user;

	/* The layer's own. */
	bool used;
	char *keys;	   /* the storage of the copies above */
	char *buf;	   /* what a retransmission sends */
	size_t len;	   /* of buf */
	bool buf_sent;	   /* false: a 100 Trying not sent yet */
	uint32_t interval; /* current A, E or G interval */
	uint8_t timer[2];  /* enum tsx_timer per slot: retransmit, wait */
	int32_t heap_pos[2];
	uint32_t gen;
	uint32_t next; /* in a hash bucket or the free list */
};

struct sip_tsx_stats {
	uint64_t created;     /* transactions, both sides */
	uint64_t absorbed;    /* requests and responses retransmitted to us */
	uint64_t resent;      /* our retransmissions (timers and absorptions) */
	uint64_t timeouts;    /* Timer B, F, H */
	uint64_t refused;     /* -ENOSPC: the table was full */
	uint64_t stray;	      /* responses with no transaction */
	uint64_t ack_ignored; /* ACK to an INVITE not answered yet */
};

struct sip_tsx_timer;

struct sip_tsx_layer {
	struct sip_tsx_cfg cfg;
	struct sip_tsx *tsx; /* cfg.max_tsx slots */
	uint32_t *bucket;    /* head index per hash bucket */
	uint32_t mask;	     /* buckets - 1 */
	uint32_t free_head;
	uint32_t n_used;
	struct sip_tsx_timer *heap; /* 2 * max_tsx */
	uint32_t n_timers;
	uint64_t timer_seq; /* ties at one instant fire in the order armed */
	struct sip_tsx_stats stats;
};

int sip_tsx_layer_init(struct sip_tsx_layer *l, const struct sip_tsx_cfg *cfg);
/* Frees every transaction without an event to the TU. */
void sip_tsx_layer_fini(struct sip_tsx_layer *l);

/* A parsed message from the transport. raw/len are its bytes; m and raw need
 * only live through the call. A request that matches nothing creates a server
 * transaction (SIP_TSX_EV_REQUEST), or -ENOSPC when the table is full: the
 * caller answers 503 statelessly. -EINVAL for a message the layer cannot
 * key (no Via). */
int sip_tsx_layer_recv(struct sip_tsx_layer *l, const struct sip_msg *m, const char *raw, size_t len,
		       const struct sip_peer *from, bool reliable, uint64_t now_ms);

/* Fires every timer due at or before now_ms, in order. */
void sip_tsx_layer_tick(struct sip_tsx_layer *l, uint64_t now_ms);
/* When the next timer is due; UINT64_MAX if none. */
uint64_t sip_tsx_layer_next_due(const struct sip_tsx_layer *l);

/* Starts a client transaction: copies the request (whose top Via carries
 * `branch`, an RFC 3261 one), sends it and arms Timers A/B or E/F. method
 * must not be ACK. -ENOSPC when full, -EMSGSIZE beyond SIP_MAX_MSG. */
int sip_tsx_client_new(struct sip_tsx_layer *l, const char *req, size_t len, enum sip_method method,
		       struct sip_str branch, const struct sip_peer *to, bool reliable, uint64_t now_ms,
		       struct sip_tsx **tp);

/* The TU's response on a server transaction: copied, sent, and resent as
 * RFC 3261 §17.2 says. -EINVAL if t already sent its final response. t may
 * be gone when this returns (a 2xx to an INVITE, or a final response over a
 * reliable transport: Timer J is 0). */
int sip_tsx_respond(struct sip_tsx_layer *l, struct sip_tsx *t, const char *resp, size_t len, uint16_t status,
		    uint64_t now_ms);

/* The transport could not send for t: the TU hears of it and t ends
 * (RFC 3261 §17.1.4, §17.2.4). */
int sip_tsx_transport_error(struct sip_tsx_layer *l, struct sip_tsx *t);

/* RFC 3261 §9.2: the INVITE server transaction a CANCEL server transaction
 * is about, or NULL (the TU then answers the CANCEL 481). */
struct sip_tsx *sip_tsx_find_invite_for_cancel(struct sip_tsx_layer *l, const struct sip_tsx *cancel);

const char *sip_tsx_state_name(enum sip_tsx_state s);
const char *sip_tsx_event_name(enum sip_tsx_event ev);

#endif
