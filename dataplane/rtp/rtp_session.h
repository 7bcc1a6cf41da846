/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Media sessions. Each worker owns a contiguous range of UDP ports and one
 * flat table of sessions indexed by (port - range start) / 2: the session of
 * an even port p is its RTP, p + 1 its RTCP. Tables and their shared stats
 * slots are made on the main lcore at start (no allocation later); from then
 * on only the owning worker reads or writes a session. Commands from control
 * (rtp_session.c) create, change, bridge and destroy sessions; packets
 * (rtp_relay.c) are relayed between bridged sessions.
 */
#ifndef TD_RTP_SESSION_H
#define TD_RTP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "api/td_dp_msg.h"
#include "api/td_dp_shm.h"
#include "media/dtmf.h"
#include "media/prompt.h"
#include "rtp_stats.h"

#define TD_RTP_LEARN_DEFAULT 5
#define TD_RTP_NO_PEER	     UINT32_MAX

enum td_rtp_latch {
	TD_RTP_LEARNING = 0, /* nothing received yet */
	TD_RTP_OPEN = 1,     /* latched; within the learning window */
	TD_RTP_LOCKED = 2,   /* strict: only the latched source */
};

/* The RTP stream sent toward this session's peer: kept continuous (one
 * SSRC, sequence and timestamp without jumps) whatever feeds it. */
struct td_rtp_tx {
	bool init;
	uint32_t in_ssrc; /* SSRC of the stream currently feeding it */
	uint32_t out_ssrc;
	uint16_t seq_delta;
	uint32_t ts_delta;
	uint16_t last_seq;
	uint32_t last_ts;
	uint64_t last_tsc;
};

struct td_rtp_session {
	uint32_t id; /* 0: free slot */
	uint16_t port;
	uint16_t reuse;
	uint32_t peer;	  /* slot of the bridged session, TD_RTP_NO_PEER */
	uint16_t tx_port; /* td_ports index toward the peer; learnt from rx */
	struct td_dp_cmd_session p;

	uint8_t latch;
	uint8_t learn_left;
	bool timed_out;
	bool rtcp_latched;
	uint32_t src_ip; /* latched RTP source, network order */
	uint16_t src_port;
	uint16_t rtcp_port; /* latched RTCP source port */
	struct rte_ether_addr src_mac;

	struct td_rtp_tx tx;
	struct rtp_rx_stats rx;
	uint64_t created_tsc;
	uint64_t last_rx_tsc;
	uint32_t sr_lsr;     /* last SR sent toward the peer: NTP middle bits */
	uint64_t sr_fwd_tsc; /* and when */
	struct td_dp_session_stats *st;
	struct td_xcode *xc;	  /* transcoder of its pair (media/xcode.h); NULL: relay */
	uint8_t xc_leg;		  /* which of its legs this session is */
	struct td_dtmf_sess dtmf; /* digits received and sent (media/dtmf.h) */
	uint16_t rec_slot1;	  /* recording slot + 1 (record/record.h); 0: not recorded */
	uint8_t rec_side;	  /* 0 customer, 1 agent */
	struct td_conf *conf;	  /* conference it is in (conf/conf.h); NULL: none */
	uint8_t conf_part;	  /* its participant index there */
	struct td_mon *mon;	  /* supervisor monitor it is part of (conf/monitor.h); NULL: none */
	uint8_t mon_role;	  /* enum td_mon_role */
	struct td_play play;	  /* prompt or tone sent to it (media/prompt.h) */
};

struct td_rtp_table {
	uint16_t port_lo; /* even */
	uint16_t port_hi; /* odd */
	uint32_t n;
	uint32_t used;
	uint32_t fq_head; /* free slots, oldest freed first */
	uint32_t fq_len;
	uint32_t *free_q;
	uint32_t scan; /* media timeout scan cursor */
	uint64_t tsc_hz;
	struct td_rtp_session *s;
};

/* Port range split between the workers; read-only once workers run. */
struct td_rtp_ranges {
	uint16_t lo;   /* first port, even */
	uint16_t span; /* ports per worker, even */
	uint16_t n_workers;
};
extern struct td_rtp_ranges td_rtp_ranges;

struct td_worker;
struct td_dp_shm;
struct td_xcode;

/* Main lcore: split [lo, hi] and give each worker its table. */
int td_rtp_init(struct td_worker *workers, uint16_t n_workers, uint16_t lo, uint16_t hi, uint32_t max_sessions,
		struct td_dp_shm *shm);
void td_rtp_fini(struct td_worker *workers, uint16_t n_workers);
/* Sessions one worker can hold for a range and cap (for sizing the segment). */
uint32_t td_rtp_slots(uint16_t n_workers, uint16_t lo, uint16_t hi, uint32_t max_sessions);

/* Worker: the session of a local port it owns, or NULL. */
static inline struct td_rtp_session *
td_rtp_lookup(struct td_rtp_table *t, uint16_t port)
{
	if (port < t->port_lo || port > t->port_hi)
		return NULL;
	uint32_t slot = (uint32_t)(port - t->port_lo) >> 1;
	if (slot >= t->n)
		return NULL;
	struct td_rtp_session *s = &t->s[slot];
	return s->id ? s : NULL;
}

/* Worker: which worker owns a port, or -1 outside every range. */
static inline int
td_rtp_owner(uint16_t port)
{
	const struct td_rtp_ranges *r = &td_rtp_ranges;
	if (r->span == 0 || port < r->lo)
		return -1;
	uint32_t w = (uint32_t)(port - r->lo) / r->span;
	return w < r->n_workers ? (int)w : -1;
}

/* Worker: check a few sessions for media timeout (round robin). */
void td_rtp_timeout_scan(struct td_worker *w, unsigned int n);

/* Worker: a UDP datagram for one of our ports (rtp_relay.c). */
struct rte_ipv4_hdr;
void td_rtp_udp_input(struct td_worker *w, uint16_t port, struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint16_t ihl,
		      uint16_t tot);

/* Worker: send the RTP packet built in m (from its data start) out of the
 * port of s's bridged session to that session's peer, as the relay would;
 * in_port: where s's media arrives. False when it was dropped (counted on
 * s) for want of a destination. */
bool td_rtp_send(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m);

/* Worker: the same, out of s's own port to s's own remote (its latched
 * source, else its signalled one). */
bool td_rtp_send_own(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m);

/* Worker: the session an id names on this worker, or NULL and *err
 * (-ENOENT, or -EXDEV when another worker owns its port). */
struct td_rtp_session *td_rtp_find(struct td_worker *w, uint32_t id, int *err);

/* Worker: send a session event to control. */
void td_rtp_event(struct td_worker *w, uint16_t type, const struct td_rtp_session *s, uint32_t old_ip,
		  uint16_t old_port, uint32_t idle_ms);

#endif
