/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP digest authentication, server side: see the header. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sip_auth.h"
#include "sip_uri.h"

#define MAX_PARAMS    16
#define MAX_VALUE     256
#define MAC_LEN	      16
#define NONCE_RAW     (8 + 4 + MAC_LEN) /* birth ms, sequence, MAC */
#define NONCE_HEX_LEN (2 * NONCE_RAW)

struct param {
	struct sip_str name;
	char value[MAX_VALUE];
	bool quoted;
};

struct replay_slot {
	uint8_t mac[MAC_LEN];
	uint32_t nc;
	uint64_t born_ms;
	bool used;
};

static char realm[64] = TD_SIP_REALM_DEFAULT;
static uint32_t ttl_ms = SIP_AUTH_NONCE_TTL_S * 1000;
static uint8_t secret[32];
static bool offer_sha256 = true, offer_md5 = true;
static struct replay_slot replay[SIP_AUTH_REPLAY_SLOTS];
static uint64_t forgotten_ms; /* see replay_check() */
static struct sip_auth_stats st;

int
sip_auth_init(const char *r, uint32_t nonce_ttl_s)
{
	if (r && (strlen(r) == 0 || strlen(r) >= sizeof(realm) || strchr(r, '"')))
		return -EINVAL;
	snprintf(realm, sizeof(realm), "%s", r ? r : TD_SIP_REALM_DEFAULT);
	ttl_ms = (nonce_ttl_s ? nonce_ttl_s : SIP_AUTH_NONCE_TTL_S) * 1000u;
	if (getrandom(secret, sizeof(secret), 0) != sizeof(secret))
		return -EIO;
	memset(replay, 0, sizeof(replay));
	forgotten_ms = 0;
	return 0;
}

void
sip_auth_set_algorithms(bool sha256, bool md5)
{
	offer_sha256 = sha256;
	offer_md5 = md5 || !sha256; /* never offer nothing */
}

void
sip_auth_stats_get(struct sip_auth_stats *out)
{
	*out = st;
}

const char *
sip_auth_result_name(enum sip_auth_result r)
{
	static const char *const n[] = {"ok",	       "missing", "malformed",	 "unknown user", "bad password",
					"stale nonce", "replay",  "wrong realm", "bad uri",	 "bad algorithm"};
	return (unsigned)r < sizeof(n) / sizeof(n[0]) ? n[r] : "?";
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[b[i] >> 4];
		out[2 * i + 1] = h[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (uint8_t)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (uint8_t)(c - 'a' + 10);
			else
				return -EINVAL;
		}
		out[i] = v;
	}
	return 0;
}

/* The MAC of a nonce's birth time and sequence number (12 octets). */
static void
nonce_mac(const uint8_t head[12], uint8_t mac[MAC_LEN])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	HMAC(EVP_sha256(), secret, sizeof(secret), head, 12, full, &len);
	memcpy(mac, full, MAC_LEN);
}

