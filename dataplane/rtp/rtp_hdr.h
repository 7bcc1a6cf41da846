/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTP and RTCP header checks (RFC 3550 §5.1, §6.4, Appendix A.1), used by the
 * worker on every media packet. rtp_hdr_check() returns the payload offset and
 * length or a drop reason; it reads only inside [pkt, pkt+len). Pure
 * functions: no state, no allocation, callable from any thread.
 */
#ifndef TD_RTP_HDR_H
#define TD_RTP_HDR_H

#include <stdint.h>

#include <rte_byteorder.h>

#define RTP_VERSION 2
#define RTP_HDR_LEN 12

struct rtp_hdr {
	uint8_t vpxcc; /* V:2 P:1 X:1 CC:4 */
	uint8_t mpt;   /* M:1 PT:7 */
	rte_be16_t seq;
	rte_be32_t ts;
	rte_be32_t ssrc;
} __attribute__((packed));

enum rtp_check {
	RTP_OK = 0,
	RTP_SHORT,	 /* fewer than 12 bytes */
	RTP_BAD_VERSION, /* V != 2 */
	RTP_BAD_CSRC,	 /* CSRC list runs past the packet */
	RTP_BAD_EXT,	 /* extension header or its length runs past the packet */
	RTP_BAD_PADDING, /* P set with a count of 0 or past the header */
};

struct rtp_info {
	uint16_t payload_off;
	uint16_t payload_len;
	uint8_t pt;
	uint8_t marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
};

static inline enum rtp_check
rtp_hdr_check(const uint8_t *pkt, uint16_t len, struct rtp_info *ri)
{
	const struct rtp_hdr *h = (const struct rtp_hdr *)pkt;
	uint32_t off = RTP_HDR_LEN, end = len;

	if (len < RTP_HDR_LEN)
		return RTP_SHORT;
	/* §5.1: version 2; A.1 rejects anything else. */
	if ((h->vpxcc >> 6) != RTP_VERSION)
		return RTP_BAD_VERSION;
	/* §5.1: CC 32-bit CSRC identifiers follow the fixed header. */
	off += 4u * (h->vpxcc & 0x0f);
	if (off > end)
		return RTP_BAD_CSRC;
	/* §5.3.1: a 4-byte extension header whose length counts 32-bit words
	 * after it. */
	if (h->vpxcc & 0x10) {
		if (off + 4 > end)
			return RTP_BAD_EXT;
		off += 4 + 4u * rte_be_to_cpu_16(*(const rte_be16_t *)(pkt + off + 2));
		if (off > end)
			return RTP_BAD_EXT;
	}
	/* §5.1: with P set, the last octet counts the padding octets,
	 * itself included; A.1 rejects a count that eats into the header. */
	if (h->vpxcc & 0x20) {
		uint8_t pad = pkt[len - 1];
		if (pad == 0 || off + pad > end)
			return RTP_BAD_PADDING;
		end -= pad;
	}
	ri->payload_off = (uint16_t)off;
	ri->payload_len = (uint16_t)(end - off);
	ri->pt = h->mpt & 0x7f;
	ri->marker = h->mpt >> 7;
	ri->seq = rte_be_to_cpu_16(h->seq);
	ri->ts = rte_be_to_cpu_32(h->ts);
	ri->ssrc = rte_be_to_cpu_32(h->ssrc);
	return RTP_OK;
}

#endif
