/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sample-rate conversion between the codecs' PCM rates (8, 16, 48 kHz),
 * with speexdsp's resampler. The library allocates its state, so create and
 * destroy run on the main lcore (from a pool made at start); process runs on
 * the worker: no allocation, no system call. Mono, 16-bit.
 */
#ifndef TD_RESAMPLE_H
#define TD_RESAMPLE_H

#include <stdint.h>

struct td_resample;

/* quality 0 (fastest) .. 10 (best); NULL with errno on failure. */
struct td_resample *td_resample_create(uint32_t from_hz, uint32_t to_hz, int quality);
void td_resample_destroy(struct td_resample *r);
/* Convert n input samples; returns output samples written (at most max). */
int td_resample_process(struct td_resample *r, const int16_t *in, unsigned int n, int16_t *out, unsigned int max);
/* Input samples the converter holds back (its delay). */
int td_resample_delay(const struct td_resample *r);

#endif
