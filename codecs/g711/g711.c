/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * G.711 A-law (PCMA, PT 8) and µ-law (PCMU, PT 0), RFC 3551 §4.5.14: one
 * octet per sample at 8 kHz, no state. The companding is spandsp's. Loss
 * concealment repeats nothing: a lost frame decodes as silence (the jitter
 * buffer's PLC does better upstream).
 */
#include <errno.h>
#include <string.h>

#include <inttypes.h>
#include <stdint.h>

#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

#include "td_codec.h"

static int
td_g711_init(void *state, const struct td_codec_params *p)
{
	(void)state;
	return p && p->sample_rate && p->sample_rate != 8000 ? -EINVAL : 0;
}

static void
td_g711_fini(void *state)
{
	(void)state;
}

static int
alaw_encode(void *state, const int16_t *pcm, unsigned int n, uint8_t *out, size_t max)
{
	(void)state;
	if (n > max)
		return -ENOBUFS;
	for (unsigned int i = 0; i < n; i++)
		out[i] = linear_to_alaw(pcm[i]);
	return (int)n;
}

static int
alaw_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, unsigned int n)
{
	(void)state;
	if (in == NULL) {
		memset(pcm, 0, n * sizeof(*pcm));
		return (int)n;
	}
	if (len > n)
		return -ENOBUFS;
	for (size_t i = 0; i < len; i++)
		pcm[i] = alaw_to_linear(in[i]);
	return (int)len;
}

static int
ulaw_encode(void *state, const int16_t *pcm, unsigned int n, uint8_t *out, size_t max)
{
	(void)state;
	if (n > max)
		return -ENOBUFS;
	for (unsigned int i = 0; i < n; i++)
		out[i] = linear_to_ulaw(pcm[i]);
	return (int)n;
}

static int
ulaw_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, unsigned int n)
{
	(void)state;
	if (in == NULL) {
		memset(pcm, 0, n * sizeof(*pcm));
		return (int)n;
	}
	if (len > n)
		return -ENOBUFS;
	for (size_t i = 0; i < len; i++)
		pcm[i] = ulaw_to_linear(in[i]);
	return (int)len;
}

static struct td_codec_ops pcma = {
	.name = "PCMA",
	.static_pt = 8,
	.sample_rate = 8000,
	.rtp_clock = 8000,
	.frame_ms = 10,
	.state_size = 0,
	.init = td_g711_init,
	.fini = td_g711_fini,
	.encode = alaw_encode,
	.decode = alaw_decode,
};
static struct td_codec_ops pcmu = {
	.name = "PCMU",
	.static_pt = 0,
	.sample_rate = 8000,
	.rtp_clock = 8000,
	.frame_ms = 10,
	.state_size = 0,
	.init = td_g711_init,
	.fini = td_g711_fini,
	.encode = ulaw_encode,
	.decode = ulaw_decode,
};
TD_CODEC_REGISTER(pcma)
TD_CODEC_REGISTER(pcmu)
