/* SPDX-License-Identifier: BSD-3-Clause */
/* SDP parsing, building and offer/answer: see the header. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp.h"

struct line {
	char type;
	const char *v;
	size_t len;
};

static int __attribute__((format(printf, 3, 4))) fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Next "x=value" line; CRLF or bare LF. 0 at the end, -EINVAL if malformed. */
static int
next_line(const char *buf, size_t len, size_t *pos, struct line *l)
{
	size_t i = *pos, e;
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i >= len)
		return 0;
	for (e = i; e < len && buf[e] != '\n'; e++)
		;
	*pos = e;
	size_t end = e;
	if (end > i && buf[end - 1] == '\r')
		end--;
	if (end - i < 2 || buf[i + 1] != '=' || buf[i] < 'a' || buf[i] > 'z')
		return -EINVAL;
	for (size_t k = i; k < end; k++)
		if ((unsigned char)buf[k] < 0x20 && buf[k] != '\t')
			return -EINVAL; /* NUL or another control character in a line */
	l->type = buf[i];
	l->v = buf + i + 2;
	l->len = end - i - 2;
	return 1;
}

/* The next space-separated word of a line. */
static bool
word(const struct line *l, size_t *pos, char *out, size_t max)
{
	size_t i = *pos, o = 0;
	while (i < l->len && l->v[i] == ' ')
		i++;
	if (i == l->len)
		return false;
	while (i < l->len && l->v[i] != ' ') {
		if (o + 1 >= max)
			return false;
		out[o++] = l->v[i++];
	}
	out[o] = '\0';
	*pos = i;
	return true;
}

static bool
number(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (*s == '\0' || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return false;
	}
	*v = x;
	return true;
}

static int
parse_conn(const struct line *l, uint32_t *addr, char *err, size_t errlen)
{
	char nt[8], at[8], a[64];
	size_t p = 0;
	if (!word(l, &p, nt, sizeof(nt)) || !word(l, &p, at, sizeof(at)) || !word(l, &p, a, sizeof(a)))
		return fail(err, errlen, "bad c= line");
	if (strcmp(nt, "IN") != 0)
		return fail(err, errlen, "c=: network type '%s' is not IN", nt);
	if (strcmp(at, "IP6") == 0)
		return fail(err, errlen, "c=: IPv6 media is not supported");
	char *slash = strchr(a, '/');
	if (slash)
		*slash = '\0'; /* multicast TTL: the address is still checked */
	if (strcmp(at, "IP4") != 0 || inet_pton(AF_INET, a, addr) != 1)
		return fail(err, errlen, "c=: bad IPv4 address '%s'", a);
	return 0;
}

static struct sdp_fmt *
fmt_of(struct sdp_media *m, uint8_t pt)
{
	for (unsigned i = 0; i < m->n_fmts; i++)
		if (m->fmts[i].pt == pt)
			return &m->fmts[i];
	return NULL;
}

/* RFC 3551 table 4: the static payload types we know by number. */
static void
static_name(struct sdp_fmt *f)
{
	static const struct {
		uint8_t pt;
		const char *name;
		uint32_t clock;
	} st[] = {{0, "PCMU", 8000}, {3, "GSM", 8000}, {8, "PCMA", 8000}, {9, "G722", 8000}, {18, "G729", 8000}};
	for (unsigned i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		if (st[i].pt == f->pt) {
			snprintf(f->name, sizeof(f->name), "%s", st[i].name);
			f->clock = st[i].clock;
			f->channels = 1;
		}
	}
}

