/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building a response to a request (RFC 3261 §8.2.6): the Via headers in
 * order, From, To (with a tag added for anything but 100 when the request
 * had none), Call-ID and CSeq copied; extra header lines and a body after
 * them. Works on a request whose parse failed too, from the headers that
 * were split before the failure; without a Via there is nowhere to answer
 * and it returns -EDESTADDRREQ. Event-loop thread; no state.
 */
#ifndef TD_SIP_RESP_H
#define TD_SIP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_msg.h"

/* Appending formatted text to a fixed buffer: once something does not fit,
 * `full` stays set and nothing more is written. */
struct sip_out {
	char *p;
	size_t len, max;
	bool full;
};
void sip_out_put(struct sip_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* n octets as they are (NUL included). */
void sip_out_write(struct sip_out *o, const char *p, size_t n);

/* extra: complete header lines each ending in CRLF, or NULL. Returns the
 * length written, or -ENOBUFS / -EDESTADDRREQ. */
int sip_resp_build(const struct sip_msg *req, uint16_t code, const char *reason, const char *extra, const char *to_tag,
		   char *out, size_t max);
/* The same with a body of type ctype (none when body is NULL). */
int sip_resp_build_body(const struct sip_msg *req, uint16_t code, const char *reason, const char *extra,
			const char *to_tag, const char *ctype, const char *body, size_t body_len, char *out,
			size_t max);

#endif
