/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small, bounded readers for SIP URIs and parameter lists (RFC 3261 §19.1,
 * §25.1): the user part, host and port of a sip: or sips: URI, and one
 * parameter's value from ";a=b;c" lists. Strings point into the input.
 * No state; any thread.
 */
#ifndef TD_SIP_URI_H
#define TD_SIP_URI_H

#include <stdbool.h>
#include <stdint.h>

#include "sip_msg.h"

struct sip_uri {
	struct sip_str scheme; /* sip, sips, tel */
	struct sip_str user;   /* empty when none */
	struct sip_str host;
	uint16_t port;	       /* 0: not given */
	struct sip_str params; /* ";transport=tcp;lr", without headers */
};

/* 0, or -EINVAL for what is not a sip:/sips: URI with a host. */
int sip_uri_parse(struct sip_str s, struct sip_uri *u);
/* The value of parameter name (case-insensitive) in a ";a=b;c" list: 1
 * (value empty for a bare flag), 0 when absent. */
int sip_param_get(struct sip_str params, const char *name, struct sip_str *value);
/* The value of URI header name (case-insensitive) from "?a=b&c=d" after
 * the URI's host part, %-escapes decoded into out: its length, -ENOENT
 * when absent, -EINVAL for a bad escape or a decoded NUL, -ENOBUFS when
 * it does not fit. */
int sip_uri_header(struct sip_str uri, const char *name, char *out, size_t len);

/* A Replaces value (RFC 3891): callid;to-tag=x;from-tag=y[;early-only]. */
struct sip_replaces {
	char call_id[128];
	char to_tag[96];
	char from_tag[96];
	bool early_only;
};
/* 0, or -EINVAL when the Call-ID or either tag is missing or too long. */
int sip_replaces_parse(const char *v, struct sip_replaces *r);

/* Copy s into buf as a C string; -ENOBUFS when it does not fit. */
int sip_str_copy(struct sip_str s, char *buf, size_t len);

#endif
