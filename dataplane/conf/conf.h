/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conferences on a worker: sessions of that worker mixed together
 * (conf_mix.h) once per media tick. A participant's RTP is decoded on
 * arrival into a PCM queue (td_conf_rx); each tick takes one 20 ms frame
 * from every queue, mixes, and sends every participant its own mix, encoded
 * in its codec, from its port to its remote, as one RTP stream (its SSRC,
 * sequence and timestamp continue the stream it was sent before joining,
 * and the relay continues this one after it leaves).
 *
 * Scope now: 8 kHz conferences of G.711 participants (PCMA, PCMU) with a
 * 20 ms ptime; other codecs are refused with -EOPNOTSUPP.
 *
 * Memory: per worker --conf-slots participants at most (admission, -ENOSPC
 * past it), in conferences of up to TD_CONF_PARTS; every conference and its
 * mixer made by td_conf_init on the main lcore. Threads: init and fini on
 * the main lcore, the rest on the worker; nothing allocates, locks, logs or
 * calls the system after start.
 */
#ifndef TD_CONF_H
#define TD_CONF_H

#include <stdbool.h>
#include <stdint.h>

#define TD_CONF_DEFAULT_SLOTS 64 /* --conf-slots: participants per worker */
#define TD_CONF_SLOTS_MAX     4096
#define TD_CONF_PARTS	      16 /* participants in one conference at most */
#define TD_CONF_RATE	      8000
#define TD_CONF_FRAME	      160 /* 20 ms at TD_CONF_RATE */
#define TD_CONF_QUEUE	      960 /* PCM samples queued per participant: 120 ms */
#define TD_CONF_QUEUE_KEEP    320 /* a queue longer than this after a tick is cut to it: 40 ms */
#define TD_CONF_CATCH_UP      3	  /* frames a late tick mixes at most */

struct rte_mbuf;
struct rtp_info;
struct td_rtp_session;
struct td_worker;
struct td_codec_ops;
struct td_conf_mix;
struct td_mon_ctx;

struct td_conf_part {
	bool used;
	bool leaving;  /* left: its queued frame fades out in the next tick, then free */
	uint32_t slot; /* session slot */
	uint32_t id;   /* session id (events) */
	uint32_t call_tag;
	const struct td_codec_ops *codec;
	uint16_t in_port; /* td_ports index its media arrives on */
	uint16_t seq;	  /* of the next packet sent to it */
	uint32_t ts;
	uint32_t ssrc;
	bool marker;
	uint16_t q_r, q_w;
	int16_t q[TD_CONF_QUEUE];
};

struct td_conf {
	uint32_t id; /* 0: free */
	uint16_t n;  /* participants present */
	uint16_t leaving;
	struct td_conf_mix *mix;
	struct td_conf_part part[TD_CONF_PARTS]; /* indexed as in the mixer */
};

struct td_conf_ctx {
	uint32_t slots; /* participants at most */
	uint32_t used;
	uint32_t refused;
	uint16_t n_confs;
	uint16_t active;    /* conferences in use */
	uint64_t last_tick; /* TSC of the last tick */
	struct td_conf *confs;
	struct td_mon_ctx *mon; /* supervisor monitors (monitor.h), three slots each */
};

/* Main lcore: conferences for slots participants per worker (0: none). */
int td_conf_init(struct td_worker *workers, uint16_t n_workers, uint32_t slots);
void td_conf_fini(struct td_worker *workers, uint16_t n_workers);

/* Worker, per packet: RTP of a participant (not a telephone-event); consumes m. */
void td_conf_rx(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m, const uint8_t *rtp,
		const struct rtp_info *ri);
/* Worker, media tick: mix and send every conference; returns packets sent. */
unsigned int td_conf_tick(struct td_worker *w, uint64_t now);
/* Worker: are there conferences for the tick? */
bool td_conf_active(const struct td_worker *w);
/* Worker, command path: s is being destroyed; it leaves its conference. */
void td_conf_session_end(struct td_worker *w, struct td_rtp_session *s);
/* Worker, command path: can s's (new) parameters stay in its conference? 0 or -EOPNOTSUPP. */
int td_conf_session_check(const struct td_rtp_session *s);

#endif
