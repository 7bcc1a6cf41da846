/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tone cycles (contract in tone.h): spandsp's tone_gen renders exactly one
 * on/off cycle, which the prompt store then encodes and plays looped.
 */
#include <errno.h>
#include <stdlib.h>

#include <spandsp.h>

#include "api/td_dp_msg.h"
#include "tone.h"

static const struct {
	const char *name;
	int f1, f2, level, on_ms, off_ms;
} tones[] = {
	[TD_DP_TONE_RINGBACK] = {"ringback", 440, 480, -19, 2000, 4000},
	[TD_DP_TONE_BUSY] = {"busy", 480, 620, -24, 500, 500},
	[TD_DP_TONE_CONGESTION] = {"congestion", 480, 620, -24, 250, 250},
};

int
td_tone_cycle(uint8_t tone, int16_t **pcm, uint32_t *n, const char **name)
{
	if (tone == TD_DP_TONE_NONE || tone >= sizeof(tones) / sizeof(tones[0]))
		return -EINVAL;
	uint32_t len = (uint32_t)(tones[tone].on_ms + tones[tone].off_ms) * 8;
	int16_t *buf = calloc(len, sizeof(*buf));
	tone_gen_descriptor_t *d =
		tone_gen_descriptor_init(NULL, tones[tone].f1, tones[tone].level, tones[tone].f2, tones[tone].level,
					 tones[tone].on_ms, tones[tone].off_ms, 0, 0, false);
	tone_gen_state_t *g = d ? tone_gen_init(NULL, d) : NULL;
	int ret = -ENOMEM;
	if (buf && g) {
		/* The generator gives the on part then the silence; whatever
		 * it leaves short stays zero. */
		for (uint32_t got = 0; got < len;) {
			int r = tone_gen(g, buf + got, (int)(len - got));
			if (r <= 0)
				break;
			got += (uint32_t)r;
		}
		*pcm = buf;
		*n = len;
		*name = tones[tone].name;
		buf = NULL;
		ret = 0;
	}
	if (g)
		tone_gen_free(g);
	if (d)
		tone_gen_descriptor_free(d);
	free(buf);
	return ret;
}
