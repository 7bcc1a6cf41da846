/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP compound parsing, RFC 3550 §6.4.1 (SR), §6.4.2 (RR), A.2 (validity).
 * Only SR/RR contents are read; SDES, APP and unknown types are stepped over
 * by their length, BYE is noted.
 */
#include <string.h>

#include <rte_byteorder.h>

#include "rtcp.h"

static inline uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static const uint8_t *
read_blocks(const uint8_t *p, const uint8_t *end, unsigned int rc, struct rtcp_info *info)
{
	for (unsigned int i = 0; i < rc; i++, p += 24) {
		if (p + 24 > end)
			return NULL;
		if (info->n_blocks == RTCP_MAX_BLOCKS)
			continue;
		struct rtcp_block *b = &info->blocks[info->n_blocks++];
		uint32_t lost = rd32(p + 4);
		b->ssrc = rd32(p);
		b->fraction_lost = lost >> 24;
		/* cumulative lost is a signed 24-bit field */
		b->cum_lost = (int32_t)((lost & 0xffffff) << 8) >> 8;
		b->ext_max_seq = rd32(p + 8);
		b->jitter = rd32(p + 12);
		b->lsr = rd32(p + 16);
		b->dlsr = rd32(p + 20);
	}
	return p;
}

enum rtcp_check
rtcp_parse(const uint8_t *pkt, uint16_t len, struct rtcp_info *info)
{
	const uint8_t *p = pkt, *end = pkt + len;

	memset(info, 0, sizeof(*info));
	if (len < 8)
		return RTCP_SHORT;
	/* A.2: the first packet of a compound is SR or RR, unpadded. */
	if ((p[0] >> 6) != 2)
		return RTCP_BAD_VERSION;
	if ((p[1] != RTCP_PT_SR && p[1] != RTCP_PT_RR) || (p[0] & 0x20))
		return RTCP_BAD_TYPE;
	info->ssrc = rd32(p + 4);

	while (p < end) {
		if (end - p < 4)
			return RTCP_BAD_LENGTH;
		if ((p[0] >> 6) != 2)
			return RTCP_BAD_VERSION;
		unsigned int rc = p[0] & 0x1f;
		size_t plen = 4 * ((size_t)rte_be_to_cpu_16(*(const rte_be16_t *)(p + 2)) + 1);
		const uint8_t *next = p + plen;
		if (next > end)
			return RTCP_BAD_LENGTH;
		switch (p[1]) {
		case RTCP_PT_SR:
			/* §6.4.1: SSRC, NTP (64), RTP ts, packets, octets. */
			if (plen < 28)
				return RTCP_SHORT;
			if (!info->has_sr) {
				info->has_sr = true;
				info->sr_ntp_mid = (rd32(p + 8) << 16) | (rd32(p + 12) >> 16);
				info->sr_packets = rd32(p + 20);
				info->sr_octets = rd32(p + 24);
			}
			if (read_blocks(p + 28, next, rc, info) == NULL)
				return RTCP_SHORT;
			break;
		case RTCP_PT_RR:
			if (plen < 8)
				return RTCP_SHORT;
			if (read_blocks(p + 8, next, rc, info) == NULL)
				return RTCP_SHORT;
			break;
		case RTCP_PT_BYE:
			info->bye = true;
			break;
		default:
			break;
		}
		p = next;
	}
	/* A.2: the lengths must add up to the datagram exactly. */
	return p == end ? RTCP_OK : RTCP_BAD_LENGTH;
}
