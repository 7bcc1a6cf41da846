/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 4733 §2.5.2 receiver: the timestamp names the event; the E bit ends
 * it; duplicates of any packet change nothing; a packet of an event already
 * reported is ignored. See telev.h for the contract.
 */
#include "telev.h"

char
td_telev_digit(uint8_t event)
{
	static const char digits[] = "0123456789*#ABCD!";
	return event <= 16 ? digits[event] : 0;
}

static int
report(struct td_telev_rx *rx, bool end_seen, struct td_dtmf_press *press)
{
	*press = (struct td_dtmf_press){
		.digit = td_telev_digit(rx->event),
		.rtp_ts = rx->ts,
		.duration = rx->duration,
		.end_seen = end_seen,
	};
	rx->reported = true;
	rx->have_done = true;
	rx->done_ts = rx->ts;
	rx->active = false;
	return TD_TELEV_PRESS;
}

int
td_telev_rx_packet(struct td_telev_rx *rx, uint32_t rtp_ts, const uint8_t *payload, size_t len, uint64_t now_ms,
		   struct td_dtmf_press *press)
{
	if (len == 0 || len % 4)
		return TD_TELEV_MALFORMED;
	/* Several blocks: the last one is the current event (§2.5.1.5);
	 * earlier blocks are past events that were already sent before. */
	const uint8_t *b = payload + len - 4;
	uint8_t event = b[0];
	bool end = b[1] & 0x80;
	uint32_t duration = (uint32_t)b[2] << 8 | b[3];

	if (td_telev_digit(event) == 0)
		return TD_TELEV_UNKNOWN;
	/* Repeats of a finished event, typically the 2nd and 3rd end packet. */
	if (rx->have_done && rtp_ts == rx->done_ts)
		return TD_TELEV_NONE;
	if (rx->active && rtp_ts != rx->ts) {
		/* A new event while the old one never ended: report the old one
		 * now, and start the new one on the next packet of it. */
		int r = report(rx, false, press);
		rx->active = true;
		rx->reported = false;
		rx->event = event;
		rx->ts = rtp_ts;
		rx->duration = duration;
		rx->last_ms = now_ms;
		/* if this packet ended it, a repeat of the end or the tick
		 * reports it */
		return r;
	}
	if (!rx->active) {
		rx->active = true;
		rx->reported = false;
		rx->event = event;
		rx->ts = rtp_ts;
		rx->duration = 0;
	}
	if (duration > rx->duration)
		rx->duration = duration;
	rx->last_ms = now_ms;
	if (end)
		return report(rx, true, press);
	return TD_TELEV_NONE;
}

int
td_telev_rx_tick(struct td_telev_rx *rx, uint64_t now_ms, struct td_dtmf_press *press)
{
	if (rx->active && now_ms - rx->last_ms >= TD_TELEV_END_TIMEOUT_MS)
		return report(rx, false, press);
	return TD_TELEV_NONE;
}
