/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conference mixer: one 20 ms frame of 16-bit PCM per participant in,
 * one frame per participant out, at a rate common to the conference (the
 * media pipeline decodes and resamples to it before, and encodes after).
 *
 * What each participant hears (mix-minus): every participant heard by all
 * except itself, plus whatever is whispered to it. Roles: a speaker is
 * heard by all others; listen-only hears and is heard by nobody; a
 * whisperer is heard by exactly one named participant (and hears like a
 * speaker); muted hears and is heard by nobody. Sums are 32-bit and each
 * output sample is clamped to 16 bits once, so loud conferences saturate
 * instead of wrapping, and removing one's own voice is exact.
 *
 * No clicks: what a participant contributes changes only at a frame edge
 * and by a linear ramp over one whole frame (join, leave, mute, role
 * change); a newcomer also hears the conference ramp in over its first
 * frame. A participant that leaves is faded out over the next frame
 * (td_conf_mix_run), then its slot is free. A whisper moved to another
 * target fades out of the old one in one frame and into the new one in the
 * next.
 *
 * Active talker: per frame the mean energy of the participant's input (of
 * every role, before muting) against cfg.talk_level; talking starts on the
 * first frame above it and ends after cfg.hangover frames below it.
 *
 * Memory: the caller provides td_conf_mix_size(max_parts, rate) bytes,
 * 8-byte aligned, made at start; nothing is allocated afterwards. Threads:
 * one owner at a time; no lock, system call or log. Cost of
 * td_conf_mix_run: O(participants x frame). Functions return 0 (or an
 * index) or -errno.
 */
#ifndef TD_CONF_MIX_H
#define TD_CONF_MIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_CONF_MIX_FRAME_MS   20
#define TD_CONF_MIX_PARTS_MAX  256
#define TD_CONF_MIX_TALK_LEVEL (-40) /* dBov of a frame's mean energy: talking above it */
#define TD_CONF_MIX_HANGOVER   15    /* frames below the level before talking ends: 300 ms */
#define TD_CONF_MIX_NO_TARGET  (-1)

enum td_conf_role {
	TD_CONF_ROLE_SPEAKER = 0, /* heard by all others */
	TD_CONF_ROLE_LISTEN = 1,  /* hears, heard by nobody */
	TD_CONF_ROLE_WHISPER = 2, /* heard by its target only */
	TD_CONF_ROLE_MUTED = 3,	  /* hears, heard by nobody */
	TD_CONF_ROLE_COUNT
};

struct td_conf_mix_cfg {
	uint32_t rate;	    /* PCM samples per second: 8000, 16000, 32000 or 48000 */
	uint16_t max_parts; /* 2 .. TD_CONF_MIX_PARTS_MAX */
	int8_t talk_level;  /* dBov, -90 .. -1; 0: TD_CONF_MIX_TALK_LEVEL */
	uint8_t hangover;   /* frames; 0: TD_CONF_MIX_HANGOVER */
};

struct td_conf_mix;

/* Bytes td_conf_mix_init needs for cfg; 0 if cfg is not valid. */
size_t td_conf_mix_size(const struct td_conf_mix_cfg *cfg);
/* An empty mixer in mem (size from td_conf_mix_size); -EINVAL on a bad cfg or a short size. */
int td_conf_mix_init(void *mem, size_t size, const struct td_conf_mix_cfg *cfg);
/* Samples per frame: rate / 50. */
uint16_t td_conf_mix_frame(const struct td_conf_mix *m);

/*
 * A participant in role (target: a participant's index for WHISPER,
 * ignored otherwise); it is mixed from the next td_conf_mix_run. Returns
 * its index, -ENOSPC when max_parts are in, -EINVAL on a bad role or
 * target (not a present participant).
 */
int td_conf_mix_join(struct td_conf_mix *m, enum td_conf_role role, int target);
/*
 * Fades p out over the next frame (its input for that run is still taken
 * by td_conf_mix_put); its index is free after that run. -ENOENT if absent.
 */
int td_conf_mix_leave(struct td_conf_mix *m, int p);
/* Changes p's role (and whisper target), ramped over the next frame(s). -EINVAL, -ENOENT. */
int td_conf_mix_role(struct td_conf_mix *m, int p, enum td_conf_role role, int target);
/* p's role and whisper target (TD_CONF_MIX_NO_TARGET when none); -ENOENT if absent. */
int td_conf_mix_get_role(const struct td_conf_mix *m, int p, enum td_conf_role *role, int *target);
/* Participants present (leaving ones not counted). */
uint16_t td_conf_mix_count(const struct td_conf_mix *m);

/*
 * p's input for the next run: exactly one frame (-EINVAL otherwise). A
 * participant without input in a run contributes silence (the pipeline
 * conceals losses before this).
 */
int td_conf_mix_put(struct td_conf_mix *m, int p, const int16_t *pcm, size_t n);
/*
 * Mixes one frame: every present participant's output is ready after it,
 * inputs are consumed, leavers' slots freed. Returns how many
 * participants' talking state changed in this run (td_conf_mix_talking).
 */
unsigned int td_conf_mix_run(struct td_conf_mix *m);
/* p's output of the last run (one frame); NULL if p is absent. */
const int16_t *td_conf_mix_output(const struct td_conf_mix *m, int p);
/* Whether p is talking; *changed (if not NULL): whether the last run changed it. */
bool td_conf_mix_talking(const struct td_conf_mix *m, int p, bool *changed);

const char *td_conf_role_name(enum td_conf_role role);
/* The role named s ("speaker", "listen", "whisper", "muted"); -EINVAL if none. */
int td_conf_role_parse(const char *s);

#endif
