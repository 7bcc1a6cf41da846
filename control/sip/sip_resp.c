/* SPDX-License-Identifier: BSD-3-Clause */
/* Responses from requests, RFC 3261 §8.2.6.2. See the header. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sip_resp.h"

void
sip_out_put(struct sip_out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->len, o->max - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->max - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

void
sip_out_write(struct sip_out *o, const char *p, size_t n)
{
	if (o->full)
		return;
	if (n >= o->max - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	o->p[o->len] = '\0';
}

int
sip_resp_build(const struct sip_msg *req, uint16_t code, const char *reason, const char *extra, const char *to_tag,
	       char *buf, size_t max)
{
	return sip_resp_build_body(req, code, reason, extra, to_tag, NULL, NULL, 0, buf, max);
}

int
sip_resp_build_body(const struct sip_msg *req, uint16_t code, const char *reason, const char *extra, const char *to_tag,
		    const char *ctype, const char *body, size_t body_len, char *buf, size_t max)
{
	struct sip_out o = {.p = buf, .max = max};
	static const struct {
		enum sip_hdr_id id;
		const char *name;
	} copy[] = {{SIP_HDR_FROM, "From"}, {SIP_HDR_TO, "To"}, {SIP_HDR_CALL_ID, "Call-ID"}, {SIP_HDR_CSEQ, "CSeq"}};

	if (req->first[SIP_HDR_VIA] == NULL)
		return -EDESTADDRREQ;
	sip_out_put(&o, "SIP/2.0 %u %s\r\n", code, reason);
	for (uint32_t i = 0; i < req->n_hdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];
		if (h->id == SIP_HDR_VIA) {
			/* Values are copied as octets: a NUL in one is data. */
			sip_out_write(&o, "Via: ", 5);
			sip_out_write(&o, h->value.p, h->value.len);
			sip_out_write(&o, "\r\n", 2);
		}
	}
	/* §12.1.1: a response that makes a dialog carries the request's
	 * Record-Route, in order, so the caller's route set is the same. */
	if (code > 100 && code < 300 && req->method == SIP_M_INVITE && req->to.tag.len == 0) {
		for (uint32_t i = 0; i < req->n_hdrs; i++) {
			const struct sip_hdr *h = &req->hdrs[i];
			if (h->id == SIP_HDR_RECORD_ROUTE) {
				sip_out_write(&o, "Record-Route: ", 14);
				sip_out_write(&o, h->value.p, h->value.len);
				sip_out_write(&o, "\r\n", 2);
			}
		}
	}
	for (unsigned int k = 0; k < sizeof(copy) / sizeof(copy[0]); k++) {
		const struct sip_hdr *h = req->first[copy[k].id];
		if (h == NULL)
			continue;
		sip_out_put(&o, "%s: ", copy[k].name);
		sip_out_write(&o, h->value.p, h->value.len);
		/* §8.2.6.2: a UAS adds a To tag to responses other than 100,
		 * unless the request had one. */
		if (copy[k].id == SIP_HDR_TO && code > 100 && to_tag && req->to.tag.len == 0 &&
		    !memmem(h->value.p, h->value.len, ";tag=", 5))
			sip_out_put(&o, ";tag=%s", to_tag);
		sip_out_put(&o, "\r\n");
	}
	sip_out_put(&o, "Server: tongdai/%s\r\n", TD_VERSION);
	if (extra)
		sip_out_put(&o, "%s", extra);
	if (body && body_len) {
		sip_out_put(&o, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", ctype, body_len);
		sip_out_write(&o, body, body_len);
	} else {
		sip_out_put(&o, "Content-Length: 0\r\n\r\n");
	}
	return o.full ? -ENOBUFS : (int)o.len;
}