/* Two challenges in one millisecond must differ: the sequence number. */
static void
nonce_make(uint64_t now_ms, char out[NONCE_HEX_LEN + 1])
{
	static uint32_t seq;
	uint8_t raw[NONCE_RAW];
	seq++;
	for (int i = 0; i < 8; i++)
		raw[i] = (uint8_t)(now_ms >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		raw[8 + i] = (uint8_t)(seq >> (24 - 8 * i));
	nonce_mac(raw, raw + 12);
	hex(raw, sizeof(raw), out);
}

int
sip_auth_challenge(bool proxy, bool stale, uint64_t now_ms, char *out, size_t max)
{
	char nonce[NONCE_HEX_LEN + 1];
	const char *hdr = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	size_t off = 0;
	int n;

	nonce_make(now_ms, nonce);
	for (int k = 0; k < 2; k++) {
		bool sha = k == 0;
		if ((sha && !offer_sha256) || (!sha && !offer_md5))
			continue;
		n = snprintf(
			out + off, max - off,
			"%s: Digest realm=\"%s\", nonce=\"%s\", opaque=\"%.16s\", algorithm=%s, qop=\"auth\"%s\r\n",
			hdr, realm, nonce, nonce + NONCE_HEX_LEN - 16, sha ? "SHA-256" : "MD5",
			stale ? ", stale=true" : "");
		if (n < 0 || (size_t)n >= max - off)
			return -ENOBUFS;
		off += (size_t)n;
	}
	st.challenges++;
	return (int)off;
}

static int
digest_hex(const char *alg, const char *const *parts, size_t n_parts, char *out)
{
	const EVP_MD *md = strcasecmp(alg, "SHA-256") == 0 ? EVP_sha256() : EVP_md5();
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL);
	for (size_t i = 0; ok && i < n_parts; i++) {
		if (i)
			ok = EVP_DigestUpdate(ctx, ":", 1);
		ok = ok && EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	ok = ok && EVP_DigestFinal_ex(ctx, h, &hl);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	hex(h, hl, out);
	return 0;
}

int
sip_auth_response(const char *alg, const char *ha1, const char *nonce, const char *nc, const char *cnonce,
		  const char *qop, const char *method, const char *uri, char *out)
{
	char ha2[65];
	const char *a2[] = {method, uri};
	if (digest_hex(alg, a2, 2, ha2) < 0)
		return -EIO;
	if (qop) {
		const char *r[] = {ha1, nonce, nc, cnonce, qop, ha2};
		return digest_hex(alg, r, 6, out);
	}
	const char *r[] = {ha1, nonce, ha2};
	return digest_hex(alg, r, 3, out);
}

/* RFC 3261 §25.1 token characters. */
static bool
is_token(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-.!%*_+`'~", c));
}

/* "Digest a=b, c="d"" (RFC 3261 §25.1 auth-param: token "=" (token /
 * quoted-string)): strict and bounded. A value longer than MAX_VALUE - 1,
 * more than MAX_PARAMS parameters, a parameter twice, a quoted-pair or raw
 * octet that is CR, LF or NUL: -EINVAL or -E2BIG, never a truncated value. */
static int
parse_params(struct sip_str v, struct param *p, unsigned *n)
{
	uint32_t i = 0;
	*n = 0;
	while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '\r' || v.p[i] == '\n'))
		i++;
	if (v.len - i < 7 || strncasecmp(v.p + i, "Digest", 6) != 0 || (v.p[i + 6] != ' ' && v.p[i + 6] != '\t'))
		return -EINVAL;
	i += 6;
	for (;;) {
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '\r' || v.p[i] == '\n'))
			i++;
		if (i == v.len)
			return *n ? 0 : -EINVAL;
		if (*n == MAX_PARAMS)
			return -E2BIG;
		struct param *q = &p[*n];
		uint32_t k0 = i;
		while (i < v.len && is_token(v.p[i]))
			i++;
		q->name = (struct sip_str){v.p + k0, i - k0};
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		if (q->name.len == 0 || i == v.len || v.p[i] != '=')
			return -EINVAL;
		i++;
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		size_t o = 0;
		q->quoted = i < v.len && v.p[i] == '"';
		if (q->quoted) {
			i++;
			while (i < v.len && v.p[i] != '"') {
				if (v.p[i] == '\\') {
					if (++i == v.len)
						return -EINVAL;
				}
				/* A folded line inside a credential is refused too:
				 * no client writes one, and the value is hashed. */
				if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == '\0')
					return -EINVAL;
				if (o + 1 >= MAX_VALUE)
					return -E2BIG;
				q->value[o++] = v.p[i++];
			}
			if (i == v.len)
				return -EINVAL; /* unterminated */
			i++;
		} else {
			while (i < v.len && v.p[i] != ',' && v.p[i] != ' ' && v.p[i] != '\t') {
				if (!is_token(v.p[i]))
					return -EINVAL;
				if (o + 1 >= MAX_VALUE)
					return -E2BIG;
				q->value[o++] = v.p[i++];
			}
			if (o == 0)
				return -EINVAL;
		}
		q->value[o] = '\0';
		for (unsigned k = 0; k < *n; k++)
			if (p[k].name.len == q->name.len && strncasecmp(p[k].name.p, q->name.p, q->name.len) == 0)
				return -EINVAL; /* a parameter twice */
		(*n)++;
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '\r' || v.p[i] == '\n'))
			i++;
		if (i == v.len)
			return 0;
		if (v.p[i] != ',')
			return -EINVAL;
		i++;
	}
}

static bool
is_digest(struct sip_str v)
{
	uint32_t i = 0;
	while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
		i++;
	/* "Digest" alone is ours too, and malformed. */
	return v.len - i >= 6 && strncasecmp(v.p + i, "Digest", 6) == 0 &&
	       (v.len - i == 6 || v.p[i + 6] == ' ' || v.p[i + 6] == '\t');
}

static const char *
get(const struct param *p, unsigned n, const char *name)
{
	size_t l = strlen(name);
	for (unsigned i = 0; i < n; i++)
		if (p[i].name.len == l && strncasecmp(p[i].name.p, name, l) == 0)
			return p[i].value;
	return NULL;
}

enum replay_verdict { REPLAY_NEW, REPLAY_SEEN, REPLAY_FORGOTTEN };

/*
 * The nonce count check (RFC 7616 §3.4: nc grows with each request on a
 * nonce; nc 0 stands for no qop, which makes a nonce good once). The table
 * is 4-way set-associative, indexed by the nonce's MAC; a full set gives up
 * its oldest nonce. A nonce given up while still inside its TTL must not be
 * taken as new afterwards (its counts would be replayable, and whoever
 * knows the MAC can aim nonces at its set), so forgotten_ms keeps the birth
 * time of the newest such nonce, and any nonce not in the table and born no
 * later is refused as stale: its client is challenged afresh.
 */
static enum replay_verdict
replay_check(const uint8_t mac[MAC_LEN], uint64_t born_ms, uint32_t nc, uint64_t now_ms)
{
	uint32_t h;
	memcpy(&h, mac, sizeof(h));
	uint32_t base = (h & (SIP_AUTH_REPLAY_SLOTS - 1)) & ~3u, victim = base;
	for (uint32_t k = 0; k < 4; k++) {
		struct replay_slot *s = &replay[base + k];
		if (s->used && memcmp(s->mac, mac, MAC_LEN) == 0) {
			if (nc == 0 || nc <= s->nc)
				return REPLAY_SEEN;
			s->nc = nc;
			return REPLAY_NEW;
		}
		if (replay[victim].used && (!s->used || s->born_ms < replay[victim].born_ms))
			victim = base + k;
	}
	if (born_ms <= forgotten_ms)
		return REPLAY_FORGOTTEN;
	struct replay_slot *v = &replay[victim];
	if (v->used && now_ms - v->born_ms <= ttl_ms && v->born_ms > forgotten_ms)
		forgotten_ms = v->born_ms;
	*v = (struct replay_slot){.nc = nc, .born_ms = born_ms, .used = true};
	memcpy(v->mac, mac, MAC_LEN);
	return REPLAY_NEW;
}

/* The same URI as far as routing goes (RFC 3261 §19.1.4, loosely): scheme,
 * user, host and port with 5060 for none. Clients differ in writing the
 * default port. */
static bool
same_uri(struct sip_str ruri, const char *uri)
{
	struct sip_uri a, b;
	struct sip_str u = {uri, (uint32_t)strlen(uri)};
	if (sip_str_eq(ruri, uri))
		return true;
	if (sip_uri_parse(ruri, &a) < 0 || sip_uri_parse(u, &b) < 0)
		return false;
	return a.scheme.len == b.scheme.len && strncasecmp(a.scheme.p, b.scheme.p, a.scheme.len) == 0 &&
	       a.user.len == b.user.len && (a.user.len == 0 || memcmp(a.user.p, b.user.p, a.user.len) == 0) &&
	       a.host.len == b.host.len && strncasecmp(a.host.p, b.host.p, a.host.len) == 0 &&
	       (a.port ? a.port : 5060) == (b.port ? b.port : 5060);
}

static enum sip_auth_result
result(enum sip_auth_result r)
{
	st.by_result[r]++;
	if (r == SIP_AUTH_OK)
		st.ok++;
	return r;
}

enum sip_auth_result
sip_auth_verify(const struct sip_msg *req, bool proxy, uint64_t now_ms, struct td_user *user)
{
	const char *hname = proxy ? "Proxy-Authorization" : "Authorization";
	struct param p[MAX_PARAMS];
	unsigned n = 0;
	const struct sip_hdr *h = NULL;
	bool any = false;

	/* The credentials for our realm (a request may carry several). */
	for (uint32_t i = 0; i < req->n_hdrs; i++) {
		if (!sip_str_ieq(req->hdrs[i].name, hname))
			continue;
		if (!is_digest(req->hdrs[i].value))
			continue; /* another scheme: not for us (RFC 4475 §3.1.2.14) */
		any = true;
		if (parse_params(req->hdrs[i].value, p, &n) < 0)
			return result(SIP_AUTH_MALFORMED);
		const char *r = get(p, n, "realm");
		if (r == NULL)
			return result(SIP_AUTH_MALFORMED); /* RFC 3261 §25.1: realm is required */
		if (strcmp(r, realm) == 0) {
			h = &req->hdrs[i];
			break;
		}
	}
	if (!any)
		return result(SIP_AUTH_MISSING);
	if (h == NULL)
		return result(SIP_AUTH_WRONG_REALM);

	const char *username = get(p, n, "username"), *nonce = get(p, n, "nonce"), *uri = get(p, n, "uri"),
		   *response = get(p, n, "response"), *alg = get(p, n, "algorithm"), *qop = get(p, n, "qop"),
		   *nc = get(p, n, "nc"), *cnonce = get(p, n, "cnonce"), *opaque = get(p, n, "opaque");
	if (!username || !nonce || !uri || !response)
		return result(SIP_AUTH_MALFORMED);
	if (alg == NULL)
		alg = "MD5";
	bool sha = strcasecmp(alg, "SHA-256") == 0;
	if (!sha && strcasecmp(alg, "MD5") != 0)
		return result(SIP_AUTH_BAD_ALGORITHM);
	if ((sha && !offer_sha256) || (!sha && !offer_md5))
		return result(SIP_AUTH_BAD_ALGORITHM);
	if (strlen(response) != (sha ? 64u : 32u))
		return result(SIP_AUTH_MALFORMED);
	if (qop && strcasecmp(qop, "auth") != 0)
		return result(SIP_AUTH_MALFORMED);
	uint32_t ncv = 0;
	if (qop) {
		char *end;
		if (!nc || !cnonce || strlen(nc) != 8)
			return result(SIP_AUTH_MALFORMED);
		unsigned long v = strtoul(nc, &end, 16);
		if (*end || v == 0)
			return result(SIP_AUTH_MALFORMED);
		ncv = (uint32_t)v;
	}

	/* Our nonce? Its age? */
	uint8_t raw[NONCE_RAW], mac[MAC_LEN];
	if (strlen(nonce) != NONCE_HEX_LEN || unhex(nonce, sizeof(raw), raw) < 0)
		return result(SIP_AUTH_MALFORMED);
	uint64_t born = 0;
	for (int i = 0; i < 8; i++)
		born = born << 8 | raw[i];
	nonce_mac(raw, mac);
	if (memcmp(mac, raw + 12, MAC_LEN) != 0)
		return result(SIP_AUTH_STALE); /* an earlier run's nonce, or forged: challenge afresh */
	if (opaque && strncmp(opaque, nonce + NONCE_HEX_LEN - 16, 16) != 0)
		return result(SIP_AUTH_MALFORMED);
	if (born > now_ms || now_ms - born > ttl_ms)
		return result(SIP_AUTH_STALE);

	/* §22.4: the uri parameter names the Request-URI. */
	if (!same_uri(req->ruri, uri))
		return result(SIP_AUTH_BAD_URI);
	if (td_user_get(username, user) < 0)
		return result(SIP_AUTH_UNKNOWN_USER);
	if (strcmp(user->realm, realm) != 0)
		return result(SIP_AUTH_WRONG_REALM);

	char expect[65], method[32];
	if (req->method_name.len >= sizeof(method))
		return result(SIP_AUTH_MALFORMED);
	memcpy(method, req->method_name.p, req->method_name.len);
	method[req->method_name.len] = '\0';
	if (sip_auth_response(alg, sha ? user->ha1_sha256 : user->ha1_md5, nonce, nc, cnonce, qop ? "auth" : NULL,
			      method, uri, expect) < 0)
		return result(SIP_AUTH_MALFORMED);
	if (strcasecmp(expect, response) != 0)
		return result(SIP_AUTH_BAD_PASSWORD);
	/* Only a correct response consumes a nonce count; without qop a
	 * nonce is good once (the client is challenged again). */
	switch (replay_check(mac, born, ncv, now_ms)) {
	case REPLAY_NEW:
		break;
	case REPLAY_SEEN:
		return result(qop ? SIP_AUTH_REPLAY : SIP_AUTH_STALE);
	case REPLAY_FORGOTTEN:
		return result(SIP_AUTH_STALE);
	}
	return result(SIP_AUTH_OK);
}

/* The qop list of a challenge ("auth,auth-int") offers "auth". */
static bool
qop_offers_auth(const char *list)
{
	const char *s = list;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		size_t l = strcspn(s, ", \t");
		if (l == 4 && strncasecmp(s, "auth", 4) == 0)
			return true;
		s += l;
	}
	return false;
}

static int
copy_value(char *dst, size_t len, const char *v)
{
	size_t l = strlen(v);
	if (l >= len)
		return -EINVAL; /* never a truncated nonce or realm */
	memcpy(dst, v, l + 1);
	return 0;
}

int
sip_auth_client_parse(const struct sip_msg *resp, struct sip_auth_client *c)
{
	struct param p[MAX_PARAMS];
	unsigned n;
	bool other = false, found = false;

	if (resp->is_request)
		return -EINVAL;
	for (uint32_t i = 0; i < resp->n_hdrs; i++) {
		const struct sip_hdr *h = &resp->hdrs[i];
		bool proxy = sip_str_ieq(h->name, "Proxy-Authenticate");
		if (!proxy && !sip_str_ieq(h->name, "WWW-Authenticate"))
			continue;
		if (!is_digest(h->value)) {
			other = true; /* another scheme */
			continue;
		}
		if (parse_params(h->value, p, &n) < 0)
			return -EINVAL;
		const char *r = get(p, n, "realm"), *nonce = get(p, n, "nonce"), *opaque = get(p, n, "opaque"),
			   *alg = get(p, n, "algorithm"), *qop = get(p, n, "qop");
		if (r == NULL || nonce == NULL || nonce[0] == '\0')
			return -EINVAL; /* RFC 7616 §3.3: both are required */
		bool sha = alg && strcasecmp(alg, "SHA-256") == 0;
		/* MD5 when absent (RFC 7616 §3.3); -sess variants and SHA-512-256
		 * are not spoken, nor a qop list without "auth" (auth-int would
		 * hash the body). */
		if ((!sha && alg && strcasecmp(alg, "MD5") != 0) || (qop && !qop_offers_auth(qop))) {
			other = true;
			continue;
		}
		if (found && (c->alg == SIP_AUTH_SHA256 || !sha))
			continue; /* SHA-256 over MD5 (RFC 8760 §2.4), else the first */
		struct sip_auth_client t = {.alg = sha ? SIP_AUTH_SHA256 : SIP_AUTH_MD5,
					    .qop_auth = qop != NULL,
					    .has_opaque = opaque != NULL,
					    .proxy = proxy};
		if (copy_value(t.realm, sizeof(t.realm), r) < 0 || copy_value(t.nonce, sizeof(t.nonce), nonce) < 0 ||
		    (opaque && copy_value(t.opaque, sizeof(t.opaque), opaque) < 0))
			return -EINVAL;
		*c = t;
		found = true;
	}
	if (found)
		return 0;
	return other ? -ENOTSUP : -ENOENT;
}

/* An output line built piece by piece; the first error sticks. */
struct line {
	char *p;
	size_t max, off;
	int err;
};

static void
line_text(struct line *l, const char *s)
{
	size_t n = strlen(s);
	if (l->err)
		return;
	if (l->off + n >= l->max) {
		l->err = -ENOBUFS;
		return;
	}
	memcpy(l->p + l->off, s, n + 1);
	l->off += n;
}

/* s as the inside of a quoted-string (RFC 3261 §25.1), '"' and '\'
 * escaped; -EINVAL for control characters, which no quoted-pair may hold
 * here. */
static void
line_quoted(struct line *l, const char *s)
{
	for (; *s && !l->err; s++) {
		char e[3] = {'\\', *s, '\0'};
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			l->err = -EINVAL;
		else
			line_text(l, *s == '"' || *s == '\\' ? e : e + 1);
	}
}

int
sip_auth_client_build(const struct sip_auth_client *c, bool proxy, const char *user, const char *password,
		      const char *method, const char *uri, char *out, size_t max)
{
	const char *alg = c->alg == SIP_AUTH_SHA256 ? "SHA-256" : "MD5";
	char ha1[65], resp[65], nc[9];
	struct line l = {.p = out, .max = max};

	if (!user || !password || !method || !uri || !user[0] || !method[0] || !uri[0] || !c->nonce[0] ||
	    (c->qop_auth && (!c->cnonce[0] || c->nc == 0)))
		return -EINVAL;
	for (const char *m = method; *m; m++)
		if (!is_token(*m))
			return -EINVAL;
	if (max == 0 || max > INT32_MAX)
		return -ENOBUFS;
	snprintf(nc, sizeof(nc), "%08x", c->nc);
	if (td_user_ha1(alg, user, c->realm, password, ha1) < 0 ||
	    sip_auth_response(alg, ha1, c->nonce, nc, c->cnonce, c->qop_auth ? "auth" : NULL, method, uri, resp) < 0)
		return -EIO;
	/* RFC 3261 §22.4: username, realm, nonce, uri and response; opaque
	 * returned as given; qop, nc and cnonce when the challenge had qop. */
	out[0] = '\0';
	line_text(&l, proxy ? "Proxy-Authorization" : "Authorization");
	line_text(&l, ": Digest username=\"");
	line_quoted(&l, user);
	line_text(&l, "\", realm=\"");
	line_quoted(&l, c->realm);
	line_text(&l, "\", nonce=\"");
	line_quoted(&l, c->nonce);
	line_text(&l, "\", uri=\"");
	line_quoted(&l, uri);
	line_text(&l, "\", response=\"");
	line_text(&l, resp);
	line_text(&l, "\", algorithm=");
	line_text(&l, alg);
	if (c->has_opaque) {
		line_text(&l, ", opaque=\"");
		line_quoted(&l, c->opaque);
		line_text(&l, "\"");
	}
	if (c->qop_auth) {
		line_text(&l, ", qop=auth, nc=");
		line_text(&l, nc);
		line_text(&l, ", cnonce=\"");
		line_quoted(&l, c->cnonce);
		line_text(&l, "\"");
	}
	line_text(&l, "\r\n");
	if (l.err) {
		out[0] = '\0';
		return l.err;
	}
	return (int)l.off;
}

int
sip_auth_client_header(struct sip_auth_client *c, bool proxy, const char *user, const char *password,
		       const char *method, const char *uri, char *out, size_t max)
{
	struct sip_auth_client next = *c;
	uint8_t r[16];
	int ret;

	if (next.qop_auth) {
		if (next.nc == UINT32_MAX)
			return -EOVERFLOW; /* the nonce is spent: a new challenge is needed */
		next.nc++;
		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			return -EIO;
		hex(r, sizeof(r), next.cnonce);
	}
	ret = sip_auth_client_build(&next, proxy, user, password, method, uri, out, max);
	if (ret >= 0)
		*c = next;
	return ret;
}
