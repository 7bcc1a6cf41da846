/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the SIP transports (UDP, TCP) share with the rest of SIP. A transport
 * frames and parses what it receives; a request whose parse failed is
 * answered by the transport itself (sip_transport_reject), a malformed
 * response is dropped; every message that parsed goes to the one receiver
 * set with sip_transport_set_rx (the UA core). Sending picks the transport
 * from the peer: UDP sends a datagram, TCP writes to peer->conn or, when it
 * is 0 or gone, to a connection toward the address (opened if needed).
 * Event-loop thread of control.
 */
#ifndef TD_SIP_TRANSPORT_H
#define TD_SIP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "sip_msg.h"
#include "sip_tsx.h"

/* raw/len: the message's own octets; m and raw live only through the call. */
typedef void (*sip_rx_cb_t)(const struct sip_msg *m, const char *raw, size_t len, const struct sip_peer *from);

void sip_transport_set_rx(sip_rx_cb_t cb);
/* Called by a transport for a message that parsed. Without a receiver, a
 * request is answered 503 and a response dropped. */
void sip_transport_deliver(const struct sip_msg *m, const char *raw, size_t len, const struct sip_peer *from);
/* How long the message being delivered waited in the kernel's socket queue
 * before control read it (ms; UDP, from the kernel's receive timestamp; 0
 * when unknown): the measure of a control process that falls behind. Set
 * by the transport before sip_transport_deliver. */
void sip_transport_set_wait(uint32_t ms);
uint32_t sip_transport_wait(void);
/* Answer a request statelessly (a parse or UAS-check failure): code and
 * reason, extra header lines (each ending CRLF) or NULL. */
void sip_transport_reject(const struct sip_msg *req, const struct sip_peer *to, uint16_t code, const char *reason,
			  const char *extra);
/* 0 or -errno (-EHOSTUNREACH: refused destination, -ENOTCONN: no such
 * transport open, -EIO: the send failed). */
int sip_transport_send(const struct sip_peer *to, const char *buf, size_t len);

/* The address as "a.b.c.d:port" into buf (at least 24 bytes). */
const char *sip_peer_str(const struct sip_peer *p, char *buf, size_t len);
bool sip_peer_eq(const struct sip_peer *a, const struct sip_peer *b); /* address, port, transport */

/* A transport registers its send function when it opens (NULL when it
 * closes); sip_transport_send dispatches on to->transport. */
typedef int (*sip_send_fn_t)(const struct sip_peer *to, const char *buf, size_t len);
void sip_transport_register(enum sip_transport t, sip_send_fn_t send);

#endif
