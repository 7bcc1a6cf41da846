/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * G.722 (PT 9) at 64 kbit/s: 16 kHz audio, 8 kHz RTP clock (RFC 3551
 * §4.5.2), two samples per octet. spandsp's coder, initialised in the
 * caller's memory: one encoder and one decoder state per channel.
 */
#include <errno.h>
#include <string.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <inttypes.h>
#include <stdint.h>

#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#include <spandsp/private/g722.h>

#include "td_codec.h"

struct g722 {
	g722_encode_state_t enc;
	g722_decode_state_t dec;
	int16_t last[160]; /* last decoded frame, for concealment */
	unsigned int last_n;
};

static int
td_g722_init(void *state, const struct td_codec_params *p)
{
	struct g722 *s = state;
	if (p && p->sample_rate && p->sample_rate != 16000)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (g722_encode_init(&s->enc, 64000, 0) == NULL || g722_decode_init(&s->dec, 64000, 0) == NULL)
		return -EINVAL;
	return 0;
}

static void
td_g722_fini(void *state)
{
	struct g722 *s = state;
	g722_encode_release(&s->enc);
	g722_decode_release(&s->dec);
}

static int
g722_enc(void *state, const int16_t *pcm, unsigned int n, uint8_t *out, size_t max)
{
	struct g722 *s = state;
	if (n & 1)
		return -EINVAL;
	if (n / 2 > max)
		return -ENOBUFS;
	return g722_encode(&s->enc, out, pcm, (int)n);
}

static int
g722_dec(void *state, const uint8_t *in, size_t len, int16_t *pcm, unsigned int n)
{
	struct g722 *s = state;
	if (in == NULL) {
		/* Conceal: the last frame, faded by half, else silence. */
		for (unsigned int i = 0; i < n; i++)
			pcm[i] = i < s->last_n ? (int16_t)(s->last[i] / 2) : 0;
		return (int)n;
	}
	if (len * 2 > n)
		return -ENOBUFS;
	int got = g722_decode(&s->dec, pcm, in, (int)len);
	s->last_n = got > 160 ? 160 : (unsigned int)got;
	memcpy(s->last, pcm, s->last_n * sizeof(*pcm));
	return got;
}

static struct td_codec_ops g722 = {
	.name = "G722",
	.static_pt = 9,
	.sample_rate = 16000,
	.rtp_clock = 8000,
	.frame_ms = 10,
	.state_size = sizeof(struct g722),
	.init = td_g722_init,
	.fini = td_g722_fini,
	.encode = g722_enc,
	.decode = g722_dec,
};
TD_CODEC_REGISTER(g722)
