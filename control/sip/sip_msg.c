/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP parser and the UAS pre-checks. Grammar references are RFC 3261
 * §25.1; framing §7.5 and §18.3; mandatory headers §8.1.1; UAS behaviour
 * §8.2. Everything is bounded by the message's length; every loop advances.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sip_msg.h"

#define CRLF "\r\n"

static const struct {
	const char *name;
	char compact;
	enum sip_hdr_id id;
} hdr_names[] = {
	{"Via", 'v', SIP_HDR_VIA},
	{"From", 'f', SIP_HDR_FROM},
	{"To", 't', SIP_HDR_TO},
	{"Call-ID", 'i', SIP_HDR_CALL_ID},
	{"CSeq", 0, SIP_HDR_CSEQ},
	{"Contact", 'm', SIP_HDR_CONTACT},
	{"Max-Forwards", 0, SIP_HDR_MAX_FORWARDS},
	{"Content-Length", 'l', SIP_HDR_CONTENT_LENGTH},
	{"Content-Type", 'c', SIP_HDR_CONTENT_TYPE},
	{"Require", 0, SIP_HDR_REQUIRE},
	{"Proxy-Require", 0, SIP_HDR_PROXY_REQUIRE},
	{"Supported", 'k', SIP_HDR_SUPPORTED},
	{"Accept", 0, SIP_HDR_ACCEPT},
	{"Expires", 0, SIP_HDR_EXPIRES},
	{"Authorization", 0, SIP_HDR_AUTHORIZATION},
	{"Route", 0, SIP_HDR_ROUTE},
	{"Record-Route", 0, SIP_HDR_RECORD_ROUTE},
	{"Event", 'o', SIP_HDR_EVENT},
	{"Refer-To", 'r', SIP_HDR_REFER_TO},
};

static const char *const method_names[] = {
	[SIP_M_INVITE] = "INVITE",
	[SIP_M_ACK] = "ACK",
	[SIP_M_BYE] = "BYE",
	[SIP_M_CANCEL] = "CANCEL",
	[SIP_M_OPTIONS] = "OPTIONS",
	[SIP_M_REGISTER] = "REGISTER",
	[SIP_M_PRACK] = "PRACK",
	[SIP_M_UPDATE] = "UPDATE",
	[SIP_M_REFER] = "REFER",
	[SIP_M_NOTIFY] = "NOTIFY",
	[SIP_M_SUBSCRIBE] = "SUBSCRIBE",
	[SIP_M_INFO] = "INFO",
	[SIP_M_MESSAGE] = "MESSAGE",
};

