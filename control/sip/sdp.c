/* SPDX-License-Identifier: BSD-3-Clause */
/* SDP parsing, building and offer/answer: see the header for the contract. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp.h"

/* Printed tokens are cut here so that a reason always fits a log line. */
#define TOK_SHOWN 32

struct parser {
	const char *buf;
	size_t len, pos;
	unsigned line_no; /* 1-based; 0 once past the lines (checks on the whole) */
	char *err;
	size_t errlen;
};

/* The value of one "<type>=<value>" line, or any part of it. */
struct line {
	char type;
	const char *v;
	size_t len;
};

struct tok {
	const char *p;
	size_t len;
};

static int __attribute__((format(printf, 3, 4))) fail(struct parser *ps, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (ps->errlen == 0)
		return rc;
	if (ps->line_no)
		n = snprintf(ps->err, ps->errlen, "line %u: ", ps->line_no);
	if (n < 0 || (size_t)n >= ps->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static int
shown(struct tok t)
{
	return t.len > TOK_SHOWN ? TOK_SHOWN : (int)t.len;
}

/* The next line; 1, 0 at the end, or -EINVAL. RFC 4566 §5 wants CRLF;
 * bare LF is taken as well, blank lines and trailing blanks are skipped
 * (what real phones send). A control character inside a line is refused:
 * it is never valid SDP and would travel into logs and our own answers. */
static int
next_line(struct parser *ps, struct line *l)
{
	size_t i = ps->pos, e, end;

	while (i < ps->len && (ps->buf[i] == '\r' || ps->buf[i] == '\n')) {
		if (ps->buf[i] == '\n')
			ps->line_no++;
		i++;
	}
	if (i >= ps->len)
		return 0;
	for (e = i; e < ps->len && ps->buf[e] != '\n'; e++)
		;
	ps->pos = e;
	end = e;
	if (end > i && ps->buf[end - 1] == '\r')
		end--;
	while (end > i && (ps->buf[end - 1] == ' ' || ps->buf[end - 1] == '\t'))
		end--;
	if (end - i < 2 || ps->buf[i + 1] != '=' || ps->buf[i] < 'a' || ps->buf[i] > 'z')
		return fail(ps, -EINVAL, "not a <type>=<value> line");
	for (size_t k = i; k < end; k++) {
		unsigned char c = (unsigned char)ps->buf[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(ps, -EINVAL, "control character 0x%02x", c);
	}
	l->type = ps->buf[i];
	l->v = ps->buf + i + 2;
	l->len = end - i - 2;
	return 1;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next blank-separated field of l from *pos; false at the end. */
static bool
tok_next(const struct line *l, size_t *pos, struct tok *t)
{
	size_t i = *pos;
	while (i < l->len && is_blank(l->v[i]))
		i++;
	if (i == l->len)
		return false;
	t->p = l->v + i;
	while (i < l->len && !is_blank(l->v[i]))
		i++;
	t->len = (size_t)(l->v + i - t->p);
	*pos = i;
	return true;
}

static bool
tok_eq(struct tok t, const char *s)
{
	return t.len == strlen(s) && memcmp(t.p, s, t.len) == 0;
}

/* Decimal digits only, at most max. */
static bool
tok_num(struct tok t, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (t.len == 0)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		unsigned d = (unsigned)(t.p[i] - '0');
		if (d > 9 || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/* NUL-terminated copy; false if it does not fit. */
static bool
tok_copy(struct tok t, char *out, size_t size)
{
	if (t.len >= size)
		return false;
	memcpy(out, t.p, t.len);
	out[t.len] = '\0';
	return true;
}

/* Split t at the first c: t keeps the part before, the rest goes to after
 * (empty when there is no c). */
static bool
tok_split(struct tok *t, char c, struct tok *after)
{
	const char *s = memchr(t->p, c, t->len);
	if (s == NULL) {
		*after = (struct tok){t->p + t->len, 0};
		return false;
	}
	*after = (struct tok){s + 1, t->len - (size_t)(s + 1 - t->p)};
	t->len = (size_t)(s - t->p);
	return true;
}

/* c=<nettype> <addrtype> <connection-address> (RFC 4566 §5.7). */
static int
parse_conn(struct parser *ps, const struct line *l, uint32_t *addr)
{
	struct tok nt, at, a, extra, ttl;
	size_t p = 0;
	char txt[64];

	if (!tok_next(l, &p, &nt) || !tok_next(l, &p, &at) || !tok_next(l, &p, &a) || tok_next(l, &p, &extra))
		return fail(ps, -EINVAL, "c= wants <nettype> <addrtype> <address>");
	if (!tok_eq(nt, "IN"))
		return fail(ps, -EINVAL, "c=: network type '%.*s' is not IN", shown(nt), nt.p);
	tok_split(&a, '/', &ttl); /* multicast TTL/count: the address is what we need */
	if (!tok_copy(a, txt, sizeof(txt)))
		return fail(ps, -EINVAL, "c=: address '%.*s...' too long", shown(a), a.p);
	if (tok_eq(at, "IP6")) {
		struct in6_addr a6;
		if (inet_pton(AF_INET6, txt, &a6) != 1)
			return fail(ps, -EINVAL, "c=: '%s' is not an IPv6 address", txt);
		return fail(ps, -EAFNOSUPPORT, "c=: IPv6 media address %s: the dataplane takes IPv4 media only", txt);
	}
	if (!tok_eq(at, "IP4"))
		return fail(ps, -EINVAL, "c=: address type '%.*s' is neither IP4 nor IP6", shown(at), at.p);
	if (inet_pton(AF_INET, txt, addr) != 1)
		return fail(ps, -EINVAL, "c=: '%s' is not an IPv4 address (names are not resolved)", txt);
	return 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static int
parse_origin(struct parser *ps, const struct line *l, struct sdp_session *s)
{
	struct tok user, id, ver, nt, at, addr, extra;
	size_t p = 0;

	if (!tok_next(l, &p, &user) || !tok_next(l, &p, &id) || !tok_next(l, &p, &ver) || !tok_next(l, &p, &nt) ||
	    !tok_next(l, &p, &at) || !tok_next(l, &p, &addr) || tok_next(l, &p, &extra))
		return fail(ps, -EINVAL, "o= wants <username> <sess-id> <sess-version> <nettype> <addrtype> <address>");
	if (!tok_num(id, UINT64_MAX, &s->sess_id) || !tok_num(ver, UINT64_MAX, &s->sess_version))
		return fail(ps, -EINVAL, "o=: session id and version must be numbers below 2^64");
	if (!tok_copy(user, s->origin_user, sizeof(s->origin_user)))
		return fail(ps, -E2BIG, "o=: username longer than %zu", sizeof(s->origin_user) - 1);
	if (!tok_copy(addr, s->origin_addr, sizeof(s->origin_addr)))
		return fail(ps, -E2BIG, "o=: address longer than %zu", sizeof(s->origin_addr) - 1);
	return 0;
}

/* RFC 3551 table 4: the audio payload types defined without rtpmap. */
static void
static_name(struct sdp_fmt *f)
{
	static const struct {
		uint8_t pt, channels;
		uint32_t clock;
		const char *name;
	} st[] = {
		{0, 1, 8000, "PCMU"},  {3, 1, 8000, "GSM"},   {4, 1, 8000, "G723"},   {5, 1, 8000, "DVI4"},
		{6, 1, 16000, "DVI4"}, {7, 1, 8000, "LPC"},   {8, 1, 8000, "PCMA"},   {9, 1, 8000, "G722"},
		{10, 2, 44100, "L16"}, {11, 1, 44100, "L16"}, {12, 1, 8000, "QCELP"}, {13, 1, 8000, "CN"},
		{14, 1, 90000, "MPA"}, {15, 1, 8000, "G728"}, {16, 1, 11025, "DVI4"}, {17, 1, 22050, "DVI4"},
		{18, 1, 8000, "G729"},
	};
	f->channels = 1;
	for (unsigned i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		if (st[i].pt == f->pt) {
			snprintf(f->name, sizeof(f->name), "%s", st[i].name);
			f->clock = st[i].clock;
			f->channels = st[i].channels;
		}
	}
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... of the audio stream. */
static int
parse_audio_m(struct parser *ps, const struct line *l, struct sdp_media *m)
{
	struct tok media, port, count, proto, fmt;
	size_t p = 0;
	uint64_t v;

	if (!tok_next(l, &p, &media) || !tok_next(l, &p, &port) || !tok_next(l, &p, &proto))
		return fail(ps, -EINVAL, "m= wants <media> <port> <proto> <fmt> ...");
	if (tok_split(&port, '/', &count) && !tok_eq(count, "1"))
		return fail(ps, -EINVAL, "m=: port count /%.*s: one port per stream only", shown(count), count.p);
	if (!tok_num(port, 65535, &v))
		return fail(ps, -EINVAL, "m=: port '%.*s' is not a number 0-65535", shown(port), port.p);
	m->port = (uint16_t)v;
	if (!tok_copy(proto, m->proto, sizeof(m->proto)))
		return fail(ps, -E2BIG, "m=: transport '%.*s' longer than %zu", shown(proto), proto.p,
			    sizeof(m->proto) - 1);
	while (tok_next(l, &p, &fmt)) {
		if (!tok_num(fmt, 127, &v))
			return fail(ps, -EINVAL, "m=: payload type '%.*s' is not a number 0-127", shown(fmt), fmt.p);
		for (unsigned i = 0; i < m->n_fmts; i++)
			if (m->fmts[i].pt == v)
				return fail(ps, -EINVAL, "m=: payload type %u listed twice", (unsigned)v);
		if (m->n_fmts == SDP_MAX_FMTS)
			return fail(ps, -E2BIG, "m=: more than %d formats", SDP_MAX_FMTS);
		struct sdp_fmt *f = &m->fmts[m->n_fmts++];
		memset(f, 0, sizeof(*f));
		f->pt = (uint8_t)v;
		static_name(f);
	}
	if (m->n_fmts == 0)
		return fail(ps, -EINVAL, "m=: no formats");
	return 0;
}

/* Any other m= line, kept as the line that refuses it (RFC 3264 §6: same
 * media and transport, port 0, at least one of the offered formats). */
static int
parse_other_m(struct parser *ps, const struct line *l, char *out, size_t size)
{
	struct tok media, port, count, proto, fmt;
	size_t p = 0;
	uint64_t v;

	if (!tok_next(l, &p, &media) || !tok_next(l, &p, &port) || !tok_next(l, &p, &proto) || !tok_next(l, &p, &fmt))
		return fail(ps, -EINVAL, "m= wants <media> <port> <proto> <fmt> ...");
	tok_split(&port, '/', &count);
	if (!tok_num(port, 65535, &v))
		return fail(ps, -EINVAL, "m=: port '%.*s' is not a number 0-65535", shown(port), port.p);
	int n = snprintf(out, size, "%.*s 0 %.*s %.*s", (int)media.len, media.p, (int)proto.len, proto.p, (int)fmt.len,
			 fmt.p);
	if (n < 0 || (size_t)n >= size)
		return fail(ps, -E2BIG, "m=: line too long to be refused in an answer");
	return 0;
}

static struct sdp_fmt *
fmt_of(struct sdp_media *m, uint64_t pt, unsigned *idx)
{
	for (unsigned i = 0; i < m->n_fmts; i++) {
		if (m->fmts[i].pt == pt) {
			*idx = i;
			return &m->fmts[i];
		}
	}
	return NULL;
}

/* Per-format bits: rtpmap or fmtp seen once already. */
struct attr_seen {
	uint32_t rtpmap, fmtp;
};

/* a=rtpmap:<pt> <encoding>/<clock>[/<channels>] (RFC 4566 §6). */
static int
parse_rtpmap(struct parser *ps, const struct line *val, struct sdp_media *m, struct attr_seen *seen)
{
	struct tok pt, enc, clock, ch, extra;
	size_t p = 0;
	uint64_t n, c, k = 1;
	unsigned idx;
	struct sdp_fmt *f;

	if (!tok_next(val, &p, &pt) || !tok_next(val, &p, &enc) || tok_next(val, &p, &extra) || !tok_num(pt, 127, &n))
		return fail(ps, -EINVAL, "a=rtpmap wants <payload type> <encoding>/<clock>[/<channels>]");
	if ((f = fmt_of(m, n, &idx)) == NULL)
		return 0; /* a format the m= line does not offer: not ours to use */
	if (seen->rtpmap & (1u << idx))
		return fail(ps, -EINVAL, "a=rtpmap:%u given twice", (unsigned)n);
	seen->rtpmap |= 1u << idx;
	struct tok name = enc;
	tok_split(&name, '/', &clock);
	bool has_ch = tok_split(&clock, '/', &ch);
	if (name.len == 0 || !tok_num(clock, UINT32_MAX, &c) || c == 0 || (has_ch && (!tok_num(ch, 255, &k) || k == 0)))
		return fail(ps, -EINVAL, "a=rtpmap:%u: '%.*s' is not <encoding>/<clock>[/<channels>]", (unsigned)n,
			    shown(enc), enc.p);
	if (!tok_copy(name, f->name, sizeof(f->name)))
		return fail(ps, -E2BIG, "a=rtpmap:%u: encoding name longer than %zu", (unsigned)n, sizeof(f->name) - 1);
	f->clock = (uint32_t)c;
	f->channels = (uint8_t)k;
	return 0;
}

/* a=fmtp:<pt> <parameters> (RFC 4566 §6): kept as text. */
static int
parse_fmtp(struct parser *ps, const struct line *val, struct sdp_media *m, struct attr_seen *seen)
{
	struct tok pt;
	size_t p = 0;
	uint64_t n;
	unsigned idx;
	struct sdp_fmt *f;

	if (!tok_next(val, &p, &pt) || !tok_num(pt, 127, &n))
		return fail(ps, -EINVAL, "a=fmtp wants <payload type> <parameters>");
	while (p < val->len && is_blank(val->v[p]))
		p++;
	if (p == val->len)
		return fail(ps, -EINVAL, "a=fmtp:%u without parameters", (unsigned)n);
	if ((f = fmt_of(m, n, &idx)) == NULL)
		return 0;
	if (seen->fmtp & (1u << idx))
		return fail(ps, -EINVAL, "a=fmtp:%u given twice", (unsigned)n);
	seen->fmtp |= 1u << idx;
	if (!tok_copy((struct tok){val->v + p, val->len - p}, f->fmtp, sizeof(f->fmtp)))
		return fail(ps, -E2BIG, "a=fmtp:%u: parameters longer than %zu", (unsigned)n, sizeof(f->fmtp) - 1);
	return 0;
}

/* a=<attribute>[:<value>] at session level (m NULL) or in the audio
 * stream. Attributes we have no use for are skipped (RFC 4566 §5.13). */
static int
parse_attr(struct parser *ps, const struct line *l, struct sdp_media *m, enum sdp_dir *dir, bool *dir_set,
	   struct attr_seen *seen)
{
	static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
	struct tok name = {l->v, l->len}, value;
	bool has_value = tok_split(&name, ':', &value);
	struct line val = {'a', value.p, value.len};

	for (unsigned d = 0; d < 4; d++) {
		if (tok_eq(name, dirs[d])) {
			if (has_value)
				return fail(ps, -EINVAL, "a=%s takes no value", dirs[d]);
			*dir = (enum sdp_dir)d;
			*dir_set = true;
			return 0;
		}
	}
	if (m == NULL)
		return 0;
	if (tok_eq(name, "rtcp-mux")) {
		m->rtcp_mux = true;
	} else if (tok_eq(name, "ptime")) {
		uint64_t v;
		struct tok t;
		size_t p = 0;
		if (!tok_next(&val, &p, &t) || !tok_num(t, 1000, &v) || v == 0 || tok_next(&val, &p, &t))
			return fail(ps, -EINVAL, "a=ptime: '%.*s' is not a packet time of 1-1000 ms", shown(value),
				    value.p);
		m->ptime = (uint16_t)v;
	} else if (tok_eq(name, "rtpmap")) {
		return parse_rtpmap(ps, &val, m, seen);
	} else if (tok_eq(name, "fmtp")) {
		return parse_fmtp(ps, &val, m, seen);
	}
	return 0;
}

int
sdp_parse(const char *buf, size_t len, struct sdp_session *s, char *err, size_t errlen)
{
	struct parser ps = {.buf = buf, .len = len, .line_no = 1, .err = err, .errlen = err ? errlen : 0};
	enum { SEC_SESSION, SEC_AUDIO, SEC_OTHER } sec = SEC_SESSION;
	bool have_v = false, have_o = false, sess_c = false, media_c = false;
	bool sess_dir_set = false, media_dir_set = false;
	enum sdp_dir sess_dir = SDP_SENDRECV, media_dir = SDP_SENDRECV;
	unsigned sess_c6_line = 0; /* where the session c= was IPv6 */
	struct attr_seen seen = {0, 0};
	struct line l;
	int rc;

	memset(s, 0, sizeof(*s));
	s->audio.tel_event_pt = -1;
	if (ps.errlen)
		err[0] = '\0';
	while ((rc = next_line(&ps, &l)) > 0) {
		/* RFC 4566 §5: v= comes first, then o=. */
		if (!have_v && l.type != 'v')
			return fail(&ps, -EINVAL, "SDP must start with v=0");
		switch (l.type) {
		case 'v':
			if (have_v)
				return fail(&ps, -EINVAL, "second v= line");
			if (l.len != 1 || l.v[0] != '0')
				return fail(&ps, -EINVAL, "version '%.*s' is not 0", shown((struct tok){l.v, l.len}),
					    l.v);
			have_v = true;
			break;
		case 'o':
			if (have_o)
				return fail(&ps, -EINVAL, "second o= line");
			if ((rc = parse_origin(&ps, &l, s)) < 0)
				return rc;
			have_o = true;
			break;
		case 'c':
			if (sec == SEC_SESSION) {
				rc = parse_conn(&ps, &l, &s->conn_addr);
				/* Fatal only if the audio stream has no c= of its own. */
				if (rc == -EAFNOSUPPORT)
					sess_c6_line = ps.line_no;
				else if (rc < 0)
					return rc;
				sess_c = true;
			} else if (sec == SEC_AUDIO) {
				if ((rc = parse_conn(&ps, &l, &s->audio.addr)) < 0)
					return rc;
				media_c = true;
			}
			break; /* the c= of a refused stream does not matter */
		case 'm': {
			struct tok media;
			size_t p = 0;
			if (tok_next(&l, &p, &media) && tok_eq(media, "audio") && s->n_audio == 0) {
				if ((rc = parse_audio_m(&ps, &l, &s->audio)) < 0)
					return rc;
				s->n_audio = 1;
				s->audio_pos = s->n_media;
				sec = SEC_AUDIO;
			} else {
				if (s->n_other_media == SDP_MAX_OTHER)
					return fail(&ps, -E2BIG, "more than %d m= lines besides the audio one",
						    SDP_MAX_OTHER);
				rc = parse_other_m(&ps, &l, s->other_media_lines[s->n_other_media],
						   sizeof(s->other_media_lines[0]));
				if (rc < 0)
					return rc;
				s->n_other_media++;
				sec = SEC_OTHER;
			}
			s->n_media++;
			break;
		}
		case 'a':
			if (sec == SEC_SESSION)
				rc = parse_attr(&ps, &l, NULL, &sess_dir, &sess_dir_set, &seen);
			else if (sec == SEC_AUDIO)
				rc = parse_attr(&ps, &l, &s->audio, &media_dir, &media_dir_set, &seen);
			if (rc < 0)
				return rc;
			break;
		default:
			break; /* s=, t=, b=, i=, k=...: nothing the B2BUA uses */
		}
	}
	if (rc < 0)
		return rc;
	ps.line_no = 0;
	if (!have_v)
		return fail(&ps, -EINVAL, "empty SDP");
	if (!have_o)
		return fail(&ps, -EINVAL, "no o= line");
	if (s->n_audio) {
		struct sdp_media *m = &s->audio;
		if (!media_c && m->port) {
			/* RFC 4566 §5.7: a c= at session level or in every stream. */
			if (sess_c6_line) {
				ps.line_no = sess_c6_line;
				return fail(&ps, -EAFNOSUPPORT,
					    "the audio stream is on the session's IPv6 address: the dataplane takes "
					    "IPv4 media only");
			}
			if (!sess_c)
				return fail(&ps, -EINVAL, "no c= line for the audio stream, at session or media level");
		}
		if (!media_c)
			m->addr = s->conn_addr;
		/* RFC 3264 §5.1: the media-level direction overrides the session's. */
		m->dir = media_dir_set ? media_dir : sess_dir_set ? sess_dir : SDP_SENDRECV;
		for (unsigned i = 0; i < m->n_fmts && m->tel_event_pt < 0; i++) {
			if (strcasecmp(m->fmts[i].name, "telephone-event") == 0) {
				m->tel_event_pt = m->fmts[i].pt;
				m->tel_event_clock = m->fmts[i].clock;
			}
		}
	}
	if (ps.errlen)
		err[0] = '\0'; /* a session-level IPv6 c= that turned out not to matter */
	return 0;
}

const char *
sdp_dir_name(enum sdp_dir d)
{
	static const char *const n[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
	return (unsigned)d < 4 ? n[d] : "sendrecv";
}

bool
sdp_is_hold(const struct sdp_media *m)
{
	return m->dir == SDP_SENDONLY || m->dir == SDP_INACTIVE || m->addr == 0;
}

struct wbuf {
	char *p;
	size_t max, off;
	bool full;
};

static void __attribute__((format(printf, 2, 3))) put(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->p + w->off, w->max - w->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->max - w->off)
		w->full = true;
	else
		w->off += (size_t)n;
}

static void
build_audio(struct wbuf *w, const struct sdp_media *m)
{
	unsigned n = m->n_fmts > SDP_MAX_FMTS ? SDP_MAX_FMTS : m->n_fmts;

	put(w, "m=audio %u %s", m->port, m->proto[0] ? m->proto : "RTP/AVP");
	for (unsigned i = 0; i < n; i++)
		put(w, " %u", m->fmts[i].pt);
	put(w, "\r\n");
	for (unsigned i = 0; i < n; i++) {
		const struct sdp_fmt *f = &m->fmts[i];
		if (f->name[0] && f->clock) {
			if (f->channels > 1)
				put(w, "a=rtpmap:%u %s/%u/%u\r\n", f->pt, f->name, f->clock, f->channels);
			else
				put(w, "a=rtpmap:%u %s/%u\r\n", f->pt, f->name, f->clock);
		}
		if (f->fmtp[0])
			put(w, "a=fmtp:%u %s\r\n", f->pt, f->fmtp);
		else if (strcasecmp(f->name, "telephone-event") == 0)
			put(w, "a=fmtp:%u 0-16\r\n", f->pt); /* RFC 4733 §3.2: DTMF digits and flash */
	}
	if (m->ptime)
		put(w, "a=ptime:%u\r\n", m->ptime);
	if (m->rtcp_mux)
		put(w, "a=rtcp-mux\r\n");
	put(w, "a=%s\r\n", sdp_dir_name(m->dir));
}

int
sdp_build(const struct sdp_session *s, char *out, size_t max)
{
	struct wbuf w = {.p = out, .max = max, .off = 0, .full = max == 0};
	char caddr[INET_ADDRSTRLEN];
	uint32_t conn = s->n_audio ? s->audio.addr : s->conn_addr;
	unsigned n_other = s->n_other_media > SDP_MAX_OTHER ? SDP_MAX_OTHER : s->n_other_media;
	bool audio_done = s->n_audio == 0;

	inet_ntop(AF_INET, &conn, caddr, sizeof(caddr));
	put(&w, "v=0\r\no=%s %llu %llu IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n",
	    s->origin_user[0] ? s->origin_user : "tongdai", (unsigned long long)s->sess_id,
	    (unsigned long long)s->sess_version, s->origin_addr[0] ? s->origin_addr : caddr, caddr);
	/* RFC 3264 §6: the answer has the offer's m= lines, in their order. */
	for (unsigned i = 0, o = 0; o < n_other || !audio_done; i++) {
		if (!audio_done && (i == s->audio_pos || o == n_other)) {
			build_audio(&w, &s->audio);
			audio_done = true;
		} else {
			put(&w, "m=%.*s\r\n", (int)sizeof(s->other_media_lines[0]), s->other_media_lines[o++]);
		}
	}
	return w.full ? -ENOBUFS : (int)w.off;
}

static bool
is_tel_event(const struct sdp_fmt *f)
{
	return strcasecmp(f->name, "telephone-event") == 0;
}

int
sdp_negotiate(const struct sdp_media *offer, const char *const *ours, unsigned n_ours, struct sdp_media *ans)
{
	const struct sdp_fmt *te = NULL;
	unsigned n_offer = offer->n_fmts > SDP_MAX_FMTS ? SDP_MAX_FMTS : offer->n_fmts;

	*ans = *offer;
	ans->n_fmts = 0;
	ans->tel_event_pt = -1;
	ans->tel_event_clock = 0;
	/* RFC 3264 §6.1: the formats we take, in our order, with the
	 * offerer's payload type numbers. */
	for (unsigned k = 0; k < n_ours; k++) {
		if (strcasecmp(ours[k], "telephone-event") == 0)
			continue; /* it follows the codec, below */
		for (unsigned i = 0; i < n_offer; i++) {
			const struct sdp_fmt *f = &offer->fmts[i];
			bool dup = false;
			if (strcasecmp(f->name, ours[k]) != 0)
				continue;
			for (unsigned j = 0; j < ans->n_fmts; j++)
				dup |= ans->fmts[j].pt == f->pt;
			if (!dup && ans->n_fmts < SDP_MAX_FMTS)
				ans->fmts[ans->n_fmts++] = *f;
			break;
		}
	}
	if (ans->n_fmts == 0)
		return -ENOENT;
	/* RFC 4733 §2.1: events run at the clock of the audio they go with;
	 * take that one if offered, else the first. */
	for (unsigned i = 0; i < n_offer; i++) {
		const struct sdp_fmt *f = &offer->fmts[i];
		if (!is_tel_event(f))
			continue;
		if (te == NULL || (f->clock == ans->fmts[0].clock && te->clock != ans->fmts[0].clock))
			te = f;
	}
	if (te && ans->n_fmts < SDP_MAX_FMTS) {
		ans->fmts[ans->n_fmts++] = *te;
		ans->tel_event_pt = te->pt;
		ans->tel_event_clock = te->clock;
	}
	/* RFC 3264 §6.1: the answer's direction mirrors the offer's. */
	switch (offer->dir) {
	case SDP_SENDONLY:
		ans->dir = SDP_RECVONLY;
		break;
	case SDP_RECVONLY:
		ans->dir = SDP_SENDONLY;
		break;
	case SDP_INACTIVE:
		ans->dir = SDP_INACTIVE;
		break;
	default:
		ans->dir = SDP_SENDRECV;
		break;
	}
	return 0;
}
