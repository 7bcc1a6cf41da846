/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 4733 telephone-events, receiving side: turns the packets of a key
 * press (first with the marker, updates of growing duration, three copies of
 * the end packet, any of which may be lost, reordered or repeated) into
 * exactly one key press. Events are told apart by their RTP timestamp
 * (§2.5.1.3). A press is reported when its end arrives, or when the next
 * press starts, or when td_telev_rx_tick() finds no update for
 * TD_TELEV_END_TIMEOUT_MS (all end packets lost). Worker-safe: no
 * allocation, no system call; the caller owns the state.
 *
 *   0  1  2  3  4  5  6  7  8  9  10 11 12 13 14 15 16
 *   0  1  2  3  4  5  6  7  8  9  *  #  A  B  C  D  flash   (§3.2)
 */
#ifndef TD_TELEV_H
#define TD_TELEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_TELEV_END_TIMEOUT_MS 200

enum td_telev_result {
	TD_TELEV_NONE = 0,	 /* nothing to report */
	TD_TELEV_PRESS = 1,	 /* *press filled */
	TD_TELEV_MALFORMED = -1, /* payload not a multiple of 4 octets, or empty */
	TD_TELEV_UNKNOWN = -2,	 /* an event code we do not handle (> 16) */
};

struct td_dtmf_press {
	char digit;	   /* '0'..'9', '*', '#', 'A'..'D', '!' for flash */
	uint32_t rtp_ts;   /* the event's timestamp */
	uint32_t duration; /* timestamp units */
	bool end_seen;	   /* false: reported by timeout or a newer event */
};

struct td_telev_rx {
	bool active;
	bool reported;
	uint8_t event;
	uint32_t ts;
	uint32_t duration;
	uint64_t last_ms;
	bool have_done;
	uint32_t done_ts; /* last reported event: its repeats are ignored */
};

/* One telephone-event payload (possibly several 4-octet blocks, oldest
 * first); now_ms is the receive time. At most one press per call; a second
 * completed in the same payload is reported by the next call or tick. */
int td_telev_rx_packet(struct td_telev_rx *rx, uint32_t rtp_ts, const uint8_t *payload, size_t len, uint64_t now_ms,
		       struct td_dtmf_press *press);
/* Report a press whose end packets were all lost. */
int td_telev_rx_tick(struct td_telev_rx *rx, uint64_t now_ms, struct td_dtmf_press *press);

char td_telev_digit(uint8_t event); /* 0 if not a DTMF event */

#endif
