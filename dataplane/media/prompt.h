/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prompts, music on hold and tones.
 *
 * Store (prompt.c, main lcore): a prompt is a WAV file (prompt_wav.h) read,
 * resampled to 8 and 16 kHz (codecs/resample) and encoded once into 20 ms
 * frames of every kind a session may speak (PCMA, PCMU, G722, G729, Opus
 * at 8 and 16 kHz), in memory malloc'd at load. Tones (ringback, busy,
 * congestion; tone.c) are built at start and never unloaded. Slots are a
 * fixed table: a worker finds a prompt by id without a pointer that could
 * go away. Publication: the main lcore fills a slot, then stores READY
 * (release); a worker starting a play first counts itself in `plays`, then
 * reads the state (both sequentially consistent): unload stores UNLOADING,
 * then frees only once it reads plays == 0, so a prompt being played is
 * never freed under a worker.
 *
 * Loading needs file I/O and malloc, so a worker hands PROMPT_LOAD and
 * PROMPT_UNLOAD to the main lcore over a ring (td_prompt_service, in its
 * 100 ms housekeeping) and acks them when the answer comes back
 * (td_prompt_reclaim, command cadence).
 *
 * Play (prompt_play.c, worker): a playing session is on its worker's play
 * list; every 20 ms (by the TSC) the next frames of its codec go toward its
 * remote, continuing its stream's SSRC, sequence and timestamp, while what
 * its peer sends is dropped (play_peer_muted). No allocation but packets,
 * no lock, no syscall, no log.
 */
#ifndef TD_PROMPT_H
#define TD_PROMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "api/td_dp_msg.h"

#define TD_PROMPT_FRAME_MS  20
#define TD_PROMPT_FRAME_MAX 160 /* bytes of a 20 ms frame of any kind (Opus kept under it) */
#define TD_PROMPT_TONES	    3
#define TD_PROMPT_SLOTS	    (TD_DP_PROMPT_ID_MAX + 1 + TD_PROMPT_TONES)

enum td_prompt_kind {
	TD_PK_PCMA,
	TD_PK_PCMU,
	TD_PK_G722,
	TD_PK_G729,
	TD_PK_OPUS8,
	TD_PK_OPUS16,
	TD_PK_N,
};

enum td_prompt_state {
	TD_PROMPT_FREE = 0,
	TD_PROMPT_READY = 1,
	TD_PROMPT_UNLOADING = 2,
};

struct td_prompt {
	uint32_t state; /* enum td_prompt_state */
	uint32_t plays; /* plays in progress, all workers */
	uint32_t n_frames;
	uint32_t src_rate;		  /* the file's rate */
	uint8_t *frames;		  /* [kind][frame][TD_PROMPT_FRAME_MAX] */
	uint16_t *lens;			  /* [kind][frame] */
	char path[TD_DP_PROMPT_PATH_MAX]; /* or the tone's name */
};

extern struct td_prompt td_prompts[TD_PROMPT_SLOTS];

/* The slot of a tone. */
static inline uint32_t
td_prompt_tone_slot(uint8_t tone)
{
	return TD_DP_PROMPT_ID_MAX + tone;
}

static inline const uint8_t *
td_prompt_frame(const struct td_prompt *p, unsigned int kind, uint32_t i, uint16_t *len)
{
	size_t k = (size_t)kind * p->n_frames + i;
	*len = p->lens[k];
	return p->frames + k * TD_PROMPT_FRAME_MAX;
}

/* What a session plays (in struct td_rtp_session). */
struct td_play {
	uint16_t slot1; /* prompt slot + 1; 0: not playing */
	uint8_t kind;	/* enum td_prompt_kind */
	uint8_t flags;	/* enum td_dp_play_flags */
	uint8_t pt;
	uint8_t fpp;  /* frames per packet */
	uint8_t wait; /* ticks until the next packet */
	uint8_t reserved;
	uint16_t seq;	  /* of the next packet */
	uint32_t ts;	  /* of the next packet */
	uint32_t ts_step; /* RTP clock units per 20 ms frame */
	uint32_t pos;	  /* next frame */
	uint32_t frames;  /* frames whose time passed */
	uint32_t loops;
	uint32_t list_pos;
};

struct td_worker;
struct td_rtp_session;

/* Main lcore: tones and the per-worker rings and play lists; 0 or -errno. */
int td_prompt_init(struct td_worker *workers, uint16_t n_workers);
void td_prompt_fini(struct td_worker *workers, uint16_t n_workers);
/* Main lcore: load and unload what workers handed over; free what no play
 * holds any more. */
void td_prompt_service(struct td_worker *workers, uint16_t n_workers);

/* Main lcore (and tests): the store's operations, as PROMPT_LOAD / UNLOAD
 * answer them. */
int td_prompt_load(uint32_t id, const char *path);
int td_prompt_unload(uint32_t id);

/* Worker: send the acks of loads and unloads the main lcore finished. */
void td_prompt_reclaim(struct td_worker *w);
/* Worker: every playing session's frames, when due; returns packets sent. */
unsigned int td_prompt_tick(struct td_worker *w, uint64_t now);
/* Worker: s is destroyed; its play ends (SESSION_GONE). */
void td_prompt_session_end(struct td_worker *w, struct td_rtp_session *s);

#endif
