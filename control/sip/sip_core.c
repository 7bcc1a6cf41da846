/* SPDX-License-Identifier: BSD-3-Clause */
/* The SIP UA core: see the header. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "sip_core.h"
#include "sip_transport.h"

#define ALLOW_HDR                                                                                        \
	"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, UPDATE, REFER, NOTIFY, INFO, PRACK\r\n" \
	"Accept: application/sdp\r\n"

static void
on_rx(const struct sip_msg *m, const char *raw, size_t len, const struct sip_peer *from)
{
	struct sip_err err;
	char extra[512];
	(void)raw;
	(void)len;

	if (!m->is_request)
		return;
	if (sip_uas_check(m, &err, extra, sizeof(extra) - 2) < 0) {
		if (m->method == SIP_M_ACK)
			return; /* never answer an ACK */
		if (extra[0])
			strcat(extra, "\r\n");
		sip_transport_reject(m, from, err.code, err.reason, extra[0] ? extra : NULL);
		return;
	}
	switch (m->method) {
	case SIP_M_ACK:
		return;
	case SIP_M_OPTIONS:
		sip_transport_reject(m, from, 200, "OK", ALLOW_HDR);
		return;
	default:
		break;
	}
	if (m->to.tag.len || m->method == SIP_M_CANCEL || m->method == SIP_M_BYE) {
		sip_transport_reject(m, from, 481, "Call/Transaction Does Not Exist", NULL);
		return;
	}
	sip_transport_reject(m, from, 501, "Not Implemented", NULL);
}

uint64_t
sip_core_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
sip_core_init(void)
{
	sip_transport_set_rx(on_rx);
	return 0;
}

void
sip_core_fini(void)
{
	sip_transport_set_rx(NULL);
}