static int
parse_m(const struct line *l, struct sdp_media *m, char *err, size_t errlen)
{
	char media[16], port[16], fmt[8];
	size_t p = 0;
	uint64_t v;
	if (!word(l, &p, media, sizeof(media)) || !word(l, &p, port, sizeof(port)) ||
	    !word(l, &p, m->proto, sizeof(m->proto)))
		return fail(err, errlen, "bad m= line");
	char *slash = strchr(port, '/');
	if (slash)
		*slash = '\0'; /* port/count: one stream here */
	if (!number(port, 65535, &v))
		return fail(err, errlen, "m=: bad port '%s'", port);
	m->port = (uint16_t)v;
	while (word(l, &p, fmt, sizeof(fmt))) {
		if (!number(fmt, 127, &v))
			return fail(err, errlen, "m=: bad payload type '%s'", fmt);
		if (m->n_fmts == SDP_MAX_FMTS) {
			snprintf(err, errlen, "m=: more than %d formats", SDP_MAX_FMTS);
			return -E2BIG;
		}
		struct sdp_fmt *f = &m->fmts[m->n_fmts++];
		memset(f, 0, sizeof(*f));
		f->pt = (uint8_t)v;
		static_name(f);
	}
	if (p < l->len && l->v[p] != ' ')
		return fail(err, errlen, "m=: bad format list");
	if (m->n_fmts == 0)
		return fail(err, errlen, "m=: no formats");
	return 0;
}

static void
parse_attr(const struct line *l, struct sdp_media *m, enum sdp_dir *dir)
{
	char name[32];
	size_t n = 0;
	while (n < l->len && l->v[n] != ':' && n + 1 < sizeof(name)) {
		name[n] = l->v[n];
		n++;
	}
	name[n] = '\0';
	const char *val = n < l->len && l->v[n] == ':' ? l->v + n + 1 : NULL;
	size_t vlen = val ? l->len - n - 1 : 0;

	if (strcmp(name, "sendrecv") == 0)
		*dir = SDP_SENDRECV;
	else if (strcmp(name, "sendonly") == 0)
		*dir = SDP_SENDONLY;
	else if (strcmp(name, "recvonly") == 0)
		*dir = SDP_RECVONLY;
	else if (strcmp(name, "inactive") == 0)
		*dir = SDP_INACTIVE;
	if (m == NULL || val == NULL) {
		if (m && strcmp(name, "rtcp-mux") == 0)
			m->rtcp_mux = true;
		return;
	}
	char buf[128];
	if (vlen >= sizeof(buf))
		vlen = sizeof(buf) - 1;
	memcpy(buf, val, vlen);
	buf[vlen] = '\0';
	if (strcmp(name, "ptime") == 0) {
		uint64_t v;
		if (number(buf, 1000, &v))
			m->ptime = (uint16_t)v;
	} else if (strcmp(name, "rtpmap") == 0 || strcmp(name, "fmtp") == 0) {
		char *sp = strchr(buf, ' ');
		uint64_t pt;
		if (sp == NULL)
			return;
		*sp = '\0';
		struct sdp_fmt *f = number(buf, 127, &pt) ? fmt_of(m, (uint8_t)pt) : NULL;
		if (f == NULL)
			return; /* a map for a format not offered: ignored */
		const char *rest = sp + 1;
		if (name[0] == 'f') {
			snprintf(f->fmtp, sizeof(f->fmtp), "%s", rest);
			return;
		}
		char enc[16] = "";
		unsigned clock = 0, ch = 1;
		if (sscanf(rest, "%15[^/]/%u/%u", enc, &clock, &ch) >= 2 && clock > 0) {
			snprintf(f->name, sizeof(f->name), "%s", enc);
			f->clock = clock;
			f->channels = (uint8_t)(ch ? ch : 1);
		}
	}
}

