/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP over TCP (RFC 3261 §18), on control's event loop. One listening
 * socket; up to SIP_TCP_MAX_CONN connections, inbound and outbound, each
 * named by an id (struct sip_peer .conn) that is never 0 and not reused
 * before its slot has been reused 2^20 times. Messages are framed by their
 * Content-Length (mandatory on a stream, §18.3) with sip_msg_parse(); a
 * message that cannot be framed ends the connection, after its error
 * response when it is a request with a Via. CRLFCRLF keep-alive pings get
 * a CRLF pong (RFC 5626 §4.4.1). Sends never block: bytes the socket does
 * not take wait in a per-connection queue of at most SIP_TCP_MAX_QUEUE.
 * Connections idle for SIP_TCP_IDLE_MS are closed. IPv4 only, as UDP.
 * Event-loop thread of control; every outcome is counted, nothing logged.
 */
#ifndef TD_SIP_TCP_H
#define TD_SIP_TCP_H

#include <stddef.h>
#include <stdint.h>

#define SIP_TCP_MAX_CONN  4096 /* a power of two: the id's low bits are the slot */
#define SIP_TCP_MAX_QUEUE (256 * 1024)
#define SIP_TCP_IDLE_MS	  (5 * 60 * 1000)
#define SIP_TCP_LINGER_MS 2000 /* after our FIN, wait this long for the peer's */

struct sip_tcp_stats {
	uint64_t accepted;	 /* inbound connections taken */
	uint64_t connected;	 /* outbound connections established */
	uint64_t connect_failed; /* outbound connections that never came up */
	uint64_t refused;	 /* inbound connections closed at once: table full */
	uint64_t accept_paused;	 /* out of descriptors: accepting stopped 100 ms */
	uint64_t closed;	 /* connections ended, whatever the reason */
	uint64_t active;	 /* connections open now */
	uint64_t idle_closed;	 /* ended after SIP_TCP_IDLE_MS without traffic */
	uint64_t rx_bytes;
	uint64_t rx;		 /* messages that parsed, handed to SIP */
	uint64_t malformed;	 /* messages that did not parse (answered or dropped) */
	uint64_t framing_errors; /* of those, the ones that could not be framed: connection ended */
	uint64_t partial;	 /* connections that ended inside a message: the part discarded */
	uint64_t keepalives;	 /* CRLFCRLF pings answered */
	uint64_t tx;		 /* messages written or queued */
	uint64_t tx_bytes;
	uint64_t tx_errors;    /* sends that failed: no connection possible, socket error */
	uint64_t tx_overflow;  /* sends refused because the queue was full: connection ended */
	uint64_t tx_discarded; /* queued octets lost when their connection ended */
	uint64_t refused_dest; /* a send toward a broadcast/multicast/zero address */
};

/* listen: "IP:PORT"; returns 0 or -errno with a one-line reason. */
int sip_tcp_open(const char *listen, char *err, size_t errlen);
/* Ends every connection (queued octets are counted as discarded). */
void sip_tcp_close(void);
void sip_tcp_stats_get(struct sip_tcp_stats *out);
const char *sip_tcp_listen_addr(void); /* "" when closed */

#endif
