/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the SIP parser as a datagram and as a stream, then what the
 * UA core does with a message that parsed (the UAS checks, a response built
 * from it, the URI readers). A response we build to a request that parsed
 * must parse in turn, with the same Call-ID and CSeq, or the target
 * aborts. Built for libFuzzer with clang
 * (bench/fuzz.sh) and, with tests/fuzz/driver.c, as a plain program that
 * replays a corpus in the test suite.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/sip/sip_msg.h"
#include "control/sip/sip_resp.h"
#include "control/sip/sip_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
use(const struct sip_msg *m)
{
	static char out[SIP_MAX_MSG];
	struct sip_err err;
	struct sip_uri u;
	struct sip_str v;
	char extra[512];

	if (m->is_request) {
		static struct sip_msg r;
		uint16_t code = 400;
		const char *reason = "Bad Request";
		if (sip_uas_check(m, &err, extra, sizeof(extra) - 2) < 0) {
			code = err.code; /* what the UA core answers */
			reason = err.reason;
			if (extra[0])
				strcat(extra, "\r\n");
		} else {
			snprintf(extra, sizeof(extra), "X-Test: 1\r\n");
		}
		int n = sip_resp_build(m, code, reason, extra, "fuzz", out, sizeof(out));
		if (n > 0 && (sip_msg_parse(out, (size_t)n, false, &r, &err) != 0 || r.is_request || r.status != code ||
			      r.cseq != m->cseq || r.call_id.len != m->call_id.len ||
			      memcmp(r.call_id.p, m->call_id.p, m->call_id.len) != 0))
			abort();
		sip_uri_parse(m->ruri, &u);
		sip_param_get(u.params, "transport", &v);
	}
	sip_uri_parse(m->to.uri, &u);
	sip_uri_parse(m->from.uri, &u);
	for (uint32_t i = 0; i < m->n_hdrs; i++) {
		struct sip_str item;
		uint32_t pos = 0;
		if (m->hdrs[i].id != SIP_HDR_CONTACT)
			continue;
		while (sip_list_next(m->hdrs[i].value, &pos, &item) > 0) {
			struct sip_addr a;
			if (sip_addr_parse(item, &a) == 0)
				sip_param_get(a.params, "expires", &v);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg m;
	struct sip_err err;
	/* An exact-size copy: a read past the input is a read past the heap
	 * block, which the sanitizers report. */
	char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (sip_msg_parse(buf, size, false, &m, &err) == 0)
		use(&m);
	else if (m.is_request && err.code)
		sip_resp_build(&m, err.code, err.reason, NULL, "fuzz", (char[1024]){0}, 1024);
	size_t off = 0;
	while (off < size && sip_msg_parse(buf + off, size - off, true, &m, &err) == 0 && m.size > 0) {
		use(&m);
		off += m.size;
	}
	free(buf);
	return 0;
}
