/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call-progress tones, one cadence cycle each, made with spandsp's tone
 * generator on the main lcore at start (it allocates). North American
 * values (ANSI T1.401 / the precise tone plan, as in ITU-T E.180
 * Supplement 2 for the United States):
 *   ringback   440 + 480 Hz, -19 dBm0 each, 2 s on, 4 s off
 *   busy       480 + 620 Hz, -24 dBm0 each, 0.5 s on, 0.5 s off
 *   congestion 480 + 620 Hz, -24 dBm0 each, 0.25 s on, 0.25 s off (reorder)
 */
#ifndef TD_TONE_H
#define TD_TONE_H

#include <stdint.h>

/* One cycle of tone (enum td_dp_tone) at 8 kHz, malloc'd: free() it.
 * 0, or -EINVAL / -ENOMEM. */
int td_tone_cycle(uint8_t tone, int16_t **pcm, uint32_t *n, const char **name);

#endif
