/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP over UDP (RFC 3261 §18), on control's event loop: one socket, each
 * datagram parsed (sip_msg_parse), malformed requests answered with their
 * error (400, 505, ...) and the UAS checks applied (501, 416, 420, ...),
 * malformed responses dropped. Answers go back to the datagram's source
 * (symmetric, as rport asks) and never to a broadcast or multicast address.
 * OPTIONS is answered 200 with what we accept. Requests inside a dialog
 * that does not exist get 481. Every outcome is counted.
 */
#ifndef TD_SIP_UDP_H
#define TD_SIP_UDP_H

#include <stddef.h>
#include <stdint.h>

struct sip_udp_stats {
	uint64_t rx;
	uint64_t rx_bytes;
	uint64_t requests;
	uint64_t responses;
	uint64_t malformed;    /* parse failed */
	uint64_t dropped;      /* malformed responses, requests without a Via */
	uint64_t refused_dest; /* answer would go to broadcast/multicast */
	uint64_t tx;
	uint64_t tx_errors;
	uint64_t by_class[7]; /* responses sent, by code / 100 */
	uint64_t wait_max_ms; /* longest a datagram waited in the socket queue */
};

/* listen: "IP:PORT"; returns 0 or -errno with a one-line reason. */
int sip_udp_open(const char *listen, char *err, size_t errlen);
void sip_udp_close(void);
void sip_udp_stats_get(struct sip_udp_stats *out);
const char *sip_udp_listen_addr(void); /* "" when closed */

#endif
