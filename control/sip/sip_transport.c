/* SPDX-License-Identifier: BSD-3-Clause */
/* The seam between the SIP transports and the UA core: see the header. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "sip_resp.h"
#include "sip_transport.h"

static sip_rx_cb_t rx_cb;
static sip_send_fn_t send_fn[SIP_TRANSPORT_TLS + 1];

void
sip_transport_set_rx(sip_rx_cb_t cb)
{
	rx_cb = cb;
}

void
sip_transport_register(enum sip_transport t, sip_send_fn_t send)
{
	if ((unsigned)t <= SIP_TRANSPORT_TLS)
		send_fn[t] = send;
}

int
sip_transport_send(const struct sip_peer *to, const char *buf, size_t len)
{
	if ((unsigned)to->transport > SIP_TRANSPORT_TLS || send_fn[to->transport] == NULL)
		return -ENOTCONN;
	return send_fn[to->transport](to, buf, len);
}

void
sip_transport_reject(const struct sip_msg *req, const struct sip_peer *to, uint16_t code, const char *reason,
		     const char *extra)
{
	static char buf[SIP_MAX_MSG];
	char tag[17];
	uint64_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint64_t)random() << 32 | (uint64_t)random();
	snprintf(tag, sizeof(tag), "%016llx", (unsigned long long)r);
	int len = sip_resp_build(req, code, reason, extra, tag, buf, sizeof(buf));
	if (len > 0)
		sip_transport_send(to, buf, (size_t)len);
}

static uint32_t rx_wait_ms;

void
sip_transport_set_wait(uint32_t ms)
{
	rx_wait_ms = ms;
}

uint32_t
sip_transport_wait(void)
{
	return rx_wait_ms;
}

void
sip_transport_deliver(const struct sip_msg *m, const char *raw, size_t len, const struct sip_peer *from)
{
	if (rx_cb) {
		rx_cb(m, raw, len, from);
		return;
	}
	if (m->is_request && m->method != SIP_M_ACK)
		sip_transport_reject(m, from, 503, "Service Unavailable", NULL);
}

const char *
sip_peer_str(const struct sip_peer *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(p->family == AF_INET6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a));
	snprintf(buf, len, p->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, p->port);
	return buf;
}

bool
sip_peer_eq(const struct sip_peer *a, const struct sip_peer *b)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;
	return a->family == b->family && a->port == b->port && a->transport == b->transport &&
	       memcmp(a->addr, b->addr, n) == 0;
}
