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

/* "Digest a=b, c="d"": strict and bounded. -EINVAL for anything else. */
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
		while (i < v.len && ((v.p[i] >= 'a' && v.p[i] <= 'z') || (v.p[i] >= 'A' && v.p[i] <= 'Z') ||
				     (v.p[i] >= '0' && v.p[i] <= '9') || v.p[i] == '-' || v.p[i] == '_'))
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
				if (o + 1 >= MAX_VALUE)
					return -E2BIG;
				q->value[o++] = v.p[i++];
			}
			if (i == v.len)
				return -EINVAL; /* unterminated */
			i++;
		} else {
			while (i < v.len && v.p[i] != ',' && v.p[i] != ' ' && v.p[i] != '\t') {
				if (o + 1 >= MAX_VALUE)
					return -E2BIG;
				q->value[o++] = v.p[i++];
			}
			if (o == 0)
				return -EINVAL;
		}
		q->value[o] = '\0';
		if (memchr(q->value, '\0', o))
			return -EINVAL;
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
	return v.len - i >= 7 && strncasecmp(v.p + i, "Digest", 6) == 0 && (v.p[i + 6] == ' ' || v.p[i + 6] == '\t');
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

/* The nonce count check: true when nc (0 without qop) is new for the nonce. */
static bool
replay_ok(const uint8_t mac[MAC_LEN], uint64_t born_ms, uint32_t nc)
{
	uint32_t h;
	memcpy(&h, mac, sizeof(h));
	uint32_t base = (h & (SIP_AUTH_REPLAY_SLOTS - 1)) & ~3u, victim = base;
	for (uint32_t k = 0; k < 4; k++) {
		struct replay_slot *s = &replay[base + k];
		if (s->used && memcmp(s->mac, mac, MAC_LEN) == 0) {
			if (nc == 0 || nc <= s->nc)
				return false;
			s->nc = nc;
			return true;
		}
		if (!s->used || s->born_ms < replay[victim].born_ms)
			victim = base + k;
	}
	/* Evicting the oldest nonce of the set: its later counts are then
	 * taken as new, but it is near its TTL by then. */
	replay[victim] = (struct replay_slot){.nc = nc, .born_ms = born_ms, .used = true};
	memcpy(replay[victim].mac, mac, MAC_LEN);
	return true;
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
	       a.user.len == b.user.len && memcmp(a.user.p, b.user.p, a.user.len) == 0 && a.host.len == b.host.len &&
	       strncasecmp(a.host.p, b.host.p, a.host.len) == 0 && (a.port ? a.port : 5060) == (b.port ? b.port : 5060);
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
		if (r && strcmp(r, realm) == 0) {
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
	if (!replay_ok(mac, born, ncv))
		return result(qop ? SIP_AUTH_REPLAY : SIP_AUTH_STALE);
	return result(SIP_AUTH_OK);
}
