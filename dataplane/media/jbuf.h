/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adaptive jitter buffer for one received RTP stream (the first stage of
 * the media tick, before decode). Packets go in as they arrive
 * (td_jbuf_put), ordered by timestamp (RFC 3550 §5.1: 32-bit timestamps and
 * 16-bit sequence numbers, both compared modulo their size); once per media
 * tick td_jbuf_get hands out the frame due now, or says it is lost (the
 * caller conceals: codec decode with no payload), or that there is nothing
 * to play. The delay adapts to the measured jitter between min_delay_ms and
 * max_delay_ms, and skipped or inserted frames keep it bounded when the
 * sender's clock runs faster or slower than ours. Algorithm and figures:
 * docs/media.md, "Jitter buffer".
 *
 * Memory: the caller provides td_jbuf_size(cfg) bytes (8-byte aligned,
 * from a pool made at start); nothing is allocated afterwards. Threads: one
 * owner at a time (the worker that owns the session); no lock, no syscall,
 * no log. Cost: O(1) per call; O(slots) at most when play starts, on a
 * resync, and when a packet ends a silence.
 * Times are in RTP clock units (cfg.clock_rate per second): the caller
 * converts its TSC readings.
 */
#ifndef TD_JBUF_H
#define TD_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_JBUF_MIN_DELAY_MS 20	 /* default cfg.min_delay_ms */
#define TD_JBUF_MAX_DELAY_MS 200 /* default cfg.max_delay_ms */
#define TD_JBUF_MAX_PAYLOAD  640 /* default cfg.max_payload: 20 ms of any codec here, Opus up to 256 kbit/s */
#define TD_JBUF_SLOTS_MAX    256 /* frames a buffer holds, at most (5.12 s at 20 ms) */

struct td_jbuf_cfg {
	uint32_t clock_rate;   /* RTP timestamp units per second: 8000, 16000, 48000 */
	uint32_t frame_ticks;  /* RTP units per packet and per tick: 160 for 20 ms at 8 kHz */
	uint16_t min_delay_ms; /* 0: TD_JBUF_MIN_DELAY_MS */
	uint16_t max_delay_ms; /* 0: TD_JBUF_MAX_DELAY_MS */
	uint16_t max_payload;  /* bytes per frame; 0: TD_JBUF_MAX_PAYLOAD */
};

/* What td_jbuf_get hands out. */
enum td_jbuf_result {
	TD_JBUF_EMPTY = 0, /* nothing to play: not started, buffering, sender silent, or stream stopped */
	TD_JBUF_FRAME = 1, /* out->payload is the frame due now */
	TD_JBUF_LOST = 2,  /* conceal one frame (out->inserted: an extra one, to add delay) */
};

struct td_jbuf_frame {
	const uint8_t *payload; /* FRAME: inside the buffer, valid until the next call on it */
	size_t len;
	uint32_t ts;   /* FRAME, LOST: the frame's timestamp (inserted: of the frame still awaited) */
	uint16_t seq;  /* FRAME; LOST: predicted from the last frame played */
	bool marker;   /* FRAME: the packet's marker bit */
	bool inserted; /* LOST: not a missing packet, a frame added to grow the delay */
};

/*
 * Counters since init (never reset) and two gauges. Every packet offered
 * to td_jbuf_put lands in exactly one of put, late, duplicate, overflow,
 * oversize, invalid. Every td_jbuf_get that plays lands in got, lost,
 * silent or one of the inserted_* counters.
 */
struct td_jbuf_stats {
	uint64_t put;		     /* packets stored */
	uint64_t got;		     /* frames handed out (TD_JBUF_FRAME) */
	uint64_t lost;		     /* missing frames concealed (TD_JBUF_LOST, not inserted) */
	uint64_t silent;	     /* frames the sender left out for silence (EMPTY while playing) */
	uint64_t late;		     /* packets refused: their frame was already played or concealed */
	uint64_t duplicate;	     /* packets refused: their frame is buffered or was already received */
	uint64_t overflow;	     /* packets refused: too far ahead for the buffer */
	uint64_t oversize;	     /* packets refused: payload larger than max_payload */
	uint64_t invalid;	     /* packets refused: no payload */
	uint64_t resync;	     /* restarts on a timestamp jump (new source or talkspurt) */
	uint64_t flushed;	     /* buffered frames a resync or reset discarded */
	uint64_t underrun;	     /* the stream stopped: play ended, waiting for packets */
	uint64_t skipped_for_drift;  /* frames dropped: the sender's clock is faster */
	uint64_t inserted_for_drift; /* frames concealed in addition: the sender's clock is slower */
	uint64_t skipped_for_delay;  /* frames dropped to shrink the delay to a lower target */
	uint64_t inserted_for_delay; /* frames added to grow the delay to a higher target */
	uint32_t delay_ms;	     /* now: how long a packet without jitter waits */
	uint32_t target_ms;	     /* now: the delay aimed at */
};

struct td_jbuf;

/* Bytes a buffer with cfg needs; 0 with errno EINVAL when cfg is invalid. */
size_t td_jbuf_size(const struct td_jbuf_cfg *cfg);

/*
 * Make a buffer in mem (size bytes, 8-byte aligned). Returns 0; -EINVAL for
 * a bad cfg (zero clock or frame, a frame longer than a second, min delay
 * above max, more than TD_JBUF_SLOTS_MAX frames needed) or misaligned mem;
 * -ENOBUFS when size is below td_jbuf_size(cfg).
 */
int td_jbuf_init(void *mem, size_t size, const struct td_jbuf_cfg *cfg);

/*
 * Store one packet's payload (copied). ts, seq: from the RTP header; one
 * packet carries one frame of cfg.frame_ticks. arrival: its arrival time.
 * Returns 0 when stored, or the packet is refused and counted:
 * -EINVAL no payload, -EMSGSIZE larger than max_payload, -EEXIST duplicate,
 * -ETIME late, -ENOBUFS too far ahead.
 */
int td_jbuf_put(struct td_jbuf *jb, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload, size_t len,
		uint64_t arrival);

/* Once per tick: what to play at now. Returns an enum td_jbuf_result. */
int td_jbuf_get(struct td_jbuf *jb, uint64_t now, struct td_jbuf_frame *out);

/* Forget the stream (for a new SSRC): buffered frames are discarded and
 * counted as flushed; counters and the learnt target delay stay. */
void td_jbuf_reset(struct td_jbuf *jb);

void td_jbuf_stats(const struct td_jbuf *jb, struct td_jbuf_stats *st);

#endif
