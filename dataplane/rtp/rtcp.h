/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP compound packet checks and report reading (RFC 3550 §6.4, A.2).
 * rtcp_parse() validates a compound packet the way A.2 does (version 2,
 * first packet SR or RR without padding, lengths adding up exactly to the
 * datagram) and returns the sender info and report blocks it carries. Pure:
 * no state, reads only inside [pkt, pkt+len).
 */
#ifndef TD_RTCP_H
#define TD_RTCP_H

#include <stdbool.h>
#include <stdint.h>

#define RTCP_PT_SR	200
#define RTCP_PT_RR	201
#define RTCP_PT_SDES	202
#define RTCP_PT_BYE	203
#define RTCP_PT_APP	204
#define RTCP_MAX_BLOCKS 4

enum rtcp_check {
	RTCP_OK = 0,
	RTCP_SHORT,	  /* shorter than one header, or a block past the end */
	RTCP_BAD_VERSION, /* V != 2 in any packet */
	RTCP_BAD_TYPE,	  /* first packet not SR/RR, or first padded */
	RTCP_BAD_LENGTH,  /* lengths do not add up to the datagram */
};

struct rtcp_block {
	uint32_t ssrc;	       /* source this block reports on */
	uint8_t fraction_lost; /* /256 */
	int32_t cum_lost;      /* 24-bit signed */
	uint32_t ext_max_seq;
	uint32_t jitter; /* timestamp units */
	uint32_t lsr;	 /* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;	 /* 1/65536 s since that SR */
};

struct rtcp_info {
	uint32_t ssrc; /* sender of the first packet */
	bool has_sr;
	uint32_t sr_ntp_mid; /* middle 32 bits of the SR's NTP timestamp */
	uint32_t sr_packets;
	uint32_t sr_octets;
	uint8_t n_blocks; /* kept, at most RTCP_MAX_BLOCKS */
	struct rtcp_block blocks[RTCP_MAX_BLOCKS];
	bool bye;
};

enum rtcp_check rtcp_parse(const uint8_t *pkt, uint16_t len, struct rtcp_info *info);

#endif
