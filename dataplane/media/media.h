/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's media pipeline beside the relay: its transcoder pool and the
 * media tick.
 *
 * Per packet (xcode_rtp.c), for a session of a transcoding pair only: the
 * payload type is checked against the leg's codec and the payload decoded
 * on arrival into PCM queued toward the other leg. The jitter buffer
 * (media/jbuf.h) slots in here: packets will go into it on arrival, and the
 * tick will take them out and decode them.
 *
 * Per media tick (tick.c, every TD_MEDIA_TICK_MS by the TSC): for each
 * transcoder in use, every full frame queued toward a leg is encoded,
 * packetised and sent. Relay-only sessions hold no transcoder, so they are
 * never on the tick list and the tick costs them nothing; a worker without
 * transcoders in use skips it with one comparison.
 *
 * Threads: td_media_init, td_media_service and td_media_fini on the main
 * lcore; the rest on the worker. Commands (attach, detach, update) run in
 * the worker's command path; admission is there: -ENOSPC when the budget
 * is used up.
 */
#ifndef TD_MEDIA_H
#define TD_MEDIA_H

#include <stdint.h>

#include "api/td_dp_shm.h"

#define TD_MEDIA_TICK_MS 20

struct rte_mbuf;
struct rte_mempool;
struct rtp_info;
struct td_rtp_session;
struct td_worker;
struct td_xcode_pool;
struct td_dtmf_ctx;
struct td_conf_ctx;
struct rte_ring;

struct td_media {
	struct td_xcode_pool *pool;
	struct td_dtmf_ctx *dtmf; /* detectors, tone generators, DTMF tick (media/dtmf.h) */
	struct td_conf_ctx *conf; /* conferences (conf/conf.h); NULL: none allowed */
	struct rte_mempool *mp;	  /* packets the tick builds */
	uint64_t next_tick;	  /* TSC */
	uint64_t tick_tsc;
	/* prompts (media/prompt.h) */
	uint32_t *play_list; /* slots of the sessions playing */
	uint32_t n_playing;
	uint64_t play_next; /* TSC of the next play tick */
	uint64_t play_tick_tsc;
	struct rte_ring *prompt_req; /* PROMPT_LOAD / UNLOAD to the main lcore */
	struct rte_ring *prompt_ack; /* and their acks back */
};

/* Main lcore: a media context and max transcoders for each worker. */
int td_media_init(struct td_worker *workers, uint16_t n_workers, uint32_t max, struct rte_mempool *mp,
		  struct td_dp_shm *shm);
/* Main lcore: re-initialise the codec states the workers released. */
void td_media_service(struct td_worker *workers, uint16_t n_workers);
void td_media_fini(struct td_worker *workers, uint16_t n_workers);

/* Worker: run the tick if it is due at TSC now; returns packets sent. */
unsigned int td_media_tick(struct td_worker *w, uint64_t now);
/* Worker: take back re-initialised states (command path cadence). */
void td_media_reclaim(struct td_worker *w);

/*
 * Worker, command path. attach: a and b were just bridged; give them a
 * transcoder if their codecs need one (0 when they do not, -ENOSPC over
 * budget). detach: s (and its peer) stop transcoding. update: s's
 * parameters changed while bridged to b; follow them (-ENOSPC when a new
 * transcoder is needed and none is left: the caller keeps the old ones).
 */
int td_xcode_attach(struct td_worker *w, struct td_rtp_session *a, struct td_rtp_session *b);
void td_xcode_detach(struct td_worker *w, struct td_rtp_session *s);
int td_xcode_update(struct td_worker *w, struct td_rtp_session *s, struct td_rtp_session *b);

/* Worker, per packet: RTP for a session of a transcoding pair; consumes m. */
void td_xcode_rx(struct td_worker *w, struct td_rtp_session *s, uint16_t in_port, struct rte_mbuf *m,
		 const uint8_t *rtp, const struct rtp_info *ri);

#endif
