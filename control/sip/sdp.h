/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP (RFC 4566) for the B2BUA, and RFC 3264 offer/answer on audio: the
 * first audio stream is parsed in full (address, port, formats with their
 * rtpmap/fmtp, ptime, telephone-event, direction); other m= lines are kept
 * only so that an answer can refuse them (port 0). Strict and bounded: no
 * allocation, never reads past the buffer, fixed limits (-E2BIG beyond).
 * IPv4 only for media (the dataplane's family). No state; any thread.
 */
#ifndef TD_SDP_H
#define TD_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_FMTS  16
#define SDP_MAX_OTHER 4

struct sdp_fmt {
	uint8_t pt;
	char name[16];	  /* encoding name: PCMA, opus, telephone-event */
	uint32_t clock;	  /* RTP clock rate */
	uint8_t channels; /* 1 unless rtpmap says more */
	char fmtp[64];
};

enum sdp_dir {
	SDP_SENDRECV,
	SDP_SENDONLY,
	SDP_RECVONLY,
	SDP_INACTIVE,
};

struct sdp_media {
	uint16_t port; /* 0: a refused stream */
	char proto[16];
	uint32_t addr; /* network order; 0.0.0.0 is the RFC 2543 hold */
	enum sdp_dir dir;
	uint16_t ptime; /* 0: not given */
	uint8_t n_fmts;
	struct sdp_fmt fmts[SDP_MAX_FMTS]; /* in m= order; telephone-event included */
	int tel_event_pt;		   /* -1: none */
	uint32_t tel_event_clock;
	bool rtcp_mux;
};

struct sdp_session {
	uint64_t sess_id, sess_version;
	char origin_user[32];
	char origin_addr[48];
	uint32_t conn_addr; /* session-level c=, network order */
	uint8_t n_media;    /* every m= line */
	uint8_t n_audio;    /* 1 when an audio stream was found */
	struct sdp_media audio;
	uint8_t n_other_media;
	char other_media_lines[SDP_MAX_OTHER][64]; /* "video 0 RTP/AVP 31" for the answer */
};

int sdp_parse(const char *buf, size_t len, struct sdp_session *s, char *err, size_t errlen);
/* The text of s; the length or -ENOBUFS. */
int sdp_build(const struct sdp_session *s, char *out, size_t max);
/* RFC 3264 §6: the answer to offer with the codecs of ours[] (names, in
 * our preference) that it has; -ENOENT when none. */
int sdp_negotiate(const struct sdp_media *offer, const char *const *ours, unsigned n_ours, struct sdp_media *ans);
const char *sdp_dir_name(enum sdp_dir d);
bool sdp_is_hold(const struct sdp_media *m);

#endif
