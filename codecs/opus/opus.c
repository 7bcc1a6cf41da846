/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opus (dynamic PT, RFC 7587): mono, PCM at 8, 16 or 48 kHz, RTP clock
 * always 48 kHz; 20 ms frames; complexity, in-band FEC and DTX settable.
 * libopus initialised in the caller's memory (opus_encoder_init), so states
 * can come from a pool. Concealment is libopus's own.
 */
#include <errno.h>
#include <stdalign.h>

#include <opus/opus.h>

#include "td_codec.h"

/* Room for libopus's mono encoder and decoder; checked at init. */
#define OPUS_ENC_MAX (48 * 1024)
#define OPUS_DEC_MAX (32 * 1024)

struct td_opus {
	alignas(16) uint8_t enc[OPUS_ENC_MAX];
	alignas(16) uint8_t dec[OPUS_DEC_MAX];
	uint32_t rate;
};

static int
opus_init(void *state, const struct td_codec_params *p)
{
	struct td_opus *s = state;
	uint32_t rate = p && p->sample_rate ? p->sample_rate : 48000;
	if (rate != 8000 && rate != 16000 && rate != 48000)
		return -EINVAL;
	if (opus_encoder_get_size(1) > OPUS_ENC_MAX || opus_decoder_get_size(1) > OPUS_DEC_MAX)
		return -ENOMEM;
	OpusEncoder *e = (OpusEncoder *)s->enc;
	if (opus_encoder_init(e, (opus_int32)rate, 1, OPUS_APPLICATION_VOIP) != OPUS_OK ||
	    opus_decoder_init((OpusDecoder *)s->dec, (opus_int32)rate, 1) != OPUS_OK)
		return -EINVAL;
	if (p) {
		if (p->complexity > 10)
			return -EINVAL;
		opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(p->complexity));
		opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(p->fec ? 1 : 0));
		opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(p->fec ? 5 : 0));
		opus_encoder_ctl(e, OPUS_SET_DTX(p->dtx ? 1 : 0));
		if (p->bitrate)
			opus_encoder_ctl(e, OPUS_SET_BITRATE((opus_int32)p->bitrate));
	}
	s->rate = rate;
	return 0;
}

static void
opus_fini(void *state)
{
	(void)state; /* nothing outside the caller's memory */
}

static int
opus_enc(void *state, const int16_t *pcm, unsigned int n, uint8_t *out, size_t max)
{
	struct td_opus *s = state;
	opus_int32 r = opus_encode((OpusEncoder *)s->enc, pcm, (int)n, out, (opus_int32)(max > 4000 ? 4000 : max));
	if (r < 0)
		return r == OPUS_BUFFER_TOO_SMALL ? -ENOBUFS : -EINVAL;
	return (int)r;
}

static int
opus_dec(void *state, const uint8_t *in, size_t len, int16_t *pcm, unsigned int n)
{
	struct td_opus *s = state;
	int r = opus_decode((OpusDecoder *)s->dec, in, in ? (opus_int32)len : 0, pcm, (int)n, 0);
	if (r < 0)
		return r == OPUS_BUFFER_TOO_SMALL ? -ENOBUFS : -EBADMSG;
	return r;
}

static struct td_codec_ops opus = {
	.name = "opus",
	.static_pt = TD_CODEC_PT_DYNAMIC,
	.sample_rate = 48000,
	.rtp_clock = 48000,
	.frame_ms = 20,
	.state_size = sizeof(struct td_opus),
	.init = opus_init,
	.fini = opus_fini,
	.encode = opus_enc,
	.decode = opus_dec,
};
TD_CODEC_REGISTER(opus)