int
sdp_parse(const char *buf, size_t len, struct sdp_session *s, char *err, size_t errlen)
{
	struct line l;
	size_t pos = 0;
	int rc, n = 0;
	bool in_audio = false, have_v = false, have_o = false, media_c = false, sess_c = false;
	enum sdp_dir sess_dir = SDP_SENDRECV, media_dir = SDP_SENDRECV;
	bool media_dir_set = false;

	memset(s, 0, sizeof(*s));
	s->audio.tel_event_pt = -1;
	err[0] = '\0';
	while ((rc = next_line(buf, len, &pos, &l)) > 0) {
		if (n++ == 0 && l.type != 'v')
			return fail(err, errlen, "SDP must start with v=");
		switch (l.type) {
		case 'v':
			if (l.len != 1 || l.v[0] != '0')
				return fail(err, errlen, "unknown SDP version");
			have_v = true;
			break;
		case 'o': {
			char user[32], id[24], ver[24], nt[8], at[8];
			size_t p = 0;
			uint64_t a, b;
			if (!word(&l, &p, user, sizeof(user)) || !word(&l, &p, id, sizeof(id)) ||
			    !word(&l, &p, ver, sizeof(ver)) || !word(&l, &p, nt, sizeof(nt)) ||
			    !word(&l, &p, at, sizeof(at)) || !word(&l, &p, s->origin_addr, sizeof(s->origin_addr)) ||
			    !number(id, UINT64_MAX / 10, &a) || !number(ver, UINT64_MAX / 10, &b))
				return fail(err, errlen, "bad o= line");
			snprintf(s->origin_user, sizeof(s->origin_user), "%s", user);
			s->sess_id = a;
			s->sess_version = b;
			have_o = true;
			break;
		}
		case 'c':
			if (s->n_media == 0) {
				if (parse_conn(&l, &s->conn_addr, err, errlen) < 0)
					return -EINVAL;
				sess_c = true;
			} else if (in_audio) {
				if (parse_conn(&l, &s->audio.addr, err, errlen) < 0)
					return -EINVAL;
				media_c = true;
			}
			break;
		case 'm': {
			if (s->n_media == 255)
				return fail(err, errlen, "too many m= lines");
			s->n_media++;
			in_audio = false;
			bool audio = l.len > 6 && strncmp(l.v, "audio ", 6) == 0;
			if (audio && s->n_audio == 0) {
				if ((rc = parse_m(&l, &s->audio, err, errlen)) < 0)
					return rc;
				s->n_audio = 1;
				in_audio = true;
				break;
			}
			/* Kept to be refused in the answer: "type 0 proto fmt". */
			if (s->n_other_media == SDP_MAX_OTHER) {
				snprintf(err, errlen, "more than %d extra m= lines", SDP_MAX_OTHER);
				return -E2BIG;
			}
			char type[16] = "", port[16], proto[24] = "", fmt[16] = "";
			size_t p = 0;
			if (!word(&l, &p, type, sizeof(type)) || !word(&l, &p, port, sizeof(port)) ||
			    !word(&l, &p, proto, sizeof(proto)) || !word(&l, &p, fmt, sizeof(fmt)))
				return fail(err, errlen, "bad m= line");
			snprintf(s->other_media_lines[s->n_other_media++], sizeof(s->other_media_lines[0]),
				 "%s 0 %s %s", type, proto, fmt);
			break;
		}
		case 'a':
			if (s->n_media == 0) {
				parse_attr(&l, NULL, &sess_dir);
			} else if (in_audio) {
				enum sdp_dir before = media_dir;
				parse_attr(&l, &s->audio, &media_dir);
				if (media_dir != before || (l.len >= 8 && strncmp(l.v, "sendrecv", 8) == 0))
					media_dir_set = true;
			}
			break;
		default:
			break; /* s=, t=, b=, i=, ... not needed here */
		}
	}
	if (rc < 0)
		return fail(err, errlen, "malformed SDP line");
	if (!have_v || !have_o)
		return fail(err, errlen, "SDP without v= or o=");
	if (s->n_audio) {
		struct sdp_media *m = &s->audio;
		if (!media_c) {
			if (!sess_c && m->port)
				return fail(err, errlen, "no c= for the audio stream");
			m->addr = s->conn_addr;
		}
		m->dir = media_dir_set ? media_dir : sess_dir;
		for (unsigned i = 0; i < m->n_fmts; i++) {
			if (strcasecmp(m->fmts[i].name, "telephone-event") == 0 && m->tel_event_pt < 0) {
				m->tel_event_pt = m->fmts[i].pt;
				m->tel_event_clock = m->fmts[i].clock;
			}
		}
	}
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

int
sdp_build(const struct sdp_session *s, char *out, size_t max)
{
	char addr[INET_ADDRSTRLEN], caddr[INET_ADDRSTRLEN];
	size_t off = 0;
	int n;
#define PUT(...)                                                 \
	do {                                                     \
		n = snprintf(out + off, max - off, __VA_ARGS__); \
		if (n < 0 || (size_t)n >= max - off)             \
			return -ENOBUFS;                         \
		off += (size_t)n;                                \
	} while (0)

	const struct sdp_media *m = &s->audio;
	inet_ntop(AF_INET, &s->conn_addr, addr, sizeof(addr));
	inet_ntop(AF_INET, &m->addr, caddr, sizeof(caddr));
	PUT("v=0\r\no=%s %llu %llu IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n",
	    s->origin_user[0] ? s->origin_user : "-", (unsigned long long)s->sess_id,
	    (unsigned long long)s->sess_version, s->origin_addr[0] ? s->origin_addr : addr, caddr);
	if (s->n_audio) {
		PUT("m=audio %u %s", m->port, m->proto[0] ? m->proto : "RTP/AVP");
		for (unsigned i = 0; i < m->n_fmts; i++)
			PUT(" %u", m->fmts[i].pt);
		PUT("\r\n");
		for (unsigned i = 0; i < m->n_fmts; i++) {
			const struct sdp_fmt *f = &m->fmts[i];
			if (f->name[0] && f->clock) {
				if (f->channels > 1)
					PUT("a=rtpmap:%u %s/%u/%u\r\n", f->pt, f->name, f->clock, f->channels);
				else
					PUT("a=rtpmap:%u %s/%u\r\n", f->pt, f->name, f->clock);
			}
			if (f->fmtp[0])
				PUT("a=fmtp:%u %s\r\n", f->pt, f->fmtp);
		}
		if (m->ptime)
			PUT("a=ptime:%u\r\n", m->ptime);
		if (m->rtcp_mux)
			PUT("a=rtcp-mux\r\n");
		PUT("a=%s\r\n", sdp_dir_name(m->dir));
	}
	for (unsigned i = 0; i < s->n_other_media; i++)
		PUT("m=%s\r\n", s->other_media_lines[i]);
#undef PUT
	return (int)off;
}

int
sdp_negotiate(const struct sdp_media *offer, const char *const *ours, unsigned n_ours, struct sdp_media *ans)
{
	*ans = *offer;
	ans->n_fmts = 0;
	ans->tel_event_pt = -1;
	for (unsigned k = 0; k < n_ours; k++) {
		for (unsigned i = 0; i < offer->n_fmts; i++) {
			if (strcasecmp(offer->fmts[i].name, ours[k]) == 0 && ans->n_fmts < SDP_MAX_FMTS) {
				ans->fmts[ans->n_fmts++] = offer->fmts[i];
				break;
			}
		}
	}
	if (ans->n_fmts == 0)
		return -ENOENT;
	if (offer->tel_event_pt >= 0 && ans->n_fmts < SDP_MAX_FMTS) {
		const struct sdp_fmt *te = NULL;
		for (unsigned i = 0; i < offer->n_fmts; i++)
			if (offer->fmts[i].pt == offer->tel_event_pt)
				te = &offer->fmts[i];
		if (te) {
			ans->fmts[ans->n_fmts++] = *te;
			ans->tel_event_pt = offer->tel_event_pt;
			ans->tel_event_clock = offer->tel_event_clock;
		}
	}
	ans->dir = offer->dir == SDP_SENDONLY ? SDP_RECVONLY : offer->dir == SDP_RECVONLY ? SDP_SENDONLY : offer->dir;
	return 0;
}
