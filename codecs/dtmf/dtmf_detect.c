/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spandsp's detector reports a digit starting and stopping through its
 * real-time callback; a press is complete when it stops. See the header.
 */
#include <errno.h>
#include <string.h>

#include "dtmf_detect.h"

/* Samples a tone sounds before spandsp reports it, and sounds no more
 * before it reports the end (about two and a half and one and a half of its
 * 102-sample blocks; measured 230-300 and 150-170 in
 * tests/unit/test_dtmf_detect.c). */
#define DETECT_ON_LATENCY  256
#define DETECT_OFF_LATENCY 160

static void
on_tone(void *arg, int code, int level, int duration)
{
	struct td_dtmf_detect *d = arg;
	(void)level;
	/* spandsp reports each change with how long the state that just
	 * ended lasted (samples since the previous report), not a delay: a
	 * press is as long as the duration given when it stops, and began
	 * that long before; both reports come late by the detector's latency. */
	if (code) {
		d->cur = (char)code;
	} else if (d->cur) {
		uint64_t on = (uint64_t)(duration > 0 ? duration : 0) + DETECT_ON_LATENCY;
		uint64_t end = d->samples > DETECT_OFF_LATENCY ? d->samples - DETECT_OFF_LATENCY : 0;
		uint64_t start = end > on - DETECT_OFF_LATENCY ? end - (on - DETECT_OFF_LATENCY) : 0;
		if (d->n_done < TD_DTMF_MAX_PENDING)
			d->done[d->n_done++] = (struct td_dtmf_digit){
				.digit = d->cur,
				.start = start,
				.duration = (uint32_t)(end - start),
			};
		d->cur = 0;
	}
}

int
td_dtmf_detect_init(struct td_dtmf_detect *d)
{
	memset(d, 0, sizeof(*d));
	if (dtmf_rx_init(&d->rx, NULL, NULL) == NULL)
		return -EINVAL;
	/* Q.24's twist limits for most administrations: the high group up to
	 * 4 dB above the low, or 8 dB below it. The library's defaults are
	 * tighter, and its block energies read about 1 dB more twist than the
	 * tones have: 8/4 dB tones need 9.5/5.5 here (tests/unit/
	 * test_dtmf_detect.c), and speech still gives no digit. */
	dtmf_rx_parms(&d->rx, -1, TD_DTMF_TWIST_DB, TD_DTMF_REVERSE_TWIST_DB, -99);
	dtmf_rx_set_realtime_callback(&d->rx, on_tone, d);
	return 0;
}

void
td_dtmf_detect_fini(struct td_dtmf_detect *d)
{
	dtmf_rx_release(&d->rx);
}

int
td_dtmf_detect_process(struct td_dtmf_detect *d, const int16_t *pcm, unsigned int n, struct td_dtmf_digit *out,
		       unsigned int max)
{
	/* In slices, so that the callback's sample count stays exact. */
	for (unsigned int off = 0; off < n;) {
		unsigned int k = n - off < 80 ? n - off : 80;
		d->samples += k;
		dtmf_rx(&d->rx, pcm + off, (int)k);
		off += k;
	}
	unsigned int got = d->n_done < max ? d->n_done : max;
	memcpy(out, d->done, got * sizeof(*out));
	memmove(d->done, d->done + got, (d->n_done - got) * sizeof(*out));
	d->n_done -= got;
	return (int)got;
}
