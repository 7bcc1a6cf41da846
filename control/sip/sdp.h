/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP (RFC 4566) for the B2BUA, and RFC 3264 offer/answer on audio.
 *
 * sdp_parse() reads the first audio stream in full (address, port, formats
 * with their rtpmap/fmtp, ptime, telephone-event, direction, rtcp-mux);
 * every other m= line is kept only as the text of the port-0 line that
 * refuses it in an answer (RFC 3264 §6), at its place among the m= lines.
 * Strict and bounded in the spirit of sip_msg.h: no allocation, never a
 * read outside [buf, buf+len), fixed limits. Every refusal returns a
 * negative errno and writes the reason, with its line number, to err:
 * -EINVAL (malformed), -E2BIG (over a limit here), -EAFNOSUPPORT (media on
 * IPv6: the dataplane is IPv4 only).
 *
 * sdp_build() writes our offer or answer; sdp_negotiate() makes the RFC
 * 3264 answer to an audio offer. Plain functions on caller-owned structs:
 * no state, any thread.
 */
#ifndef TD_SDP_H
#define TD_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_FMTS  16 /* formats on the audio m= line */
#define SDP_MAX_OTHER 4	 /* m= lines besides the first audio one */
#define SDP_FMTP_MAX  128

struct sdp_fmt {
	uint8_t pt;
	char name[16];	  /* encoding name: PCMA, opus, telephone-event; "" if unknown */
	uint32_t clock;	  /* RTP clock rate; 0 if unknown */
	uint8_t channels; /* 1 unless rtpmap says more */
	char fmtp[SDP_FMTP_MAX];
};

enum sdp_dir {
	SDP_SENDRECV,
	SDP_SENDONLY,
	SDP_RECVONLY,
	SDP_INACTIVE,
};

struct sdp_media {
	uint16_t port;	  /* 0: a refused stream */
	char proto[16];	  /* RTP/AVP; RTP/SAVP and others are reported for the caller to refuse */
	uint32_t addr;	  /* network order, from the media c= or else the session c=; 0.0.0.0 is the RFC 2543 hold */
	enum sdp_dir dir; /* the media-level attribute, else the session-level one, else sendrecv */
	uint16_t ptime;	  /* a=ptime in ms; 0: not given */
	uint8_t n_fmts;
	/* In m= order. Static payload types (RFC 3551 table 4) are named
	 * without rtpmap; rtpmap fills name/clock/channels, fmtp is attached;
	 * telephone-event is one of them. */
	struct sdp_fmt fmts[SDP_MAX_FMTS];
	int tel_event_pt; /* -1: none */
	uint32_t tel_event_clock;
	bool rtcp_mux;
};

struct sdp_session {
	uint64_t sess_id, sess_version;
	char origin_user[32];
	char origin_addr[48];
	uint32_t conn_addr; /* session-level c=, network order; 0 if none */
	uint8_t n_media;    /* every m= line */
	uint8_t n_audio;    /* 1 when an audio stream was found */
	uint8_t audio_pos;  /* index of that stream among the m= lines */
	struct sdp_media audio;
	uint8_t n_other_media;
	/* The other m= lines, in order, as refused: "video 0 RTP/AVP 96". */
	char other_media_lines[SDP_MAX_OTHER][64];
};

/* Parse buf[0..len) into s; 0 or a negative errno with the reason in err
 * (err may be NULL, errlen 0). */
int sdp_parse(const char *buf, size_t len, struct sdp_session *s, char *err, size_t errlen);

/* Write s as SDP: v=, o= (origin_user, "tongdai" when empty), s=-,
 * c=IN IP4 of the audio stream, t=0 0, the m= lines in their order: audio
 * with rtpmap and fmtp for each format (fmtp 0-16 for a telephone-event
 * that has none), ptime, rtcp-mux and the direction; the others with port
 * 0. Returns the length written (NUL-terminated) or -ENOBUFS. */
int sdp_build(const struct sdp_session *s, char *out, size_t max);

/* RFC 3264 §6.1: the answer to an audio offer. ours[] names the codecs we
 * take, in our preference order; the answer has those the offer has, in
 * that order (so the chosen codec comes first) with the offerer's payload
 * types, then the offer's telephone-event (the one at the chosen codec's
 * clock when there are several), the offer's ptime and rtcp-mux, and the
 * answering direction (sendonly -> recvonly, recvonly -> sendonly).
 * 0, or -ENOENT when no codec is in common (ans then undefined). */
int sdp_negotiate(const struct sdp_media *offer, const char *const *ours, unsigned n_ours, struct sdp_media *ans);

const char *sdp_dir_name(enum sdp_dir d);
/* Put on hold by the far end: it takes no media (sendonly, inactive) or
 * gave the RFC 2543 address 0.0.0.0. */
bool sdp_is_hold(const struct sdp_media *m);

#endif
