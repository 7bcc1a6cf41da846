/* SPDX-License-Identifier: BSD-3-Clause */
/* speexdsp's resampler behind tongdai's conventions (see the header). */
#include <errno.h>
#include <stdlib.h>

#include <speex/speex_resampler.h>

#include "resample.h"

struct td_resample {
	SpeexResamplerState *st;
};

struct td_resample *
td_resample_create(uint32_t from_hz, uint32_t to_hz, int quality)
{
	int err;
	if (from_hz == 0 || to_hz == 0 || quality < 0 || quality > 10) {
		errno = EINVAL;
		return NULL;
	}
	struct td_resample *r = malloc(sizeof(*r));
	if (r == NULL)
		return NULL;
	r->st = speex_resampler_init(1, from_hz, to_hz, quality, &err);
	if (r->st == NULL) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	speex_resampler_skip_zeros(r->st);
	return r;
}

void
td_resample_destroy(struct td_resample *r)
{
	if (r == NULL)
		return;
	speex_resampler_destroy(r->st);
	free(r);
}

int
td_resample_process(struct td_resample *r, const int16_t *in, unsigned int n, int16_t *out, unsigned int max)
{
	spx_uint32_t in_len = n, out_len = max;
	if (speex_resampler_process_int(r->st, 0, in, &in_len, out, &out_len) != RESAMPLER_ERR_SUCCESS)
		return -EINVAL;
	if (in_len != n)
		return -ENOBUFS; /* out too small for what came in */
	return (int)out_len;
}

int
td_resample_delay(const struct td_resample *r)
{
	return speex_resampler_get_input_latency(r->st);
}
