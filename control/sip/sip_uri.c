/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP URI and parameter readers: see the header. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sip_uri.h"

int
sip_uri_parse(struct sip_str s, struct sip_uri *u)
{
	uint32_t i = 0, at = UINT32_MAX, end;

	*u = (struct sip_uri){0};
	while (i < s.len && s.p[i] != ':')
		i++;
	if (i == s.len)
		return -EINVAL;
	u->scheme = (struct sip_str){s.p, i};
	if (!sip_str_ieq(u->scheme, "sip") && !sip_str_ieq(u->scheme, "sips"))
		return -EINVAL;
	i++;
	/* The userinfo ends at the last '@' before any ';' or '?' of the
	 * host part; a user may itself hold ';' (RFC 3261 §19.1.2). */
	for (uint32_t k = i; k < s.len && s.p[k] != '?'; k++)
		if (s.p[k] == '@')
			at = k;
	if (at != UINT32_MAX) {
		u->user = (struct sip_str){s.p + i, at - i};
		uint32_t c = 0;
		while (c < u->user.len && u->user.p[c] != ':')
			c++;
		u->user.len = c; /* drop ":password" */
		if (u->user.len == 0)
			return -EINVAL; /* "sip:@host": an empty user */
		i = at + 1;
	}
	end = i;
	if (end < s.len && s.p[end] == '[') {
		while (end < s.len && s.p[end] != ']')
			end++;
		if (end == s.len)
			return -EINVAL;
		end++;
	} else {
		while (end < s.len && s.p[end] != ':' && s.p[end] != ';' && s.p[end] != '?')
			end++;
	}
	u->host = (struct sip_str){s.p + i, end - i};
	if (u->host.len == 0)
		return -EINVAL;
	if (end < s.len && s.p[end] == ':') {
		uint32_t port = 0, k = end + 1;
		if (k == s.len || s.p[k] < '0' || s.p[k] > '9')
			return -EINVAL;
		while (k < s.len && s.p[k] >= '0' && s.p[k] <= '9') {
			port = port * 10 + (uint32_t)(s.p[k] - '0');
			if (port > 65535)
				return -EINVAL;
			k++;
		}
		if (port == 0)
			return -EINVAL;
		u->port = (uint16_t)port;
		end = k;
	}
	uint32_t q = end;
	while (q < s.len && s.p[q] != '?')
		q++;
	u->params = (struct sip_str){s.p + end, q - end};
	return 0;
}

int
sip_param_get(struct sip_str params, const char *name, struct sip_str *value)
{
	size_t nl = strlen(name);
	uint32_t i = 0;

	while (i < params.len) {
		while (i < params.len && (params.p[i] == ';' || params.p[i] == ' ' || params.p[i] == '\t'))
			i++;
		uint32_t k0 = i;
		while (i < params.len && params.p[i] != '=' && params.p[i] != ';')
			i++;
		uint32_t klen = i - k0;
		while (klen && (params.p[k0 + klen - 1] == ' ' || params.p[k0 + klen - 1] == '\t'))
			klen--;
		struct sip_str v = {params.p + i, 0};
		if (i < params.len && params.p[i] == '=') {
			i++;
			while (i < params.len && (params.p[i] == ' ' || params.p[i] == '\t'))
				i++;
			uint32_t v0 = i;
			if (i < params.len && params.p[i] == '"') {
				i++;
				while (i < params.len && params.p[i] != '"')
					i += params.p[i] == '\\' ? 2 : 1;
				if (i < params.len)
					i++;
				if (i > params.len)
					i = params.len;
			} else {
				while (i < params.len && params.p[i] != ';')
					i++;
			}
			v = (struct sip_str){params.p + v0, i - v0};
			while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
				v.len--;
		}
		if (klen == nl && strncasecmp(params.p + k0, name, nl) == 0) {
			if (value)
				*value = v;
			return 1;
		}
	}
	return 0;
}

int
sip_str_copy(struct sip_str s, char *buf, size_t len)
{
	if (len == 0 || s.len >= len)
		return -ENOBUFS;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
sip_uri_header(struct sip_str uri, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);
	uint32_t i = 0;

	while (i < uri.len && uri.p[i] != '?')
		i++;
	while (i < uri.len) {
		i++; /* past '?' or '&' */
		uint32_t k0 = i;
		while (i < uri.len && uri.p[i] != '=' && uri.p[i] != '&')
			i++;
		bool match = i - k0 == nl && strncasecmp(uri.p + k0, name, nl) == 0;
		if (i < uri.len && uri.p[i] == '=')
			i++;
		uint32_t v0 = i;
		while (i < uri.len && uri.p[i] != '&')
			i++;
		if (!match)
			continue;
		size_t n = 0;
		for (uint32_t k = v0; k < i; k++) {
			char c = uri.p[k];
			if (c == '%') {
				int hi, lo;
				if (k + 2 >= i || (hi = hex_digit(uri.p[k + 1])) < 0 ||
				    (lo = hex_digit(uri.p[k + 2])) < 0)
					return -EINVAL;
				c = (char)(hi << 4 | lo);
				if (c == '\0')
					return -EINVAL;
				k += 2;
			}
			if (n + 1 >= len)
				return -ENOBUFS;
			out[n++] = c;
		}
		out[n] = '\0';
		return (int)n;
	}
	return -ENOENT;
}

int
sip_replaces_parse(const char *v, struct sip_replaces *r)
{
	struct sip_str s = {v, (uint32_t)strlen(v)}, cid, params, tag;
	uint32_t i = 0;

	*r = (struct sip_replaces){0};
	while (i < s.len && s.p[i] != ';')
		i++;
	cid = (struct sip_str){s.p, i};
	while (cid.len && (cid.p[cid.len - 1] == ' ' || cid.p[cid.len - 1] == '\t'))
		cid.len--;
	params = (struct sip_str){s.p + i, s.len - i};
	if (cid.len == 0 || sip_str_copy(cid, r->call_id, sizeof(r->call_id)) < 0)
		return -EINVAL;
	if (sip_param_get(params, "to-tag", &tag) != 1 || tag.len == 0 ||
	    sip_str_copy(tag, r->to_tag, sizeof(r->to_tag)) < 0)
		return -EINVAL;
	if (sip_param_get(params, "from-tag", &tag) != 1 || tag.len == 0 ||
	    sip_str_copy(tag, r->from_tag, sizeof(r->from_tag)) < 0)
		return -EINVAL;
	r->early_only = sip_param_get(params, "early-only", NULL) == 1;
	return 0;
}
