/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transcoding between two bridged sessions whose codecs (or ptimes) differ.
 *
 * A transcoder joins two legs. Media from one leg is decoded frame by frame
 * (codecs/td_codec.h), resampled when the legs' PCM rates differ
 * (codecs/resample), and queued as PCM toward the other leg; the worker's
 * media tick (tick.c) encodes every full frame of the other leg's ptime and
 * sends it with that leg's payload type and its own SSRC, sequence and
 * timestamp (in that leg's RTP clock). Both directions.
 *
 * Memory: one pool per worker, made on the main lcore at start and sized by
 * the transcoding budget (--transcoders N): N transcoders, and for every
 * codec kind (a codec at one PCM rate: PCMA@8k, G722@16k, opus@8k,
 * opus@16k, ...) N codec states, plus N resamplers each way between 8 and
 * 16 kHz. Every state is initialised on the main lcore before the workers
 * run. Some codec libraries allocate in init (bcg729), so a state is never
 * (re)initialised on a worker: a released state goes back to the main lcore
 * over the pool's recycle ring, is finalised and initialised afresh there
 * (td_xcode_pool_service, every 100 ms), and returns over the ready ring.
 * A freed transcoder's states are thus usable again within about 100 ms.
 *
 * Threads: pool_create, pool_free and pool_service on the main lcore;
 * everything else on the worker that owns the pool. Nothing here
 * allocates, blocks or logs after start. Functions return 0 or -errno.
 */
#ifndef TD_XCODE_H
#define TD_XCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/td_dp_msg.h"
#include "jbuf.h"

#define TD_XCODE_DEFAULT	  64   /* transcoders per worker */
#define TD_XCODE_MAX		  4096 /* --transcoders at most */
#define TD_XCODE_FIFO		  4096 /* PCM samples queued per direction: 256 ms at 16 kHz */
#define TD_XCODE_SCRATCH	  2048 /* PCM samples one packet may decode to: 128 ms at 16 kHz */
#define TD_XCODE_PTIME_MAX	  60   /* ms; the longest frame every codec can encode */
#define TD_XCODE_PLC_MAX	  3    /* lost packets concealed; a longer gap skips time */
#define TD_XCODE_OPUS_COMPLEXITY  5
#define TD_XCODE_RESAMPLE_QUALITY 3
#define TD_XCODE_KINDS_MAX	  16

struct td_codec_ops;
struct td_xcode_elem;

/* One leg of a transcoder: what it speaks, and the stream sent toward it. */
struct td_xcode_leg {
	const struct td_codec_ops *codec;
	struct td_xcode_elem *state; /* codec state at pcm_rate */
	struct td_xcode_elem *rs;    /* resampler other leg's rate -> pcm_rate; NULL if equal */
	uint32_t slot;		     /* session slot (dataplane glue) */
	uint16_t in_port;	     /* td_ports index media from this leg arrived on */
	uint8_t pt;		     /* payload type sent to and accepted from this leg */
	bool marker;		     /* the next packet toward this leg starts after a gap */
	uint32_t pcm_rate;
	uint32_t clock; /* RTP clock */
	uint16_t ptime_ms;
	uint16_t frame;	  /* PCM samples per packet toward this leg */
	uint32_t ts_step; /* RTP clock units per packet toward this leg */
	/* toward this leg */
	bool tx_started;
	uint16_t seq; /* of the next packet */
	uint32_t ts;
	uint32_t ts_skip;  /* clock units of input time no PCM stands for */
	uint32_t src_ssrc; /* SSRC of the stream feeding it (the other leg's) */
	uint16_t fifo_r, fifo_w;
	/* from this leg: its packets wait in a jitter buffer (jbuf.h), and
	 * the media tick plays one frame of its ptime at a time */
	struct td_jbuf *jb;
	uint64_t play_next;    /* TSC of the next jitter buffer read; 0: none yet */
	uint64_t frame_tsc;    /* TSC per frame of this leg's ptime */
	uint32_t tsc_per_unit; /* TSC per unit of this leg's RTP clock */
	uint32_t jb_ssrc;      /* SSRC of the stream in the buffer */
	bool jb_used;
	bool rx_started;
	uint16_t rx_seq;
	uint32_t rx_ts_next; /* timestamp the next packet should carry */
	uint16_t rx_samples; /* PCM samples of the last packet decoded */
	int16_t fifo[TD_XCODE_FIFO];
};

struct td_xcode {
	struct td_xcode_leg leg[2];
	uint32_t tick_pos; /* place in the worker's tick list */
};

/* What td_xcode_encode produced: the RTP header fields of the packet. */
struct td_xcode_frame {
	uint8_t pt;
	uint8_t marker;
	uint16_t seq;
	uint32_t ts;
};

struct td_xcode_pool;

/* Main lcore: a pool of max transcoders (0: transcoding refused) on a NUMA
 * socket, every state initialised. NULL with errno on failure. */
struct td_xcode_pool *td_xcode_pool_create(const char *name, uint32_t max, int socket);
/* Main lcore, before the workers run: the TSC rate the jitter buffers'
 * times are converted from (td_xcode_rx_put, td_xcode_play). */
void td_xcode_set_tsc_hz(uint64_t hz);
void td_xcode_pool_free(struct td_xcode_pool *pool);
/* Main lcore: re-initialise what the worker released; returns how many. */
unsigned int td_xcode_pool_service(struct td_xcode_pool *pool);
/* Worker: take back the states the main lcore re-initialised. */
void td_xcode_pool_reclaim(struct td_xcode_pool *pool);
uint32_t td_xcode_pool_max(const struct td_xcode_pool *pool);
uint32_t td_xcode_pool_used(const struct td_xcode_pool *pool);

/* Check and complete a session's codec parameters (any thread): the codec
 * is known, its payload type set (a dynamic codec needs one), clock_rate
 * set to (or equal to) its RTP clock, ptime a whole number of its frames up
 * to TD_XCODE_PTIME_MAX. No codec: nothing to check. 0 or -EINVAL. */
int td_xcode_params_check(struct td_dp_cmd_session *p);
/* Do two legs need a transcoder (both have a codec; codec or ptime differ,
 * or only one of them has RFC 4733 telephone-events)? */
bool td_xcode_needed(const struct td_dp_cmd_session *a, const struct td_dp_cmd_session *b);

/*
 * Worker: a transcoder from leg a (leg[0]) to leg b (leg[1]), both checked
 * by td_xcode_params_check. 0 and *xp NULL when the legs need none;
 * -ENOSPC when the budget or a state it needs is used up.
 */
int td_xcode_get(struct td_xcode_pool *pool, const struct td_dp_cmd_session *a, const struct td_dp_cmd_session *b,
		 struct td_xcode **xp);
/* Worker: release a transcoder; its states go back to the main lcore. */
void td_xcode_put(struct td_xcode_pool *pool, struct td_xcode *x);
/* Worker: can x follow new parameters of the same codecs in place (payload
 * type, ptime)? Applies them and returns 0, or -EAGAIN when the codecs
 * changed (release it and get another). */
int td_xcode_reconfigure(struct td_xcode_pool *pool, struct td_xcode *x, const struct td_dp_cmd_session *a,
			 const struct td_dp_cmd_session *b);

/* Worker: the transcoders in use (the tick list), and how many. */
struct td_xcode *const *td_xcode_pool_active(const struct td_xcode_pool *pool, uint32_t *n);

/*
 * Worker, per packet: decode one RTP payload that leg `from` sent (its
 * sequence number and timestamp) and queue the PCM toward the other leg.
 * Lost packets (a sequence gap) are concealed up to TD_XCODE_PLC_MAX, and a
 * longer gap or a timestamp jump advances the other leg's timestamp by the
 * time missed. Returns the samples queued, or -EBADMSG (the codec refused
 * the payload), -EALREADY (an old or repeated packet), -ENOBUFS (the queue
 * is full). ssrc: the packet's, kept as the other leg's SSRC when it has
 * none configured.
 */
int td_xcode_decode(struct td_xcode_pool *pool, struct td_xcode *x, unsigned int from, uint16_t seq, uint32_t ts,
		    uint32_t ssrc, const uint8_t *payload, size_t len);
/*
 * Worker, per packet: store one RTP payload that leg `from` sent in that
 * leg's jitter buffer (the packet's sequence number, timestamp, SSRC and
 * marker; now: its arrival, TSC). A new SSRC starts the buffer afresh.
 * 0, or the buffer's refusal: -EINVAL (no payload), -EMSGSIZE (too large),
 * -EEXIST (duplicate), -ETIME (late: its frame was played), -ENOBUFS (too
 * far ahead).
 */
int td_xcode_rx_put(struct td_xcode *x, unsigned int from, uint16_t seq, uint32_t ts, uint32_t ssrc, bool marker,
		    const uint8_t *payload, size_t len, uint64_t now);
/*
 * Worker, per tick: play the next frame of leg `from` that is due at now
 * (TSC): decode it (conceal a lost one) and queue the PCM toward the other
 * leg, whose timestamp moves over time the sender left silent. Call until
 * it returns -EAGAIN (nothing more due). Returns the samples queued (0:
 * nothing to play now, or silence), *ts the frame's timestamp; -EBADMSG
 * when the codec refused the payload, -ENOBUFS when the queue is full.
 */
int td_xcode_play(struct td_xcode_pool *pool, struct td_xcode *x, unsigned int from, uint64_t now, uint32_t *ts);
/* The jitter buffer counters of leg `from`. */
void td_xcode_jbuf_stats(const struct td_xcode *x, unsigned int from, struct td_jbuf_stats *st);

/*
 * Worker, per tick: encode the next full frame queued toward leg `to` into
 * out (at most max bytes) and fill f. Returns the payload bytes, 0 when no
 * full frame is queued, or the codec's -errno (the frame is discarded and
 * its time skipped).
 */
int td_xcode_encode(struct td_xcode *x, unsigned int to, uint8_t *out, size_t max, struct td_xcode_frame *f);
/* Worker: is a full frame queued toward leg `to`? */
static inline bool
td_xcode_ready(const struct td_xcode *x, unsigned int to)
{
	const struct td_xcode_leg *l = &x->leg[to];
	return l->frame && (unsigned int)(l->fifo_w - l->fifo_r) >= l->frame;
}
/* Worker: the PCM the last td_xcode_decode decoded (at the sending leg's
 * pcm_rate) and how many samples; valid until the next decode. */
const int16_t *td_xcode_decoded(const struct td_xcode_pool *pool, unsigned int *n);
/* Worker, per tick: use up the next full frame toward leg `to` without
 * encoding it (its time carries something else, e.g. an RFC 4733 event):
 * f gets the header fields it would have had. 1, or 0 when none is full. */
int td_xcode_skip(struct td_xcode *x, unsigned int to, struct td_xcode_frame *f);
/* Continue the stream toward leg `to` from an earlier one (seq and ts of
 * the next packet), before the first td_xcode_encode. */
void td_xcode_continue(struct td_xcode *x, unsigned int to, uint16_t seq, uint32_t ts);

#endif
