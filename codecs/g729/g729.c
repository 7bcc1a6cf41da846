/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * G.729 (PT 18, Annex A compatible): 10 ms frames of 80 samples at 8 kHz
 * into 10 octets, RFC 3551 §4.5.6. bcg729's coder; its contexts are made by
 * the library (it allocates), so init and fini run on the main lcore and the
 * state holds the two context pointers. Loss concealment is the decoder's
 * own (frame erasure flag).
 */
#include <errno.h>

#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

#include "td_codec.h"

#define G729_FRAME 80
#define G729_BYTES 10

struct g729 {
	bcg729EncoderChannelContextStruct *enc;
	bcg729DecoderChannelContextStruct *dec;
};

static void
g729_fini(void *state)
{
	struct g729 *s = state;
	if (s->enc)
		closeBcg729EncoderChannel(s->enc);
	if (s->dec)
		closeBcg729DecoderChannel(s->dec);
	s->enc = NULL;
	s->dec = NULL;
}

static int
g729_init(void *state, const struct td_codec_params *p)
{
	struct g729 *s = state;
	if (p && p->sample_rate && p->sample_rate != 8000)
		return -EINVAL;
	s->enc = initBcg729EncoderChannel(0);
	s->dec = initBcg729DecoderChannel();
	if (s->enc == NULL || s->dec == NULL) {
		g729_fini(s);
		return -ENOMEM;
	}
	return 0;
}

static int
g729_enc(void *state, const int16_t *pcm, unsigned int n, uint8_t *out, size_t max)
{
	struct g729 *s = state;
	if (n % G729_FRAME)
		return -EINVAL;
	if (n / G729_FRAME * G729_BYTES > max)
		return -ENOBUFS;
	size_t off = 0;
	for (unsigned int i = 0; i < n; i += G729_FRAME) {
		uint8_t len = 0;
		bcg729Encoder(s->enc, pcm + i, out + off, &len);
		off += len;
	}
	return (int)off;
}

static int
g729_dec(void *state, const uint8_t *in, size_t len, int16_t *pcm, unsigned int n)
{
	struct g729 *s = state;
	if (in == NULL) {
		if (n % G729_FRAME)
			return -EINVAL;
		for (unsigned int i = 0; i < n; i += G729_FRAME)
			bcg729Decoder(s->dec, NULL, 0, 1, 0, 0, pcm + i);
		return (int)n;
	}
	/* 10-octet frames, possibly ended by a 2-octet comfort-noise frame
	 * (Annex B), RFC 3551 §4.5.6. */
	unsigned int out = 0;
	size_t off = 0;
	while (off < len) {
		size_t fl = len - off >= G729_BYTES ? G729_BYTES : len - off;
		if (fl != G729_BYTES && fl != 2)
			return -EBADMSG;
		if (out + G729_FRAME > n)
			return -ENOBUFS;
		bcg729Decoder(s->dec, in + off, (uint8_t)fl, 0, fl == 2, 0, pcm + out);
		off += fl;
		out += G729_FRAME;
	}
	return (int)out;
}

static struct td_codec_ops g729 = {
	.name = "G729",
	.static_pt = 18,
	.sample_rate = 8000,
	.rtp_clock = 8000,
	.frame_ms = 10,
	.state_size = sizeof(struct g729),
	.init = g729_init,
	.fini = g729_fini,
	.encode = g729_enc,
	.decode = g729_dec,
};
TD_CODEC_REGISTER(g729)
