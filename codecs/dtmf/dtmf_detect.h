/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-band DTMF detection (ITU-T Q.23/Q.24) on 8 kHz linear PCM, with
 * spandsp's dtmf_rx in memory the caller owns. Each key press is reported
 * once, when it ends, with its duration and the sample offset where it began
 * (for the media tick's timestamps). Worker-safe after init: no allocation,
 * no system call.
 */
#ifndef TD_DTMF_DETECT_H
#define TD_DTMF_DETECT_H

#include <stdint.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#define TD_DTMF_MAX_PENDING	 8
#define TD_DTMF_TWIST_DB	 9.5f /* low group louder than high */
#define TD_DTMF_REVERSE_TWIST_DB 5.5f /* high group louder than low */

struct td_dtmf_digit {
	char digit;
	uint64_t start;	   /* sample offset since init */
	uint32_t duration; /* samples */
};

struct td_dtmf_detect {
	dtmf_rx_state_t rx;
	uint64_t samples; /* fed so far */
	char cur;	  /* digit sounding now, 0 if none */
	uint64_t cur_start;
	unsigned int n_done;
	struct td_dtmf_digit done[TD_DTMF_MAX_PENDING];
};

int td_dtmf_detect_init(struct td_dtmf_detect *d);
void td_dtmf_detect_fini(struct td_dtmf_detect *d);
/* Feed samples; returns how many finished presses were written to out. */
int td_dtmf_detect_process(struct td_dtmf_detect *d, const int16_t *pcm, unsigned int n, struct td_dtmf_digit *out,
			   unsigned int max);

#endif