bool
sip_str_eq(struct sip_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

bool
sip_str_ieq(struct sip_str s, const char *lit)
{
	return s.len == strlen(lit) && strncasecmp(s.p, lit, s.len) == 0;
}

enum sip_method
sip_method_of(struct sip_str name)
{
	/* RFC 3261 §7.1: methods are case-sensitive. */
	for (unsigned int i = 1; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (sip_str_eq(name, method_names[i]))
			return (enum sip_method)i;
	return SIP_M_UNKNOWN;
}

const char *
sip_method_name(enum sip_method m)
{
	return m > SIP_M_UNKNOWN && m <= SIP_M_MESSAGE ? method_names[m] : "?";
}

/* RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" /
 * "_" / "+" / "`" / "'" / "~") */
static bool
is_token(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-.!%*_+`'~", c);
}

static bool
is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct sip_str
trim(struct sip_str s)
{
	while (s.len && is_lws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_lws(s.p[s.len - 1]))
		s.len--;
	return s;
}

static bool
all_token(struct sip_str s)
{
	if (s.len == 0)
		return false;
	for (uint32_t i = 0; i < s.len; i++)
		if (!is_token(s.p[i]))
			return false;
	return true;
}

static bool
has_lws(struct sip_str s)
{
	for (uint32_t i = 0; i < s.len; i++)
		if (is_lws(s.p[i]) || s.p[i] == '\0')
			return true;
	return false;
}

/* A decimal number of at most max_digits digits no larger than max. */
static int
parse_uint(struct sip_str s, unsigned int max_digits, uint64_t max, uint64_t *v)
{
	s = trim(s);
	/* Leading zeros are allowed (RFC 4475 §3.1.1.1) and do not count. */
	while (s.len > 1 && s.p[0] == '0') {
		s.p++;
		s.len--;
	}
	if (s.len == 0 || s.len > max_digits)
		return -ERANGE;
	uint64_t x = 0;
	for (uint32_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

static const char *
memfind(const char *h, size_t hlen, const char *n, size_t nlen)
{
	if (hlen < nlen)
		return NULL;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (memcmp(h + i, n, nlen) == 0)
			return h + i;
	return NULL;
}

/* Skip a quoted string starting at p[0] == '"'; returns the index after the
 * closing quote, or 0 if unterminated (RFC 3261 §25.1 quoted-pair kept). */
static uint32_t
skip_quoted(struct sip_str s, uint32_t i)
{
	for (i++; i < s.len; i++) {
		if (s.p[i] == '\\') {
			i++;
			continue;
		}
		if (s.p[i] == '"')
			return i + 1;
	}
	return 0;
}

/* ;name[=value] parameters: non-empty names, token or quoted values, LWS
 * allowed around ';' and '='. Sets *tag to the tag parameter's value. */
static int
params_check(struct sip_str s, struct sip_str *tag, struct sip_str *branch)
{
	uint32_t i = 0;
	for (;;) {
		while (i < s.len && is_lws(s.p[i]))
			i++;
		if (i == s.len)
			return 0;
		if (s.p[i] != ';')
			return -EINVAL;
		i++;
		while (i < s.len && is_lws(s.p[i]))
			i++;
		uint32_t n0 = i;
		while (i < s.len && is_token(s.p[i]))
			i++;
		struct sip_str name = {s.p + n0, i - n0};
		if (name.len == 0)
			return -EINVAL; /* ";;" */
		while (i < s.len && is_lws(s.p[i]))
			i++;
		struct sip_str val = {NULL, 0};
		if (i < s.len && s.p[i] == '=') {
			i++;
			while (i < s.len && is_lws(s.p[i]))
				i++;
			uint32_t v0 = i;
			if (i < s.len && s.p[i] == '"') {
				i = skip_quoted(s, i);
				if (i == 0)
					return -EINVAL;
			} else {
				/* token, or an IPv6 reference in Via's received */
				while (i < s.len &&
				       (is_token(s.p[i]) || s.p[i] == ':' || s.p[i] == '[' || s.p[i] == ']'))
					i++;
			}
			val = (struct sip_str){s.p + v0, i - v0};
			if (val.len == 0)
				return -EINVAL;
		}
		if (tag && sip_str_ieq(name, "tag"))
			*tag = val;
		if (branch && sip_str_ieq(name, "branch"))
			*branch = val;
	}
}

int
sip_addr_parse(struct sip_str v, struct sip_addr *a)
{
	struct sip_str s = trim(v);
	uint32_t i = 0, lt;

	*a = (struct sip_addr){0};
	if (s.len == 0)
		return -EINVAL;
	if (s.p[0] == '"') {
		i = skip_quoted(s, 0);
		if (i == 0)
			return -EINVAL; /* unterminated quoted display name */
		a->display = (struct sip_str){s.p, i};
		while (i < s.len && is_lws(s.p[i]))
			i++;
		if (i == s.len || s.p[i] != '<')
			return -EINVAL;
	} else {
		/* display-name as tokens, or no display name: is there a '<'? */
		for (lt = 0; lt < s.len && s.p[lt] != '<'; lt++)
			;
		if (lt < s.len) {
			for (uint32_t k = 0; k < lt; k++)
				if (!is_token(s.p[k]) && !is_lws(s.p[k]))
					return -EINVAL; /* RFC 3261 §25.1: display-name is tokens or quoted */
			a->display = trim((struct sip_str){s.p, lt});
			i = lt;
		}
	}
	if (i < s.len && s.p[i] == '<') {
		uint32_t u0 = ++i;
		while (i < s.len && s.p[i] != '>')
			i++;
		if (i == s.len)
			return -EINVAL;
		a->uri = (struct sip_str){s.p + u0, i - u0};
		if (a->uri.len == 0 || has_lws(a->uri))
			return -EINVAL; /* spaces inside <addr-spec> */
		i++;
	} else {
		/* addr-spec alone: §20.10 requires <> when the URI has a comma,
		 * a question mark or a semicolon; the semicolon starts params. */
		uint32_t u0 = i;
		while (i < s.len && s.p[i] != ';' && !is_lws(s.p[i]))
			i++;
		a->uri = (struct sip_str){s.p + u0, i - u0};
		if (a->uri.len == 0 || memchr(a->uri.p, ',', a->uri.len) || memchr(a->uri.p, '?', a->uri.len))
			return -EINVAL;
	}
	a->params = (struct sip_str){s.p + i, s.len - i};
	return params_check(a->params, &a->tag, NULL);
}

/* Split a comma-separated header value outside quotes and <>. */
static int
list_next(struct sip_str s, uint32_t *pos, struct sip_str *item)
{
	return sip_list_next(s, pos, item);
}

int
sip_list_next(struct sip_str s, uint32_t *pos, struct sip_str *item)
{
	uint32_t i = *pos, start = i;
	bool in_angle = false;
	if (i >= s.len)
		return 0;
	for (; i < s.len; i++) {
		char c = s.p[i];
		if (c == '"') {
			uint32_t e = skip_quoted(s, i);
			if (e == 0)
				return -EINVAL;
			i = e - 1;
		} else if (c == '<') {
			in_angle = true;
		} else if (c == '>') {
			in_angle = false;
		} else if (c == ',' && !in_angle) {
			break;
		}
	}
	*item = trim((struct sip_str){s.p + start, i - start});
	*pos = i + 1;
	return 1;
}

/* Via: SIP / 2.0 / transport LWS sent-by *( ; params ) — all elements. */
static int
via_parse(struct sip_str v, struct sip_via *top)
{
	uint32_t pos = 0;
	struct sip_str e;
	int r, n = 0;

	while ((r = list_next(v, &pos, &e)) > 0) {
		struct sip_via via = {0};
		uint32_t i = 0;
		struct sip_str part[3];
		for (int k = 0; k < 3; k++) {
			while (i < e.len && is_lws(e.p[i]))
				i++;
			uint32_t t0 = i;
			while (i < e.len && is_token(e.p[i]))
				i++;
			part[k] = (struct sip_str){e.p + t0, i - t0};
			while (i < e.len && is_lws(e.p[i]))
				i++;
			if (part[k].len == 0 || (k < 2 && (i == e.len || e.p[i++] != '/')))
				return -EINVAL;
		}
		if (!sip_str_ieq(part[0], "SIP") || !sip_str_eq(part[1], "2.0"))
			return -EINVAL;
		via.transport = part[2];
		uint32_t h0 = i;
		if (i < e.len && e.p[i] == '[') {
			while (i < e.len && e.p[i] != ']')
				i++;
			if (i == e.len)
				return -EINVAL;
			i++;
		} else {
			while (i < e.len && (is_token(e.p[i])))
				i++;
		}
		via.host = (struct sip_str){e.p + h0, i - h0};
		if (via.host.len == 0)
			return -EINVAL;
		while (i < e.len && is_lws(e.p[i]))
			i++;
		if (i < e.len && e.p[i] == ':') {
			i++;
			uint32_t p0 = i;
			while (i < e.len && !is_lws(e.p[i]) && e.p[i] != ';')
				i++;
			uint64_t port;
			if (parse_uint((struct sip_str){e.p + p0, i - p0}, 5, 65535, &port) < 0 || port == 0)
				return -EINVAL;
			via.port = (uint16_t)port;
		}
		if (params_check((struct sip_str){e.p + i, e.len - i}, NULL, &via.branch) < 0)
			return -EINVAL;
		if (n++ == 0)
			*top = via;
	}
	return r < 0 || n == 0 ? -EINVAL : 0;
}

static int
fail(struct sip_err *err, uint16_t code, const char *reason)
{
	err->code = code;
	snprintf(err->reason, sizeof(err->reason), "%s", reason);
	return -EBADMSG;
}

static enum sip_hdr_id
hdr_id_of(struct sip_str name)
{
	for (unsigned int i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++)
		if (sip_str_ieq(name, hdr_names[i].name) ||
		    (name.len == 1 && hdr_names[i].compact && (name.p[0] | 0x20) == hdr_names[i].compact))
			return hdr_names[i].id;
	return SIP_HDR_OTHER;
}

static int
start_line(struct sip_str l, struct sip_msg *m, struct sip_err *err)
{
	if (l.len >= 4 && memcmp(l.p, "SIP/", 4) == 0) {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
		m->is_request = false;
		uint64_t code;
		if (l.len < 12 || memcmp(l.p, "SIP/2.0 ", 8) != 0 || (l.len > 11 && l.p[11] != ' '))
			return fail(err, 0, "bad status line");
		if (parse_uint((struct sip_str){l.p + 8, 3}, 3, 699, &code) < 0 || code < 100)
			return fail(err, 0, "status code out of range");
		m->status = (uint16_t)code;
		m->reason = (struct sip_str){l.p + 12, l.len - 12};
		return 0;
	}
	/* Request-Line = Method SP Request-URI SP SIP-Version: exactly two SPs. */
	m->is_request = true;
	const char *sp1 = memchr(l.p, ' ', l.len);
	if (sp1 == NULL)
		return fail(err, 400, "Malformed Request-Line");
	const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(l.p + l.len - sp1 - 1));
	if (sp2 == NULL || memchr(sp2 + 1, ' ', (size_t)(l.p + l.len - sp2 - 1)))
		return fail(err, 400, "Malformed Request-Line");
	m->method_name = (struct sip_str){l.p, (uint32_t)(sp1 - l.p)};
	m->ruri = (struct sip_str){sp1 + 1, (uint32_t)(sp2 - sp1 - 1)};
	struct sip_str ver = {sp2 + 1, (uint32_t)(l.p + l.len - sp2 - 1)};
	if (!all_token(m->method_name))
		return fail(err, 400, "Malformed Method");
	if (m->ruri.len == 0 || has_lws(m->ruri) || m->ruri.p[0] == '<' || !memchr(m->ruri.p, ':', m->ruri.len))
		return fail(err, 400, "Malformed Request-URI");
	/* Headers in a SIP Request-URI are not allowed (§19.1.5). A '?' in
	 * the user part is legal (user-unreserved); headers follow hostport. */
	if (m->ruri.len >= 4 && (strncasecmp(m->ruri.p, "sip:", 4) == 0 || strncasecmp(m->ruri.p, "sips:", 5) == 0)) {
		const char *host = m->ruri.p;
		for (const char *q = m->ruri.p; q < m->ruri.p + m->ruri.len; q++)
			if (*q == '@')
				host = q;
		if (memchr(host, '?', (size_t)(m->ruri.p + m->ruri.len - host)))
			return fail(err, 400, "Headers in Request-URI");
	}
	if (!sip_str_ieq(ver, "SIP/2.0")) {
		if (ver.len >= 4 && strncasecmp(ver.p, "SIP/", 4) == 0)
			return fail(err, 505, "Version Not Supported");
		return fail(err, 400, "Malformed SIP-Version");
	}
	m->method = sip_method_of(m->method_name);
	return 0;
}

int
sip_msg_parse(const char *buf, size_t len, bool stream, struct sip_msg *m, struct sip_err *err)
{
	size_t skip = 0;

	memset(m, 0, offsetof(struct sip_msg, hdrs));
	memset(m->first, 0, sizeof(*m) - offsetof(struct sip_msg, first));
	m->n_hdrs = 0;
	m->max_forwards = -1;
	*err = (struct sip_err){0};

	/* §7.5: CRLFs before a start line are ignored (stream keep-alives). */
	while (skip + 1 < len && buf[skip] == '\r' && buf[skip + 1] == '\n')
		skip += 2;
	buf += skip;
	len -= skip;
	size_t window = len < SIP_MAX_MSG ? len : SIP_MAX_MSG;
	const char *end = memfind(buf, window, CRLF CRLF, 4);
	if (end == NULL) {
		if (stream && len < SIP_MAX_MSG)
			return -EAGAIN;
		return fail(err, 400, len >= SIP_MAX_MSG ? "Message Too Large" : "Headers not terminated");
	}
	size_t hdr_end = (size_t)(end - buf) + 4;
	const char *eol = memfind(buf, hdr_end, CRLF, 2);
	/* A bad request line is answered (400, 505): the headers a response
	 * copies are split first, then the error is returned. */
	struct sip_err line_err = {0};
	int line_ret = start_line((struct sip_str){buf, (uint32_t)(eol - buf)}, m, &line_err);
	if (line_ret < 0 && !m->is_request) {
		*err = line_err;
		return line_ret;
	}
	uint16_t bad = m->is_request ? 400 : 0;

	/* Header lines; a line starting with SP or HT continues the previous
	 * one (§7.3.1 folding). */
	const char *p = eol + 2, *hend = end + 2;
	while (p < hend) {
		const char *le = memfind(p, (size_t)(hend - p), CRLF, 2);
		struct sip_str line = {p, (uint32_t)(le - p)};
		p = le + 2;
		if (line.p[0] == ' ' || line.p[0] == '\t') {
			if (m->n_hdrs == 0)
				return fail(err, bad, "Continuation before any header");
			struct sip_hdr *h = &m->hdrs[m->n_hdrs - 1];
			h->value.len = (uint32_t)(line.p + line.len - h->value.p);
			continue;
		}
		uint32_t i = 0;
		while (i < line.len && is_token(line.p[i]))
			i++;
		struct sip_str name = {line.p, i};
		while (i < line.len && (line.p[i] == ' ' || line.p[i] == '\t'))
			i++;
		if (name.len == 0 || i == line.len || line.p[i] != ':')
			return fail(err, bad, "Malformed header line");
		if (m->n_hdrs == SIP_MAX_HDRS)
			return fail(err, bad, "Too many headers");
		struct sip_hdr *h = &m->hdrs[m->n_hdrs++];
		h->id = hdr_id_of(name);
		h->name = name;
		h->value = (struct sip_str){line.p + i + 1, line.len - i - 1};
	}
	for (uint32_t k = 0; k < m->n_hdrs; k++) {
		struct sip_hdr *h = &m->hdrs[k];
		h->value = trim(h->value);
		if (m->count[h->id]++ == 0)
			m->first[h->id] = h;
	}
	if (line_ret < 0) {
		*err = line_err;
		return line_ret;
	}

	/* Framing: Content-Length (§18.3, §20.14). */
	const struct sip_hdr *cl = m->first[SIP_HDR_CONTENT_LENGTH];
	size_t avail = len - hdr_end, body_len;
	if (m->count[SIP_HDR_CONTENT_LENGTH] > 1)
		return fail(err, bad, "Multiple Content-Length values");
	if (cl) {
		uint64_t v;
		if (parse_uint(cl->value, 6, SIP_MAX_MSG, &v) < 0)
			return fail(err, bad, "Bad Content-Length");
		if (v > avail) {
			if (stream && hdr_end + v <= SIP_MAX_MSG)
				return -EAGAIN;
			return fail(err, bad, "Content-Length larger than the message");
		}
		body_len = (size_t)v;
	} else {
		if (stream)
			return fail(err, bad, "Content-Length required on a stream");
		body_len = avail;
	}
	m->body = (struct sip_str){buf + hdr_end, (uint32_t)body_len};
	m->size = skip + hdr_end + body_len;

	/* §8.1.1: To, From, CSeq, Call-ID and Via are mandatory; Max-Forwards
	 * is too, but RFC 2543 elements omit it and it is read only if there. */
	static const struct {
		enum sip_hdr_id id;
		const char *name;
	} need[] = {{SIP_HDR_VIA, "Via"},
		    {SIP_HDR_FROM, "From"},
		    {SIP_HDR_TO, "To"},
		    {SIP_HDR_CALL_ID, "Call-ID"},
		    {SIP_HDR_CSEQ, "CSeq"}};
	for (unsigned int k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
		if (m->first[need[k].id] == NULL) {
			snprintf(err->reason, sizeof(err->reason), "Missing %s", need[k].name);
			err->code = bad;
			return -EBADMSG;
		}
	}
	static const enum sip_hdr_id single[] = {SIP_HDR_FROM, SIP_HDR_TO,	     SIP_HDR_CALL_ID,
						 SIP_HDR_CSEQ, SIP_HDR_MAX_FORWARDS, SIP_HDR_CONTENT_TYPE};
	for (unsigned int k = 0; k < sizeof(single) / sizeof(single[0]); k++)
		if (m->count[single[k]] > 1)
			return fail(err, bad, "Multiple values in a single-value header");

	m->call_id = m->first[SIP_HDR_CALL_ID]->value;
	if (m->call_id.len == 0 || has_lws(m->call_id))
		return fail(err, bad, "Bad Call-ID");

	/* CSeq = 1*DIGIT LWS Method; the number is below 2**31 (§8.1.1.5). */
	struct sip_str cs = m->first[SIP_HDR_CSEQ]->value;
	uint32_t i = 0;
	while (i < cs.len && cs.p[i] >= '0' && cs.p[i] <= '9')
		i++;
	uint64_t num;
	if (parse_uint((struct sip_str){cs.p, i}, 10, 0x7fffffff, &num) < 0)
		return fail(err, bad, "CSeq out of range");
	m->cseq = (uint32_t)num;
	m->cseq_method_name = trim((struct sip_str){cs.p + i, cs.len - i});
	if (i == cs.len || !is_lws(cs.p[i]) || !all_token(m->cseq_method_name))
		return fail(err, bad, "Malformed CSeq");
	m->cseq_method = sip_method_of(m->cseq_method_name);

	if (m->first[SIP_HDR_MAX_FORWARDS]) {
		if (parse_uint(m->first[SIP_HDR_MAX_FORWARDS]->value, 3, 255, &num) < 0)
			return fail(err, bad, "Max-Forwards out of range");
		m->max_forwards = (int32_t)num;
	}
	if (m->first[SIP_HDR_EXPIRES] && parse_uint(m->first[SIP_HDR_EXPIRES]->value, 10, UINT32_MAX, &num) < 0)
		return fail(err, bad, "Expires out of range");
	if (m->first[SIP_HDR_CONTENT_TYPE])
		m->content_type = m->first[SIP_HDR_CONTENT_TYPE]->value;

	if (sip_addr_parse(m->first[SIP_HDR_FROM]->value, &m->from) < 0)
		return fail(err, bad, "Malformed From");
	if (sip_addr_parse(m->first[SIP_HDR_TO]->value, &m->to) < 0)
		return fail(err, bad, "Malformed To");
	for (uint32_t k = 0; k < m->n_hdrs; k++) {
		const struct sip_hdr *h = &m->hdrs[k];
		if (h->id == SIP_HDR_VIA) {
			struct sip_via tmp;
			if (via_parse(h->value, m->first[SIP_HDR_VIA] == h ? &m->via : &tmp) < 0)
				return fail(err, bad, "Malformed Via");
		} else if (h->id == SIP_HDR_CONTACT && !sip_str_eq(h->value, "*")) {
			uint32_t pos = 0;
			struct sip_str item;
			struct sip_addr a;
			int r, n = 0;
			while ((r = list_next(h->value, &pos, &item)) > 0) {
				if (sip_addr_parse(item, &a) < 0)
					return fail(err, bad, "Malformed Contact");
				n++;
			}
			if (r < 0 || n == 0)
				return fail(err, bad, "Malformed Contact");
		}
	}
	return 0;
}

/* Does a comma-separated list of media types accept type/subtype? */
static bool
accepts(struct sip_str list, const char *type, const char *subtype)
{
	uint32_t pos = 0;
	struct sip_str item;
	while (list_next(list, &pos, &item) > 0) {
		const char *semi = memchr(item.p, ';', item.len);
		struct sip_str mt = trim((struct sip_str){item.p, semi ? (uint32_t)(semi - item.p) : item.len});
		const char *slash = memchr(mt.p, '/', mt.len);
		if (slash == NULL)
			continue;
		struct sip_str t = trim((struct sip_str){mt.p, (uint32_t)(slash - mt.p)});
		struct sip_str s = trim((struct sip_str){slash + 1, (uint32_t)(mt.p + mt.len - slash - 1)});
		if ((sip_str_eq(t, "*") || sip_str_ieq(t, type)) && (sip_str_eq(s, "*") || sip_str_ieq(s, subtype)))
			return true;
	}
	return false;
}

#define ALLOW "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, UPDATE, REFER, NOTIFY, INFO, PRACK"

int
sip_uas_check(const struct sip_msg *m, struct sip_err *err, char *extra, size_t extra_len)
{
	extra[0] = '\0';
	*err = (struct sip_err){0};
	/* §8.2.1: a method we do not implement. */
	if (m->method == SIP_M_UNKNOWN || m->method == SIP_M_SUBSCRIBE || m->method == SIP_M_MESSAGE) {
		snprintf(extra, extra_len, ALLOW);
		return fail(err, m->method == SIP_M_UNKNOWN ? 501 : 405,
			    m->method == SIP_M_UNKNOWN ? "Not Implemented" : "Method Not Allowed");
	}
	/* §8.1.1.5: the CSeq method matches the request's. */
	if (m->cseq_method_name.len != m->method_name.len ||
	    memcmp(m->cseq_method_name.p, m->method_name.p, m->method_name.len) != 0)
		return fail(err, 400, "CSeq method does not match the request");
	/* §8.2.2.1: only sip and sips (and tel for calls out) are ours. */
	const char *colon = memchr(m->ruri.p, ':', m->ruri.len);
	struct sip_str scheme = {m->ruri.p, (uint32_t)(colon - m->ruri.p)};
	if (!sip_str_ieq(scheme, "sip") && !sip_str_ieq(scheme, "sips") && !sip_str_ieq(scheme, "tel"))
		return fail(err, 416, "Unsupported URI Scheme");
	/* §8.2.2.3: every Require option tag must be one we support (none
	 * yet); ACK and CANCEL are exempt. */
	if (m->method != SIP_M_ACK && m->method != SIP_M_CANCEL && m->first[SIP_HDR_REQUIRE]) {
		size_t off = (size_t)snprintf(extra, extra_len, "Unsupported: ");
		bool first = true;
		for (uint32_t k = 0; k < m->n_hdrs; k++) {
			if (m->hdrs[k].id != SIP_HDR_REQUIRE)
				continue;
			uint32_t pos = 0;
			struct sip_str tag;
			while (list_next(m->hdrs[k].value, &pos, &tag) > 0 && off < extra_len) {
				off += (size_t)snprintf(extra + off, extra_len - off, "%s%.*s", first ? "" : ", ",
							(int)tag.len, tag.p);
				first = false;
			}
		}
		return fail(err, 420, "Bad Extension");
	}
	/* §8.2.3: bodies we read are SDP. */
	bool reads_body = m->method == SIP_M_INVITE || m->method == SIP_M_ACK || m->method == SIP_M_UPDATE ||
			  m->method == SIP_M_PRACK;
	if (reads_body && m->body.len && m->content_type.len) {
		const char *semi = memchr(m->content_type.p, ';', m->content_type.len);
		struct sip_str ct = trim((struct sip_str){m->content_type.p, semi ? (uint32_t)(semi - m->content_type.p)
										  : m->content_type.len});
		if (!sip_str_ieq(ct, "application/sdp")) {
			snprintf(extra, extra_len, "Accept: application/sdp");
			return fail(err, 415, "Unsupported Media Type");
		}
	}
	/* §21.4.7: we answer an INVITE with SDP; the caller must accept it. */
	if (m->method == SIP_M_INVITE && m->first[SIP_HDR_ACCEPT]) {
		bool ok = false;
		for (uint32_t k = 0; k < m->n_hdrs && !ok; k++)
			if (m->hdrs[k].id == SIP_HDR_ACCEPT)
				ok = accepts(m->hdrs[k].value, "application", "sdp");
		if (!ok) {
			snprintf(extra, extra_len, "Accept: application/sdp");
			return fail(err, 406, "Not Acceptable");
		}
	}
	return 0;
}
