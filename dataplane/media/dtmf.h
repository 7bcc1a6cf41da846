/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DTMF in the dataplane: key presses received on a session become one
 * TD_DP_EVT_DTMF each, and digits can be sent toward a session's remote.
 *
 * Receiving. RFC 4733 telephone-events on any session with a tel_event_pt
 * (codecs/dtmf/telev: one press per key; a press whose end packets were all
 * lost is reported by the DTMF tick after TD_TELEV_END_TIMEOUT_MS).
 * In-band tones (codecs/dtmf/dtmf_detect, spandsp) in the decoded audio of
 * every transcoding leg, and of a relay G.711 session when control turns
 * detection on (TD_DP_CMD_DTMF_DETECT); the relay decodes G.711 for
 * detection only. Optionally the tones are muted in what goes to the peer
 * (from the moment they are recognised: the first ~40 ms pass).
 *
 * Sending (toward session b's remote, out of b's port). Digits queue on b:
 * from TD_DP_CMD_DTMF_SEND, or converted on a transcoding pair from what
 * b's peer sent. With b's tel_event_pt they go out as RFC 4733 events in
 * b's stream (its SSRC, sequence and timestamps; marker on the first
 * packet, a duration update every 20 ms, the end packet three times,
 * §2.5.1); without, as tones (spandsp dtmf_tx) in the audio sent to b.
 *
 * Memory: the telephone-event state and the send queue live in the session;
 * a detector and tone generator (a "channel") comes from a per-worker pool
 * made on the main lcore at start: two per transcoder plus
 * TD_DTMF_RELAY_CHANS for relay sessions. Threads: init and fini on the main
 * lcore, the rest on the worker. No allocation, lock, syscall or log.
 */
#ifndef TD_DTMF_H
#define TD_DTMF_H

#include <stdbool.h>
#include <stdint.h>

#include "dtmf/telev.h"

#define TD_DTMF_RELAY_CHANS  64	 /* detectors for relay sessions, per worker */
#define TD_DTMF_OUT_MAX	     32	 /* digits queued toward a session */
#define TD_DTMF_DURATION_MS  100 /* TD_DP_CMD_DTMF_SEND defaults */
#define TD_DTMF_PAUSE_MS     60
#define TD_DTMF_DURATION_MIN 40
#define TD_DTMF_DURATION_MAX 2000
#define TD_DTMF_TICK_MS	     20 /* RFC 4733 updates, telephone-event timeouts */
#define TD_DTMF_END_PACKETS  3	/* RFC 4733 §2.5.1.4 */
#define TD_DTMF_EVENT_VOLUME 10 /* -dBm0 in the events we send */

struct rte_mbuf;
struct rtp_info;
struct td_rtp_session;
struct td_worker;
struct td_xcode;
struct td_xcode_frame;
struct td_dtmf_chan;

enum td_dtmf_out_state {
	TD_DTMF_OUT_IDLE = 0,
	TD_DTMF_OUT_EVENT, /* RFC 4733: updates of the current digit */
	TD_DTMF_OUT_END,   /* RFC 4733: the end packet, again */
	TD_DTMF_OUT_PAUSE, /* RFC 4733: audio again before the next digit */
	TD_DTMF_OUT_TONE,  /* in-band: the generator sounds a digit and its pause */
};

/* Digits queued toward a session's remote, and the one being sent. */
struct td_dtmf_out {
	char digit[TD_DTMF_OUT_MAX];
	uint16_t dur_ms[TD_DTMF_OUT_MAX];
	uint16_t pause_ms[TD_DTMF_OUT_MAX];
	uint8_t head, n;
	uint8_t state; /* enum td_dtmf_out_state */
	uint8_t ends_left;
	uint8_t event;	  /* RFC 4733 event code of the current digit */
	bool first;	  /* the next packet starts the event: marker */
	uint32_t ev_ts;	  /* the event's timestamp */
	uint32_t elapsed; /* timestamp units sent so far */
	uint32_t dur;	  /* timestamp units to send */
	int32_t pause_left_ms;
	uint64_t pad_tsc; /* transcoding leg: when silence may next stand in for audio */
	uint64_t sent;	  /* digits sent */
};

/* Per session (inside struct td_rtp_session). */
struct td_dtmf_sess {
	struct td_telev_rx telev;
	struct td_dtmf_chan *chan; /* detector and tone generator, NULL: none */
	struct td_dtmf_out out;
	uint8_t flags; /* TD_DP_DTMF_DETECT_* as control set them */
	bool busy;     /* on the worker's DTMF tick list */
	bool tone;     /* suppression: a tone is sounding now */
	uint64_t rx;   /* presses reported */
};

/* Main lcore: the worker's channel pool (chans) and tick list. */
int td_dtmf_init(struct td_worker *w, uint32_t chans);
void td_dtmf_fini(struct td_worker *w);

/* Worker, command path. The session s becomes or stops being a leg of a
 * transcoding pair (takes or gives back its channel); s is destroyed. */
void td_dtmf_pair_changed(struct td_worker *w, struct td_rtp_session *s);
void td_dtmf_session_end(struct td_worker *w, struct td_rtp_session *s);

/*
 * Worker, per packet. A telephone-event packet on s: false when it must be
 * dropped (*reason set); true when it goes on (relay), or when it was
 * consumed (a transcoding pair: *consumed set, m freed).
 */
bool td_dtmf_rx_telev(struct td_worker *w, struct td_rtp_session *s, struct rte_mbuf *m, const uint8_t *rtp,
		      const struct rtp_info *ri, bool *consumed, uint16_t *reason);
/* Relay audio received on s (bridged or not): in-band detection when on,
 * and suppression (the payload becomes silence while a tone sounds). */
void td_dtmf_relay_detect(struct td_worker *w, struct td_rtp_session *s, uint8_t *rtp, const struct rtp_info *ri);
/* Relay audio from s about to go to s's peer b: tones toward b written
 * over its payload while digits are queued on b. */
void td_dtmf_relay_tones(struct td_worker *w, struct td_rtp_session *s, struct td_rtp_session *b, uint8_t *rtp,
			 const struct rtp_info *ri);
/* Transcoding: s's audio just decoded (pcm at rate) and queued (queued
 * samples toward the other leg of x, from leg `from`). */
void td_dtmf_xcode_audio(struct td_worker *w, struct td_rtp_session *s, struct td_xcode *x, unsigned int from,
			 uint32_t rtp_ts, const int16_t *pcm, unsigned int n, uint32_t rate, unsigned int queued);
/* Transcoding tick toward leg `to` (session b): before the frames, let
 * silence stand in for missing audio while digits are sent; then per frame,
 * either an RFC 4733 packet (payload written, length returned, f filled, the
 * frame's time used) or 0: encode the frame (with tones mixed in). */
void td_dtmf_xcode_pad(struct td_rtp_session *b, struct td_xcode *x, unsigned int to, uint64_t now, uint64_t tsc_hz);
int td_dtmf_xcode_frame(struct td_rtp_session *b, struct td_xcode *x, unsigned int to, uint8_t *payload,
			struct td_xcode_frame *f);
/* Worker: telephone-event timeouts and RFC 4733 sending on relay pairs,
 * every TD_DTMF_TICK_MS; returns packets sent. */
unsigned int td_dtmf_tick(struct td_worker *w, uint64_t now);

#endif
