/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One ops table for every codec. A codec module registers itself
 * (TD_CODEC_REGISTER) and implements init/fini on memory the caller owns
 * (state_size bytes, from a preallocated pool), encode and decode of whole
 * frames, and packet-loss concealment (decode with no payload). Encode
 * returns the payload bytes written, decode the samples produced, both or
 * -errno (-EINVAL bad arguments, -ENOBUFS output too small, -EBADMSG a
 * payload the codec refuses). PCM is 16-bit linear mono at sample_rate.
 *
 * Threads: init and fini on the main lcore (some libraries allocate there),
 * encode and decode on the worker that owns the session: they allocate
 * nothing and block on nothing.
 */
#ifndef TD_CODEC_H
#define TD_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define TD_CODEC_PT_DYNAMIC 0xff

struct td_codec_params {
	uint32_t sample_rate; /* 0: the codec's own; Opus: 8000, 16000 or 48000 */
	uint8_t complexity;   /* Opus 0..10 */
	uint8_t fec;	      /* Opus in-band FEC */
	uint8_t dtx;	      /* Opus discontinuous transmission */
	uint32_t bitrate;     /* Opus, bit/s; 0: the library's choice */
};

struct td_codec_ops {
	const char *name;     /* SDP encoding name: PCMA, PCMU, G722, G729, opus */
	uint8_t static_pt;    /* RFC 3551 payload type, or TD_CODEC_PT_DYNAMIC */
	uint32_t sample_rate; /* PCM rate of encode input / decode output */
	uint32_t rtp_clock;   /* RTP timestamp rate (G.722: 8000, RFC 3551 §4.5.2) */
	uint16_t frame_ms;    /* the frame encode takes */
	size_t state_size;    /* memory init needs */
	int (*init)(void *state, const struct td_codec_params *p);
	void (*fini)(void *state);
	int (*encode)(void *state, const int16_t *pcm, unsigned int samples, uint8_t *out, size_t out_max);
	/* payload NULL: conceal one lost frame of `samples` samples */
	int (*decode)(void *state, const uint8_t *payload, size_t len, int16_t *pcm, unsigned int samples);
	struct td_codec_ops *next;
};

void td_codec_register(struct td_codec_ops *ops);
/* By SDP name (case-insensitive), or NULL with errno ENOENT. */
const struct td_codec_ops *td_codec_find(const char *name);
const struct td_codec_ops *td_codec_first(void);

#define TD_CODEC_REGISTER(ops)                                             \
	static void __attribute__((constructor)) td_codec_init_##ops(void) \
	{                                                                  \
		td_codec_register(&ops);                                   \
	}

#endif
