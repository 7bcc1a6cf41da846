/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Supervisor monitoring of a bridged call on a worker (TD_DP_CMD_MONITOR;
 * design in docs/conference.md): listen, whisper, barge. The call's two
 * directions stay relayed packet for packet; where a direction must carry
 * the supervisor too (agent-bound in whisper and barge, customer-bound in
 * barge) the relayed packet's G.711 payload is re-encoded in place with
 * the supervisor's audio added, so the stream toward each party stays the
 * relay's own (one SSRC, sequence and timestamp unbroken by any switch).
 * The supervisor gets its own stream, customer + agent mixed, once per
 * media tick.
 *
 * Memory: --conf-slots / 3 monitors per worker, made on the main lcore
 * (td_monitor_init); a monitor takes three mixer slots of that budget
 * (-ENOSPC past it). Threads: init and fini on the main lcore, the rest on
 * the worker; nothing allocates, locks, logs or calls the system.
 */
#ifndef TD_MONITOR_H
#define TD_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#define TD_MON_RING    1024 /* PCM samples kept per speaker: 128 ms at 8 kHz (a power of two) */
#define TD_MON_FRAME   160  /* 20 ms at 8 kHz */
#define TD_MON_CUSHION 160  /* a reader starts once it has a frame in hand beyond what it takes */
#define TD_MON_KEEP    480  /* a reader further behind than this is brought back to the cushion */
#define TD_MON_PCM_MAX 480  /* samples in one packet at most (60 ms) */

struct rte_mbuf;
struct rtp_info;
struct td_codec_ops;
struct td_conf_ctx;
struct td_rtp_session;
struct td_worker;

enum td_mon_role {
	TD_MON_NONE = 0,
	TD_MON_AGENT = 1,
	TD_MON_CUSTOMER = 2,
	TD_MON_SUPERVISOR = 3,
};

/* What one party said, decoded: one writer, one or two readers. */
struct td_mon_q {
	uint32_t w; /* samples written, free running */
	int16_t buf[TD_MON_RING];
};

struct td_mon_rd {
	uint32_t r; /* samples read, free running */
	bool primed;
};

struct td_mon {
	bool used;
	uint8_t mode;			 /* enum td_dp_monitor_mode */
	uint32_t agent, customer, sup;	 /* session slots */
	const struct td_codec_ops *call; /* the pair's codec */
	const struct td_codec_ops *sup_codec;
	struct td_mon_q q_agent, q_cust, q_sup;
	struct td_mon_rd rd_agent, rd_cust; /* the supervisor's mix */
	struct td_mon_rd rd_sup_agent;	    /* the supervisor toward the agent */
	struct td_mon_rd rd_sup_cust;	    /* and toward the customer */
	/* the stream sent to the supervisor */
	bool sending;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint64_t last_tsc;
};

struct td_mon_ctx {
	uint32_t n;	 /* monitors at most */
	uint32_t active; /* in use */
	uint64_t last_tick;
	struct td_mon *mons;
};

/* Main lcore: the monitors of a worker whose conference context is c. */
int td_monitor_init(struct td_conf_ctx *c);
void td_monitor_fini(struct td_conf_ctx *c);

/* Worker, per packet: RTP (not a telephone-event) of a monitored session.
 * True: consumed (the supervisor's); false: relay it on, its payload
 * possibly mixed in place. */
bool td_monitor_rx(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m, uint8_t *rtp,
		   const struct rtp_info *ri);
/* Worker, media tick: the supervisors' streams; returns packets sent. */
unsigned int td_monitor_tick(struct td_worker *w, uint64_t now);
bool td_monitor_active(const struct td_worker *w);
/* Worker, command path: s is destroyed or unbridged (why: enum
 * td_dp_monitor_why); its monitor ends and control is told. */
void td_monitor_session_end(struct td_worker *w, struct td_rtp_session *s, uint8_t why);
/* Worker, command path: may s's new parameters stay monitored? 0 or -ENOTSUP. */
int td_monitor_session_check(struct td_worker *w, struct td_rtp_session *s);

#endif
